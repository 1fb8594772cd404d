// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Catalogue} from "./Catalogue.sol";
import {IPoliciesErrors} from "./interfaces/IMarketErrors.sol";
import {Purpose, Category, OrganisationType, Country} from "./MarketTypes.sol";

/// @title Policies
/// @notice The seller's consent for each Data Product (MKT-FUN-16/17): which
/// purposes, consumer categories, organisation types and jurisdictions may get the data,
/// whether each request needs the seller's approval, and how long a consumer may keep it.
/// Every change creates a new version; agreements pin the version they were checked against,
/// so a change affects only future requests. A seller may also retract consent for one consumer.
/// Its errors are declared in `IPoliciesErrors`.
contract Policies is IPoliciesErrors {
    /// @notice A consent policy, packed into one storage slot. Each set is a bitmask with bit
    /// `uint8(value)` set for every allowed value of the enum in MarketTypes.sol.
    struct Policy {
        uint32 version; // 1, 2, …; 0 = no policy yet
        uint16 purposes; // of Purpose
        uint8 consumerCategories; // of Category
        uint16 organisationTypes; // of OrganisationType; only checked for organisations
        uint64 jurisdictions; // of Country
        bool requiresApproval;
        uint32 retentionDays; // how long a consumer may keep the data; 0 = no limit
        uint40 updatedAt;
    }

    /// @dev The current policy as stored: `Policy`'s fields (216 bits) and, in the same slot, how
    /// many consumers' consent the seller retracted and has not restored. Storage-layout
    /// invariants: one slot per product; `retractions` equals the number of consumers with
    /// `isRetracted[productId][consumer]`, so while it is 0 an eligibility check needs no
    /// second read (`policyFor`); `setPolicy` keeps it.
    struct Current {
        uint32 version;
        uint16 purposes;
        uint8 consumerCategories;
        uint16 organisationTypes;
        uint64 jurisdictions;
        bool requiresApproval;
        uint32 retentionDays;
        uint40 updatedAt;
        uint32 retractions;
    }

    uint16 public constant ALL_PURPOSES = uint16((1 << (uint256(type(Purpose).max) + 1)) - 1);
    uint8 public constant ALL_CATEGORIES = uint8((1 << (uint256(type(Category).max) + 1)) - 1);
    /// @dev Bit 0 (OrganisationType.None) is never a valid organisation type.
    uint16 public constant ALL_ORGANISATION_TYPES = uint16((1 << (uint256(type(OrganisationType).max) + 1)) - 2);
    /// @dev Bit 0 (Country.None) is never a valid jurisdiction.
    uint64 public constant ALL_JURISDICTIONS = uint64((1 << (uint256(type(Country).max) + 1)) - 2);

    Catalogue public immutable catalogue;

    mapping(uint256 productId => Current) private _current;
    mapping(uint256 productId => mapping(uint32 version => Policy)) private _versions;
    mapping(uint256 productId => mapping(address consumer => bool)) public isRetracted;

    event PolicyUpdated(
        uint256 indexed productId,
        uint32 indexed version,
        uint16 purposes,
        uint8 consumerCategories,
        uint16 organisationTypes,
        uint64 jurisdictions,
        bool requiresApproval,
        uint32 retentionDays
    );
    event ConsentRetracted(uint256 indexed productId, address indexed consumer);
    event ConsentRestored(uint256 indexed productId, address indexed consumer);

    modifier onlySeller(uint256 productId) {
        address seller = catalogue.sellerOf(productId);
        if (seller == address(0)) revert ProductNotFound(productId);
        if (seller != msg.sender) revert NotSeller(productId, msg.sender);
        _;
    }

    constructor(Catalogue catalogue_) {
        if (address(catalogue_) == address(0)) revert ZeroAddress();
        catalogue = catalogue_;
    }

    /// @notice Sets a new version of the product's consent policy.
    /// @param organisationTypes Must allow at least one type when organisations are allowed,
    /// and none when they are not.
    /// @return version The new version number.
    function setPolicy(
        uint256 productId,
        uint16 purposes,
        uint8 consumerCategories,
        uint16 organisationTypes,
        uint64 jurisdictions,
        bool requiresApproval,
        uint32 retentionDays
    ) external onlySeller(productId) returns (uint32 version) {
        if (purposes == 0) revert EmptyPurposes();
        if (purposes & ~ALL_PURPOSES != 0) revert UnknownPurposeBits(purposes);
        if (consumerCategories == 0) revert EmptyConsumerCategories();
        if (consumerCategories & ~ALL_CATEGORIES != 0) revert UnknownCategoryBits(consumerCategories);
        bool organisationsAllowed = consumerCategories & (1 << uint8(Category.Organisation)) != 0;
        if (organisationTypes & ~ALL_ORGANISATION_TYPES != 0 || organisationsAllowed != (organisationTypes != 0)) {
            revert InvalidOrganisationTypes(organisationTypes);
        }
        if (jurisdictions == 0) revert EmptyJurisdictions();
        if (jurisdictions & ~ALL_JURISDICTIONS != 0) revert UnknownJurisdictionBits(jurisdictions);

        Current storage c = _current[productId];
        version = c.version + 1;
        _current[productId] = Current({
            version: version,
            purposes: purposes,
            consumerCategories: consumerCategories,
            organisationTypes: organisationTypes,
            jurisdictions: jurisdictions,
            requiresApproval: requiresApproval,
            retentionDays: retentionDays,
            updatedAt: uint40(block.timestamp),
            retractions: c.retractions
        });
        _versions[productId][version] = _policy(c);
        emit PolicyUpdated(
            productId, version, purposes, consumerCategories, organisationTypes, jurisdictions, requiresApproval, retentionDays
        );
    }

    /// @notice Refuses future requests by `consumer` for this product, whatever the policy says.
    /// Agreements already made are not affected (MKT-FUN-17).
    function retractConsent(uint256 productId, address consumer) external onlySeller(productId) {
        if (consumer == address(0)) revert ZeroAddress();
        if (isRetracted[productId][consumer]) revert AlreadyRetracted(productId, consumer);
        isRetracted[productId][consumer] = true;
        ++_current[productId].retractions;
        emit ConsentRetracted(productId, consumer);
    }

    /// @notice Undoes `retractConsent`.
    function restoreConsent(uint256 productId, address consumer) external onlySeller(productId) {
        if (!isRetracted[productId][consumer]) revert NotRetracted(productId, consumer);
        isRetracted[productId][consumer] = false;
        --_current[productId].retractions;
        emit ConsentRestored(productId, consumer);
    }

    /// @notice The product's current policy; `version` is 0 when none was set.
    function policyOf(uint256 productId) external view returns (Policy memory) {
        return _policy(_current[productId]);
    }

    /// @notice What an eligibility check reads, in one call: the product's policy (`version` 0:
    /// the current one, otherwise that version) and whether the seller retracted `consumer`'s
    /// consent. An unknown version comes back all zero (`version` 0), as does a product without
    /// a policy. `Agreements` asks this once per request, renewal and approval instead of
    /// calling `policyOf`/`policyAt` and `isRetracted` in turn (one cross-contract call less), and
    /// reads the consumer's retraction only when the product has any (one cold read less).
    function policyFor(uint256 productId, uint32 version, address consumer)
        external
        view
        returns (Policy memory policy, bool retracted)
    {
        Current storage c = _current[productId];
        policy = version == 0 ? _policy(c) : _versions[productId][version];
        retracted = c.retractions != 0 && isRetracted[productId][consumer];
    }

    /// @notice A past or current version of the product's policy.
    function policyAt(uint256 productId, uint32 version) external view returns (Policy memory p) {
        p = _versions[productId][version];
        if (p.version == 0) revert VersionNotFound(productId, version);
    }

    function _policy(Current storage c) private view returns (Policy memory) {
        return Policy({
            version: c.version,
            purposes: c.purposes,
            consumerCategories: c.consumerCategories,
            organisationTypes: c.organisationTypes,
            jurisdictions: c.jurisdictions,
            requiresApproval: c.requiresApproval,
            retentionDays: c.retentionDays,
            updatedAt: c.updatedAt
        });
    }
}
