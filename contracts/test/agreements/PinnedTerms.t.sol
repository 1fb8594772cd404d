// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Agreements} from "../../src/Agreements.sol";
import {Policies} from "../../src/Policies.sol";
import {AgreementsBase} from "./AgreementsBase.sol";
import {AgreementStatus, Country, Periods, PricingUnit, Purpose, Verdict} from "../../src/MarketTypes.sol";
import {IAgreementsErrors, IEligibilityErrors, IPurchaseErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev What a running agreement keeps, and what a request or renewal pins. Invariants:
/// - a policy change does not affect an existing agreement, which keeps its pinned version
///   (still readable with `policyAt`); new requests see the new version;
/// - retracting consent only refuses future requests and renewals: paid access runs to its end
///   and is still delivered;
/// - a credential revoked, expired or from an issuer no longer trusted ends access at once
///   (deliveries `NotActive`, renewal refused);
/// - a request or renewal reverts when the pricing unit or the policy version changed after the
///   consumer saw them (`PricingUnitChanged`, `PolicyVersionChanged`); whatever the consumer pins,
///   an agreement never grants more time, or another unit, than periods × the pinned unit.
contract AgreementsPinnedTermsTest is AgreementsBase {
    using Periods for PricingUnit;

    // --- pinned policy versions ---

    function test_policyChange_doesNotAffectExistingAgreement() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 5);
        Policies.Policy memory v1 = policies.policyAt(stream, 1);
        // v2: France only, approval needed
        _setPolicy(stream, policies.ALL_PURPOSES(), 3, policies.ALL_ORGANISATION_TYPES(), uint64(_bit(uint8(Country.FR))), true);
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(a.policyVersion, 1, "pinned v1");
        assertTrue(agreements.isActive(id), "still active");
        assertEq(abi.encode(policies.policyAt(stream, a.policyVersion)), abi.encode(v1), "v1 intact");
        assertTrue(v1.jurisdictions & _bit(uint8(Country.NL)) != 0, "v1 allowed NL");
        // new requests see v2
        assertEq(uint8(agreements.eligibility(stream, hospital, Purpose.Research)), uint8(Verdict.JurisdictionNotAllowed), "hospital now excluded");
        uint256 fr = _request(university, stream, Purpose.Research, 1);
        assertEq(agreements.getAgreement(fr).policyVersion, 2, "new agreement pins v2");
        assertEq(uint8(agreements.getAgreement(fr).status), uint8(AgreementStatus.Pending), "v2 needs approval");
    }

    /// @dev Review finding 6: retraction only affects future transactions (MKT-FUN-17); a paid
    /// agreement runs to its end unless the seller terminates it (with a refund).
    function test_retraction_keepsRunningAgreementButRefusesRenewal() public {
        uint256 id = _request(insurer, stream, Purpose.Insurance, 2);
        vm.prank(alice);
        policies.retractConsent(stream, insurer);
        assertTrue(agreements.isActive(id), "paid access continues");
        (uint256 latest, bool active) = agreements.accessOf(stream, insurer);
        assertEq(latest, id, "record kept");
        assertTrue(active, "accessOf");
        assertEq(uint8(agreements.eligibility(stream, insurer, Purpose.Insurance)), uint8(Verdict.ConsentRetracted), "view");
        (uint32 v, PricingUnit u) = _pins(stream);
        vm.expectRevert(abi.encodeWithSelector(IEligibilityErrors.ConsentRetracted.selector, stream, insurer));
        vm.prank(insurer);
        agreements.renew(id, v, u, 1, type(uint256).max);
        _warpBy(2 days);
        assertFalse(agreements.isActive(id), "ends when paid time ends");
        vm.expectRevert(abi.encodeWithSelector(IEligibilityErrors.ConsentRetracted.selector, stream, insurer));
        _request(insurer, stream, Purpose.Insurance, 1);
    }

    function test_recordDelivery_afterRetraction() public {
        uint256 id = _request(insurer, batch, Purpose.Insurance, 1);
        vm.prank(alice);
        policies.retractConsent(batch, insurer);
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("share"));
        assertTrue(agreements.getAgreement(id).delivered, "a paid purchase is still delivered");
    }

    /// @dev Review finding 2: a revoked credential stops deliveries at once.
    function test_recordDelivery_RevertIf_credentialRevoked() public {
        uint256 id = _request(insurer, batch, Purpose.Insurance, 1);
        vm.prank(issuer);
        credentials.revoke(insurer);
        assertFalse(agreements.isActive(id), "inactive");
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("share"));
    }

    function test_recordDelivery_RevertIf_credentialExpired() public {
        uint256 id = _request(insurer, batch, Purpose.Insurance, 1);
        _warpBy(CREDENTIAL_LIFETIME);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("share"));
    }

    function test_recordDelivery_RevertIf_issuerUntrusted() public {
        uint256 id = _request(insurer, batch, Purpose.Insurance, 1);
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("share"));
    }

    function test_renew_RevertIf_credentialRevoked() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.prank(issuer);
        credentials.revoke(hospital);
        (uint32 v, PricingUnit u) = _pins(stream);
        vm.expectRevert(abi.encodeWithSelector(IEligibilityErrors.CredentialRevoked.selector, hospital));
        vm.prank(hospital);
        agreements.renew(id, v, u, 1, DAILY);
    }

    // --- pins (review finding 7) ---

    function test_request_RevertIf_unitChangedBeforeInclusion() public {
        (uint32 v, PricingUnit u) = _pins(stream); // hospital sees 2 DATA per day
        vm.prank(alice); // the seller front-runs: same price, per hour
        catalogue.setPrice(stream, DAILY, PricingUnit.Hour);
        vm.expectRevert(
            abi.encodeWithSelector(IAgreementsErrors.PricingUnitChanged.selector, stream, PricingUnit.Day, PricingUnit.Hour)
        );
        vm.prank(hospital);
        agreements.requestAccess(stream, Purpose.Research, v, u, 30, 30 * DAILY);
        assertEq(token.balanceOf(hospital), FUNDS, "nothing charged");
    }

    function test_request_RevertIf_policyChangedBeforeInclusion() public {
        (uint32 v, PricingUnit u) = _pins(stream);
        _setOpenPolicy(stream, true); // v2: now needs approval
        vm.expectRevert(abi.encodeWithSelector(IPurchaseErrors.PolicyVersionChanged.selector, stream, v, v + 1));
        vm.prank(hospital);
        agreements.requestAccess(stream, Purpose.Research, v, u, 1, DAILY);
    }

    function test_requestWithPermit_RevertIf_unitChanged() public {
        (uint32 v, PricingUnit u) = _pins(stream);
        uint256 deadline = _now() + 1 hours;
        (uint8 pv, bytes32 pr, bytes32 ps) = _permit(PHARMA_PK, address(agreements), DAILY, deadline);
        _mint(pharma, DAILY);
        vm.prank(alice);
        catalogue.setPrice(stream, DAILY, PricingUnit.Week);
        vm.expectRevert(
            abi.encodeWithSelector(IAgreementsErrors.PricingUnitChanged.selector, stream, PricingUnit.Day, PricingUnit.Week)
        );
        vm.prank(pharma);
        agreements.requestAccessWithPermit(stream, Purpose.Research, v, u, 1, DAILY, deadline, pv, pr, ps);
    }

    function test_renew_RevertIf_unitOrPolicyChanged() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        (uint32 v, PricingUnit u) = _pins(stream);
        vm.prank(alice);
        catalogue.setPrice(stream, DAILY, PricingUnit.Hour);
        vm.expectRevert(
            abi.encodeWithSelector(IAgreementsErrors.PricingUnitChanged.selector, stream, PricingUnit.Day, PricingUnit.Hour)
        );
        vm.prank(hospital);
        agreements.renew(id, v, u, 7, 7 * DAILY);
        _setOpenPolicy(stream, false);
        vm.expectRevert(abi.encodeWithSelector(IPurchaseErrors.PolicyVersionChanged.selector, stream, v, v + 1));
        vm.prank(hospital);
        agreements.renew(id, v, PricingUnit.Hour, 7, 7 * DAILY);
    }

    /// @dev Whatever unit or version a consumer pins, the agreement either reverts or grants
    /// exactly periods × the pinned unit: never more time or another unit than signed for.
    function testFuzz_pins_neverGrantOtherTerms(uint8 seenUnit, uint8 newUnit, uint16 periods, bool policyChanged)
        public
    {
        PricingUnit seen = PricingUnit(bound(seenUnit, 1, 4));
        PricingUnit current = PricingUnit(bound(newUnit, 1, 4));
        periods = uint16(bound(periods, 1, agreements.maxPeriods(seen)));
        uint256 p = _publishStream(alice, 1e15, seen);
        uint32 version = _setOpenPolicy(p, false);
        vm.prank(alice);
        catalogue.setPrice(p, 1e15, current);
        if (policyChanged) _setOpenPolicy(p, false);
        vm.prank(hospital);
        try agreements.requestAccess(p, Purpose.Research, version, seen, periods, type(uint256).max) returns (uint256 id) {
            Agreements.Agreement memory a = agreements.getAgreement(id);
            assertTrue(a.pricingUnit == seen, "the pinned unit");
            assertEq(a.endsAt - a.startsAt, uint256(periods) * seen.unitSeconds(), "periods x pinned unit");
            assertEq(a.policyVersion, version, "the pinned version");
            assertTrue(current == seen && !policyChanged, "only when nothing changed");
        } catch {
            assertTrue(current != seen || policyChanged, "reverts only when something changed");
        }
    }
}
