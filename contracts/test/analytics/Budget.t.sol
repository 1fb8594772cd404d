// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AnalyticsBase} from "./AnalyticsBase.sol";
import {Analytics} from "../../src/Analytics.sol";
import {JobStatus, PricingUnit, Purpose, RefusalReason} from "../../src/MarketTypes.sol";
import {IAnalyticsErrors, IPurchaseErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev The privacy budget and the money, with fuzzing. Invariants:
/// - each request charges `epsilonPerQuery` (in thousandths) to its dataset; a request that would
///   take `epsilonSpent` above `epsilonBudget` reverts with `PrivacyBudgetExhausted(left)`;
///   floor(budget / perQuery) queries fit; `epsilonPerQuery` 0 charges nothing and never runs out;
/// - a refund after the timeout gives the job's ε back, a refusal does not; a re-commit keeps
///   what was spent; budgets and charges up to uint32's maximum neither overflow nor wrap;
/// - escrow and payouts are exact for every price up to uint96's maximum.
contract AnalyticsBudgetTest is AnalyticsBase {
    function test_eachRequestChargesEpsilon_untilExhausted() public {
        for (uint256 i = 1; i <= 4; ++i) {
            _query(hospital);
            assertEq(analytics.datasetOf(product).epsilonSpent, i * EPSILON, "spent");
            assertEq(analytics.epsilonLeft(product), BUDGET - i * EPSILON, "left");
        }
        bytes32 m = _manifestOf(product);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.PrivacyBudgetExhausted.selector, product, 0));
        vm.prank(bob);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);
    }

    function test_exhausted_RevertIf_lessLeftThanAQuery() public {
        Analytics.DatasetInput memory d = _input();
        d.epsilonBudget = 1_200; // two queries of 500, 200 left over
        _commit(product, d);
        _query(hospital);
        _query(hospital);
        bytes32 m = _manifestOf(product);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.PrivacyBudgetExhausted.selector, product, 200));
        vm.prank(bob);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);
        _assertEscrow(2 * PRICE);
    }

    function test_refundReturnsEpsilon_soAnotherQueryFits() public {
        for (uint256 i; i < 4; ++i) {
            _query(hospital);
        }
        assertEq(analytics.epsilonLeft(product), 0, "exhausted");
        _warpBy(TIMEOUT + 1);
        analytics.refund(2);
        assertEq(analytics.epsilonLeft(product), EPSILON, "one query's worth returned");
        _query(bob);
        assertEq(analytics.epsilonLeft(product), 0, "spent again");
    }

    function test_refusalKeepsEpsilon_completionKeepsEpsilon() public {
        uint256 a = _query(hospital);
        uint256 b = _query(hospital);
        _result(node1, a);
        _result(node2, a);
        vm.prank(node1);
        analytics.recordRefusal(b, RefusalReason.Differencing);
        vm.prank(node2);
        analytics.recordRefusal(b, RefusalReason.Differencing);
        _assertStatus(a, JobStatus.Completed);
        _assertStatus(b, JobStatus.Refused);
        assertEq(analytics.datasetOf(product).epsilonSpent, 2 * EPSILON, "both stay spent");
    }

    function test_recommitCannotResetSpent_raisingTheBudgetAllowsMore() public {
        for (uint256 i; i < 4; ++i) {
            _query(hospital);
        }
        Analytics.DatasetInput memory d = _input();
        d.manifestHash = keccak256("manifest v2");
        _commit(product, d); // same budget: still exhausted
        assertEq(analytics.epsilonLeft(product), 0, "not reset");
        bytes32 m = _manifestOf(product);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.PrivacyBudgetExhausted.selector, product, 0));
        vm.prank(bob);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);
        d.epsilonBudget = BUDGET + EPSILON;
        _commit(product, d);
        _query(bob);
        assertEq(analytics.datasetOf(product).epsilonSpent, BUDGET + EPSILON, "spent across versions");
    }

    function test_noNoise_chargesNothing_neverExhausted() public {
        Analytics.DatasetInput memory d = _input();
        d.epsilonPerQuery = 0;
        d.epsilonBudget = 0;
        _commit(product, d);
        for (uint256 i; i < 10; ++i) {
            uint256 id = _query(hospital);
            assertEq(analytics.getJob(id).epsilonCharged, 0, "nothing charged");
        }
        assertEq(analytics.datasetOf(product).epsilonSpent, 0, "nothing spent");
        _warpBy(TIMEOUT + 1);
        vm.expectEmit(address(analytics));
        emit Analytics.JobRefunded(1, hospital, PRICE, 0);
        analytics.refund(1);
    }

    function test_noiseTurnedOff_refundOfAnEarlierJobReturnsItsEpsilon() public {
        uint256 charged = _query(hospital); // 500 under version 1
        Analytics.DatasetInput memory d = _input();
        d.epsilonPerQuery = 0;
        d.epsilonBudget = 0; // below what was spent: allowed without noise
        _commit(product, d);
        _query(bob); // free of ε
        _warpBy(TIMEOUT + 1);
        vm.expectEmit(address(analytics));
        emit Analytics.JobRefunded(charged, hospital, PRICE, EPSILON);
        analytics.refund(charged);
        assertEq(analytics.datasetOf(product).epsilonSpent, 0, "no underflow");
        // turning noise back on needs a budget of at least what is spent (0 now)
        d.epsilonPerQuery = EPSILON;
        d.epsilonBudget = EPSILON;
        _commit(product, d);
        _query(bob);
        assertEq(analytics.epsilonLeft(product), 0, "one query");
    }

    function test_maxValues_doNotOverflow() public {
        Analytics.DatasetInput memory d = _input();
        d.epsilonPerQuery = type(uint32).max;
        d.epsilonBudget = type(uint32).max;
        d.rows = type(uint32).max;
        d.jobTimeout = 7 days;
        _commit(product, d);
        _query(hospital);
        assertEq(analytics.datasetOf(product).epsilonSpent, type(uint32).max, "max spent");
        bytes32 m = _manifestOf(product);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.PrivacyBudgetExhausted.selector, product, 0));
        vm.prank(bob);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);

        // spent + perQuery would wrap a uint32: refused, not wrapped
        d.epsilonPerQuery = 2;
        _commit(product, d);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.PrivacyBudgetExhausted.selector, product, 0));
        vm.prank(bob);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);
        _warpBy(7 days + 1);
        analytics.refund(1);
        assertEq(analytics.datasetOf(product).epsilonSpent, 0, "returned");
    }

    function test_maxPrice_escrowsAndPaysExactly() public {
        uint96 max = type(uint96).max;
        uint256 p = _publishAnalytics(alice, max, _nodes(), 2);
        _setOpenPolicy(p, false);
        _commit(p, _input());
        _fundAnalytics(pharma, max);
        uint256 id = _query(pharma, p);
        _assertEscrow(max);
        assertEq(analytics.getJob(id).amount, max, "amount");
        _result(node1, id);
        _result(node2, id);
        assertEq(token.balanceOf(alice), max, "paid exactly");
        _assertEscrow(0);
    }

    // --- fuzz ---

    /// @dev floor(budget / perQuery) queries fit, the next one reverts with what is left; each
    /// refund gives its ε back.
    function testFuzz_budgetAdmitsExactlyFloorBudgetOverPerQuery(uint32 perQuery, uint8 fitsSeed, uint32 extra)
        public
    {
        perQuery = uint32(bound(perQuery, 1, type(uint32).max / 13));
        uint256 fits = bound(fitsSeed, 1, 12);
        uint32 budget = uint32(perQuery * fits + bound(extra, 0, perQuery - 1));
        assertEq(budget / perQuery, fits, "floor(budget / perQuery)");
        Analytics.DatasetInput memory d = _input();
        d.epsilonPerQuery = perQuery;
        d.epsilonBudget = budget;
        _commit(product, d);
        for (uint256 i; i < fits; ++i) {
            _query(hospital);
        }
        uint32 left = uint32(budget - fits * perQuery);
        assertEq(analytics.epsilonLeft(product), left, "left");
        assertTrue(left < perQuery, "less than a query left");
        bytes32 m = _manifestOf(product);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.PrivacyBudgetExhausted.selector, product, left));
        vm.prank(bob);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);

        _warpBy(TIMEOUT + 1);
        for (uint256 id = 1; id <= fits; ++id) {
            analytics.refund(id);
        }
        assertEq(analytics.datasetOf(product).epsilonSpent, 0, "all returned");
        assertEq(analytics.epsilonLeft(product), budget, "whole budget");
    }

    /// @dev Any price: escrowed exactly, then paid to the seller, refunded on refusal or timeout,
    /// the three outcomes chosen by `outcome`; balances always add up.
    function testFuzz_amountsAreExact(uint96 price, uint8 outcome) public {
        uint256 p = _publishAnalytics(alice, price, _nodes(), 2);
        _setOpenPolicy(p, false);
        _commit(p, _input());
        _fundAnalytics(pharma, price);
        uint256 id = _query(pharma, p);
        _assertEscrow(price);
        assertEq(token.balanceOf(pharma), 0, "paid everything");
        outcome %= 3;
        if (outcome == 0) {
            _result(node1, id);
            _result(node3, id);
            assertEq(token.balanceOf(alice), price, "seller paid");
        } else if (outcome == 1) {
            vm.prank(node1);
            analytics.recordRefusal(id, RefusalReason.QueryNotAllowed);
            vm.prank(node2);
            analytics.recordRefusal(id, RefusalReason.QueryNotAllowed);
            assertEq(token.balanceOf(pharma), price, "refused: refunded");
        } else {
            _warpBy(TIMEOUT + 1);
            analytics.refund(id);
            assertEq(token.balanceOf(pharma), price, "timeout: refunded");
        }
        _assertEscrow(0);
        assertEq(token.balanceOf(alice) + token.balanceOf(pharma), price, "nothing lost or created");
    }

    /// @dev A price change by the seller never takes more than the buyer's maximum.
    function testFuzz_maxPriceBoundsThePayment(uint96 price, uint96 newPrice, uint256 maxPrice) public {
        uint256 p = _publishAnalytics(alice, price, _nodes(), 2);
        _setOpenPolicy(p, false);
        _commit(p, _input());
        maxPrice = bound(maxPrice, price, type(uint96).max);
        vm.prank(alice);
        catalogue.setPrice(p, newPrice, PricingUnit.OneTime);
        _fundAnalytics(pharma, type(uint96).max);
        bytes32 m = _manifestOf(p);
        uint256 balance = token.balanceOf(pharma);
        if (newPrice > maxPrice) {
            vm.expectRevert(abi.encodeWithSelector(IPurchaseErrors.PriceAboveMax.selector, newPrice, maxPrice));
        }
        vm.prank(pharma);
        analytics.requestQuery(p, Purpose.Research, 1, m, QUERY, maxPrice);
        if (newPrice <= maxPrice) assertEq(balance - token.balanceOf(pharma), newPrice, "paid the current price");
        assertTrue(balance - token.balanceOf(pharma) <= maxPrice, "never above the maximum");
    }
}
