// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Fixture} from "./utils/Fixture.sol";
import {Agreements} from "../src/Agreements.sol";
import {Catalogue} from "../src/Catalogue.sol";
import {Credentials} from "../src/Credentials.sol";
import {Policies} from "../src/Policies.sol";
import {IStreamRegistry} from "../src/interfaces/IStreamRegistry.sol";
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
        (uint32 v1, PricingUnit u1) = _pins(free);
        vm.expectEmit(address(agreements));
        emit Agreements.AgreementCreated(
            1, free, pharma, alice, Purpose.Research, 1, AgreementStatus.Active, 0, uint40(T0), uint40(T0 + 2 weeks)
        );
        vm.prank(pharma); // pharma holds no tokens and approved nothing: free needs neither
        uint256 id = agreements.requestAccess(free, Purpose.Research, v1, u1, 2, 0);
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
        (uint32 v2, PricingUnit u2) = _pins(stream);
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
        uint256 id = agreements.requestAccess(stream, Purpose.ClinicalTrials, v2, u2, 3, 3 * DAILY);
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
        assertFalse(agreements.isActive(id), "not while the credential has expired");
        _register(university, Category.Organisation, OrganisationType.ResearchUniversity, Country.FR);
        assertTrue(agreements.isActive(id), "active again years later with a renewed credential");
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
        (uint32 v3, PricingUnit u3) = _pins(stream);
        vm.expectRevert(abi.encodeWithSelector(Agreements.PriceAboveMax.selector, 3 * DAILY, 3 * DAILY - 1));
        vm.prank(hospital);
        agreements.requestAccess(stream, Purpose.Research, v3, u3, 3, 3 * DAILY - 1);
    }

    function test_request_RevertIf_priceRaisedBeforeInclusion() public {
        vm.prank(alice); // the seller raises the price just before hospital's request lands
        catalogue.setPrice(stream, 5e18, PricingUnit.Day);
        (uint32 v4, PricingUnit u4) = _pins(stream);
        vm.expectRevert(abi.encodeWithSelector(Agreements.PriceAboveMax.selector, 5e18, DAILY));
        vm.prank(hospital);
        agreements.requestAccess(stream, Purpose.Research, v4, u4, 1, DAILY);
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

    // --- permit ---

    function test_requestAccessWithPermit() public {
        _mint(pharma, FUNDS); // no approve
        uint256 max = 3 * DAILY + 1e18; // willing to pay a bit more than the current price
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(PHARMA_PK, address(agreements), max, deadline);
        (uint32 v6, PricingUnit u6) = _pins(stream);
        vm.prank(pharma);
        uint256 id = agreements.requestAccessWithPermit(stream, Purpose.ProductDevelopment, v6, u6, 3, max, deadline, v, r, s);
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
        (uint32 v7, PricingUnit u7) = _pins(stream);
        vm.prank(pharma);
        uint256 id = agreements.requestAccessWithPermit(stream, Purpose.ProductDevelopment, v7, u7, 1, DAILY, deadline, v, r, s);
        assertTrue(agreements.isActive(id), "active");
        assertEq(token.balanceOf(alice), DAILY, "seller paid");
        assertEq(token.allowance(pharma, address(agreements)), 0, "allowance spent");
    }

    function test_requestAccessWithPermit_escrowed() public {
        _mint(pharma, FUNDS);
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(PHARMA_PK, address(agreements), 2 * DAILY, deadline);
        (uint32 v8, PricingUnit u8) = _pins(gated);
        vm.prank(pharma);
        uint256 id = agreements.requestAccessWithPermit(gated, Purpose.Research, v8, u8, 2, 2 * DAILY, deadline, v, r, s);
        assertEq(uint8(agreements.getAgreement(id).status), uint8(AgreementStatus.Pending), "pending");
        assertEq(agreements.totalEscrowed(), 2 * DAILY, "escrowed");
    }

    function test_requestAccessWithPermit_RevertIf_badPermitAndNoAllowance() public {
        _mint(pharma, FUNDS);
        uint256 deadline = _now() + 1 hours;
        // signed by the wrong key: the permit is ignored and there is no allowance to fall back on
        (uint8 v, bytes32 r, bytes32 s) = _permit(INSURER_PK, address(agreements), DAILY, deadline);
        (uint32 v9, PricingUnit u9) = _pins(stream);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(agreements), 0, DAILY)
        );
        vm.prank(pharma);
        agreements.requestAccessWithPermit(stream, Purpose.Research, v9, u9, 1, DAILY, deadline, v, r, s);
    }

    function test_requestAccessWithPermit_RevertIf_expiredPermitAndNoAllowance() public {
        _mint(pharma, FUNDS);
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(PHARMA_PK, address(agreements), DAILY, deadline);
        vm.warp(deadline + 1);
        (uint32 v10, PricingUnit u10) = _pins(stream);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(agreements), 0, DAILY)
        );
        vm.prank(pharma);
        agreements.requestAccessWithPermit(stream, Purpose.Research, v10, u10, 1, DAILY, deadline, v, r, s);
    }

    function test_requestAccessWithPermit_stillChecksEligibility() public {
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(PHARMA_PK, address(agreements), DAILY, deadline);
        (uint32 v11, PricingUnit u11) = _pins(stream);
        vm.expectRevert(abi.encodeWithSelector(Agreements.OwnProduct.selector, stream));
        vm.prank(alice);
        agreements.requestAccessWithPermit(stream, Purpose.Research, v11, u11, 1, DAILY, deadline, v, r, s);
    }

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
        vm.expectRevert(abi.encodeWithSelector(Agreements.RenewalNeedsApproval.selector, id));
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
        vm.expectRevert(abi.encodeWithSelector(Agreements.RenewalNeedsApproval.selector, id));
        vm.prank(hospital);
        agreements.renew(id, v18, u18, 100, type(uint256).max);
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
        (uint32 v19, PricingUnit u19) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.PurposeNotAllowed.selector, stream, Purpose.Insurance));
        vm.prank(insurer);
        agreements.renew(id, v19, u19, 1, DAILY);
    }

    function test_renew_RevertIf_consentRetracted() public {
        uint256 id = _request(insurer, stream, Purpose.Insurance, 1);
        vm.prank(alice);
        policies.retractConsent(stream, insurer);
        (uint32 v20, PricingUnit u20) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.ConsentRetracted.selector, stream, insurer));
        vm.prank(insurer);
        agreements.renew(id, v20, u20, 1, DAILY);
    }

    function test_renew_RevertIf_oneTime() public {
        uint256 id = _request(university, batch, Purpose.Research, 1);
        (uint32 v21, PricingUnit u21) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotRenewable.selector, id));
        vm.prank(university);
        agreements.renew(id, v21, u21, 1, type(uint256).max);
    }

    function test_renew_RevertIf_pending() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        (uint32 v22, PricingUnit u22) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(hospital);
        agreements.renew(id, v22, u22, 1, DAILY);
    }

    function test_renew_RevertIf_rejected() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(alice);
        agreements.reject(id);
        (uint32 v23, PricingUnit u23) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(hospital);
        agreements.renew(id, v23, u23, 1, DAILY);
    }

    function test_renew_RevertIf_notConsumer() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        (uint32 v24, PricingUnit u24) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotConsumer.selector, id, university));
        vm.prank(university);
        agreements.renew(id, v24, u24, 1, DAILY);
    }

    function test_renew_RevertIf_invalidPeriods() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        (uint32 v25, PricingUnit u25) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.InvalidPeriods.selector, 0));
        vm.prank(hospital);
        agreements.renew(id, v25, u25, 0, DAILY);
        (uint32 v26, PricingUnit u26) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.PeriodsAboveMax.selector, 10_001, 366));
        vm.prank(hospital);
        agreements.renew(id, v26, u26, 10_001, type(uint256).max);
    }

    /// @dev Finding 5: a renewal buys at most MAX_TERM, like a request; 366 days is fine.
    function test_renew_RevertIf_aboveMaxTerm() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        (uint32 v27, PricingUnit u27) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.PeriodsAboveMax.selector, 367, 366));
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
        vm.expectRevert(abi.encodeWithSelector(Agreements.AgreementSuperseded.selector, first, second));
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
        vm.expectRevert(abi.encodeWithSelector(Agreements.InvalidPeriods.selector, 1));
        vm.prank(hospital);
        agreements.renew(id, v30, u30, 1, DAILY);
    }

    function test_renew_RevertIf_priceAboveMax() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        (uint32 v31, PricingUnit u31) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.PriceAboveMax.selector, 4 * DAILY, 3 * DAILY));
        vm.prank(hospital);
        agreements.renew(id, v31, u31, 4, 3 * DAILY);
    }

    function test_renew_RevertIf_productDeactivated() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.prank(alice);
        catalogue.deactivate(stream);
        assertTrue(agreements.isActive(id), "existing agreement unaffected");
        (uint32 v32, PricingUnit u32) = _renewPins(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.ProductInactive.selector, stream));
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
        vm.expectRevert(abi.encodeWithSelector(Agreements.ConsentRetracted.selector, stream, insurer));
        vm.prank(insurer);
        agreements.renew(id, v, u, 1, type(uint256).max);
        _warpBy(2 days);
        assertFalse(agreements.isActive(id), "ends when paid time ends");
        vm.expectRevert(abi.encodeWithSelector(Agreements.ConsentRetracted.selector, stream, insurer));
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
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("share"));
    }

    function test_recordDelivery_RevertIf_credentialExpired() public {
        uint256 id = _request(insurer, batch, Purpose.Insurance, 1);
        _warpBy(CREDENTIAL_LIFETIME);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("share"));
    }

    function test_recordDelivery_RevertIf_issuerUntrusted() public {
        uint256 id = _request(insurer, batch, Purpose.Insurance, 1);
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("share"));
    }

    function test_renew_RevertIf_credentialRevoked() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.prank(issuer);
        credentials.revoke(hospital);
        (uint32 v, PricingUnit u) = _pins(stream);
        vm.expectRevert(abi.encodeWithSelector(Agreements.CredentialRevoked.selector, hospital));
        vm.prank(hospital);
        agreements.renew(id, v, u, 1, DAILY);
    }

    // --- pins (review finding 7) ---

    function test_request_RevertIf_unitChangedBeforeInclusion() public {
        (uint32 v, PricingUnit u) = _pins(stream); // hospital sees 2 DATA per day
        vm.prank(alice); // the seller front-runs: same price, per hour
        catalogue.setPrice(stream, DAILY, PricingUnit.Hour);
        vm.expectRevert(
            abi.encodeWithSelector(Agreements.PricingUnitChanged.selector, stream, PricingUnit.Day, PricingUnit.Hour)
        );
        vm.prank(hospital);
        agreements.requestAccess(stream, Purpose.Research, v, u, 30, 30 * DAILY);
        assertEq(token.balanceOf(hospital), FUNDS, "nothing charged");
    }

    function test_request_RevertIf_policyChangedBeforeInclusion() public {
        (uint32 v, PricingUnit u) = _pins(stream);
        _setOpenPolicy(stream, true); // v2: now needs approval
        vm.expectRevert(abi.encodeWithSelector(Agreements.PolicyVersionChanged.selector, stream, v, v + 1));
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
            abi.encodeWithSelector(Agreements.PricingUnitChanged.selector, stream, PricingUnit.Day, PricingUnit.Week)
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
            abi.encodeWithSelector(Agreements.PricingUnitChanged.selector, stream, PricingUnit.Day, PricingUnit.Hour)
        );
        vm.prank(hospital);
        agreements.renew(id, v, u, 7, 7 * DAILY);
        _setOpenPolicy(stream, false);
        vm.expectRevert(abi.encodeWithSelector(Agreements.PolicyVersionChanged.selector, stream, v, v + 1));
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

    // --- approval re-checks (review, low) ---

    function test_approve_RevertIf_credentialRevokedMeanwhile() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(issuer);
        credentials.revoke(hospital);
        vm.expectRevert(abi.encodeWithSelector(Agreements.CredentialRevoked.selector, hospital));
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
        vm.expectRevert(abi.encodeWithSelector(Agreements.ProductInactive.selector, gated));
        vm.prank(alice);
        agreements.approve(id);
    }

    function test_approve_RevertIf_consentRetractedMeanwhile() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(alice);
        policies.retractConsent(gated, hospital);
        vm.expectRevert(abi.encodeWithSelector(Agreements.ConsentRetracted.selector, gated, hospital));
        vm.prank(alice);
        agreements.approve(id);
    }

    // --- termination (review finding 6) ---

    function test_terminate_refundsUnusedTimeProRata() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 10); // 20 DATA for 10 days
        _warpBy(4 days);
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        vm.expectEmit(address(agreements));
        emit Agreements.AgreementTerminated(id, 12e18);
        vm.prank(alice);
        agreements.terminate(id);
        assertEq(token.balanceOf(hospital), FUNDS - 8e18, "6 of 10 days refunded");
        assertEq(token.balanceOf(alice), 8e18, "seller keeps what was used");
        Agreements.Agreement memory a = agreements.getAgreement(id);
        assertEq(uint8(a.status), uint8(AgreementStatus.Terminated), "terminated");
        assertEq(a.amount, 8e18, "amount net of the refund");
        assertFalse(agreements.isActive(id), "access ends");
        (uint32 v, PricingUnit u) = _pins(stream);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(hospital);
        agreements.renew(id, v, u, 1, DAILY);
        uint256 again = _request(hospital, stream, Purpose.Research, 1); // unless consent is retracted too
        assertTrue(agreements.isActive(again), "may buy again");
    }

    function test_terminate_afterGapRenewalRefundsOnlyTheCurrentTerm() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1); // 2 DATA, day 1
        _warpBy(10 days); // expired for 9 days
        (uint32 v, PricingUnit u) = _pins(stream);
        vm.prank(hospital);
        agreements.renew(id, v, u, 2, 2 * DAILY); // 4 DATA, days 11-12
        _warpBy(1 days);
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        vm.prank(alice);
        agreements.terminate(id);
        assertEq(token.balanceOf(hospital), FUNDS - 6e18 + 2e18, "half of the current 2-day term");
    }

    function test_terminate_oneTimeRefundsInFullOnlyBeforeDelivery() public {
        uint256 undelivered = _request(hospital, batch, Purpose.Research, 1);
        uint256 delivered = _request(university, batch, Purpose.Research, 1);
        vm.prank(relay1);
        agreements.recordDelivery(delivered, keccak256("share"));
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        vm.prank(alice);
        agreements.terminate(undelivered);
        assertEq(token.balanceOf(hospital), FUNDS, "not delivered: refunded in full");
        vm.expectEmit(address(agreements));
        emit Agreements.AgreementTerminated(delivered, 0);
        vm.prank(alice);
        agreements.terminate(delivered);
        assertEq(token.balanceOf(university), FUNDS - 10e18, "delivered: not refunded");
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, delivered));
        vm.prank(relay1);
        agreements.recordDelivery(delivered, keccak256("again"));
    }

    function test_terminate_RevertIf_notSeller() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotSeller.selector, id, hospital));
        vm.prank(hospital);
        agreements.terminate(id);
    }

    function test_terminate_RevertIf_pendingEndedOrTwice() public {
        uint256 pending = _request(hospital, gated, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, pending));
        vm.prank(alice);
        agreements.terminate(pending); // a pending request is rejected, not terminated
        uint256 id = _request(university, stream, Purpose.Research, 1);
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        vm.prank(alice);
        agreements.terminate(id);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, id));
        vm.prank(alice);
        agreements.terminate(id);
        uint256 ended = _request(insurer, stream, Purpose.Research, 1);
        _warpBy(1 days);
        vm.expectRevert(abi.encodeWithSelector(Agreements.NotActive.selector, ended));
        vm.prank(alice);
        agreements.terminate(ended);
    }

    function test_terminate_RevertIf_sellerCannotRefund() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 2);
        // alice approved nothing: the refund cannot be paid, so nothing changes
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(agreements), 0, 2 * DAILY)
        );
        vm.prank(alice);
        agreements.terminate(id);
        assertTrue(agreements.isActive(id), "still active");
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
        _warpBy(CREDENTIAL_LIFETIME - 1); // as long as the consumer's credential is valid
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
        _seen[p].version = policies.setPolicy(p, uint16(_bit(uint8(Purpose.Research))), 2, uint16(_bit(1) | _bit(2)), uint64(_bit(uint8(Country.NL))), false, 0);
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
        delay = uint32(bound(delay, 0, CREDENTIAL_LIFETIME - 1)); // approved while the credential is valid
        uint256 total = uint256(price) * periods;
        uint256 p = _publishStream(alice, price, unit);
        _setOpenPolicy(p, approval);
        _fund(pharma, total);

        (uint32 v33, PricingUnit u33) = _pins(p);
        vm.prank(pharma);
        uint256 id = agreements.requestAccess(p, Purpose.Research, v33, u33, periods, total);
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
        // access needs a valid credential too: pharma renews theirs if it ran out meanwhile
        if (a.endsAt - 1 >= T0 + CREDENTIAL_LIFETIME) _registerOrganisation(pharma, OrganisationType.Pharma, Country.CH);
        assertTrue(agreements.isActive(id), "active before endsAt");
        vm.warp(a.endsAt);
        assertFalse(agreements.isActive(id), "expired at endsAt");
    }

    /// @dev One-time purchase: exactly the price, exactly one period, never expires.
    function testFuzz_payment_oneTime(uint96 price, uint16 periods) public {
        uint256 p = _publishBatch(alice, price);
        _setOpenPolicy(p, false);
        _fund(pharma, price);
        (uint32 v34, PricingUnit u34) = _pins(p);
        if (periods != 1) {
            vm.expectRevert(abi.encodeWithSelector(Agreements.InvalidPeriods.selector, periods));
        }
        vm.prank(pharma);
        uint256 id = agreements.requestAccess(p, Purpose.Research, v34, u34, periods, price);
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
        (uint32 v35, PricingUnit u35) = _pins(p);
        if (total > maxTotal) vm.expectRevert(abi.encodeWithSelector(Agreements.PriceAboveMax.selector, total, maxTotal));
        vm.prank(pharma);
        agreements.requestAccess(p, Purpose.Research, v35, u35, periods, maxTotal);
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
        (uint32 v36, PricingUnit u36) = _pins(p);
        vm.prank(pharma);
        uint256 id = agreements.requestAccess(p, Purpose.Research, v36, u36, first, total1);
        uint256 endsAt = agreements.getAgreement(id).endsAt;
        assertEq(endsAt, T0 + uint256(first) * unit.unitSeconds(), "first endsAt");

        uint256 nowTs = T0 + elapsed;
        vm.warp(nowTs);
        (uint32 v37, PricingUnit u37) = _renewPins(id);
        vm.prank(pharma);
        agreements.renew(id, v37, u37, second, total2);
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
        (uint32 v38, PricingUnit u38) = _pins(p);
        if (!fits) {
            vm.expectRevert(
                abi.encodeWithSelector(Agreements.PeriodsAboveMax.selector, periods, agreements.MAX_TERM() / unitSeconds)
            );
        }
        vm.prank(pharma);
        uint256 id = agreements.requestAccess(p, Purpose.Research, v38, u38, periods, type(uint256).max);
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
        (uint32 v39, PricingUnit u39) = _renewPins(id);
        if (!fits) {
            vm.expectRevert(
                abi.encodeWithSelector(Agreements.PeriodsAboveMax.selector, renewal, agreements.MAX_TERM() / unitSeconds)
            );
        }
        vm.prank(pharma);
        agreements.renew(id, v39, u39, renewal, type(uint256).max);
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
        (uint32 v40, PricingUnit u40) = _pins(productId);
        if (expected != Verdict.Eligible) vm.expectRevert(err);
        vm.prank(consumer);
        uint256 id = agreements.requestAccess(productId, purpose, v40, u40, 1, type(uint256).max);
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
        _seen[productId].unit = PricingUnit.Day;
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
        (uint32 v41, PricingUnit u41) = _renewPins(id);
        vm.prank(hospital);
        agreements.renew(id, v41, u41, 2, 2 * DAILY);
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

    function test_revokeStreamAccess_afterCredentialRevoked() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 id = _request(insurer, product, Purpose.Insurance, 5);
        vm.expectRevert(abi.encodeWithSelector(Agreements.StillActive.selector, id));
        agreements.revokeStreamAccess(id);
        vm.prank(alice);
        policies.retractConsent(product, insurer);
        vm.expectRevert(abi.encodeWithSelector(Agreements.StillActive.selector, id)); // retraction: future only
        agreements.revokeStreamAccess(id);
        vm.prank(issuer);
        credentials.revoke(insurer);
        vm.expectEmit(address(agreements));
        emit Agreements.StreamAccessRevoked(id, insurer);
        vm.prank(stranger); // anyone may clean up once access has ended
        agreements.revokeStreamAccess(id);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, insurer), 0, "revoked");
        assertFalse(streamRegistry.hasDirectPermission(streamId, insurer, 3), "no subscribe");
    }

    function test_revokeStreamAccess_supersededKeepsNewerGrant() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 first = _request(hospital, product, Purpose.Research, 1);
        _warpBy(2 days);
        _request(hospital, product, Purpose.Research, 1);
        agreements.revokeStreamAccess(first); // ended long ago: a no-op
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), _now() + 1 days, "newer grant kept");
    }

    function test_terminate_revokesStreamAccess() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 id = _request(hospital, product, Purpose.Research, 4);
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        vm.prank(alice);
        agreements.terminate(id);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), 0, "subscribe revoked in the same tx");
    }

    /// @dev Review finding 9a: two products sell the same stream; ending one agreement early does
    /// not cut access paid through the other.
    function test_streams_revokingOneAgreementKeepsAccessPaidThroughAnother() public {
        (uint256 p1, string memory streamId) = _streamProduct(false);
        (uint256 p2,) = _streamProduct(false); // same stream, second listing
        uint256 short = _request(hospital, p1, Purpose.Research, 2);
        uint256 long = _request(hospital, p2, Purpose.Research, 5);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), T0 + 5 days, "the longer grant");
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        vm.prank(alice);
        agreements.terminate(long);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), T0 + 2 days, "back to the other agreement");
        agreements.revokeStreamAccess(long); // a replay changes nothing
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), T0 + 2 days, "still the other agreement");
        vm.expectRevert(abi.encodeWithSelector(Agreements.StillActive.selector, short));
        agreements.revokeStreamAccess(short);
    }

    /// @dev Review finding 9c: a grant or a revoke keeps the consumer's other rights on the stream,
    /// and a longer subscription the stream's owner gave them.
    function test_streams_keepOtherRightsAndOwnerGrants() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        streamRegistry.ownerSetPermissions(
            streamId, hospital, IStreamRegistry.Permission(true, false, type(uint256).max, 0, true)
        );
        uint256 id = _request(hospital, product, Purpose.Research, 3);
        IStreamRegistry.Permission memory p = streamRegistry.getDirectPermissionsForUser(streamId, hospital);
        assertTrue(p.canEdit && p.canGrant && p.publishExpiration == type(uint256).max, "rights kept on grant");
        assertEq(p.subscribeExpiration, T0 + 3 days, "subscribe granted");
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        vm.prank(alice);
        agreements.terminate(id);
        p = streamRegistry.getDirectPermissionsForUser(streamId, hospital);
        assertTrue(p.canEdit && p.canGrant && p.publishExpiration == type(uint256).max, "rights kept on revoke");
        assertEq(p.subscribeExpiration, 0, "subscribe revoked");

        streamRegistry.ownerSetPermissions(
            streamId, university, IStreamRegistry.Permission(false, false, 0, type(uint256).max, false)
        );
        uint256 u = _request(university, product, Purpose.Research, 1);
        vm.prank(alice);
        agreements.terminate(u);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, university), type(uint256).max, "owner's grant kept");
    }

    /// @dev Review finding 9b: the seller must still hold GRANT when access is sold.
    function test_streams_RevertIf_sellerLostGrant() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 id = _request(hospital, product, Purpose.Research, 1);
        streamRegistry.ownerSetPermissions(streamId, alice, IStreamRegistry.Permission(false, false, 0, 0, false));
        vm.expectRevert(abi.encodeWithSelector(Agreements.StreamGrantWithdrawn.selector, product, streamId));
        _request(university, product, Purpose.Research, 1);
        (uint32 v, PricingUnit u) = _pins(product);
        vm.expectRevert(abi.encodeWithSelector(Agreements.StreamGrantWithdrawn.selector, product, streamId));
        vm.prank(hospital);
        agreements.renew(id, v, u, 1, DAILY);
    }

    /// @dev Invariant: revoking or terminating one agreement never reduces access paid through
    /// another — the consumer's SUBSCRIBE always lasts until the latest end of their live agreements.
    function testFuzz_streams_accessCoversEveryLiveAgreement(uint8 d1, uint8 d2, uint8 d3, uint8 order, uint16 wait)
        public
    {
        (uint256 p1, string memory streamId) = _streamProduct(false);
        (uint256 p2,) = _streamProduct(false);
        (uint256 p3,) = _streamProduct(false);
        uint256[3] memory ids = [
            _request(hospital, p1, Purpose.Research, uint16(bound(d1, 1, 30))),
            _request(hospital, p2, Purpose.Research, uint16(bound(d2, 1, 30))),
            _request(hospital, p3, Purpose.Research, uint16(bound(d3, 1, 30)))
        ];
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        _warpBy(bound(wait, 0, 20 days));
        for (uint256 k; k < 3; ++k) {
            uint256 id = ids[(order + k) % 3];
            if (k < 2 && agreements.isActive(id)) {
                vm.prank(alice);
                agreements.terminate(id);
            }
            try agreements.revokeStreamAccess(ids[(order + k + 1) % 3]) {} catch {}
            uint256 live;
            for (uint256 j; j < 3; ++j) {
                if (agreements.isActive(ids[j]) && agreements.getAgreement(ids[j]).endsAt > live) {
                    live = agreements.getAgreement(ids[j]).endsAt;
                }
            }
            assertTrue(streamRegistry.subscribeExpirationOf(streamId, hospital) >= live, "covers every live agreement");
        }
    }

    function test_revokeStreamAccess_RevertIf_unknown() public {
        vm.expectRevert(abi.encodeWithSelector(Agreements.AgreementNotFound.selector, 999));
        agreements.revokeStreamAccess(999);
    }
}
