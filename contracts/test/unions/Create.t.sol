// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DataUnionBase} from "./DataUnionBase.sol";
import {DataUnion} from "../../src/DataUnion.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Catalogue} from "../../src/Catalogue.sol";
import {Credentials} from "../../src/Credentials.sol";
import {Policies} from "../../src/Policies.sol";
import {IDataUnionErrors, IMarketErrors, ICatalogueErrors, IProductErrors} from "../../src/interfaces/IMarketErrors.sol";
import {Category, OrganisationType, PricingUnit, ProductType, Purpose, Verdict} from "../../src/MarketTypes.sol";

/// @dev Creating a union and selling it. Invariants:
/// - a union is the seller of one DATA_UNION product linking its own stream, which only the union
///   can grant; the creator is its admin and nobody can initialize a clone or the template again;
/// - fee ≤ MAX_FEE_BPS, 1 ≤ minMembers ≤ MAX_MIN_MEMBERS, a join policy that admits somebody and a
///   stream path Streamr accepts, or the creation reverts and nothing exists;
/// - the product is on sale exactly while the admin lists it and the union has minMembers members;
/// - only the admin manages the product through the union (price, description, policy, consent,
///   approvals), and the admin role moves only by a two-step transfer.
contract DataUnionCreateTest is DataUnionBase {
    function test_create_publishesProductSoldByTheUnion() public view {
        Catalogue.Product memory p = catalogue.getProduct(unionProduct);
        assertEq(p.seller, address(union), "the union sells and is paid");
        assertEq(uint8(p.productType), uint8(ProductType.DataUnion));
        assertFalse(p.active, "not on sale before minMembers join");
        string[] memory streams = catalogue.streamsOf(unionProduct);
        assertEq(streams.length, 1);
        assertEq(streams[0], unionStream);
        assertEq(unionStream, string.concat(Strings.toHexString(address(union)), "/wearables"));
        assertTrue(streamRegistry.hasDirectPermission(unionStream, address(union), 4), "the union holds GRANT");
        assertEq(union.admin(), unionAdmin);
        assertEq(union.feeBps(), FEE_BPS);
        assertEq(union.minMembers(), MIN_MEMBERS);
        assertEq(policies.policyOf(unionProduct).version, 1, "consumer policy set");
        assertTrue(factory.isUnion(address(union)));
        assertFalse(factory.isUnion(unionAdmin));
        assertEq(factory.unionCount(), 1);
    }

    function test_create_RevertIf_feeAboveHalf() public {
        DataUnion.Setup memory s = _setup();
        s.feeBps = 5_001;
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.FeeTooHigh.selector, 5_001, 5_000));
        _create(alice, s);
        s.feeBps = 5_000;
        s.streamPath = "/half";
        _create(alice, s); // the bound itself is allowed
    }

    function test_create_RevertIf_minMembersOutOfRange() public {
        DataUnion.Setup memory s = _setup();
        s.minMembers = 0;
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.InvalidMinMembers.selector, 0, 10_000));
        _create(alice, s);
        s.minMembers = 10_001;
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.InvalidMinMembers.selector, 10_001, 10_000));
        _create(alice, s);
    }

    function test_create_RevertIf_joinPolicyAdmitsNobodyOrUnknownValues() public {
        DataUnion.Setup memory s = _setup();
        s.joinPolicy.categories = 0;
        vm.expectRevert(IDataUnionErrors.InvalidJoinPolicy.selector);
        _create(alice, s);
        s = _setup();
        s.joinPolicy.jurisdictions = 0;
        vm.expectRevert(IDataUnionErrors.InvalidJoinPolicy.selector);
        _create(alice, s);
        s = _setup();
        s.joinPolicy.jurisdictions = 1; // Country.None
        vm.expectRevert(IDataUnionErrors.InvalidJoinPolicy.selector);
        _create(alice, s);
        s = _setup();
        s.joinPolicy.categories = uint8(1 << uint8(Category.Organisation)); // organisations, but no type
        vm.expectRevert(IDataUnionErrors.InvalidJoinPolicy.selector);
        _create(alice, s);
        s = _setup();
        s.joinPolicy.organisationTypes = uint16(1 << uint8(OrganisationType.Hospital)); // types, no organisations
        vm.expectRevert(IDataUnionErrors.InvalidJoinPolicy.selector);
        _create(alice, s);
    }

    function test_create_RevertIf_streamPathInvalid() public {
        string[5] memory bad = ["", "/", "wearables", "/wear ables", "/0123456789012345678901234567890123456789012345678901234567890123x"];
        for (uint256 i; i < bad.length; ++i) {
            DataUnion.Setup memory s = _setup();
            s.streamPath = bad[i];
            vm.expectRevert(IDataUnionErrors.InvalidStreamPath.selector);
            _create(alice, s);
        }
    }

    function test_create_RevertIf_soldOnce() public {
        DataUnion.Setup memory s = _setup();
        s.pricingUnit = PricingUnit.OneTime;
        vm.expectRevert(
            abi.encodeWithSelector(ICatalogueErrors.InvalidPricing.selector, ProductType.DataUnion, PricingUnit.OneTime)
        );
        _create(alice, s);
    }

    function test_initialize_RevertIf_calledAgainOrOnTheTemplate() public {
        DataUnion.Setup memory s = _setup();
        vm.expectRevert(); // Initializable: already initialized
        vm.prank(address(factory));
        union.initialize(stranger, s);
        DataUnion template = factory.template();
        vm.expectRevert(); // the template's initializers are disabled
        vm.prank(address(factory));
        template.initialize(stranger, s);
    }

    function test_initialize_RevertIf_notTheFactory() public {
        // A clone of the template made outside the factory cannot be set up (it would not be a union)
        DataUnion clone = DataUnion(Clones.clone(address(factory.template())));
        DataUnion.Setup memory s = _setup();
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.NotAdmin.selector, stranger));
        vm.prank(stranger);
        clone.initialize(stranger, s);
    }

    // --- listing ---

    function test_sale_onlyWithMinMembers() public {
        _joinFirst(MIN_MEMBERS - 1);
        assertFalse(catalogue.termsOf(unionProduct).active, "two members are not a crowd");
        assertEq(uint8(agreements.eligibility(unionProduct, hospital, Purpose.Research)), uint8(Verdict.ProductInactive));
        _join(members[MIN_MEMBERS - 1]);
        assertTrue(catalogue.termsOf(unionProduct).active, "on sale at minMembers");
        _buy(hospital, 1);
        _part(members[0]);
        assertFalse(catalogue.termsOf(unionProduct).active, "off sale again below minMembers");
    }

    function test_sale_adminUnlistsAndRelists() public {
        _joinFirst(MIN_MEMBERS);
        vm.prank(unionAdmin);
        union.setListed(false);
        assertFalse(catalogue.termsOf(unionProduct).active);
        _join(members[MIN_MEMBERS]);
        assertFalse(catalogue.termsOf(unionProduct).active, "joins do not relist");
        vm.prank(unionAdmin);
        union.setListed(true);
        assertTrue(catalogue.termsOf(unionProduct).active);
    }

    function test_admin_managesTheProductThroughTheUnion() public {
        Policies.Policy memory gated = _openPolicy(true);
        vm.startPrank(unionAdmin);
        union.setPrice(2e18, PricingUnit.Week);
        union.updateDescription(_description("Wearables union, renamed"));
        union.setPolicy(gated);
        union.retractConsent(insurer);
        union.restoreConsent(insurer);
        vm.stopPrank();
        assertEq(catalogue.termsOf(unionProduct).price, 2e18);
        assertEq(policies.policyOf(unionProduct).version, 2);
        assertTrue(policies.policyOf(unionProduct).requiresApproval);
    }

    function test_admin_RevertIf_notAdmin() public {
        Policies.Policy memory open = _openPolicy(false);
        vm.startPrank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.NotAdmin.selector, stranger));
        union.setPrice(0, PricingUnit.Day);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.NotAdmin.selector, stranger));
        union.setListed(true);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.NotAdmin.selector, stranger));
        union.setPolicy(open);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.NotAdmin.selector, stranger));
        union.withdrawFees(stranger, 1);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.NotAdmin.selector, stranger));
        union.scheduleFeeChange(0);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.NotAdmin.selector, stranger));
        union.sweepDust();
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.NotAdmin.selector, stranger));
        union.transferAdmin(stranger);
        vm.stopPrank();
    }

    function test_admin_sellerRightsAreTheUnionsNotTheAdmins() public {
        // The admin's own account is not the seller: it cannot bypass the union's rules
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, unionProduct, unionAdmin));
        vm.prank(unionAdmin);
        catalogue.reactivate(unionProduct);
    }

    function test_admin_twoStepTransfer() public {
        vm.prank(unionAdmin);
        union.transferAdmin(alice);
        assertEq(union.admin(), unionAdmin, "not before acceptance");
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.NotPendingAdmin.selector, stranger));
        vm.prank(stranger);
        union.acceptAdmin();
        vm.prank(alice);
        union.acceptAdmin();
        assertEq(union.admin(), alice);
        assertEq(union.pendingAdmin(), address(0));
    }

    function test_approvalPath_escrowGoesToTheUnion() public {
        Policies.Policy memory gated = _openPolicy(true);
        vm.prank(unionAdmin);
        union.setPolicy(gated);
        _seen[unionProduct].version = 2;
        _joinFirst(MIN_MEMBERS);
        uint256 id = _request(hospital, unionProduct, Purpose.Research, 2);
        assertEq(token.balanceOf(address(union)), 0, "escrowed");
        vm.prank(unionAdmin);
        union.approveRequest(id);
        assertEq(union.totalRevenue(), 2 * DAILY, "settled on approval");
        uint256 rejected = _request(university, unionProduct, Purpose.Research, 1);
        vm.prank(unionAdmin);
        union.rejectRequest(rejected);
        assertEq(token.balanceOf(university), FUNDS, "refunded");
    }

    function test_constructor_RevertIf_zeroDependency() public {
        vm.expectRevert(IMarketErrors.ZeroAddress.selector);
        new DataUnion(token, catalogue, policies, agreements, Credentials(address(0)));
    }
}
