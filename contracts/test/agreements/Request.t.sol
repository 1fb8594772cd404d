// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Agreements} from "../../src/Agreements.sol";
import {Catalogue} from "../../src/Catalogue.sol";
import {Credentials} from "../../src/Credentials.sol";
import {Policies} from "../../src/Policies.sol";
import {AgreementsBase} from "./AgreementsBase.sol";
import {AgreementStatus, Category, Country, OrganisationType, PricingUnit, Purpose} from "../../src/MarketTypes.sol";
import {IAgreementsErrors, IEligibilityErrors, IMarketErrors, IPurchaseErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev Construction and requests (`requestAccess`, `requestAccessWithPermit`). Invariants:
/// - the constructor refuses a zero dependency and wires token, catalogue, policies, credentials
///   and the stream registry;
/// - a free or auto-approved request is Active at once; the seller receives exactly
///   price × periods, the consumer pays nothing more; endsAt = now + periods × unit, and 0
///   (never expires) for a one-time product, which takes exactly one period;
/// - zero periods, more than `maxPeriods` or more than MAX_TERM (366 days) of access, a price
///   above the consumer's maximum, a missing allowance: the request reverts and nothing is paid;
/// - a consumer has at most one pending or active agreement per product (`RequestPending`,
///   `AlreadyHasAccess`); after expiry a new request creates a new agreement;
/// - with a permit the request needs no prior approve, survives a front-run permit, escrows
///   like any request and is checked for eligibility the same way; a bad or expired permit
///   falls back to the allowance and reverts without one.
contract AgreementsRequestTest is AgreementsBase {
    // --- construction ---

    function test_constructor_RevertIf_zeroAddress() public {
        IERC20 t = IERC20(address(token));
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
        new Agreements(IERC20(address(0)), catalogue, policies, credentials);
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
        new Agreements(t, Catalogue(address(0)), policies, credentials);
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
        new Agreements(t, catalogue, Policies(address(0)), credentials);
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
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
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.AlreadyHasAccess.selector, id));
        _request(university, batch, Purpose.Research, 1);
        _warpBy(3650 days);
        assertFalse(agreements.isActive(id), "not while the credential has expired");
        _register(university, Category.Organisation, OrganisationType.ResearchUniversity, Country.FR);
        assertTrue(agreements.isActive(id), "active again years later with a renewed credential");
    }

    function test_request_RevertIf_oneTimeWithSeveralPeriods() public {
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.InvalidPeriods.selector, 2));
        _request(university, batch, Purpose.Research, 2);
    }

    function test_request_RevertIf_zeroPeriods() public {
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.InvalidPeriods.selector, 0));
        _request(hospital, stream, Purpose.Research, 0);
    }

    function test_request_RevertIf_tooManyPeriods() public {
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.PeriodsAboveMax.selector, 10_001, 366));
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
            vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.PeriodsAboveMax.selector, max[i] + 1, max[i]));
            _request(hospital, p, Purpose.Research, max[i] + 1);
            vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.PeriodsAboveMax.selector, 10_000, max[i]));
            _request(hospital, p, Purpose.Research, 10_000);
            uint256 id = _request(hospital, p, Purpose.Research, max[i]);
            assertTrue(id != 0, "at the cap");
        }
        assertEq(agreements.maxPeriods(PricingUnit.OneTime), 1, "one-time");
    }

    function test_request_RevertIf_priceAboveMax() public {
        (uint32 v3, PricingUnit u3) = _pins(stream);
        vm.expectRevert(abi.encodeWithSelector(IPurchaseErrors.PriceAboveMax.selector, 3 * DAILY, 3 * DAILY - 1));
        vm.prank(hospital);
        agreements.requestAccess(stream, Purpose.Research, v3, u3, 3, 3 * DAILY - 1);
    }

    function test_request_RevertIf_priceRaisedBeforeInclusion() public {
        vm.prank(alice); // the seller raises the price just before hospital's request lands
        catalogue.setPrice(stream, 5e18, PricingUnit.Day);
        (uint32 v4, PricingUnit u4) = _pins(stream);
        vm.expectRevert(abi.encodeWithSelector(IPurchaseErrors.PriceAboveMax.selector, 5e18, DAILY));
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
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.AlreadyHasAccess.selector, id));
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
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.RequestPending.selector, id));
        _request(hospital, gated, Purpose.Research, 1);
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
        vm.expectRevert(abi.encodeWithSelector(IEligibilityErrors.OwnProduct.selector, stream));
        vm.prank(alice);
        agreements.requestAccessWithPermit(stream, Purpose.Research, v11, u11, 1, DAILY, deadline, v, r, s);
    }
}
