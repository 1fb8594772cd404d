// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Agreements} from "../../src/Agreements.sol";
import {AgreementsBase} from "./AgreementsBase.sol";
import {AgreementStatus, Country, PricingUnit, Purpose, Verdict} from "../../src/MarketTypes.sol";
import {IAgreementsErrors, IEligibilityErrors, IProductErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev Requests that need the seller's approval (`approve`, `reject`, `cancel`). Invariants:
/// - a gated request escrows its payment: balanceOf(agreements) == totalEscrowed ==
///   Σ amount over Pending agreements, over several requests too;
/// - approve pays the escrow to the seller and starts access at approval time (one-time and
///   free requests included); reject (seller) and cancel (consumer) refund it in full, amount → 0;
/// - only a Pending agreement can be approved, rejected or cancelled (`NotPending`); only the
///   product's seller approves or rejects (`NotSeller`), only the consumer cancels
///   (`NotConsumer`); unknown agreement ids revert `AgreementNotFound`;
/// - approval checks the request again against the policy version it pinned, not the current
///   one: a credential revoked, a product deactivated or consent retracted meanwhile refuses it.
contract AgreementsApprovalTest is AgreementsBase {
    // --- approval flow ---

    function test_request_withApproval_escrows() public {
        vm.expectEmit(address(agreements));
        emit Agreements.AgreementCreated(1, gated, hospital, alice, Purpose.Research, 1, AgreementStatus.Pending, 3 * DAILY, 0, 0);
        uint256 id = _request(hospital, gated, Purpose.Research, 3);
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(uint8(a.status), uint8(AgreementStatus.Pending), "pending");
        assertEq(a.startsAt, 0, "not started");
        assertEq(a.endsAt, 0, "no end yet");
        assertEq(a.amount, 3 * DAILY, "amount");
        assertEq(token.balanceOf(address(agreements)), 3 * DAILY, "held in escrow");
        assertEq(agreements.totalEscrowed(), 3 * DAILY, "totalEscrowed");
        assertEq(token.balanceOf(alice), 0, "seller not paid yet");
        assertFalse(agreements.isActive(id), "not active");
        (, bool active) = agreements.accessOf(gated, hospital);
        assertFalse(active, "no access");
    }

    function test_approve_paysSellerAndStartsNow() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 3);
        _warpBy(5 hours);
        uint40 start = uint40(T0 + 5 hours);
        vm.expectEmit(address(agreements));
        emit Agreements.AgreementApproved(id, start, start + 3 days);
        vm.prank(alice);
        agreements.approve(id);
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(uint8(a.status), uint8(AgreementStatus.Active), "active");
        assertEq(a.startsAt, start, "startsAt");
        assertEq(a.endsAt, start + 3 days, "endsAt from approval");
        assertEq(a.amount, 3 * DAILY, "amount kept");
        assertEq(token.balanceOf(alice), 3 * DAILY, "seller paid");
        assertEq(token.balanceOf(address(agreements)), 0, "escrow released");
        assertEq(agreements.totalEscrowed(), 0, "totalEscrowed");
        assertTrue(agreements.isActive(id), "isActive");
    }

    function test_approve_oneTime() public {
        uint256 gatedBatch = _publishBatch(alice, 7e18);
        _setOpenPolicy(gatedBatch, true);
        uint256 id = _request(university, gatedBatch, Purpose.Research, 1);
        vm.prank(alice);
        agreements.approve(id);
        assertEq(token.balanceOf(alice), 7e18, "seller paid");
        assertEq(agreements.getAgreement(id).endsAt, 0, "never expires");
        assertTrue(agreements.isActive(id), "active");
    }

    function test_approve_freeRequest() public {
        uint256 free = _publishStream(alice, 0, PricingUnit.Hour);
        _setOpenPolicy(free, true);
        uint256 id = _request(pharma, free, Purpose.Research, 4);
        assertEq(agreements.totalEscrowed(), 0, "nothing escrowed");
        vm.prank(alice);
        agreements.approve(id);
        assertEq(agreements.getAgreement(id).endsAt, T0 + 4 hours, "endsAt");
    }

    function test_reject_refunds() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 3);
        vm.expectEmit(address(agreements));
        emit Agreements.AgreementRejected(id, 3 * DAILY);
        vm.prank(alice);
        agreements.reject(id);
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(uint8(a.status), uint8(AgreementStatus.Rejected), "rejected");
        assertEq(a.amount, 0, "amount cleared");
        assertEq(token.balanceOf(hospital), FUNDS, "refunded");
        assertEq(token.balanceOf(address(agreements)), 0, "escrow empty");
        assertEq(agreements.totalEscrowed(), 0, "totalEscrowed");
        // hospital may ask again
        uint256 again = _request(hospital, gated, Purpose.Research, 1);
        assertEq(uint8(agreements.getAgreement(again).status), uint8(AgreementStatus.Pending), "asked again");
    }

    function test_cancel_refunds() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 2);
        vm.expectEmit(address(agreements));
        emit Agreements.AgreementCancelled(id, 2 * DAILY);
        vm.prank(hospital);
        agreements.cancel(id);
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(uint8(a.status), uint8(AgreementStatus.Cancelled), "cancelled");
        assertEq(a.amount, 0, "amount cleared");
        assertEq(token.balanceOf(hospital), FUNDS, "refunded");
        assertEq(agreements.totalEscrowed(), 0, "totalEscrowed");
    }

    function test_escrow_tracksSeveralRequests() public {
        uint256 a = _request(hospital, gated, Purpose.Research, 1);
        uint256 b = _request(university, gated, Purpose.Research, 2);
        uint256 c = _request(insurer, gated, Purpose.Insurance, 3);
        assertEq(agreements.totalEscrowed(), 6 * DAILY, "all held");
        vm.prank(alice);
        agreements.approve(b);
        vm.prank(alice);
        agreements.reject(a);
        assertEq(agreements.totalEscrowed(), 3 * DAILY, "c still held");
        assertEq(token.balanceOf(address(agreements)), 3 * DAILY, "balance matches");
        vm.prank(insurer);
        agreements.cancel(c);
        assertEq(agreements.totalEscrowed(), 0, "none held");
        assertEq(token.balanceOf(alice), 2 * DAILY, "only b paid");
    }

    function test_approve_RevertIf_notPending() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(alice);
        agreements.approve(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotPending.selector, id, AgreementStatus.Active));
        vm.prank(alice);
        agreements.approve(id);
    }

    function test_reject_RevertIf_cancelled() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(hospital);
        agreements.cancel(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotPending.selector, id, AgreementStatus.Cancelled));
        vm.prank(alice);
        agreements.reject(id);
    }

    function test_cancel_RevertIf_rejected() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(alice);
        agreements.reject(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotPending.selector, id, AgreementStatus.Rejected));
        vm.prank(hospital);
        agreements.cancel(id);
    }

    function test_cancel_RevertIf_active() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotPending.selector, id, AgreementStatus.Active));
        vm.prank(hospital);
        agreements.cancel(id);
    }

    function test_approve_RevertIf_notSeller() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, gated, hospital));
        vm.prank(hospital); // the consumer cannot approve itself
        agreements.approve(id);
    }

    function test_reject_RevertIf_notSeller() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, gated, stranger));
        vm.prank(stranger);
        agreements.reject(id);
    }

    function test_cancel_RevertIf_notConsumer() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotConsumer.selector, id, alice));
        vm.prank(alice);
        agreements.cancel(id);
    }

    function test_RevertIf_agreementNotFound() public {
        bytes memory err = abi.encodeWithSelector(IAgreementsErrors.AgreementNotFound.selector, 99);
        vm.expectRevert(err);
        agreements.getAgreement(99);
        vm.expectRevert(err);
        vm.prank(alice);
        agreements.approve(99);
        vm.expectRevert(err);
        vm.prank(alice);
        agreements.reject(99);
        vm.expectRevert(err);
        vm.prank(hospital);
        agreements.cancel(99);
        (uint32 v5, PricingUnit u5) = _renewPins(99);
        vm.expectRevert(err);
        vm.prank(hospital);
        agreements.renew(99, v5, u5, 1, type(uint256).max);
        vm.expectRevert(err);
        vm.prank(relay1);
        agreements.recordDelivery(99, keccak256("envelope"));
        assertFalse(agreements.isActive(99), "isActive false");
        (uint256 id, bool active) = agreements.accessOf(stream, hospital);
        assertEq(id, 0, "no agreement");
        assertFalse(active, "no access");
    }

    function test_approve_afterPolicyChangeUsesPinnedVersion() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        // alice narrows the policy to France only; hospital (NL) is no longer eligible…
        _setPolicy(gated, policies.ALL_PURPOSES(), 3, policies.ALL_ORGANISATION_TYPES(), uint64(_bit(uint8(Country.FR))), true);
        assertEq(uint8(agreements.eligibility(gated, hospital, Purpose.Research)), uint8(Verdict.JurisdictionNotAllowed), "now excluded");
        // …but the pending request was checked against version 1 and can still be approved
        vm.prank(alice);
        agreements.approve(id);
        assertEq(agreements.getAgreement(id).policyVersion, 1, "pinned v1");
        assertTrue(agreements.isActive(id), "active");
    }

    // --- approval re-checks (review, low) ---

    function test_approve_RevertIf_credentialRevokedMeanwhile() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(issuer);
        credentials.revoke(hospital);
        vm.expectRevert(abi.encodeWithSelector(IEligibilityErrors.CredentialRevoked.selector, hospital));
        vm.prank(alice);
        agreements.approve(id);
        vm.prank(alice); // the seller rejects instead: the consumer is refunded
        agreements.reject(id);
        assertEq(token.balanceOf(hospital), FUNDS, "refunded");
    }

    function test_approve_RevertIf_productDeactivatedMeanwhile() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(alice);
        catalogue.deactivate(gated);
        vm.expectRevert(abi.encodeWithSelector(IEligibilityErrors.ProductInactive.selector, gated));
        vm.prank(alice);
        agreements.approve(id);
    }

    function test_approve_RevertIf_consentRetractedMeanwhile() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(alice);
        policies.retractConsent(gated, hospital);
        vm.expectRevert(abi.encodeWithSelector(IEligibilityErrors.ConsentRetracted.selector, gated, hospital));
        vm.prank(alice);
        agreements.approve(id);
    }
}
