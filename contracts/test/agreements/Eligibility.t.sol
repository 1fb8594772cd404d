// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AgreementsBase} from "./AgreementsBase.sol";
import {Category, Country, OrganisationType, PricingUnit, Purpose, Verdict} from "../../src/MarketTypes.sol";
import {IEligibilityErrors, IMarketErrors, IProductErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev Eligibility. Invariants:
/// - for every `Verdict`, `eligibility()` returns it and `requestAccess` reverts with the error
///   of the same name (`IEligibilityErrors`, plus `ProductNotFound` and `NotRegistered`) or, for
///   `Eligible`, creates the agreement; individuals are never checked against organisation types;
///   `eligibilityMany` answers like `eligibility` for each product;
/// - fuzzed over consumer facts and well-formed policies, the verdict equals the one computed
///   from the spec, and a request reverts (paying nothing) iff it is not Eligible.
contract AgreementsEligibilityTest is AgreementsBase {
    // --- eligibility: the view's verdict equals the request's revert, for every Verdict ---

    function test_verdict_Eligible() public {
        _expectVerdict(stream, hospital, Purpose.Research, Verdict.Eligible, "");
    }

    function test_verdict_ProductNotFound() public {
        _expectVerdict(999, hospital, Purpose.Research, Verdict.ProductNotFound, abi.encodeWithSelector(IProductErrors.ProductNotFound.selector, 999));
    }

    function test_verdict_ProductInactive() public {
        vm.prank(alice);
        catalogue.deactivate(stream);
        _expectVerdict(stream, hospital, Purpose.Research, Verdict.ProductInactive, abi.encodeWithSelector(IEligibilityErrors.ProductInactive.selector, stream));
    }

    function test_verdict_OwnProduct() public {
        _expectVerdict(stream, alice, Purpose.Research, Verdict.OwnProduct, abi.encodeWithSelector(IEligibilityErrors.OwnProduct.selector, stream));
    }

    function test_verdict_NoPolicy() public {
        uint256 p = _publishStream(alice, DAILY, PricingUnit.Day);
        _expectVerdict(p, hospital, Purpose.Research, Verdict.NoPolicy, abi.encodeWithSelector(IEligibilityErrors.NoPolicy.selector, p));
    }

    function test_verdict_NotRegistered() public {
        _fund(stranger, FUNDS);
        _expectVerdict(stream, stranger, Purpose.Research, Verdict.NotRegistered, abi.encodeWithSelector(IMarketErrors.NotRegistered.selector, stranger));
    }

    function test_verdict_CredentialExpired() public {
        _warpBy(CREDENTIAL_LIFETIME);
        _expectVerdict(stream, hospital, Purpose.Research, Verdict.CredentialExpired, abi.encodeWithSelector(IEligibilityErrors.CredentialExpired.selector, hospital));
    }

    function test_verdict_CredentialRevoked() public {
        vm.prank(issuer);
        credentials.revoke(hospital);
        _expectVerdict(stream, hospital, Purpose.Research, Verdict.CredentialRevoked, abi.encodeWithSelector(IEligibilityErrors.CredentialRevoked.selector, hospital));
    }

    function test_verdict_IssuerNotTrusted() public {
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        _expectVerdict(stream, hospital, Purpose.Research, Verdict.IssuerNotTrusted, abi.encodeWithSelector(IEligibilityErrors.IssuerNotTrusted.selector, hospital));
    }

    function test_verdict_CategoryNotAllowed() public {
        uint256 p = _orgsOnlyProduct();
        _expectVerdict(p, bob, Purpose.Research, Verdict.CategoryNotAllowed, abi.encodeWithSelector(IEligibilityErrors.CategoryNotAllowed.selector, p, Category.Individual));
    }

    function test_verdict_OrganisationTypeNotAllowed() public {
        uint256 p = _orgsOnlyProduct(); // hospitals and universities
        _expectVerdict(p, insurer, Purpose.Research, Verdict.OrganisationTypeNotAllowed, abi.encodeWithSelector(IEligibilityErrors.OrganisationTypeNotAllowed.selector, p, OrganisationType.Insurer));
        _expectVerdict(p, university, Purpose.Research, Verdict.Eligible, "");
    }

    function test_verdict_JurisdictionNotAllowed() public {
        uint256 p = _orgsOnlyProduct(); // NL and DE only
        _expectVerdict(p, university, Purpose.Research, Verdict.Eligible, "");
        vm.prank(alice); // alice also drops FR
        _seen[p].version = policies.setPolicy(p, uint16(_bit(uint8(Purpose.Research))), 2, uint16(_bit(1) | _bit(2)), uint64(_bit(uint8(Country.NL))), false, 0);
        _expectVerdict(p, university, Purpose.PublicHealth, Verdict.JurisdictionNotAllowed, abi.encodeWithSelector(IEligibilityErrors.JurisdictionNotAllowed.selector, p, Country.FR));
    }

    function test_verdict_PurposeNotAllowed() public {
        uint256 p = _orgsOnlyProduct(); // research only
        _expectVerdict(p, hospital, Purpose.Marketing, Verdict.PurposeNotAllowed, abi.encodeWithSelector(IEligibilityErrors.PurposeNotAllowed.selector, p, Purpose.Marketing));
    }

    function test_verdict_ConsentRetracted() public {
        vm.prank(alice);
        policies.retractConsent(stream, hospital);
        _expectVerdict(stream, hospital, Purpose.Research, Verdict.ConsentRetracted, abi.encodeWithSelector(IEligibilityErrors.ConsentRetracted.selector, stream, hospital));
    }

    function test_verdict_individualsIgnoreOrganisationTypes() public {
        // a policy for individuals has no organisation types; individuals pass that check
        uint256 p = _publishStream(alice, DAILY, PricingUnit.Day);
        _setPolicy(p, policies.ALL_PURPOSES(), 1, 0, policies.ALL_JURISDICTIONS(), false);
        _expectVerdict(p, bob, Purpose.Research, Verdict.Eligible, "");
        _expectVerdict(p, hospital, Purpose.Research, Verdict.CategoryNotAllowed, abi.encodeWithSelector(IEligibilityErrors.CategoryNotAllowed.selector, p, Category.Organisation));
    }

    function test_eligibilityMany() public {
        uint256 orgsOnly = _orgsOnlyProduct();
        uint256 noPolicy = _publishStream(alice, 1, PricingUnit.Day);
        uint256[] memory ids = new uint256[](5);
        ids[0] = stream;
        ids[1] = orgsOnly;
        ids[2] = noPolicy;
        ids[3] = 12345;
        ids[4] = batch;
        Verdict[] memory v = agreements.eligibilityMany(ids, bob, Purpose.Research);
        assertEq(v.length, 5, "length");
        assertEq(uint8(v[0]), uint8(Verdict.Eligible), "stream");
        assertEq(uint8(v[1]), uint8(Verdict.CategoryNotAllowed), "orgs only");
        assertEq(uint8(v[2]), uint8(Verdict.NoPolicy), "no policy");
        assertEq(uint8(v[3]), uint8(Verdict.ProductNotFound), "unknown");
        assertEq(uint8(v[4]), uint8(Verdict.Eligible), "batch");
        for (uint256 i; i < ids.length; ++i) {
            assertEq(uint8(v[i]), uint8(agreements.eligibility(ids[i], bob, Purpose.Research)), "same as single");
        }
    }

    // --- fuzz: eligibility matrix ---

    /// @dev For any consumer facts and any well-formed policy, eligibility() equals the verdict
    /// computed here from the spec, and requestAccess reverts (with that verdict's error) iff it
    /// is not Eligible; an eligible request pays and pins version 1.
    function testFuzz_eligibilityMatrix(
        bool organisation,
        uint8 orgSeed,
        uint8 countrySeed,
        uint8 purposeSeed,
        uint16 purposesMask,
        uint8 categoriesMask,
        uint16 orgTypesMask,
        uint64 jurisdictionsMask,
        bool retracted
    ) public {
        address consumer = address(0xC0FFEE);
        Category category = organisation ? Category.Organisation : Category.Individual;
        OrganisationType org = organisation ? OrganisationType(bound(orgSeed, 1, 8)) : OrganisationType.None;
        Country country = Country(bound(countrySeed, 1, uint8(type(Country).max)));
        Purpose purpose = Purpose(bound(purposeSeed, 0, uint8(type(Purpose).max)));
        _register(consumer, category, org, country);
        _fund(consumer, FUNDS);

        uint16 purposes = uint16(bound(purposesMask, 1, 0x7FF));
        uint8 categories = uint8(bound(categoriesMask, 1, 3));
        uint16 orgTypes = categories & 2 != 0 ? uint16(bound(orgTypesMask, 1, 0xFF) << 1) : 0;
        uint64 jurisdictions = uint64(bound(jurisdictionsMask, 1, 0xFFFFFFFF) << 1);
        uint256 p = _publishStream(alice, DAILY, PricingUnit.Day);
        _setPolicy(p, purposes, categories, orgTypes, jurisdictions, false);
        if (retracted) {
            vm.prank(alice);
            policies.retractConsent(p, consumer);
        }

        Verdict expected;
        bytes memory err;
        if (categories & (1 << uint8(category)) == 0) {
            expected = Verdict.CategoryNotAllowed;
            err = abi.encodeWithSelector(IEligibilityErrors.CategoryNotAllowed.selector, p, category);
        } else if (organisation && orgTypes & (1 << uint8(org)) == 0) {
            expected = Verdict.OrganisationTypeNotAllowed;
            err = abi.encodeWithSelector(IEligibilityErrors.OrganisationTypeNotAllowed.selector, p, org);
        } else if (jurisdictions & (uint64(1) << uint8(country)) == 0) {
            expected = Verdict.JurisdictionNotAllowed;
            err = abi.encodeWithSelector(IEligibilityErrors.JurisdictionNotAllowed.selector, p, country);
        } else if (purposes & (1 << uint8(purpose)) == 0) {
            expected = Verdict.PurposeNotAllowed;
            err = abi.encodeWithSelector(IEligibilityErrors.PurposeNotAllowed.selector, p, purpose);
        } else if (retracted) {
            expected = Verdict.ConsentRetracted;
            err = abi.encodeWithSelector(IEligibilityErrors.ConsentRetracted.selector, p, consumer);
        } else {
            expected = Verdict.Eligible;
        }
        _expectVerdict(p, consumer, purpose, expected, err);
        if (expected == Verdict.Eligible) {
            uint256 id = agreements.latestAgreementOf(p, consumer);
            assertEq(agreements.getAgreement(id).policyVersion, 1, "pinned");
            assertEq(token.balanceOf(consumer), FUNDS - DAILY, "paid");
        } else {
            assertEq(agreements.latestAgreementOf(p, consumer), 0, "no agreement");
            assertEq(token.balanceOf(consumer), FUNDS, "nothing paid");
        }
    }
}
