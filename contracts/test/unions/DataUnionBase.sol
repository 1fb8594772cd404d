// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "../utils/Fixture.sol";
import {DataUnion} from "../../src/DataUnion.sol";
import {DataUnionFactory} from "../../src/DataUnionFactory.sol";
import {Policies} from "../../src/Policies.sol";
import {Category, Country, Modality, PricingUnit, Purpose} from "../../src/MarketTypes.sol";

/// @dev Shared state and helpers of the data union tests, split by concern into the other files
/// of this folder: Create, Membership, Revenue, Fees, Withdraw, Streams and Sale.
/// Every test starts from `union`: created by `unionAdmin`, 10 % fee, at least 3 members, joinable
/// by individuals in DE, IT, ES and PT without approval, sold at 1 DATA per day to everyone for
/// every purpose; `members[i]` (keys MEMBER_PK + i) are individuals registered in IT; hospital
/// and university (organisations) hold FUNDS of DATA to buy it.
abstract contract DataUnionBase is Fixture {
    uint96 internal constant DAILY = 1e18;
    uint256 internal constant FUNDS = 1_000e18;
    uint256 internal constant MEMBER_PK = 0xD0_0000;
    uint256 internal constant MEMBERS = 8;
    uint16 internal constant FEE_BPS = 1_000;
    uint32 internal constant MIN_MEMBERS = 3;

    DataUnionFactory internal factory;
    DataUnion internal union;
    uint256 internal unionProduct;
    string internal unionStream;
    address internal unionAdmin = address(0xAD417);
    address[] internal members;

    function setUp() public virtual override {
        super.setUp();
        _registerPersonas();
        factory = new DataUnionFactory(token, catalogue, policies, agreements, credentials);
        catalogue.setUnionFactory(factory); // this test contract deployed the catalogue
        for (uint256 i; i < MEMBERS; ++i) {
            address m = vm.addr(MEMBER_PK + i);
            _registerIndividual(m, Country.IT);
            members.push(m);
        }
        union = _create(unionAdmin, _setup());
        unionProduct = union.productId();
        unionStream = union.streamId();
        _seen[unionProduct] = Seen({version: 1, unit: PricingUnit.Day});
        _fund(hospital, FUNDS);
        _fund(university, FUNDS);
        vm.label(address(union), "union");
        vm.label(unionAdmin, "unionAdmin");
    }

    function _create(address creator, DataUnion.Setup memory s) internal returns (DataUnion u) {
        vm.prank(creator);
        u = factory.create(s);
    }

    /// @dev Individuals in DE, IT, ES, PT may join; consumers: everyone, every purpose.
    function _joinPolicy(bool requiresApproval) internal pure returns (DataUnion.JoinPolicy memory) {
        return DataUnion.JoinPolicy({
            categories: uint8(1 << uint8(Category.Individual)),
            organisationTypes: 0,
            jurisdictions: uint64((1 << uint8(Country.DE)) | (1 << uint8(Country.IT)) | (1 << uint8(Country.ES))
                | (1 << uint8(Country.PT))),
            requiresApproval: requiresApproval
        });
    }

    function _openPolicy(bool requiresApproval) internal view returns (Policies.Policy memory) {
        return Policies.Policy({
            version: 0,
            purposes: policies.ALL_PURPOSES(),
            consumerCategories: policies.ALL_CATEGORIES(),
            organisationTypes: policies.ALL_ORGANISATION_TYPES(),
            jurisdictions: policies.ALL_JURISDICTIONS(),
            requiresApproval: requiresApproval,
            retentionDays: 0,
            updatedAt: 0
        });
    }

    function _setup() internal view returns (DataUnion.Setup memory) {
        return DataUnion.Setup({
            feeBps: FEE_BPS,
            minMembers: MIN_MEMBERS,
            joinPolicy: _joinPolicy(false),
            streamPath: "/wearables",
            modality: Modality.Encrypted,
            price: DAILY,
            pricingUnit: PricingUnit.Day,
            description: _description("Wearables data union"),
            policy: _openPolicy(false)
        });
    }

    function _join(address who) internal {
        vm.prank(who);
        union.join();
    }

    /// @dev The first `n` members join.
    function _joinFirst(uint256 n) internal {
        for (uint256 i; i < n; ++i) _join(members[i]);
    }

    function _part(address who) internal {
        vm.prank(who);
        union.part();
    }

    /// @dev `consumer` buys `days_` days of the union (paid to the union).
    function _buy(address consumer, uint16 days_) internal returns (uint256) {
        return _request(consumer, unionProduct, Purpose.Research, days_);
    }

    /// @dev Revenue that does not come from a purchase (a transfer straight to the union).
    function _donate(uint256 amount) internal {
        _mint(address(union), amount);
    }

    function _fee(uint256 amount) internal pure returns (uint256) {
        return amount * FEE_BPS / 10_000;
    }

    function _publishAllowed(address who) internal view returns (bool) {
        return streamRegistry.hasDirectPermission(unionStream, who, 2);
    }
}
