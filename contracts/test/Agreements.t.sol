// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Fixture} from "./utils/Fixture.sol";
import {Agreements} from "../src/Agreements.sol";
import {Catalogue} from "../src/Catalogue.sol";
import {Credentials} from "../src/Credentials.sol";
import {Policies} from "../src/Policies.sol";
import {
    AgreementStatus,
    Category,
    Modality,
    Country,
    OrganisationType,
    Periods,
    PricingUnit,
    ProductType,
    Purpose,
    Verdict
} from "../src/MarketTypes.sol";

/// @dev State invariants exercised here (the invariant suite checks them under random sequences):
/// - token.balanceOf(agreements) == totalEscrowed == Σ amount over Pending agreements;
/// - a request either reverts with the error of its eligibility verdict or creates exactly one
///   agreement pinning the then-current policy version;
/// - free/auto-approved requests are Active at once and pay the seller price × periods directly;
///   approval-gated ones escrow until approve (paid out) / reject / cancel (refunded, amount → 0);
/// - endsAt = start + periods × unitSeconds (0 for one-time); renew extends from max(now, endsAt);
/// - an agreement is active iff status Active and (endsAt == 0 or now < endsAt);
/// - a consumer has at most one pending or active agreement per product.
contract AgreementsTest is Fixture {
    using Periods for PricingUnit;

    uint96 internal constant DAILY = 2e18;
    uint256 internal constant FUNDS = 1_000e18;

    uint256 internal stream; // alice's wearable stream, 2 DATA per day, open policy, no approval
    uint256 internal gated; // alice's stream needing approval, 2 DATA per day
    uint256 internal batch; // alice's one-time dataset, 10 DATA, open policy

    function setUp() public override {
        super.setUp();
        _registerPersonas();
        stream = _publishStream(alice, DAILY, PricingUnit.Day);
        _setOpenPolicy(stream, false);
        gated = _publishStream(alice, DAILY, PricingUnit.Day);
        _setOpenPolicy(gated, true);
        batch = _publishBatch(alice, 10e18);
        _setOpenPolicy(batch, false);
        _fund(bob, FUNDS);
        _fund(hospital, FUNDS);
        _fund(university, FUNDS);
        _fund(insurer, FUNDS);
    }

    // --- construction ---

    function test_constructor_RevertIf_zeroAddress() public {
        IERC20 t = IERC20(address(token));
        vm.expectRevert(abi.encodeWithSelector(Agreements.ZeroAddress.selector));
        new Agreements(IERC20(address(0)), catalogue, policies, credentials);
        vm.expectRevert(abi.encodeWithSelector(Agreements.ZeroAddress.selector));
        new Agreements(t, Catalogue(address(0)), policies, credentials);
        vm.expectRevert(abi.encodeWithSelector(Agreements.ZeroAddress.selector));
        new Agreements(t, catalogue, Policies(address(0)), credentials);
        vm.expectRevert(abi.encodeWithSelector(Agreements.ZeroAddress.selector));
        new Agreements(t, catalogue, policies, Credentials(address(0)));
    }

    function test_constructor_wiring() public view {
        assertEq(address(agreements.token()), address(token), "token");
        assertEq(address(agreements.catalogue()), address(catalogue), "catalogue");
        assertEq(address(agreements.policies()), address(policies), "policies");
        assertEq(address(agreements.credentials()), address(credentials), "credentials");
        assertEq(agreements.MAX_TERM(), 366 days, "MAX_TERM");
    }

    // --- requests: free, paid, one-time ---

    function test_request_free_activeAtOnce() public {
        uint256 free = _publishStream(alice, 0, PricingUnit.Week);
        _setOpenPolicy(free, false);
        vm.expectEmit(address(agreements));
        emit Agreements.AgreementCreated(
            1, free, pharma, alice, Purpose.Research, 1, AgreementStatus.Active, 0, uint40(T0), uint40(T0 + 2 weeks)
        );
        vm.prank(pharma); // pharma holds no tokens and approved nothing: free needs neither
        uint256 id = agreements.requestAccess(free, Purpose.Research, 2, 0);
        assertEq(id, 1, "id");
        assertEq(agreements.agreementCount(), 1, "count");

        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(a.consumer, pharma, "consumer");
        assertEq(a.startsAt, T0, "startsAt");
        assertEq(a.endsAt, T0 + 2 weeks, "endsAt");
        assertEq(uint8(a.status), uint8(AgreementStatus.Active), "status");
        assertEq(uint8(a.purpose), uint8(Purpose.Research), "purpose");
        assertEq(a.productId, free, "productId");
        assertEq(a.policyVersion, 1, "policyVersion");
        assertEq(a.periods, 2, "periods");
        assertEq(uint8(a.pricingUnit), uint8(PricingUnit.Week), "unit");
        assertEq(a.amount, 0, "amount");
        assertEq(agreements.latestAgreementOf(free, pharma), id, "latest");
        (uint256 latest, bool active) = agreements.accessOf(free, pharma);
        assertEq(latest, id, "accessOf id");
        assertTrue(active, "accessOf active");
        assertTrue(agreements.isActive(id), "isActive");
        assertEq(token.totalSupply(), 4 * FUNDS, "no tokens moved or minted");
    }

    function test_request_paid_sellerReceivesPriceTimesPeriods() public {
        vm.expectEmit(address(agreements));
        emit Agreements.AgreementCreated(
            1,
            stream,
            hospital,
            alice,
            Purpose.ClinicalTrials,
            1,
            AgreementStatus.Active,
            3 * DAILY,
            uint40(T0),
            uint40(T0 + 3 days)
        );
        vm.prank(hospital);
        uint256 id = agreements.requestAccess(stream, Purpose.ClinicalTrials, 3, 3 * DAILY);
        assertEq(token.balanceOf(alice), 3 * DAILY, "seller paid");
        assertEq(token.balanceOf(hospital), FUNDS - 3 * DAILY, "consumer charged");
        assertEq(token.balanceOf(address(agreements)), 0, "nothing held");
        assertEq(agreements.totalEscrowed(), 0, "no escrow");
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(a.amount, 3 * DAILY, "amount");
        assertEq(a.endsAt, T0 + 3 days, "endsAt");
    }

    function test_request_oneTime_neverExpires() public {
        uint256 id = _request(university, batch, Purpose.Research, 1);
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(a.endsAt, 0, "no end");
        assertEq(a.startsAt, T0, "starts now");
        assertEq(token.balanceOf(alice), 10e18, "seller paid");
        _warpBy(300 days); // (credentials last a year)
        vm.expectRevert(abi.encodeWithSelector(Agreements.AlreadyHasAccess.selector, id));
        _request(university, batch, Purpose.Research, 1);
        _warpBy(3650 days);
        assertTrue(agreements.isActive(id), "still active years later");
    }

    function test_request_RevertIf_oneTimeWithSeveralPeriods() public {
        vm.expectRevert(abi.encodeWithSelector(Agreements.InvalidPeriods.selector, 2));
        _request(university, batch, Purpose.Research, 2);
    }

    function test_request_RevertIf_zeroPeriods() public {
        vm.expectRevert(abi.encodeWithSelector(Agreements.InvalidPeriods.selector, 0));
        _request(hospital, stream, Purpose.Research, 0);
    }

    function test_request_RevertIf_tooManyPeriods() public {
        vm.expectRevert(abi.encodeWithSelector(Agreements.PeriodsAboveMax.selector, 10_001, 366));
        _request(hospital, stream, Purpose.Research, 10_001);
    }

    function test_request_maxPeriods() public {
        uint256 free = _publishStream(alice, 0, PricingUnit.Month);
        _setOpenPolicy(free, false);
        uint256 id = _request(hospital, free, Purpose.Research, 12);
        assertEq(agreements.getAgreement(id).endsAt, T0 + 12 * 30 days, "12 months");
    }

    /// @dev Finding 5: one purchase buys at most MAX_TERM (366 days) of access, whatever the unit.
    function test_request_RevertIf_aboveMaxTerm() public {
        PricingUnit[4] memory units = [PricingUnit.Hour, PricingUnit.Day, PricingUnit.Week, PricingUnit.Month];
        uint16[4] memory max = [uint16(8784), 366, 52, 12];
        for (uint256 i; i < 4; ++i) {
            uint256 p = _publishStream(alice, 0, units[i]);
            _setOpenPolicy(p, i % 2 == 1); // the cap holds for escrowed requests too
            assertEq(agreements.maxPeriods(units[i]), max[i], "maxPeriods");
            vm.expectRevert(abi.encodeWithSelector(Agreements.PeriodsAboveMax.selector, max[i] + 1, max[i]));
            _request(hospital, p, Purpose.Research, max[i] + 1);
            vm.expectRevert(abi.encodeWithSelector(Agreements.PeriodsAboveMax.selector, 10_000, max[i]));
            _request(hospital, p, Purpose.Research, 10_000);
            uint256 id = _request(hospital, p, Purpose.Research, max[i]);
            assertTrue(id != 0, "at the cap");
        }
        assertEq(agreements.maxPeriods(PricingUnit.OneTime), 1, "one-time");
    }

    function test_request_RevertIf_priceAboveMax() public {
        vm.expectRevert(abi.encodeWithSelector(Agreements.PriceAboveMax.selector, 3 * DAILY, 3 * DAILY - 1));
        vm.prank(hospital);
        agreements.requestAccess(stream, Purpose.Research, 3, 3 * DAILY - 1);
    }

    function test_request_RevertIf_priceRaisedBeforeInclusion() public {
        vm.prank(alice); // the seller raises the price just before hospital's request lands
        catalogue.setPrice(stream, 5e18, PricingUnit.Day);
        vm.expectRevert(abi.encodeWithSelector(Agreements.PriceAboveMax.selector, 5e18, DAILY));
        vm.prank(hospital);
        agreements.requestAccess(stream, Purpose.Research, 1, DAILY);
    }

    function test_request_RevertIf_noAllowance() public {
        _mint(pharma, FUNDS); // funded but never approved
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(agreements), 0, DAILY)
        );
        _request(pharma, stream, Purpose.Research, 1);
    }

    function test_request_RevertIf_alreadyHasAccess() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.AlreadyHasAccess.selector, id));
        _request(hospital, stream, Purpose.PublicHealth, 1); // another purpose does not help
    }

    function test_request_afterExpiry_newAgreement() public {
        uint256 first = _request(hospital, stream, Purpose.Research, 1);
        _warpBy(1 days);
        assertFalse(agreements.isActive(first), "expired");
        uint256 second = _request(hospital, stream, Purpose.Research, 2);
        assertEq(second, first + 1, "new id");
        assertEq(agreements.latestAgreementOf(stream, hospital), second, "latest");
        assertEq(agreements.getAgreement(second).endsAt, T0 + 3 days, "from now");
    }

    function test_request_RevertIf_requestPending() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.RequestPending.selector, id));
        _request(hospital, gated, Purpose.Research, 1);
    }

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
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotPending.selector, id, AgreementStatus.Active));
        vm.prank(alice);
        agreements.approve(id);
    }

    function test_reject_RevertIf_cancelled() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(hospital);
        agreements.cancel(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotPending.selector, id, AgreementStatus.Cancelled));
        vm.prank(alice);
        agreements.reject(id);
    }

    function test_cancel_RevertIf_rejected() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(alice);
        agreements.reject(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotPending.selector, id, AgreementStatus.Rejected));
        vm.prank(hospital);
        agreements.cancel(id);
    }

    function test_cancel_RevertIf_active() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotPending.selector, id, AgreementStatus.Active));
        vm.prank(hospital);
        agreements.cancel(id);
    }

    function test_approve_RevertIf_notSeller() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotSeller.selector, id, hospital));
        vm.prank(hospital); // the consumer cannot approve itself
        agreements.approve(id);
    }

    function test_reject_RevertIf_notSeller() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotSeller.selector, id, stranger));
        vm.prank(stranger);
        agreements.reject(id);
    }

    function test_cancel_RevertIf_notConsumer() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotConsumer.selector, id, alice));
        vm.prank(alice);
        agreements.cancel(id);
    }

    function test_RevertIf_agreementNotFound() public {
        bytes memory err = abi.encodeWithSelector(Agreements.AgreementNotFound.selector, 99);
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
        vm.expectRevert(err);
        vm.prank(hospital);
        agreements.renew(99, 1, type(uint256).max);
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

    // --- permit ---

    function test_requestAccessWithPermit() public {
        _mint(pharma, FUNDS); // no approve
        uint256 max = 3 * DAILY + 1e18; // willing to pay a bit more than the current price
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(PHARMA_PK, address(agreements), max, deadline);
        vm.prank(pharma);
        uint256 id = agreements.requestAccessWithPermit(stream, Purpose.ProductDevelopment, 3, max, deadline, v, r, s);
        assertTrue(agreements.isActive(id), "active");
        assertEq(token.balanceOf(alice), 3 * DAILY, "seller paid");
        assertEq(token.allowance(pharma, address(agreements)), 1e18, "unspent permit allowance");
        assertEq(token.nonces(pharma), 1, "permit consumed");
    }

    function test_requestAccessWithPermit_frontRunPermitStillWorks() public {
        _mint(pharma, FUNDS);
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(PHARMA_PK, address(agreements), DAILY, deadline);
        // a front-runner copies the permit from the mempool and submits it first
        vm.prank(stranger);
        token.permit(pharma, address(agreements), DAILY, deadline, v, r, s);
        assertEq(token.nonces(pharma), 1, "nonce used by front-runner");
        // pharma's transaction: the permit now fails, is ignored, and the allowance pays
        vm.prank(pharma);
        uint256 id = agreements.requestAccessWithPermit(stream, Purpose.ProductDevelopment, 1, DAILY, deadline, v, r, s);
        assertTrue(agreements.isActive(id), "active");
        assertEq(token.balanceOf(alice), DAILY, "seller paid");
        assertEq(token.allowance(pharma, address(agreements)), 0, "allowance spent");
    }

    function test_requestAccessWithPermit_escrowed() public {
        _mint(pharma, FUNDS);
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(PHARMA_PK, address(agreements), 2 * DAILY, deadline);
        vm.prank(pharma);
        uint256 id = agreements.requestAccessWithPermit(gated, Purpose.Research, 2, 2 * DAILY, deadline, v, r, s);
        assertEq(uint8(agreements.getAgreement(id).status), uint8(AgreementStatus.Pending), "pending");
        assertEq(agreements.totalEscrowed(), 2 * DAILY, "escrowed");
    }

    function test_requestAccessWithPermit_RevertIf_badPermitAndNoAllowance() public {
        _mint(pharma, FUNDS);
        uint256 deadline = _now() + 1 hours;
        // signed by the wrong key: the permit is ignored and there is no allowance to fall back on
        (uint8 v, bytes32 r, bytes32 s) = _permit(INSURER_PK, address(agreements), DAILY, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(agreements), 0, DAILY)
        );
        vm.prank(pharma);
        agreements.requestAccessWithPermit(stream, Purpose.Research, 1, DAILY, deadline, v, r, s);
    }

    function test_requestAccessWithPermit_RevertIf_expiredPermitAndNoAllowance() public {
        _mint(pharma, FUNDS);
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(PHARMA_PK, address(agreements), DAILY, deadline);
        vm.warp(deadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(agreements), 0, DAILY)
        );
        vm.prank(pharma);
        agreements.requestAccessWithPermit(stream, Purpose.Research, 1, DAILY, deadline, v, r, s);
    }

    function test_requestAccessWithPermit_stillChecksEligibility() public {
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(PHARMA_PK, address(agreements), DAILY, deadline);
        vm.expectRevert(abi.encodeWithSelector(Agreements.OwnProduct.selector, stream));
        vm.prank(alice);
        agreements.requestAccessWithPermit(stream, Purpose.Research, 1, DAILY, deadline, v, r, s);
    }

    // --- renewal ---

    function test_renew_beforeExpiry_extendsFromEndsAt() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 3); // ends T0 + 3 days
        _warpBy(1 days);
        vm.expectEmit(address(agreements));
        emit Agreements.AgreementRenewed(id, 2, uint40(T0 + 5 days), 2 * DAILY, 1);
        vm.prank(hospital);
        agreements.renew(id, 2, 2 * DAILY);
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
        vm.prank(hospital);
        agreements.renew(id, 1, DAILY);
        assertEq(agreements.getAgreement(id).endsAt, T0 + 11 days, "from now");
        assertTrue(agreements.isActive(id), "active again");
    }

    function test_renew_usesCurrentPriceAndUnit() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1); // ends T0 + 1 day
        vm.prank(alice);
        catalogue.setPrice(stream, 1e17, PricingUnit.Hour);
        vm.prank(hospital);
        agreements.renew(id, 5, 5e17);
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(a.endsAt, T0 + 1 days + 5 hours, "5 hours more");
        assertEq(uint8(a.pricingUnit), uint8(PricingUnit.Hour), "unit of last purchase");
        assertEq(token.balanceOf(alice), DAILY + 5e17, "paid new price");
    }

    function test_renew_pinsCurrentPolicyVersion() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        _setOpenPolicy(stream, false); // v2, hospital still eligible
        vm.prank(hospital);
        agreements.renew(id, 1, DAILY);
        assertEq(agreements.getAgreement(id).policyVersion, 2, "re-pinned");
    }

    function test_renew_afterApprovalNoLongerRequired() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(alice);
        agreements.approve(id);
        _setOpenPolicy(gated, false); // v2: alice no longer approves each request
        vm.prank(hospital);
        agreements.renew(id, 1, DAILY);
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
        vm.expectRevert(abi.encodeWithSelector(Agreements.RenewalNeedsApproval.selector, id));
        vm.prank(hospital);
        agreements.renew(id, 1, DAILY);
        assertEq(agreements.getAgreement(id).endsAt, T0 + 1 days, "not extended");
        assertEq(token.balanceOf(alice), DAILY, "nothing more paid");
    }

    /// @dev Finding 5: a once auto-approved agreement must not renew after the policy started
    /// requiring approval; the consumer asks again (escrow) once it has ended, and may cancel.
    function test_renew_RevertIf_policyNowRequiresApproval() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 2);
        _setOpenPolicy(stream, true); // v2 requires approval
        vm.expectRevert(abi.encodeWithSelector(Agreements.RenewalNeedsApproval.selector, id));
        vm.prank(hospital);
        agreements.renew(id, 100, type(uint256).max);
        assertEq(agreements.getAgreement(id).endsAt, T0 + 2 days, "not extended");
        vm.expectRevert(abi.encodeWithSelector(Agreements.AlreadyHasAccess.selector, id));
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
        vm.expectRevert(abi.encodeWithSelector(Agreements.PurposeNotAllowed.selector, stream, Purpose.Insurance));
        vm.prank(insurer);
        agreements.renew(id, 1, DAILY);
    }

    function test_renew_RevertIf_consentRetracted() public {
        uint256 id = _request(insurer, stream, Purpose.Insurance, 1);
        vm.prank(alice);
        policies.retractConsent(stream, insurer);
        vm.expectRevert(abi.encodeWithSelector(Agreements.ConsentRetracted.selector, stream, insurer));
        vm.prank(insurer);
        agreements.renew(id, 1, DAILY);
    }

    function test_renew_RevertIf_oneTime() public {
        uint256 id = _request(university, batch, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotRenewable.selector, id));
        vm.prank(university);
        agreements.renew(id, 1, type(uint256).max);
    }

    function test_renew_RevertIf_pending() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(hospital);
        agreements.renew(id, 1, DAILY);
    }

    function test_renew_RevertIf_rejected() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(alice);
        agreements.reject(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(hospital);
        agreements.renew(id, 1, DAILY);
    }

    function test_renew_RevertIf_notConsumer() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotConsumer.selector, id, university));
        vm.prank(university);
        agreements.renew(id, 1, DAILY);
    }

    function test_renew_RevertIf_invalidPeriods() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.InvalidPeriods.selector, 0));
        vm.prank(hospital);
        agreements.renew(id, 0, DAILY);
        vm.expectRevert(abi.encodeWithSelector(Agreements.PeriodsAboveMax.selector, 10_001, 366));
        vm.prank(hospital);
        agreements.renew(id, 10_001, type(uint256).max);
    }

    /// @dev Finding 5: a renewal buys at most MAX_TERM, like a request; 366 days is fine.
    function test_renew_RevertIf_aboveMaxTerm() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.PeriodsAboveMax.selector, 367, 366));
        vm.prank(hospital);
        agreements.renew(id, 367, type(uint256).max);
        vm.prank(hospital);
        agreements.renew(id, 366, type(uint256).max);
        assertEq(agreements.getAgreement(id).endsAt, T0 + 367 days, "366 days more");
    }

    function test_renew_RevertIf_superseded() public {
        uint256 first = _request(hospital, stream, Purpose.Research, 1);
        vm.warp(_now() + 2 days); // the first subscription has expired…
        uint256 second = _request(hospital, stream, Purpose.Research, 1); // …and a new one replaced it
        vm.expectRevert(abi.encodeWithSelector(Agreements.AgreementSuperseded.selector, first, second));
        vm.prank(hospital);
        agreements.renew(first, 1, DAILY);
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
        vm.expectRevert(abi.encodeWithSelector(Agreements.InvalidPeriods.selector, 1));
        vm.prank(hospital);
        agreements.renew(id, 1, DAILY);
    }

    function test_renew_RevertIf_priceAboveMax() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.PriceAboveMax.selector, 4 * DAILY, 3 * DAILY));
        vm.prank(hospital);
        agreements.renew(id, 4, 3 * DAILY);
    }

    function test_renew_RevertIf_productDeactivated() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.prank(alice);
        catalogue.deactivate(stream);
        assertTrue(agreements.isActive(id), "existing agreement unaffected");
        vm.expectRevert(abi.encodeWithSelector(Agreements.ProductInactive.selector, stream));
        vm.prank(hospital);
        agreements.renew(id, 1, DAILY);
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

    function test_retraction_endsExistingAgreement() public {
        uint256 id = _request(insurer, stream, Purpose.Insurance, 2);
        vm.prank(alice);
        policies.retractConsent(stream, insurer);
        assertFalse(agreements.isActive(id), "access ends with consent");
        (uint256 latest, bool active) = agreements.accessOf(stream, insurer);
        assertEq(latest, id, "record kept");
        assertFalse(active, "accessOf");
        assertEq(uint8(agreements.getAgreement(id).status), uint8(AgreementStatus.Active), "status unchanged");
        assertEq(uint8(agreements.eligibility(stream, insurer, Purpose.Insurance)), uint8(Verdict.ConsentRetracted), "view");
        vm.expectRevert(abi.encodeWithSelector(Agreements.ConsentRetracted.selector, stream, insurer));
        _request(insurer, stream, Purpose.Insurance, 1);
        // restoring consent restores the running agreement (it was paid for)
        vm.prank(alice);
        policies.restoreConsent(stream, insurer);
        assertTrue(agreements.isActive(id), "active again");
    }

    function test_recordDelivery_RevertIf_consentRetracted() public {
        uint256 id = _request(insurer, batch, Purpose.Insurance, 1);
        vm.prank(alice);
        policies.retractConsent(batch, insurer);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("share"));
    }

    // --- delivery receipts ---

    function test_recordDelivery() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        bytes32 envelope = keccak256("sealed key share for hospital");
        vm.expectEmit(address(agreements));
        emit Agreements.DeliveryRecorded(id, relay1, envelope);
        vm.prank(relay1);
        agreements.recordDelivery(id, envelope);
        assertEq(agreements.deliveryOf(id, relay1), envelope, "recorded");
        assertEq(agreements.deliveryOf(id, relay2), bytes32(0), "other relay not yet");
        // a later delivery replaces the recorded hash
        bytes32 envelope2 = keccak256("re-sealed after key rotation");
        vm.prank(relay1);
        agreements.recordDelivery(id, envelope2);
        assertEq(agreements.deliveryOf(id, relay1), envelope2, "replaced");
    }

    function test_recordDelivery_oneTimeLongAfter() public {
        uint256 id = _request(university, batch, Purpose.Research, 1);
        _warpBy(1000 days);
        vm.prank(relay2);
        agreements.recordDelivery(id, keccak256("e"));
        assertEq(agreements.deliveryOf(id, relay2), keccak256("e"), "recorded");
    }

    function test_recordDelivery_RevertIf_notAgent() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotDeliveryAgent.selector, id, alice));
        vm.prank(alice); // not even the seller
        agreements.recordDelivery(id, keccak256("e"));
    }

    function test_recordDelivery_RevertIf_agentRemoved() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        address[] memory agents = new address[](1);
        agents[0] = relay2;
        vm.prank(alice);
        catalogue.setDeliveryAgents(stream, agents, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotDeliveryAgent.selector, id, relay1));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("e"));
    }

    function test_recordDelivery_RevertIf_pending() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("e"));
    }

    function test_recordDelivery_RevertIf_expired() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        _warpBy(1 days);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("e"));
    }

    function test_recordDelivery_RevertIf_cancelled() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(hospital);
        agreements.cancel(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("e"));
    }

    function test_recordDelivery_RevertIf_zeroHash() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.InvalidEnvelopeHash.selector));
        vm.prank(relay1);
        agreements.recordDelivery(id, bytes32(0));
    }

    // --- eligibility: the view's verdict equals the request's revert, for every Verdict ---

    function test_verdict_Eligible() public {
        _expectVerdict(stream, hospital, Purpose.Research, Verdict.Eligible, "");
    }

    function test_verdict_ProductNotFound() public {
        _expectVerdict(999, hospital, Purpose.Research, Verdict.ProductNotFound, abi.encodeWithSelector(Agreements.ProductNotFound.selector, 999));
    }

    function test_verdict_ProductInactive() public {
        vm.prank(alice);
        catalogue.deactivate(stream);
        _expectVerdict(stream, hospital, Purpose.Research, Verdict.ProductInactive, abi.encodeWithSelector(Agreements.ProductInactive.selector, stream));
    }

    function test_verdict_OwnProduct() public {
        _expectVerdict(stream, alice, Purpose.Research, Verdict.OwnProduct, abi.encodeWithSelector(Agreements.OwnProduct.selector, stream));
    }

    function test_verdict_NoPolicy() public {
        uint256 p = _publishStream(alice, DAILY, PricingUnit.Day);
        _expectVerdict(p, hospital, Purpose.Research, Verdict.NoPolicy, abi.encodeWithSelector(Agreements.NoPolicy.selector, p));
    }

    function test_verdict_NotRegistered() public {
        _fund(stranger, FUNDS);
        _expectVerdict(stream, stranger, Purpose.Research, Verdict.NotRegistered, abi.encodeWithSelector(Agreements.NotRegistered.selector, stranger));
    }

    function test_verdict_CredentialExpired() public {
        _warpBy(CREDENTIAL_LIFETIME);
        _expectVerdict(stream, hospital, Purpose.Research, Verdict.CredentialExpired, abi.encodeWithSelector(Agreements.CredentialExpired.selector, hospital));
    }

    function test_verdict_CredentialRevoked() public {
        vm.prank(issuer);
        credentials.revoke(hospital);
        _expectVerdict(stream, hospital, Purpose.Research, Verdict.CredentialRevoked, abi.encodeWithSelector(Agreements.CredentialRevoked.selector, hospital));
    }

    function test_verdict_IssuerNotTrusted() public {
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        _expectVerdict(stream, hospital, Purpose.Research, Verdict.IssuerNotTrusted, abi.encodeWithSelector(Agreements.IssuerNotTrusted.selector, hospital));
    }

    function test_verdict_CategoryNotAllowed() public {
        uint256 p = _orgsOnlyProduct();
        _expectVerdict(p, bob, Purpose.Research, Verdict.CategoryNotAllowed, abi.encodeWithSelector(Agreements.CategoryNotAllowed.selector, p, Category.Individual));
    }

    function test_verdict_OrganisationTypeNotAllowed() public {
        uint256 p = _orgsOnlyProduct(); // hospitals and universities
        _expectVerdict(p, insurer, Purpose.Research, Verdict.OrganisationTypeNotAllowed, abi.encodeWithSelector(Agreements.OrganisationTypeNotAllowed.selector, p, OrganisationType.Insurer));
        _expectVerdict(p, university, Purpose.Research, Verdict.Eligible, "");
    }

    function test_verdict_JurisdictionNotAllowed() public {
        uint256 p = _orgsOnlyProduct(); // NL and DE only
        _expectVerdict(p, university, Purpose.Research, Verdict.Eligible, "");
        vm.prank(alice); // alice also drops FR
        policies.setPolicy(p, uint16(_bit(uint8(Purpose.Research))), 2, uint16(_bit(1) | _bit(2)), uint64(_bit(uint8(Country.NL))), false, 0);
        _expectVerdict(p, university, Purpose.PublicHealth, Verdict.JurisdictionNotAllowed, abi.encodeWithSelector(Agreements.JurisdictionNotAllowed.selector, p, Country.FR));
    }

    function test_verdict_PurposeNotAllowed() public {
        uint256 p = _orgsOnlyProduct(); // research only
        _expectVerdict(p, hospital, Purpose.Marketing, Verdict.PurposeNotAllowed, abi.encodeWithSelector(Agreements.PurposeNotAllowed.selector, p, Purpose.Marketing));
    }

    function test_verdict_ConsentRetracted() public {
        vm.prank(alice);
        policies.retractConsent(stream, hospital);
        _expectVerdict(stream, hospital, Purpose.Research, Verdict.ConsentRetracted, abi.encodeWithSelector(Agreements.ConsentRetracted.selector, stream, hospital));
    }

    function test_verdict_individualsIgnoreOrganisationTypes() public {
        // a policy for individuals has no organisation types; individuals pass that check
        uint256 p = _publishStream(alice, DAILY, PricingUnit.Day);
        _setPolicy(p, policies.ALL_PURPOSES(), 1, 0, policies.ALL_JURISDICTIONS(), false);
        _expectVerdict(p, bob, Purpose.Research, Verdict.Eligible, "");
        _expectVerdict(p, hospital, Purpose.Research, Verdict.CategoryNotAllowed, abi.encodeWithSelector(Agreements.CategoryNotAllowed.selector, p, Category.Organisation));
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
            err = abi.encodeWithSelector(Agreements.CategoryNotAllowed.selector, p, category);
        } else if (organisation && orgTypes & (1 << uint8(org)) == 0) {
            expected = Verdict.OrganisationTypeNotAllowed;
            err = abi.encodeWithSelector(Agreements.OrganisationTypeNotAllowed.selector, p, org);
        } else if (jurisdictions & (uint64(1) << uint8(country)) == 0) {
            expected = Verdict.JurisdictionNotAllowed;
            err = abi.encodeWithSelector(Agreements.JurisdictionNotAllowed.selector, p, country);
        } else if (purposes & (1 << uint8(purpose)) == 0) {
            expected = Verdict.PurposeNotAllowed;
            err = abi.encodeWithSelector(Agreements.PurposeNotAllowed.selector, p, purpose);
        } else if (retracted) {
            expected = Verdict.ConsentRetracted;
            err = abi.encodeWithSelector(Agreements.ConsentRetracted.selector, p, consumer);
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

    // --- fuzz: payments and periods ---

    /// @dev Time-based purchase, direct or through escrow: the seller ends up with exactly
    /// price × periods, the consumer with nothing left, and access lasts exactly periods units
    /// from activation.
    function testFuzz_payment_timeBased(uint96 price, uint16 periods, uint8 unitSeed, bool approval, uint32 delay)
        public
    {
        PricingUnit unit = PricingUnit(bound(unitSeed, 1, 4));
        periods = uint16(bound(periods, 1, agreements.maxPeriods(unit)));
        uint256 total = uint256(price) * periods;
        uint256 p = _publishStream(alice, price, unit);
        _setOpenPolicy(p, approval);
        _fund(pharma, total);

        vm.prank(pharma);
        uint256 id = agreements.requestAccess(p, Purpose.Research, periods, total);
        uint256 start = T0;
        if (approval) {
            assertEq(token.balanceOf(address(agreements)), total, "escrowed");
            assertEq(agreements.totalEscrowed(), total, "totalEscrowed");
            assertEq(token.balanceOf(alice), 0, "seller waits");
            start = T0 + delay;
            vm.warp(start);
            vm.prank(alice);
            agreements.approve(id);
        }
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(token.balanceOf(alice), total, "seller received price x periods");
        assertEq(token.balanceOf(pharma), 0, "consumer paid all");
        assertEq(token.balanceOf(address(agreements)), 0, "no escrow left");
        assertEq(agreements.totalEscrowed(), 0, "totalEscrowed 0");
        assertEq(a.amount, total, "amount");
        assertEq(a.startsAt, start, "startsAt");
        assertEq(a.endsAt, start + uint256(periods) * unit.unitSeconds(), "endsAt");
        vm.warp(a.endsAt - 1);
        assertTrue(agreements.isActive(id), "active before endsAt");
        vm.warp(a.endsAt);
        assertFalse(agreements.isActive(id), "expired at endsAt");
    }

    /// @dev One-time purchase: exactly the price, exactly one period, never expires.
    function testFuzz_payment_oneTime(uint96 price, uint16 periods) public {
        uint256 p = _publishBatch(alice, price);
        _setOpenPolicy(p, false);
        _fund(pharma, price);
        if (periods != 1) {
            vm.expectRevert(abi.encodeWithSelector(Agreements.InvalidPeriods.selector, periods));
        }
        vm.prank(pharma);
        uint256 id = agreements.requestAccess(p, Purpose.Research, periods, price);
        if (periods == 1) {
            assertEq(token.balanceOf(alice), price, "seller paid");
            assertEq(agreements.getAgreement(id).endsAt, 0, "never expires");
        }
    }

    /// @dev The max-price guard trips iff price × periods exceeds it, and nothing is paid then.
    function testFuzz_priceAboveMax(uint96 price, uint16 periods, uint256 maxTotal) public {
        periods = uint16(bound(periods, 1, agreements.maxPeriods(PricingUnit.Hour)));
        uint256 total = uint256(price) * periods;
        uint256 p = _publishStream(alice, price, PricingUnit.Hour);
        _setOpenPolicy(p, false);
        _fund(pharma, total);
        if (total > maxTotal) vm.expectRevert(abi.encodeWithSelector(Agreements.PriceAboveMax.selector, total, maxTotal));
        vm.prank(pharma);
        agreements.requestAccess(p, Purpose.Research, periods, maxTotal);
        assertEq(token.balanceOf(alice), total > maxTotal ? 0 : total, "seller balance");
    }

    /// @dev Renewal extends from max(now, endsAt) by periods × (current) unit and pays the seller.
    function testFuzz_renew(uint96 price, uint16 first, uint16 second, uint8 unitSeed, uint32 elapsed) public {
        PricingUnit unit = PricingUnit(bound(unitSeed, 1, 4));
        first = uint16(bound(first, 1, agreements.maxPeriods(unit)));
        second = uint16(bound(second, 1, agreements.maxPeriods(unit)));
        elapsed = uint32(bound(elapsed, 0, 300 days)); // within the credential lifetime
        uint256 p = _publishStream(alice, price, unit);
        _setOpenPolicy(p, false);
        uint256 total1 = uint256(price) * first;
        uint256 total2 = uint256(price) * second;
        _fund(pharma, total1 + total2);
        vm.prank(pharma);
        uint256 id = agreements.requestAccess(p, Purpose.Research, first, total1);
        uint256 endsAt = agreements.getAgreement(id).endsAt;
        assertEq(endsAt, T0 + uint256(first) * unit.unitSeconds(), "first endsAt");

        uint256 nowTs = T0 + elapsed;
        vm.warp(nowTs);
        vm.prank(pharma);
        agreements.renew(id, second, total2);
        uint256 from = endsAt > nowTs ? endsAt : nowTs;
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(a.endsAt, from + uint256(second) * unit.unitSeconds(), "renewed endsAt");
        assertEq(a.amount, total1 + total2, "amount accumulates");
        assertEq(token.balanceOf(alice), total1 + total2, "seller paid both");
        assertEq(token.balanceOf(pharma), 0, "consumer spent exactly");
        assertTrue(agreements.isActive(id), "active after renewal");
    }

    /// @dev Finding 5: a request or renewal succeeds iff periods × unit ≤ MAX_TERM, and a refused
    /// one grants and charges nothing.
    function testFuzz_periodCap(uint16 periods, uint16 renewal, uint8 unitSeed, bool approval) public {
        PricingUnit unit = PricingUnit(bound(unitSeed, 1, 4));
        periods = uint16(bound(periods, 1, type(uint16).max));
        renewal = uint16(bound(renewal, 1, type(uint16).max));
        uint256 unitSeconds = unit.unitSeconds();
        uint256 p = _publishStream(alice, 1, unit); // 1 wei per period
        _setOpenPolicy(p, approval);
        _fund(pharma, 2 * uint256(type(uint16).max));
        uint256 balance = token.balanceOf(pharma);
        bool fits = uint256(periods) * unitSeconds <= agreements.MAX_TERM();
        if (!fits) {
            vm.expectRevert(
                abi.encodeWithSelector(Agreements.PeriodsAboveMax.selector, periods, agreements.MAX_TERM() / unitSeconds)
            );
        }
        vm.prank(pharma);
        uint256 id = agreements.requestAccess(p, Purpose.Research, periods, type(uint256).max);
        if (!fits) {
            assertEq(token.balanceOf(pharma), balance, "nothing charged");
            assertEq(agreements.agreementCount(), 0, "no agreement");
            return;
        }
        if (approval) {
            vm.prank(alice);
            agreements.approve(id);
            _setOpenPolicy(p, false); // renewals need a policy without approval
        }
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertTrue(a.endsAt - a.startsAt <= agreements.MAX_TERM(), "request within the cap");
        fits = uint256(renewal) * unitSeconds <= agreements.MAX_TERM();
        if (!fits) {
            vm.expectRevert(
                abi.encodeWithSelector(Agreements.PeriodsAboveMax.selector, renewal, agreements.MAX_TERM() / unitSeconds)
            );
        }
        vm.prank(pharma);
        agreements.renew(id, renewal, type(uint256).max);
        uint256 endsAt = agreements.getAgreement(id).endsAt;
        assertEq(endsAt, fits ? a.endsAt + uint256(renewal) * unitSeconds : a.endsAt, "extended by what was paid");
        assertTrue(endsAt - a.endsAt <= agreements.MAX_TERM(), "renewal within the cap");
    }

    // --- helpers ---

    /// @dev Asserts eligibility() == expected and that requestAccess reverts with `err`
    /// (or succeeds when expected is Eligible).
    function _expectVerdict(uint256 productId, address consumer, Purpose purpose, Verdict expected, bytes memory err)
        internal
    {
        assertEq(uint8(agreements.eligibility(productId, consumer, purpose)), uint8(expected), "verdict");
        if (expected != Verdict.Eligible) vm.expectRevert(err);
        vm.prank(consumer);
        uint256 id = agreements.requestAccess(productId, purpose, 1, type(uint256).max);
        if (expected == Verdict.Eligible) assertTrue(id != 0, "created");
    }

    /// @dev Research only, hospitals and research universities in NL, DE or FR.
    function _orgsOnlyProduct() internal returns (uint256 p) {
        p = _publishStream(alice, DAILY, PricingUnit.Day);
        uint16 orgs = uint16(_bit(uint8(OrganisationType.Hospital)) | _bit(uint8(OrganisationType.ResearchUniversity)));
        uint64 where = uint64(_bit(uint8(Country.NL)) | _bit(uint8(Country.DE)) | _bit(uint8(Country.FR)));
        _setPolicy(p, uint16(_bit(uint8(Purpose.Research))), 2, orgs, where, false);
    }

    // --- stream permissions (StreamRegistry) ---

    function _streamProduct(bool requiresApproval) internal returns (uint256 productId, string memory streamId) {
        streamId = "alice/wearables/heart-rate";
        if (!streamRegistry.exists(streamId)) {
            vm.prank(alice);
            streamRegistry.createStream(streamId);
        }
        string[] memory ids = new string[](1);
        ids[0] = streamId;
        vm.prank(alice);
        productId = catalogue.publish(
            ProductType.Stream, Modality.Encrypted, DAILY, PricingUnit.Day, new address[](0), 0, _description("HR"), ids
        );
        _setOpenPolicy(productId, requiresApproval);
    }

    function test_streams_requestGrantsSubscribeUntilEndsAt() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 id = _request(hospital, product, Purpose.Research, 3);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), T0 + 3 days, "expires with the agreement");
        assertEq(agreements.getAgreement(id).endsAt, T0 + 3 days, "endsAt");
        assertTrue(streamRegistry.hasDirectPermission(streamId, hospital, 3), "may subscribe");
        _warpBy(3 days + 1);
        assertFalse(streamRegistry.hasDirectPermission(streamId, hospital, 3), "expired on the registry's clock");
    }

    function test_streams_renewExtendsSubscribe() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 id = _request(hospital, product, Purpose.Research, 1);
        vm.prank(hospital);
        agreements.renew(id, 2, 2 * DAILY);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), T0 + 3 days, "extended");
    }

    function test_streams_pendingGrantsNothingUntilApproved() public {
        (uint256 product, string memory streamId) = _streamProduct(true);
        uint256 id = _request(hospital, product, Purpose.Research, 1);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), 0, "nothing while pending");
        _warpBy(1 hours);
        vm.prank(alice);
        agreements.approve(id);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), T0 + 1 hours + 1 days, "from approval");
    }

    function test_streams_nonStreamProductsCallNoRegistry() public {
        streamRegistry.setTrusted(address(agreements), false); // any registry call would revert
        _request(hospital, batch, Purpose.Research, 1);
    }

    function test_revokeStreamAccess_afterRetraction() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 id = _request(insurer, product, Purpose.Insurance, 5);
        vm.expectRevert(abi.encodeWithSelector(Agreements.StillActive.selector, id));
        agreements.revokeStreamAccess(id);
        vm.prank(alice);
        policies.retractConsent(product, insurer);
        vm.expectEmit(address(agreements));
        emit Agreements.StreamAccessRevoked(id, insurer);
        vm.prank(stranger); // anyone may clean up once access has ended
        agreements.revokeStreamAccess(id);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, insurer), 0, "revoked");
        assertFalse(streamRegistry.hasDirectPermission(streamId, insurer, 3), "no subscribe");
    }

    function test_revokeStreamAccess_RevertIf_superseded() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 first = _request(hospital, product, Purpose.Research, 1);
        _warpBy(2 days);
        uint256 second = _request(hospital, product, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.AgreementSuperseded.selector, first, second));
        agreements.revokeStreamAccess(first);
        assertTrue(streamRegistry.subscribeExpirationOf(streamId, hospital) > _now(), "newer grant kept");
    }

    function test_revokeStreamAccess_RevertIf_unknown() public {
        vm.expectRevert(abi.encodeWithSelector(Agreements.AgreementNotFound.selector, 999));
        agreements.revokeStreamAccess(999);
    }
}
