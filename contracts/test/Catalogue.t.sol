// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "./utils/Fixture.sol";
import {StreamRegistryMock} from "./utils/StreamRegistryMock.sol";
import {Catalogue, IUnionRegistry} from "../src/Catalogue.sol";
import {Modality, PricingUnit, ProductType} from "../src/MarketTypes.sol";
import {ICatalogueErrors, IProductErrors} from "../src/interfaces/IMarketErrors.sol";

/// @dev State invariants:
/// - product ids are 1..productCount; a product's seller is never zero and never changes;
/// - Stream/DataUnion are priced per time unit, Batch/Analytics OneTime (after publish and setPrice);
/// - deliveryAgents has ≤ 16 distinct non-zero entries, ≥ 1 for Batch and Analytics, and
///   threshold == 0 iff no agents, else 1 ≤ threshold ≤ agents;
/// - metadataURI starts with ipfs:// or https:// followed by something; title is 1..200 bytes;
///   at most 16 tags;
/// - only the seller changes a product; updatedAt moves with every change;
/// - DATA_UNION products are published by unions of the union factory only, set once by the deployer.
contract CatalogueTest is Fixture {

    // --- publish ---

    function test_publish_stream() public {
        Catalogue.Description memory d = _description("Wearable heart rate");
        address[] memory agents = _agents();
        vm.expectEmit(address(catalogue));
        emit Catalogue.ProductPublished(
            1, alice, ProductType.Stream, Modality.Encrypted, 5e18, PricingUnit.Day, d.metadataURI, d.title,
            d.summary, d.category, d.tags
        );
        vm.expectEmit(address(catalogue));
        emit Catalogue.DeliveryAgentsUpdated(1, agents, 2);
        vm.prank(alice);
        uint256 id =
            catalogue.publish(ProductType.Stream, Modality.Encrypted, 5e18, PricingUnit.Day, agents, 2, d, _noStreams());
        assertEq(id, 1, "first id");
        assertEq(catalogue.productCount(), 1, "count");

        Catalogue.Product memory p = catalogue.getProduct(id);
        assertEq(p.seller, alice, "seller");
        assertEq(p.price, 5e18, "price");
        assertEq(uint8(p.productType), uint8(ProductType.Stream), "type");
        assertEq(uint8(p.modality), uint8(Modality.Encrypted), "modality");
        assertEq(uint8(p.pricingUnit), uint8(PricingUnit.Day), "unit");
        assertTrue(p.active, "active");
        assertEq(p.threshold, 2, "threshold");
        assertEq(p.createdAt, T0, "createdAt");
        assertEq(p.updatedAt, T0, "updatedAt");
        assertEq(p.deliveryAgents.length, 2, "agents");
        assertEq(p.deliveryAgents[0], relay1, "agent 0");
        assertEq(p.deliveryAgents[1], relay2, "agent 1");
        assertEq(p.metadataURI, d.metadataURI, "uri");

        Catalogue.Terms memory t = catalogue.termsOf(id);
        assertEq(t.seller, alice, "terms seller");
        assertEq(t.price, 5e18, "terms price");
        assertEq(uint8(t.productType), uint8(ProductType.Stream), "terms type");
        assertEq(uint8(t.pricingUnit), uint8(PricingUnit.Day), "terms unit");
        assertTrue(t.active, "terms active");
        assertEq(catalogue.sellerOf(id), alice, "sellerOf");
        assertTrue(catalogue.isDeliveryAgent(id, relay1), "relay1 agent");
        assertTrue(catalogue.isDeliveryAgent(id, relay2), "relay2 agent");
        assertFalse(catalogue.isDeliveryAgent(id, stranger), "stranger not agent");
    }

    function test_publish_withoutAgents_emitsNoAgentEvent() public {
        vm.recordLogs();
        vm.prank(alice);
        uint256 id = catalogue.publish(
            ProductType.Stream, Modality.Encrypted, 0, PricingUnit.Day, new address[](0), 0, _description("Live"), _noStreams()
        );
        assertEq(vm.getRecordedLogs().length, 1, "only ProductPublished");
        assertEq(catalogue.getProduct(id).deliveryAgents.length, 0, "no agents");
        assertEq(catalogue.getProduct(id).threshold, 0, "no threshold");
    }

    function test_publish_idsIncrease() public {
        uint256 a = _publishStream(alice, 1, PricingUnit.Hour);
        uint256 b = _publishBatch(bob, 2);
        assertEq(a, 1, "a");
        assertEq(b, 2, "b");
        assertEq(catalogue.sellerOf(b), bob, "seller b");
        assertEq(catalogue.productCount(), 2, "count");
    }

    function test_publish_validPricingMatrix() public {
        // every valid (type, unit) pair publishes
        _publish(alice, ProductType.Stream, 1, PricingUnit.Hour);
        _publish(alice, ProductType.Stream, 1, PricingUnit.Month);
        _publish(alice, ProductType.Batch, 1, PricingUnit.OneTime);
        _publish(alice, ProductType.Analytics, 1, PricingUnit.OneTime);
        assertEq(catalogue.productCount(), 4, "published"); // DATA_UNION: by unions only (unions/Create.t.sol)
    }

    function test_publish_RevertIf_streamSoldOnce() public {
        _expectPublishRevert(
            ProductType.Stream,
            PricingUnit.OneTime,
            abi.encodeWithSelector(ICatalogueErrors.InvalidPricing.selector, ProductType.Stream, PricingUnit.OneTime)
        );
    }

    function test_publish_RevertIf_dataUnionNotByAUnion() public {
        // before the factory is set and after: an account is not a union
        _expectPublishRevert(
            ProductType.DataUnion, PricingUnit.Week, abi.encodeWithSelector(ICatalogueErrors.NotDataUnion.selector, alice)
        );
        catalogue.setUnionFactory(IUnionRegistry(address(new NoUnions())));
        _expectPublishRevert(
            ProductType.DataUnion, PricingUnit.Week, abi.encodeWithSelector(ICatalogueErrors.NotDataUnion.selector, alice)
        );
    }

    function test_setUnionFactory_onceByTheDeployer() public {
        IUnionRegistry factory = IUnionRegistry(address(new NoUnions()));
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.NotDeployer.selector, alice));
        vm.prank(alice);
        catalogue.setUnionFactory(factory);
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.NotDataUnion.selector, address(0)));
        catalogue.setUnionFactory(IUnionRegistry(address(0)));
        vm.expectEmit(address(catalogue));
        emit Catalogue.UnionFactorySet(address(factory));
        catalogue.setUnionFactory(factory); // this test contract deployed the catalogue
        IUnionRegistry other = IUnionRegistry(address(new NoUnions()));
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.UnionFactoryAlreadySet.selector, address(factory)));
        catalogue.setUnionFactory(other);
        assertEq(address(catalogue.unionFactory()), address(factory), "unchanged");
    }

    function test_publish_RevertIf_batchSoldByTime() public {
        _expectPublishRevert(
            ProductType.Batch,
            PricingUnit.Day,
            abi.encodeWithSelector(ICatalogueErrors.InvalidPricing.selector, ProductType.Batch, PricingUnit.Day)
        );
    }

    function test_publish_RevertIf_analyticsSoldByTime() public {
        _expectPublishRevert(
            ProductType.Analytics,
            PricingUnit.Month,
            abi.encodeWithSelector(ICatalogueErrors.InvalidPricing.selector, ProductType.Analytics, PricingUnit.Month)
        );
    }

    function test_publish_RevertIf_batchWithoutAgents() public {
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.InvalidDeliveryAgents.selector));
        vm.prank(alice);
        catalogue.publish(
            ProductType.Batch, Modality.Encrypted, 1, PricingUnit.OneTime, new address[](0), 0, _description("t"), _noStreams()
        );
    }

    function test_publish_RevertIf_analyticsWithoutAgents() public {
        // the computation agents (SMPC nodes) hold the shares and answer the queries
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.InvalidDeliveryAgents.selector));
        vm.prank(alice);
        catalogue.publish(
            ProductType.Analytics, Modality.Smpc, 1, PricingUnit.OneTime, new address[](0), 0, _description("t"), _noStreams()
        );
    }

    function test_publish_RevertIf_zeroAgent() public {
        address[] memory agents = _agents();
        agents[1] = address(0);
        _expectAgentsRevert(agents, 1, abi.encodeWithSelector(ICatalogueErrors.InvalidDeliveryAgents.selector));
    }

    function test_publish_RevertIf_duplicateAgent() public {
        address[] memory agents = new address[](3);
        agents[0] = relay1;
        agents[1] = relay2;
        agents[2] = relay1;
        _expectAgentsRevert(agents, 2, abi.encodeWithSelector(ICatalogueErrors.InvalidDeliveryAgents.selector));
    }

    function test_publish_RevertIf_tooManyAgents() public {
        address[] memory agents = _distinctAgents(17);
        _expectAgentsRevert(agents, 9, abi.encodeWithSelector(ICatalogueErrors.InvalidDeliveryAgents.selector));
    }

    function test_publish_maxAgents() public {
        address[] memory agents = _distinctAgents(16);
        vm.prank(alice);
        uint256 id = catalogue.publish(
            ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, agents, 16, _description("t"), _noStreams()
        );
        assertEq(catalogue.getProduct(id).deliveryAgents.length, 16, "16 agents");
        assertTrue(catalogue.isDeliveryAgent(id, agents[15]), "last agent");
    }

    function test_publish_RevertIf_thresholdWithoutAgents() public {
        _expectAgentsRevert(
            new address[](0), 1, abi.encodeWithSelector(ICatalogueErrors.InvalidThreshold.selector, uint8(1), 0)
        );
    }

    function test_publish_RevertIf_zeroThreshold() public {
        _expectAgentsRevert(_agents(), 0, abi.encodeWithSelector(ICatalogueErrors.InvalidThreshold.selector, uint8(0), 2));
    }

    function test_publish_RevertIf_thresholdAboveAgents() public {
        _expectAgentsRevert(_agents(), 3, abi.encodeWithSelector(ICatalogueErrors.InvalidThreshold.selector, uint8(3), 2));
    }

    function test_publish_RevertIf_badURIs() public {
        string[6] memory bad = ["", "ipfs://", "https://", "http://example.org/x", "IPFS://bafy", "ftp://x"];
        for (uint256 i; i < bad.length; ++i) {
            Catalogue.Description memory d = _description("t");
            d.metadataURI = bad[i];
            vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.InvalidMetadataURI.selector));
            vm.prank(alice);
            catalogue.publish(ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, _agents(), 2, d, _noStreams());
        }
    }

    function test_publish_httpsURI() public {
        Catalogue.Description memory d = _description("t");
        d.metadataURI = "https://data.example.org/products/1.json";
        vm.prank(alice);
        uint256 id = catalogue.publish(ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, _agents(), 2, d, _noStreams());
        assertEq(catalogue.getProduct(id).metadataURI, d.metadataURI, "https accepted");
    }

    function test_publish_RevertIf_emptyTitle() public {
        _expectTitleRevert("");
    }

    function test_publish_RevertIf_titleTooLong() public {
        _expectTitleRevert(string(_bytes(201)));
    }

    function test_publish_titleAtLimit() public {
        vm.prank(alice);
        catalogue.publish(
            ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, _agents(), 2, _description(string(_bytes(200))), _noStreams()
        );
    }

    function test_publish_RevertIf_tooManyTags() public {
        Catalogue.Description memory d = _description("t");
        d.tags = new string[](17);
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.TooManyTags.selector, 17));
        vm.prank(alice);
        catalogue.publish(ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, _agents(), 2, d, _noStreams());
        d.tags = new string[](16); // the limit itself is fine
        vm.prank(alice);
        catalogue.publish(ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, _agents(), 2, d, _noStreams());
    }

    // --- seller-only management ---

    function test_updateDescription() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        _warpBy(1 days);
        Catalogue.Description memory d = _description("Heart rate, now with sleep");
        d.metadataURI = "ipfs://bafynew";
        vm.expectEmit(address(catalogue));
        emit Catalogue.ProductDescriptionUpdated(id, d.metadataURI, d.title, d.summary, d.category, d.tags);
        vm.prank(alice);
        catalogue.updateDescription(id, d);
        Catalogue.Product memory p = catalogue.getProduct(id);
        assertEq(p.metadataURI, "ipfs://bafynew", "uri");
        assertEq(p.updatedAt, T0 + 1 days, "updatedAt");
        assertEq(p.createdAt, T0, "createdAt unchanged");
    }

    function test_updateDescription_RevertIf_invalid() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        Catalogue.Description memory d = _description("");
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.InvalidTitle.selector));
        vm.prank(alice);
        catalogue.updateDescription(id, d);
    }

    function test_updateDescription_RevertIf_notSeller() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        Catalogue.Description memory d = _description("hijacked");
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, id, bob));
        vm.prank(bob);
        catalogue.updateDescription(id, d);
    }

    function test_updateDescription_RevertIf_unknownProduct() public {
        Catalogue.Description memory d = _description("t");
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.ProductNotFound.selector, 7));
        vm.prank(alice);
        catalogue.updateDescription(7, d);
    }

    function test_setPrice() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        vm.expectEmit(address(catalogue));
        emit Catalogue.ProductPriceUpdated(id, 3e18, PricingUnit.Week);
        vm.prank(alice);
        catalogue.setPrice(id, 3e18, PricingUnit.Week);
        Catalogue.Terms memory t = catalogue.termsOf(id);
        assertEq(t.price, 3e18, "price");
        assertEq(uint8(t.pricingUnit), uint8(PricingUnit.Week), "unit");
    }

    function test_setPrice_RevertIf_invalidUnit() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        vm.expectRevert(
            abi.encodeWithSelector(ICatalogueErrors.InvalidPricing.selector, ProductType.Stream, PricingUnit.OneTime)
        );
        vm.prank(alice);
        catalogue.setPrice(id, 1, PricingUnit.OneTime);
    }

    function test_setPrice_RevertIf_notSeller() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, id, bob));
        vm.prank(bob);
        catalogue.setPrice(id, 0, PricingUnit.Day);
    }

    function test_setPrice_RevertIf_unknownProduct() public {
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.ProductNotFound.selector, 1));
        vm.prank(alice);
        catalogue.setPrice(1, 0, PricingUnit.Day);
    }

    function test_setDeliveryAgents() public {
        uint256 id = _publishBatch(alice, 1);
        address[] memory agents = new address[](1);
        agents[0] = stranger;
        vm.expectEmit(address(catalogue));
        emit Catalogue.DeliveryAgentsUpdated(id, agents, 1);
        vm.prank(alice);
        catalogue.setDeliveryAgents(id, agents, 1);
        assertTrue(catalogue.isDeliveryAgent(id, stranger), "new agent");
        assertFalse(catalogue.isDeliveryAgent(id, relay1), "old agent gone");
        assertEq(catalogue.getProduct(id).threshold, 1, "threshold");
    }

    function test_setDeliveryAgents_RevertIf_batchLosesAllAgents() public {
        uint256 id = _publishBatch(alice, 1);
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.InvalidDeliveryAgents.selector));
        vm.prank(alice);
        catalogue.setDeliveryAgents(id, new address[](0), 0);
    }

    function test_setDeliveryAgents_streamMayDropAgents() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        vm.prank(alice);
        catalogue.setDeliveryAgents(id, new address[](0), 0);
        assertEq(catalogue.getProduct(id).deliveryAgents.length, 0, "no agents");
    }

    function test_setDeliveryAgents_RevertIf_badThreshold() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        address[] memory agents = _agents();
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.InvalidThreshold.selector, uint8(5), 2));
        vm.prank(alice);
        catalogue.setDeliveryAgents(id, agents, 5);
    }

    function test_setDeliveryAgents_RevertIf_notSeller() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        address[] memory agents = _agents();
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, id, relay1));
        vm.prank(relay1);
        catalogue.setDeliveryAgents(id, agents, 1);
    }

    function test_deactivate_reactivate() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        vm.expectEmit(address(catalogue));
        emit Catalogue.ProductDeactivated(id);
        vm.prank(alice);
        catalogue.deactivate(id);
        assertFalse(catalogue.getProduct(id).active, "inactive");
        assertFalse(catalogue.termsOf(id).active, "terms inactive");

        vm.expectEmit(address(catalogue));
        emit Catalogue.ProductReactivated(id);
        vm.prank(alice);
        catalogue.reactivate(id);
        assertTrue(catalogue.getProduct(id).active, "active again");
    }

    function test_deactivate_RevertIf_alreadyInactive() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        vm.prank(alice);
        catalogue.deactivate(id);
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.AlreadyInactive.selector, id));
        vm.prank(alice);
        catalogue.deactivate(id);
    }

    function test_reactivate_RevertIf_alreadyActive() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.AlreadyActive.selector, id));
        vm.prank(alice);
        catalogue.reactivate(id);
    }

    function test_deactivate_RevertIf_notSeller() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, id, bob));
        vm.prank(bob);
        catalogue.deactivate(id);
    }

    function test_reactivate_RevertIf_notSeller() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        vm.prank(alice);
        catalogue.deactivate(id);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, id, bob));
        vm.prank(bob);
        catalogue.reactivate(id);
    }

    function test_deactivate_RevertIf_unknownProduct() public {
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.ProductNotFound.selector, 3));
        vm.prank(alice);
        catalogue.deactivate(3);
    }

    function test_views_unknownProduct() public {
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.ProductNotFound.selector, 42));
        catalogue.getProduct(42);
        Catalogue.Terms memory t = catalogue.termsOf(42);
        assertEq(t.seller, address(0), "no seller");
        assertFalse(t.active, "not active");
        assertEq(catalogue.sellerOf(42), address(0), "sellerOf zero");
        assertFalse(catalogue.isDeliveryAgent(42, relay1), "no agents");
    }

    // --- fuzz ---

    /// @dev publish accepts (type, unit) iff time-based types use a time unit.
    function testFuzz_publish_pricingMatrix(uint8 typeSeed, uint8 unitSeed, uint96 price) public {
        ProductType productType = ProductType(bound(typeSeed, 0, uint8(type(ProductType).max)));
        PricingUnit unit = PricingUnit(bound(unitSeed, 0, uint8(type(PricingUnit).max)));
        bool timeBased = productType == ProductType.Stream || productType == ProductType.DataUnion;
        bool valid = timeBased ? unit != PricingUnit.OneTime : unit == PricingUnit.OneTime;
        if (productType == ProductType.DataUnion) {
            valid = false; // only unions publish them (unions/Create.t.sol covers their pricing)
            vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.NotDataUnion.selector, alice));
        } else if (!valid) {
            vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.InvalidPricing.selector, productType, unit));
        }
        vm.prank(alice);
        uint256 id =
            catalogue.publish(productType, Modality.Anonymised, price, unit, _agents(), 1, _description("t"), _noStreams());
        if (valid) {
            Catalogue.Terms memory t = catalogue.termsOf(id);
            assertEq(t.price, price, "price");
            assertEq(uint8(t.pricingUnit), uint8(unit), "unit");
        }
    }

    /// @dev Threshold is valid iff (no agents and 0) or (1..n).
    function testFuzz_publish_threshold(uint8 n, uint8 threshold) public {
        n = uint8(bound(n, 0, 16));
        address[] memory agents = _distinctAgents(n);
        bool valid = n == 0 ? threshold == 0 : (threshold >= 1 && threshold <= n);
        if (!valid) vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.InvalidThreshold.selector, threshold, n));
        vm.prank(alice);
        catalogue.publish(ProductType.Stream, Modality.Smpc, 1, PricingUnit.Hour, agents, threshold, _description("t"), _noStreams());
    }

    // --- helpers ---

    function _expectPublishRevert(ProductType productType, PricingUnit unit, bytes memory err) internal {
        Catalogue.Description memory d = _description("t");
        address[] memory agents = _agents();
        vm.expectRevert(err);
        vm.prank(alice);
        catalogue.publish(productType, Modality.Encrypted, 1, unit, agents, 2, d, _noStreams());
    }

    function _expectAgentsRevert(address[] memory agents, uint8 threshold, bytes memory err) internal {
        Catalogue.Description memory d = _description("t");
        vm.expectRevert(err);
        vm.prank(alice);
        catalogue.publish(ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, agents, threshold, d, _noStreams());
    }

    function _expectTitleRevert(string memory title) internal {
        Catalogue.Description memory d = _description(title);
        address[] memory agents = _agents();
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.InvalidTitle.selector));
        vm.prank(alice);
        catalogue.publish(ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, agents, 2, d, _noStreams());
    }

    function _distinctAgents(uint256 n) internal pure returns (address[] memory agents) {
        agents = new address[](n);
        for (uint256 i; i < n; ++i) {
            agents[i] = address(uint160(0x1000 + i));
        }
    }

    function _bytes(uint256 n) internal pure returns (bytes memory b) {
        b = new bytes(n);
        for (uint256 i; i < n; ++i) {
            b[i] = "a";
        }
    }

    // --- streams ---

    function _ids(string memory a) internal pure returns (string[] memory ids) {
        ids = new string[](1);
        ids[0] = a;
    }

    function _aliceStream(string memory id) internal returns (string memory) {
        vm.prank(alice);
        streamRegistry.createStream(id);
        return id;
    }

    function test_publish_linksOwnedStreams() public {
        string[] memory ids = new string[](2);
        ids[0] = _aliceStream("alice/hr");
        ids[1] = _aliceStream("alice/steps");
        vm.expectEmit(address(catalogue));
        emit Catalogue.ProductStreamsUpdated(1, ids);
        vm.prank(alice);
        uint256 id = catalogue.publish(
            ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, new address[](0), 0, _description("s"), ids
        );
        string[] memory stored = catalogue.streamsOf(id);
        assertEq(stored.length, 2, "two streams");
        assertEq(stored[1], "alice/steps", "order kept");
    }

    function test_publish_RevertIf_streamNotOwned() public {
        string memory other = "bob/hr";
        vm.prank(bob);
        streamRegistry.createStream(other);
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.NotStreamOwner.selector, other, alice));
        vm.prank(alice);
        catalogue.publish(
            ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, new address[](0), 0, _description("s"), _ids(other)
        );
    }

    function test_publish_RevertIf_streamUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.StreamNotFound.selector, "alice/nothing"));
        vm.prank(alice);
        catalogue.publish(
            ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, new address[](0), 0, _description("s"),
            _ids("alice/nothing")
        );
    }

    function test_publish_RevertIf_streamsOnBatch() public {
        string[] memory ids = _ids(_aliceStream("alice/hr"));
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.StreamsNotAllowed.selector, ProductType.Batch));
        vm.prank(alice);
        catalogue.publish(ProductType.Batch, Modality.Encrypted, 1, PricingUnit.OneTime, _agents(), 2, _description("b"), ids);
    }

    function test_publish_RevertIf_tooManyStreams() public {
        string[] memory ids = new string[](9);
        for (uint256 i; i < 9; ++i) ids[i] = "alice/hr";
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.TooManyStreams.selector, 9));
        vm.prank(alice);
        catalogue.publish(
            ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, new address[](0), 0, _description("s"), ids
        );
    }

    function test_publish_RevertIf_noStreamRegistry() public {
        Catalogue plain = new Catalogue(StreamRegistryMock(address(0)));
        vm.expectRevert(ICatalogueErrors.StreamRegistryNotSet.selector);
        vm.prank(alice);
        plain.publish(
            ProductType.Stream, Modality.Encrypted, 1, PricingUnit.Day, new address[](0), 0, _description("s"),
            _ids("alice/hr")
        );
    }

    function test_setStreams_replacesList() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        string[] memory ids = _ids(_aliceStream("alice/hr"));
        vm.expectEmit(address(catalogue));
        emit Catalogue.ProductStreamsUpdated(id, ids);
        vm.prank(alice);
        catalogue.setStreams(id, ids);
        assertEq(catalogue.streamsOf(id)[0], "alice/hr", "linked");
        vm.prank(alice);
        catalogue.setStreams(id, new string[](0));
        assertEq(catalogue.streamsOf(id).length, 0, "unlinked");
    }

    function test_setStreams_RevertIf_notSeller() public {
        uint256 id = _publishStream(alice, 1, PricingUnit.Day);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, id, bob));
        vm.prank(bob);
        catalogue.setStreams(id, new string[](0));
    }
}

/// @dev A union factory that made no unions.
contract NoUnions is IUnionRegistry {
    function isUnion(address) external pure returns (bool) {
        return false;
    }
}
