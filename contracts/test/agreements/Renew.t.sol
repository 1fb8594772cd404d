// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Agreements} from "../../src/Agreements.sol";
import {Credentials} from "../../src/Credentials.sol";
import {AgreementsBase} from "./AgreementsBase.sol";
import {AgreementStatus, Category, Country, OrganisationType, PricingUnit, Purpose} from "../../src/MarketTypes.sol";
import {IAgreementsErrors, IEligibilityErrors, IPurchaseErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev Renewal (`renew`) and expiry. Invariants:
/// - renewal extends from max(now, endsAt) by periods × the current unit, at the current price,
///   pays the seller and pins the policy version then in force;
/// - it is refused when the policy requires approval (now or from the start:
///   `RenewalNeedsApproval`), the consumer is no longer eligible (consent retracted, product
///   deactivated), the product is one-time (`NotRenewable`), the agreement is not Active
///   (pending, rejected), the caller is not its consumer, the agreement is superseded, the
///   periods are invalid or above MAX_TERM, the end overflows uint40, or the price is above
///   the consumer's maximum — and a refused renewal changes nothing;
/// - an agreement is active iff status Active and (endsAt == 0 or now < endsAt).
contract AgreementsRenewTest is AgreementsBase {
    // --- renewal ---

    function test_renew_beforeExpiry_extendsFromEndsAt() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 3); // ends T0 + 3 days
        _warpBy(1 days);
        (uint32 v12, PricingUnit u12) = _renewPins(id);
        vm.expectEmit(address(agreements));
        emit Agreements.AgreementRenewed(id, 2, uint40(T0 + 5 days), 2 * DAILY, 1);
        vm.prank(hospital);
        agreements.renew(id, v12, u12, 2, 2 * DAILY);
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(a.endsAt, T0 + 5 days, "extended from endsAt");
        assertEq(a.startsAt, T0, "startsAt unchanged");
        assertEq(a.periods, 2, "periods of last purchase");
        assertEq(a.amount, 5 * DAILY, "total paid");
        assertEq(token.balanceOf(alice), 5 * DAILY, "seller paid twice");
    }

    function test_renew_afterExpiry_extendsFromNow() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        _warpBy(10 days);
        assertFalse(agreements.isActive(id), "expired");
        (uint32 v13, PricingUnit u13) = _renewPins(id);
        vm.prank(hospital);
        agreements.renew(id, v13, u13, 1, DAILY);
        assertEq(agreements.getAgreement(id).endsAt, T0 + 11 days, "from now");
        assertTrue(agreements.isActive(id), "active again");
    }

    function test_renew_usesCurrentPriceAndUnit() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1); // ends T0 + 1 day
        vm.prank(alice);
        catalogue.setPrice(stream, 1e17, PricingUnit.Hour);
        (uint32 v14, PricingUnit u14) = _renewPins(id);
        vm.prank(hospital);
        agreements.renew(id, v14, u14, 5, 5e17);
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(a.endsAt, T0 + 1 days + 5 hours, "5 hours more");
        assertEq(uint8(a.pricingUnit), uint8(PricingUnit.Hour), "unit of last purchase");
        assertEq(token.balanceOf(alice), DAILY + 5e17, "paid new price");
    }

    function test_renew_pinsCurrentPolicyVersion() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        _setOpenPolicy(stream, false); // v2, hospital still eligible
        (uint32 v15, PricingUnit u15) = _renewPins(id);
        vm.prank(hospital);
        agreements.renew(id, v15, u15, 1, DAILY);
        assertEq(agreements.getAgreement(id).policyVersion, 2, "re-pinned");
    }

    function test_renew_afterApprovalNoLongerRequired() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(alice);
        agreements.approve(id);
        _setOpenPolicy(gated, false); // v2: alice no longer approves each request
        (uint32 v16, PricingUnit u16) = _renewPins(id);
        vm.prank(hospital);
        agreements.renew(id, v16, u16, 1, DAILY);
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(uint8(a.status), uint8(AgreementStatus.Active), "still active");
        assertEq(a.policyVersion, 2, "pins v2");
        assertEq(token.balanceOf(alice), 2 * DAILY, "paid directly");
        assertEq(agreements.totalEscrowed(), 0, "no escrow");
    }

    /// @dev Finding 5: an approved agreement cannot be extended past the seller's approval.
    function test_renew_RevertIf_policyRequiresApproval() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(alice);
        agreements.approve(id);
        (uint32 v17, PricingUnit u17) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.RenewalNeedsApproval.selector, id));
        vm.prank(hospital);
        agreements.renew(id, v17, u17, 1, DAILY);
        assertEq(agreements.getAgreement(id).endsAt, T0 + 1 days, "not extended");
        assertEq(token.balanceOf(alice), DAILY, "nothing more paid");
    }

    /// @dev Finding 5: a once auto-approved agreement must not renew after the policy started
    /// requiring approval; the consumer asks again (escrow) once it has ended, and may cancel.
    function test_renew_RevertIf_policyNowRequiresApproval() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 2);
        _setOpenPolicy(stream, true); // v2 requires approval
        (uint32 v18, PricingUnit u18) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.RenewalNeedsApproval.selector, id));
        vm.prank(hospital);
        agreements.renew(id, v18, u18, 100, type(uint256).max);
        assertEq(agreements.getAgreement(id).endsAt, T0 + 2 days, "not extended");
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.AlreadyHasAccess.selector, id));
        _request(hospital, stream, Purpose.Research, 1);
        _warpBy(2 days);
        uint256 again = _request(hospital, stream, Purpose.Research, 3);
        Agreements.Agreement memory a = agreements.getAgreement(again);
        assertEq(uint8(a.status), uint8(AgreementStatus.Pending), "escrowed until approved");
        assertEq(a.policyVersion, 2, "pins v2");
        assertEq(agreements.totalEscrowed(), 3 * DAILY, "held");
        vm.prank(hospital);
        agreements.cancel(again);
        assertEq(token.balanceOf(hospital), FUNDS - 2 * DAILY, "refunded the escrow");
    }

    function test_renew_RevertIf_noLongerEligible() public {
        uint256 id = _request(insurer, stream, Purpose.Insurance, 1);
        // alice no longer consents to insurance uses
        _setPolicy(stream, policies.ALL_PURPOSES() & ~uint16(_bit(uint8(Purpose.Insurance))), 3, policies.ALL_ORGANISATION_TYPES(), policies.ALL_JURISDICTIONS(), false);
        (uint32 v19, PricingUnit u19) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IEligibilityErrors.PurposeNotAllowed.selector, stream, Purpose.Insurance));
        vm.prank(insurer);
        agreements.renew(id, v19, u19, 1, DAILY);
    }

    function test_renew_RevertIf_consentRetracted() public {
        uint256 id = _request(insurer, stream, Purpose.Insurance, 1);
        vm.prank(alice);
        policies.retractConsent(stream, insurer);
        (uint32 v20, PricingUnit u20) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IEligibilityErrors.ConsentRetracted.selector, stream, insurer));
        vm.prank(insurer);
        agreements.renew(id, v20, u20, 1, DAILY);
    }

    function test_renew_RevertIf_oneTime() public {
        uint256 id = _request(university, batch, Purpose.Research, 1);
        (uint32 v21, PricingUnit u21) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotRenewable.selector, id));
        vm.prank(university);
        agreements.renew(id, v21, u21, 1, type(uint256).max);
    }

    function test_renew_RevertIf_pending() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        (uint32 v22, PricingUnit u22) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, id));
        vm.prank(hospital);
        agreements.renew(id, v22, u22, 1, DAILY);
    }

    function test_renew_RevertIf_rejected() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(alice);
        agreements.reject(id);
        (uint32 v23, PricingUnit u23) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, id));
        vm.prank(hospital);
        agreements.renew(id, v23, u23, 1, DAILY);
    }

    function test_renew_RevertIf_notConsumer() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        (uint32 v24, PricingUnit u24) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotConsumer.selector, id, university));
        vm.prank(university);
        agreements.renew(id, v24, u24, 1, DAILY);
    }

    function test_renew_RevertIf_invalidPeriods() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        (uint32 v25, PricingUnit u25) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.InvalidPeriods.selector, 0));
        vm.prank(hospital);
        agreements.renew(id, v25, u25, 0, DAILY);
        (uint32 v26, PricingUnit u26) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.PeriodsAboveMax.selector, 10_001, 366));
        vm.prank(hospital);
        agreements.renew(id, v26, u26, 10_001, type(uint256).max);
    }

    /// @dev Finding 5: a renewal buys at most MAX_TERM, like a request; 366 days is fine.
    function test_renew_RevertIf_aboveMaxTerm() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        (uint32 v27, PricingUnit u27) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.PeriodsAboveMax.selector, 367, 366));
        vm.prank(hospital);
        agreements.renew(id, v27, u27, 367, type(uint256).max);
        (uint32 v28, PricingUnit u28) = _renewPins(id);
        vm.prank(hospital);
        agreements.renew(id, v28, u28, 366, type(uint256).max);
        assertEq(agreements.getAgreement(id).endsAt, T0 + 367 days, "366 days more");
    }

    function test_renew_RevertIf_superseded() public {
        uint256 first = _request(hospital, stream, Purpose.Research, 1);
        vm.warp(_now() + 2 days); // the first subscription has expired…
        uint256 second = _request(hospital, stream, Purpose.Research, 1); // …and a new one replaced it
        (uint32 v29, PricingUnit u29) = _renewPins(first);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.AgreementSuperseded.selector, first, second));
        vm.prank(hospital);
        agreements.renew(first, v29, u29, 1, DAILY);
    }

    function test_renew_RevertIf_endBeyondUint40() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.warp(uint256(type(uint40).max) - 1 hours);
        // a credential that is still valid at the end of time
        Credentials.Attestation memory att =
            _attestation(hospital, Category.Organisation, OrganisationType.Hospital, Country.NL);
        att.expiresAt = type(uint40).max;
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.prank(hospital);
        credentials.register(att, sig);
        (uint32 v30, PricingUnit u30) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.InvalidPeriods.selector, 1));
        vm.prank(hospital);
        agreements.renew(id, v30, u30, 1, DAILY);
    }

    function test_renew_RevertIf_priceAboveMax() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        (uint32 v31, PricingUnit u31) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IPurchaseErrors.PriceAboveMax.selector, 4 * DAILY, 3 * DAILY));
        vm.prank(hospital);
        agreements.renew(id, v31, u31, 4, 3 * DAILY);
    }

    function test_renew_RevertIf_productDeactivated() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.prank(alice);
        catalogue.deactivate(stream);
        assertTrue(agreements.isActive(id), "existing agreement unaffected");
        (uint32 v32, PricingUnit u32) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(IEligibilityErrors.ProductInactive.selector, stream));
        vm.prank(hospital);
        agreements.renew(id, v32, u32, 1, DAILY);
    }

    // --- expiry ---

    function test_isActive_expiresAtEndsAt() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 2);
        uint256 endsAt = agreements.getAgreement(id).endsAt;
        vm.warp(endsAt - 1);
        assertTrue(agreements.isActive(id), "active until the last second");
        vm.warp(endsAt);
        assertFalse(agreements.isActive(id), "expired at endsAt");
        (uint256 latest, bool active) = agreements.accessOf(stream, hospital);
        assertEq(latest, id, "still the latest");
        assertFalse(active, "no access");
        assertEq(uint8(agreements.getAgreement(id).status), uint8(AgreementStatus.Active), "status stays Active");
    }
}
