// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ProductType, Modality, PricingUnit} from "./MarketTypes.sol";
import {IStreamRegistry} from "./interfaces/IStreamRegistry.sol";
import {ICatalogueErrors} from "./interfaces/IMarketErrors.sol";

/// @notice What the Catalogue asks the union factory (DataUnionFactory.isUnion).
interface IUnionRegistry {
    function isUnion(address account) external view returns (bool);
}

/// @title Catalogue
/// @notice The list of Data Products (MKT-FUN-04/07). A product records who sells it, how
/// it is delivered and what it costs. Its description (title, summary, category, tags) is
/// emitted in events for the search index and not stored; the full metadata document lives
/// at `metadataURI` (IPFS by default). Only the seller manages a product. Stream products link
/// the Streamr stream ids they sell; the seller must hold GRANT on each in the StreamRegistry.
/// DATA_UNION products are published only by data unions of the union factory. The seller of an
/// anonymised batch product binds the report of its anonymisation (hash, k, ℓ) to it.
/// Its errors are declared in `ICatalogueErrors`.
contract Catalogue is ICatalogueErrors {
    /// @notice Everything the seller provides when publishing or describing a product.
    struct Description {
        string metadataURI; // ipfs://<cid> or https://…
        string title;
        string summary;
        string category;
        string[] tags;
    }

    /// @notice A product as stored. `seller` and `price` share a slot, as do the small fields.
    struct Product {
        address seller;
        uint96 price; // DataToken base units per pricing unit; 0 = free
        ProductType productType;
        Modality modality;
        PricingUnit pricingUnit;
        bool active;
        uint8 threshold; // key shares needed out of deliveryAgents.length
        uint40 createdAt;
        uint40 updatedAt;
        address[] deliveryAgents; // relays allowed to deliver and record receipts
        string metadataURI;
    }

    /// @notice The part of a product an access request needs (two storage reads).
    struct Terms {
        address seller;
        uint96 price;
        ProductType productType;
        PricingUnit pricingUnit;
        bool active;
    }

    /// @notice The anonymisation report the seller of an anonymised batch product bound to it: the
    /// SHA-256 of the report (a JSON document at the URI emitted in `AnonymisationReported`) and
    /// the k-anonymity and ℓ-diversity it states. The chain cannot check k or ℓ; it makes the
    /// claim public and unchangeable after the fact, so a buyer can hold the seller to the report
    /// whose hash was on chain when they bought. `reportedAt` is 0 for a product never reported.
    struct Anonymisation {
        bytes32 reportHash;
        uint32 k;
        uint32 l;
        uint40 reportedAt;
    }

    uint256 public constant MAX_DELIVERY_AGENTS = 16;
    uint256 public constant MAX_TAGS = 16;
    uint256 public constant MAX_TITLE_BYTES = 200;
    uint256 public constant MAX_STREAMS = 8;
    /// @notice How many products may ever link one stream. Bounds the work of recomputing a
    /// consumer's access to a stream in `Agreements` (one read per product selling it).
    uint256 public constant MAX_PRODUCTS_PER_STREAM = 16;
    uint8 private constant GRANT_PERMISSION = 4; // StreamRegistryV5.PermissionType.Grant

    /// @notice Streamr's registry on this chain; zero when streams are not linked on chain.
    IStreamRegistry public immutable streamRegistry;
    /// @notice Who may set `unionFactory`, once (the deployer).
    address private immutable _deployer;
    /// @notice The factory whose unions alone may publish DATA_UNION products; zero until set.
    IUnionRegistry public unionFactory;

    uint256 public productCount;
    mapping(uint256 productId => Product) private _products;
    mapping(uint256 productId => string[] streamIds) private _streams;
    /// @dev Every product that ever linked a stream (append-only: grants bought through a
    /// product outlive the link), keyed by keccak256 of the stream id.
    mapping(bytes32 streamKey => uint256[] productIds) private _productsOfStream;
    mapping(bytes32 streamKey => mapping(uint256 productId => bool)) private _linkedStream;
    mapping(uint256 productId => Anonymisation) private _anonymisations;

    event ProductPublished(
        uint256 indexed productId,
        address indexed seller,
        ProductType productType,
        Modality modality,
        uint96 price,
        PricingUnit pricingUnit,
        string metadataURI,
        string title,
        string summary,
        string category,
        string[] tags
    );
    event ProductDescriptionUpdated(
        uint256 indexed productId, string metadataURI, string title, string summary, string category, string[] tags
    );
    event ProductPriceUpdated(uint256 indexed productId, uint96 price, PricingUnit pricingUnit);
    event DeliveryAgentsUpdated(uint256 indexed productId, address[] agents, uint8 threshold);
    event ProductStreamsUpdated(uint256 indexed productId, string[] streamIds);
    event ProductDeactivated(uint256 indexed productId);
    event ProductReactivated(uint256 indexed productId);
    event UnionFactorySet(address indexed unionFactory);
    /// @notice The seller bound (or replaced) the anonymisation report of product `productId`;
    /// `reportURI` is where the report lives (emitted for the index, not stored).
    event AnonymisationReported(uint256 indexed productId, bytes32 reportHash, uint32 k, uint32 l, string reportURI);

    modifier onlySeller(uint256 productId) {
        address seller = _products[productId].seller;
        if (seller == address(0)) revert ProductNotFound(productId);
        if (seller != msg.sender) revert NotSeller(productId, msg.sender);
        _;
    }

    /// @param streamRegistry_ Streamr's StreamRegistry on this chain, or zero when stream ids are
    /// not linked on chain (stream products can then not link streams).
    constructor(IStreamRegistry streamRegistry_) {
        streamRegistry = streamRegistry_;
        _deployer = msg.sender;
    }

    /// @notice Names the factory whose unions alone may publish DATA_UNION products, so that a
    /// "data union" on the catalogue always has members and shares its revenue. Set once, by
    /// the deployer, right after deploying the factory (which needs this contract's address).
    function setUnionFactory(IUnionRegistry factory) external {
        if (msg.sender != _deployer) revert NotDeployer(msg.sender);
        if (address(unionFactory) != address(0)) revert UnionFactoryAlreadySet(address(unionFactory));
        if (address(factory) == address(0)) revert NotDataUnion(address(0));
        unionFactory = factory;
        emit UnionFactorySet(address(factory));
    }

    /// @notice Publishes a Data Product sold by the caller. It is active at once but can only be
    /// bought once its seller has set a consent policy in `Policies`.
    /// @param agents Relays that deliver keys for this product (batch products need at least one),
    /// or the computation agents that answer its queries (analytics products need at least one).
    /// @param threshold How many of `agents`' key shares reconstruct the key (0 when no agents).
    /// @param streamIds Streamr streams sold by a stream or data union product (the caller must
    /// hold GRANT on each); empty for other types. Can be changed later with `setStreams`.
    /// @return productId The new product's id (ids start at 1).
    function publish(
        ProductType productType,
        Modality modality,
        uint96 price,
        PricingUnit pricingUnit,
        address[] calldata agents,
        uint8 threshold,
        Description calldata description,
        string[] calldata streamIds
    ) external returns (uint256 productId) {
        if (productType == ProductType.DataUnion) _checkUnion();
        _checkPricing(productType, pricingUnit);
        _checkAgents(productType, agents, threshold);
        _checkDescription(description);
        _checkStreams(productType, streamIds);

        productId = ++productCount;
        Product storage p = _products[productId];
        p.seller = msg.sender;
        p.price = price;
        p.productType = productType;
        p.modality = modality;
        p.pricingUnit = pricingUnit;
        p.active = true;
        p.threshold = threshold;
        p.createdAt = uint40(block.timestamp);
        p.updatedAt = uint40(block.timestamp);
        p.deliveryAgents = agents;
        p.metadataURI = description.metadataURI;

        emit ProductPublished(
            productId,
            msg.sender,
            productType,
            modality,
            price,
            pricingUnit,
            description.metadataURI,
            description.title,
            description.summary,
            description.category,
            description.tags
        );
        if (agents.length > 0) emit DeliveryAgentsUpdated(productId, agents, threshold);
        if (streamIds.length > 0) {
            _streams[productId] = streamIds;
            _linkStreams(productId, streamIds);
            emit ProductStreamsUpdated(productId, streamIds);
        }
    }

    /// @notice Replaces the Streamr streams a stream or data union product sells. Agreements made from now on
    /// get SUBSCRIBE on the new list; existing grants on removed streams run until they expire.
    function setStreams(uint256 productId, string[] calldata streamIds) external onlySeller(productId) {
        Product storage p = _products[productId];
        _checkStreams(p.productType, streamIds);
        _streams[productId] = streamIds;
        _linkStreams(productId, streamIds);
        p.updatedAt = uint40(block.timestamp);
        emit ProductStreamsUpdated(productId, streamIds);
    }

    /// @notice Replaces the product's description and metadata document.
    function updateDescription(uint256 productId, Description calldata description) external onlySeller(productId) {
        _checkDescription(description);
        Product storage p = _products[productId];
        p.metadataURI = description.metadataURI;
        p.updatedAt = uint40(block.timestamp);
        emit ProductDescriptionUpdated(
            productId, description.metadataURI, description.title, description.summary, description.category, description.tags
        );
    }

    /// @notice Sets a new price and pricing unit. Existing agreements keep what they paid.
    function setPrice(uint256 productId, uint96 price, PricingUnit pricingUnit) external onlySeller(productId) {
        Product storage p = _products[productId];
        _checkPricing(p.productType, pricingUnit);
        p.price = price;
        p.pricingUnit = pricingUnit;
        p.updatedAt = uint40(block.timestamp);
        emit ProductPriceUpdated(productId, price, pricingUnit);
    }

    /// @notice Replaces the relays that deliver this product's keys and the share threshold.
    function setDeliveryAgents(uint256 productId, address[] calldata agents, uint8 threshold)
        external
        onlySeller(productId)
    {
        Product storage p = _products[productId];
        _checkAgents(p.productType, agents, threshold);
        p.deliveryAgents = agents;
        p.threshold = threshold;
        p.updatedAt = uint40(block.timestamp);
        emit DeliveryAgentsUpdated(productId, agents, threshold);
    }

    /// @notice Binds the report of an anonymised batch product's anonymisation to the product: the
    /// SHA-256 of the report (a JSON document at `reportURI`, which itself names the SHA-256 of
    /// the anonymised file) and the k-anonymity and ℓ-diversity it states. A later call replaces
    /// the report (e.g. a new version of the file) and emits again; the events keep the history.
    /// @dev Only the seller: the report is their claim about their data. The chain checks that the
    /// numbers are coherent, not that they are true (buyers check the file against the report).
    /// @param productId A product of type `Batch` and modality `Anonymised`.
    /// @param reportHash SHA-256 of the report's bytes as published at `reportURI`; non-zero.
    /// @param k The k-anonymity the report states (every quasi-identifier class has ≥ k rows); ≥ 1.
    /// @param l The ℓ-diversity the report states; 1 ≤ l ≤ k.
    /// @param reportURI Where the report is published: `ipfs://…` or `https://…`.
    function reportAnonymisation(uint256 productId, bytes32 reportHash, uint32 k, uint32 l, string calldata reportURI)
        external
        onlySeller(productId)
    {
        Product storage p = _products[productId];
        // Only an anonymised file is sold as such: an encrypted or streamed product's buyers get
        // the data itself, and an analytics product's privacy is the SMPC dataset's (Analytics).
        if (p.productType != ProductType.Batch || p.modality != Modality.Anonymised) revert NotAnonymisedBatch(productId);
        // ℓ distinct sensitive values need a class of at least ℓ rows, so ℓ ≤ k; 0 states nothing.
        if (k == 0 || l == 0 || l > k || reportHash == bytes32(0)) revert InvalidAnonymisation();
        _checkURI(reportURI);

        _anonymisations[productId] = Anonymisation({
            reportHash: reportHash,
            k: k,
            l: l,
            reportedAt: uint40(block.timestamp)
        });
        p.updatedAt = uint40(block.timestamp);
        emit AnonymisationReported(productId, reportHash, k, l, reportURI);
    }

    /// @notice Stops new access requests and renewals. Existing agreements keep running until
    /// they end.
    function deactivate(uint256 productId) external onlySeller(productId) {
        Product storage p = _products[productId];
        if (!p.active) revert AlreadyInactive(productId);
        p.active = false;
        p.updatedAt = uint40(block.timestamp);
        emit ProductDeactivated(productId);
    }

    /// @notice Accepts access requests again.
    function reactivate(uint256 productId) external onlySeller(productId) {
        Product storage p = _products[productId];
        if (p.active) revert AlreadyActive(productId);
        p.active = true;
        p.updatedAt = uint40(block.timestamp);
        emit ProductReactivated(productId);
    }

    // --- views ---

    /// @notice The full stored product; reverts for an unknown id.
    function getProduct(uint256 productId) external view returns (Product memory) {
        Product storage p = _products[productId];
        if (p.seller == address(0)) revert ProductNotFound(productId);
        return p;
    }

    /// @notice What an access request needs to know; `seller` is zero for an unknown id.
    function termsOf(uint256 productId) external view returns (Terms memory t) {
        Product storage p = _products[productId];
        t = Terms({
            seller: p.seller,
            price: p.price,
            productType: p.productType,
            pricingUnit: p.pricingUnit,
            active: p.active
        });
    }

    /// @notice The seller of `productId`, or zero for an unknown id.
    function sellerOf(uint256 productId) external view returns (address) {
        return _products[productId].seller;
    }

    /// @notice Every product that ever linked `streamId` (at most `MAX_PRODUCTS_PER_STREAM`).
    function productsOfStream(string calldata streamId) external view returns (uint256[] memory) {
        return _productsOfStream[keccak256(bytes(streamId))];
    }

    /// @notice The Streamr stream ids a stream product sells (empty for other products).
    function streamsOf(uint256 productId) external view returns (string[] memory) {
        return _streams[productId];
    }

    /// @notice The product's delivery agents (for analytics products: its computation agents,
    /// the SMPC nodes, in share order) and how many of them a delivery or result needs; empty
    /// and 0 for an unknown id.
    function agentsOf(uint256 productId) external view returns (address[] memory agents, uint8 threshold) {
        Product storage p = _products[productId];
        return (p.deliveryAgents, p.threshold);
    }

    /// @notice The anonymisation report bound to `productId` (all zero when none was reported or
    /// the product does not exist).
    function anonymisationOf(uint256 productId) external view returns (Anonymisation memory) {
        return _anonymisations[productId];
    }

    /// @notice Whether `agent` is one of the product's delivery agents.
    function isDeliveryAgent(uint256 productId, address agent) external view returns (bool) {
        address[] storage agents = _products[productId].deliveryAgents;
        for (uint256 i; i < agents.length; ++i) {
            if (agents[i] == agent) return true;
        }
        return false;
    }

    // --- checks ---

    /// @dev Only a union made by the union factory sells a DATA_UNION product (it is the seller).
    function _checkUnion() private view {
        IUnionRegistry factory = unionFactory;
        if (address(factory) == address(0) || !factory.isUnion(msg.sender)) revert NotDataUnion(msg.sender);
    }

    /// @dev Streams and data unions are sold by time; batch files and analytics results once.
    function _checkPricing(ProductType productType, PricingUnit unit) private pure {
        bool oneTime = unit == PricingUnit.OneTime;
        bool timeBased = productType == ProductType.Stream || productType == ProductType.DataUnion;
        if (timeBased == oneTime) revert InvalidPricing(productType, unit);
    }

    /// @dev Batch products need a relay to deliver the key; analytics products need their
    /// computation agents (SMPC nodes), which hold the dataset's shares and answer queries.
    function _checkAgents(ProductType productType, address[] calldata agents, uint8 threshold) private pure {
        uint256 n = agents.length;
        bool needsAgents = productType == ProductType.Batch || productType == ProductType.Analytics;
        if (n > MAX_DELIVERY_AGENTS || (needsAgents && n == 0)) revert InvalidDeliveryAgents();
        for (uint256 i; i < n; ++i) {
            if (agents[i] == address(0)) revert InvalidDeliveryAgents();
            for (uint256 j; j < i; ++j) {
                if (agents[i] == agents[j]) revert InvalidDeliveryAgents();
            }
        }
        if (n == 0 ? threshold != 0 : (threshold == 0 || threshold > n)) revert InvalidThreshold(threshold, n);
    }

    /// @dev Only stream and data union products link streams, and only streams the caller may
    /// grant access to.
    function _checkStreams(ProductType productType, string[] calldata streamIds) private view {
        uint256 n = streamIds.length;
        if (n == 0) return;
        if (productType != ProductType.Stream && productType != ProductType.DataUnion) {
            revert StreamsNotAllowed(productType);
        }
        if (n > MAX_STREAMS) revert TooManyStreams(n);
        if (address(streamRegistry) == address(0)) revert StreamRegistryNotSet();
        for (uint256 i; i < n; ++i) {
            try streamRegistry.hasDirectPermission(streamIds[i], msg.sender, GRANT_PERMISSION) returns (bool ok) {
                if (!ok) revert NotStreamOwner(streamIds[i], msg.sender);
            } catch {
                revert StreamNotFound(streamIds[i]);
            }
        }
    }

    function _linkStreams(uint256 productId, string[] calldata streamIds) private {
        for (uint256 i; i < streamIds.length; ++i) {
            bytes32 key = keccak256(bytes(streamIds[i]));
            if (_linkedStream[key][productId]) continue;
            if (_productsOfStream[key].length >= MAX_PRODUCTS_PER_STREAM) revert TooManyProductsForStream(streamIds[i]);
            _linkedStream[key][productId] = true;
            _productsOfStream[key].push(productId);
        }
    }

    function _checkDescription(Description calldata d) private pure {
        _checkURI(d.metadataURI);
        uint256 titleLength = bytes(d.title).length;
        if (titleLength == 0 || titleLength > MAX_TITLE_BYTES) revert InvalidTitle();
        if (d.tags.length > MAX_TAGS) revert TooManyTags(d.tags.length);
    }

    /// @dev Documents are fetched by clients: content-addressed (IPFS) or over TLS, nothing else.
    function _checkURI(string calldata uri) private pure {
        bytes memory b = bytes(uri);
        if (!_hasPrefix(b, "ipfs://") && !_hasPrefix(b, "https://")) revert InvalidMetadataURI();
    }

    function _hasPrefix(bytes memory s, bytes memory prefix) private pure returns (bool) {
        if (s.length <= prefix.length) return false;
        for (uint256 i; i < prefix.length; ++i) {
            if (s[i] != prefix[i]) return false;
        }
        return true;
    }
}
