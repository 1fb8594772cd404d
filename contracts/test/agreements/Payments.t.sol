// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Agreements} from "../../src/Agreements.sol";
import {AgreementsBase} from "./AgreementsBase.sol";
import {Country, OrganisationType, Periods, PricingUnit, Purpose} from "../../src/MarketTypes.sol";
import {IAgreementsErrors, IPurchaseErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev Payments and periods, fuzzed. Invariants:
/// - a time-based purchase, direct or through escrow, pays the seller exactly price × periods and
///   grants exactly periods units from activation; a one-time purchase pays exactly the price
///   and never expires;
/// - the max-price guard trips iff price × periods exceeds it, and nothing is paid then;
/// - a renewal extends from max(now, endsAt) by periods × the current unit and pays the seller;
/// - a request or renewal succeeds iff periods × unit ≤ MAX_TERM; a refused one grants and
///   charges nothing.
contract AgreementsPaymentsTest is AgreementsBase {
    using Periods for PricingUnit;

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
            vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.InvalidPeriods.selector, periods));
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
        if (total > maxTotal) vm.expectRevert(abi.encodeWithSelector(IPurchaseErrors.PriceAboveMax.selector, total, maxTotal));
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
                abi.encodeWithSelector(IAgreementsErrors.PeriodsAboveMax.selector, periods, agreements.MAX_TERM() / unitSeconds)
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
                abi.encodeWithSelector(IAgreementsErrors.PeriodsAboveMax.selector, renewal, agreements.MAX_TERM() / unitSeconds)
            );
        }
        vm.prank(pharma);
        agreements.renew(id, v39, u39, renewal, type(uint256).max);
        uint256 endsAt = agreements.getAgreement(id).endsAt;
        assertEq(endsAt, fits ? a.endsAt + uint256(renewal) * unitSeconds : a.endsAt, "extended by what was paid");
        assertTrue(endsAt - a.endsAt <= agreements.MAX_TERM(), "renewal within the cap");
    }
}
