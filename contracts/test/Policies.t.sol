// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "./utils/Fixture.sol";
import {Catalogue} from "../src/Catalogue.sol";
import {Policies} from "../src/Policies.sol";
import {Category, Country, OrganisationType, PricingUnit, Purpose} from "../src/MarketTypes.sol";
import {IMarketErrors, IPoliciesErrors, IProductErrors} from "../src/interfaces/IMarketErrors.sol";

/// @dev State invariants:
/// - policyOf(p).version == number of setPolicy calls on p; versions are 1, 2, … with no gaps;
/// - policyAt(p, v) never changes once written, and policyAt(p, policyOf(p).version) == policyOf(p);
/// - a stored policy has non-empty purposes/categories/jurisdictions using only known bits,
///   organisationTypes != 0 iff organisations are allowed, and never bit 0 of organisation
///   types or jurisdictions (the `None` values);
/// - isRetracted toggles only through retract/restore by the product's seller.
contract PoliciesTest is Fixture {

    uint16 internal constant RESEARCH = uint16(1 << uint8(Purpose.Research));
    uint8 internal constant ORGS = uint8(1 << uint8(Category.Organisation));
    uint8 internal constant INDIVIDUALS = uint8(1 << uint8(Category.Individual));
    uint16 internal constant HOSPITALS = uint16(1 << uint8(OrganisationType.Hospital));
    uint64 internal constant NL = uint64(1 << uint8(Country.NL));

    uint256 internal productId;

    function setUp() public override {
        super.setUp();
        productId = _publishStream(alice, 1e18, PricingUnit.Day);
    }

    function test_constants() public view {
        assertEq(policies.ALL_PURPOSES(), 0x7FF, "11 purposes");
        assertEq(policies.ALL_CATEGORIES(), 0x3, "2 categories");
        assertEq(policies.ALL_ORGANISATION_TYPES(), 0x1FE, "8 organisation types, not None");
        assertEq(policies.ALL_JURISDICTIONS(), 0x1FFFFFFFE, "32 countries, not None");
        assertEq(address(policies.catalogue()), address(catalogue), "catalogue");
    }

    function test_constructor_RevertIf_zeroCatalogue() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
        new Policies(Catalogue(address(0)));
    }

    function test_noPolicyYet() public {
        assertEq(policies.policyOf(productId).version, 0, "no policy");
        vm.expectRevert(abi.encodeWithSelector(IPoliciesErrors.VersionNotFound.selector, productId, uint32(1)));
        policies.policyAt(productId, 1);
    }

    function test_setPolicy() public {
        vm.expectEmit(address(policies));
        emit Policies.PolicyUpdated(productId, 1, RESEARCH, ORGS, HOSPITALS, NL, true, 30);
        vm.prank(alice);
        uint32 v = policies.setPolicy(productId, RESEARCH, ORGS, HOSPITALS, NL, true, 30);
        assertEq(v, 1, "version 1");
        Policies.Policy memory p = policies.policyOf(productId);
        assertEq(p.version, 1, "version");
        assertEq(p.purposes, RESEARCH, "purposes");
        assertEq(p.consumerCategories, ORGS, "categories");
        assertEq(p.organisationTypes, HOSPITALS, "orgTypes");
        assertEq(p.jurisdictions, NL, "jurisdictions");
        assertTrue(p.requiresApproval, "approval");
        assertEq(p.retentionDays, 30, "retention");
        assertEq(p.updatedAt, T0, "updatedAt");
        _assertSame(policies.policyAt(productId, 1), p);
    }

    function test_setPolicy_everyChangeIsANewVersion() public {
        vm.prank(alice);
        policies.setPolicy(productId, RESEARCH, ORGS, HOSPITALS, NL, true, 30);
        Policies.Policy memory v1 = policies.policyOf(productId);

        _warpBy(1 days);
        vm.expectEmit(address(policies));
        emit Policies.PolicyUpdated(productId, 2, RESEARCH | 4, ORGS | INDIVIDUALS, HOSPITALS, NL | 2, false, 0);
        vm.prank(alice);
        uint32 v = policies.setPolicy(productId, RESEARCH | 4, ORGS | INDIVIDUALS, HOSPITALS, NL | 2, false, 0);
        assertEq(v, 2, "version 2");

        // re-setting identical terms still creates a version
        vm.prank(alice);
        v = policies.setPolicy(productId, RESEARCH | 4, ORGS | INDIVIDUALS, HOSPITALS, NL | 2, false, 0);
        assertEq(v, 3, "version 3");

        _assertSame(policies.policyAt(productId, 1), v1); // old versions are kept as they were
        Policies.Policy memory v2 = policies.policyAt(productId, 2);
        assertEq(v2.version, 2, "v2 version");
        assertEq(v2.purposes, RESEARCH | 4, "v2 purposes");
        assertEq(v2.updatedAt, T0 + 1 days, "v2 updatedAt");
        assertFalse(v2.requiresApproval, "v2 approval");
        _assertSame(policies.policyAt(productId, 3), policies.policyOf(productId));
        vm.expectRevert(abi.encodeWithSelector(IPoliciesErrors.VersionNotFound.selector, productId, uint32(4)));
        policies.policyAt(productId, 4);
        vm.expectRevert(abi.encodeWithSelector(IPoliciesErrors.VersionNotFound.selector, productId, uint32(0)));
        policies.policyAt(productId, 0);
    }

    function test_setPolicy_versionsArePerProduct() public {
        uint256 other = _publishBatch(bob, 1);
        _setOpenPolicy(productId, false);
        _setOpenPolicy(productId, false);
        assertEq(_setOpenPolicy(other, true), 1, "other product starts at 1");
        assertEq(policies.policyOf(productId).version, 2, "first product at 2");
    }

    function test_setPolicy_individualsOnly() public {
        vm.prank(alice);
        policies.setPolicy(productId, RESEARCH, INDIVIDUALS, 0, NL, false, 0);
        assertEq(policies.policyOf(productId).organisationTypes, 0, "no org types");
    }

    function test_setPolicy_RevertIf_unknownProduct() public {
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.ProductNotFound.selector, 99));
        vm.prank(alice);
        policies.setPolicy(99, RESEARCH, ORGS, HOSPITALS, NL, false, 0);
    }

    function test_setPolicy_RevertIf_notSeller() public {
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, productId, hospital));
        vm.prank(hospital); // a consumer cannot widen the consent
        policies.setPolicy(productId, RESEARCH, ORGS, HOSPITALS, NL, false, 0);
    }

    function test_setPolicy_RevertIf_emptyPurposes() public {
        _expectPolicyRevert(0, ORGS, HOSPITALS, NL, abi.encodeWithSelector(IPoliciesErrors.EmptyPurposes.selector));
    }

    function test_setPolicy_RevertIf_unknownPurposeBits() public {
        uint16 purposes = RESEARCH | uint16(1 << 11);
        _expectPolicyRevert(
            purposes, ORGS, HOSPITALS, NL, abi.encodeWithSelector(IPoliciesErrors.UnknownPurposeBits.selector, purposes)
        );
    }

    function test_setPolicy_RevertIf_emptyCategories() public {
        _expectPolicyRevert(RESEARCH, 0, 0, NL, abi.encodeWithSelector(IPoliciesErrors.EmptyConsumerCategories.selector));
    }

    function test_setPolicy_RevertIf_unknownCategoryBits() public {
        _expectPolicyRevert(
            RESEARCH, ORGS | 4, HOSPITALS, NL, abi.encodeWithSelector(IPoliciesErrors.UnknownCategoryBits.selector, uint8(6))
        );
    }

    function test_setPolicy_RevertIf_organisationsWithoutTypes() public {
        _expectPolicyRevert(
            RESEARCH, ORGS, 0, NL, abi.encodeWithSelector(IPoliciesErrors.InvalidOrganisationTypes.selector, uint16(0))
        );
    }

    function test_setPolicy_RevertIf_typesWithoutOrganisations() public {
        _expectPolicyRevert(
            RESEARCH,
            INDIVIDUALS,
            HOSPITALS,
            NL,
            abi.encodeWithSelector(IPoliciesErrors.InvalidOrganisationTypes.selector, HOSPITALS)
        );
    }

    function test_setPolicy_RevertIf_organisationTypeNone() public {
        _expectPolicyRevert(
            RESEARCH, ORGS, HOSPITALS | 1, NL, abi.encodeWithSelector(IPoliciesErrors.InvalidOrganisationTypes.selector, HOSPITALS | 1)
        );
    }

    function test_setPolicy_RevertIf_unknownOrganisationTypeBits() public {
        uint16 orgs = HOSPITALS | uint16(1 << 9);
        _expectPolicyRevert(RESEARCH, ORGS, orgs, NL, abi.encodeWithSelector(IPoliciesErrors.InvalidOrganisationTypes.selector, orgs));
    }

    function test_setPolicy_RevertIf_emptyJurisdictions() public {
        _expectPolicyRevert(RESEARCH, ORGS, HOSPITALS, 0, abi.encodeWithSelector(IPoliciesErrors.EmptyJurisdictions.selector));
    }

    function test_setPolicy_RevertIf_jurisdictionNone() public {
        _expectPolicyRevert(
            RESEARCH, ORGS, HOSPITALS, NL | 1, abi.encodeWithSelector(IPoliciesErrors.UnknownJurisdictionBits.selector, NL | 1)
        );
    }

    function test_setPolicy_RevertIf_unknownJurisdictionBits() public {
        uint64 j = NL | (uint64(1) << 33);
        _expectPolicyRevert(RESEARCH, ORGS, HOSPITALS, j, abi.encodeWithSelector(IPoliciesErrors.UnknownJurisdictionBits.selector, j));
    }

    // --- retraction ---

    function test_retractAndRestoreConsent() public {
        vm.expectEmit(address(policies));
        emit Policies.ConsentRetracted(productId, insurer);
        vm.prank(alice);
        policies.retractConsent(productId, insurer);
        assertTrue(policies.isRetracted(productId, insurer), "retracted");
        assertFalse(policies.isRetracted(productId, hospital), "others unaffected");

        vm.expectEmit(address(policies));
        emit Policies.ConsentRestored(productId, insurer);
        vm.prank(alice);
        policies.restoreConsent(productId, insurer);
        assertFalse(policies.isRetracted(productId, insurer), "restored");
    }

    function test_retractConsent_beforeAnyPolicy() public {
        vm.prank(alice);
        policies.retractConsent(productId, insurer);
        assertTrue(policies.isRetracted(productId, insurer), "retracted without policy");
    }

    function test_retractConsent_RevertIf_zeroConsumer() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
        vm.prank(alice);
        policies.retractConsent(productId, address(0));
    }

    function test_retractConsent_RevertIf_alreadyRetracted() public {
        vm.prank(alice);
        policies.retractConsent(productId, insurer);
        vm.expectRevert(abi.encodeWithSelector(IPoliciesErrors.AlreadyRetracted.selector, productId, insurer));
        vm.prank(alice);
        policies.retractConsent(productId, insurer);
    }

    function test_restoreConsent_RevertIf_notRetracted() public {
        vm.expectRevert(abi.encodeWithSelector(IPoliciesErrors.NotRetracted.selector, productId, insurer));
        vm.prank(alice);
        policies.restoreConsent(productId, insurer);
    }

    function test_retractConsent_RevertIf_notSeller() public {
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, productId, hospital));
        vm.prank(hospital);
        policies.retractConsent(productId, insurer);
    }

    function test_restoreConsent_RevertIf_notSeller() public {
        vm.prank(alice);
        policies.retractConsent(productId, insurer);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, productId, insurer));
        vm.prank(insurer); // the retracted consumer cannot restore itself
        policies.restoreConsent(productId, insurer);
    }

    function test_retractConsent_RevertIf_unknownProduct() public {
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.ProductNotFound.selector, 5));
        vm.prank(alice);
        policies.retractConsent(5, insurer);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.ProductNotFound.selector, 5));
        vm.prank(alice);
        policies.restoreConsent(5, insurer);
    }

    // --- fuzz ---

    /// @dev setPolicy accepts exactly the well-formed masks, reverting with the first failing
    /// rule in the documented order; accepted policies are stored verbatim.
    function testFuzz_setPolicy_validation(
        uint16 purposes,
        uint8 categories,
        uint16 orgTypes,
        uint64 jurisdictions,
        bool approval,
        uint32 retention
    ) public {
        // bias towards mostly-valid inputs so both branches are exercised
        if (purposes % 4 != 0) purposes &= 0x7FF;
        if (categories % 4 != 0) categories &= 0x3;
        if (orgTypes % 4 != 0) orgTypes &= 0x1FE;
        if (jurisdictions % 4 != 0) jurisdictions &= 0x1FFFFFFFE;
        bytes memory err;
        bool orgsAllowed = categories & 2 != 0;
        if (purposes == 0) err = abi.encodeWithSelector(IPoliciesErrors.EmptyPurposes.selector);
        else if (purposes > 0x7FF) err = abi.encodeWithSelector(IPoliciesErrors.UnknownPurposeBits.selector, purposes);
        else if (categories == 0) err = abi.encodeWithSelector(IPoliciesErrors.EmptyConsumerCategories.selector);
        else if (categories > 3) err = abi.encodeWithSelector(IPoliciesErrors.UnknownCategoryBits.selector, categories);
        else if (orgTypes & 1 != 0 || orgTypes > 0x1FF || orgsAllowed != (orgTypes != 0)) {
            err = abi.encodeWithSelector(IPoliciesErrors.InvalidOrganisationTypes.selector, orgTypes);
        } else if (jurisdictions == 0) err = abi.encodeWithSelector(IPoliciesErrors.EmptyJurisdictions.selector);
        else if (jurisdictions & 1 != 0 || jurisdictions >= (uint64(1) << 33)) {
            err = abi.encodeWithSelector(IPoliciesErrors.UnknownJurisdictionBits.selector, jurisdictions);
        }
        if (err.length > 0) vm.expectRevert(err);
        vm.prank(alice);
        policies.setPolicy(productId, purposes, categories, orgTypes, jurisdictions, approval, retention);
        if (err.length == 0) {
            Policies.Policy memory p = policies.policyAt(productId, 1);
            assertEq(p.purposes, purposes, "purposes");
            assertEq(p.consumerCategories, categories, "categories");
            assertEq(p.organisationTypes, orgTypes, "orgTypes");
            assertEq(p.jurisdictions, jurisdictions, "jurisdictions");
            assertEq(p.requiresApproval, approval, "approval");
            assertEq(p.retentionDays, retention, "retention");
        } else {
            assertEq(policies.policyOf(productId).version, 0, "nothing stored");
        }
    }

    // --- helpers ---

    function _expectPolicyRevert(uint16 purposes, uint8 categories, uint16 orgTypes, uint64 jurisdictions, bytes memory err)
        internal
    {
        vm.expectRevert(err);
        vm.prank(alice);
        policies.setPolicy(productId, purposes, categories, orgTypes, jurisdictions, false, 0);
    }

    function _assertSame(Policies.Policy memory a, Policies.Policy memory b) internal pure {
        assertEq(abi.encode(a), abi.encode(b), "same policy");
    }
}
