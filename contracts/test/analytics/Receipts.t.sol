// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AnalyticsBase} from "./AnalyticsBase.sol";
import {Analytics} from "../../src/Analytics.sol";
import {JobStatus, RefusalReason} from "../../src/MarketTypes.sol";
import {IAnalyticsErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev `recordResult` and `recordRefusal`. Invariants:
/// - only a computation agent of the job's product answers (`NotComputationAgent`), only while
///   the job is Open (`JobNotOpen`) and not past its deadline (`JobExpired`), once per node
///   whether result or refusal (`AlreadyAnswered`), with a non-zero result hash;
/// - the result that reaches the product's threshold completes the job and pays exactly the
///   escrowed amount to the seller, once; later answers are refused;
/// - a refusal beyond agents − threshold makes a threshold impossible: the job is Refused and
///   the buyer refunded in full, ε staying spent; fewer refusals leave the job open;
/// - receipts are bound to the agents of the job's dataset version (`AgentsChanged`).
contract AnalyticsReceiptsTest is AnalyticsBase {
    uint256 internal job;

    function setUp() public override {
        super.setUp();
        job = _query(hospital);
    }

    // --- results ---

    function test_recordResult_recordsWithoutPayingBelowThreshold() public {
        bytes32 h = _resultHash(node1, job);
        vm.expectEmit(address(analytics));
        emit Analytics.ResultRecorded(job, node1, h);
        _result(node1, job);
        assertEq(analytics.resultOf(job, node1), h, "resultOf");
        assertTrue(analytics.answered(job, node1), "answered");
        assertFalse(analytics.answered(job, node2), "node2 has not");
        (bool refused,) = analytics.refusalOf(job, node1);
        assertFalse(refused, "a result is not a refusal");
        Analytics.Job memory j = analytics.getJob(job);
        assertEq(j.results, 1, "one result");
        assertEq(uint8(j.status), uint8(JobStatus.Open), "still open");
        assertEq(token.balanceOf(alice), 0, "seller not paid");
        _assertEscrow(PRICE);
    }

    function test_recordResult_thresholdPaysTheSeller() public {
        _result(node3, job);
        vm.expectEmit(address(analytics));
        emit Analytics.ResultRecorded(job, node1, _resultHash(node1, job));
        vm.expectEmit(address(analytics));
        emit Analytics.JobCompleted(job, alice, PRICE);
        _result(node1, job);
        _assertStatus(job, JobStatus.Completed);
        assertEq(analytics.getJob(job).results, 2, "two results");
        assertEq(analytics.getJob(job).amount, PRICE, "amount kept as the record");
        assertEq(token.balanceOf(alice), PRICE, "seller paid once");
        _assertEscrow(0);
        assertEq(analytics.datasetOf(product).epsilonSpent, EPSILON, "epsilon spent");
    }

    function test_recordResult_RevertIf_afterCompletion() public {
        _result(node1, job);
        _result(node2, job);
        // the third node's share was not needed: its receipt is refused, the seller paid once
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotOpen.selector, job, JobStatus.Completed));
        vm.prank(node3);
        analytics.recordResult(job, keccak256("late"));
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotOpen.selector, job, JobStatus.Completed));
        vm.prank(node3);
        analytics.recordRefusal(job, RefusalReason.ComputeFailed);
        assertEq(token.balanceOf(alice), PRICE, "paid once");
    }

    function test_recordResult_RevertIf_notComputationAgent() public {
        address[4] memory callers = [stranger, alice, hospital, relay1];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.NotComputationAgent.selector, job, callers[i]));
            vm.prank(callers[i]);
            analytics.recordResult(job, keccak256("forged"));
            vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.NotComputationAgent.selector, job, callers[i]));
            vm.prank(callers[i]);
            analytics.recordRefusal(job, RefusalReason.QueryMalformed);
        }
    }

    function test_recordResult_RevertIf_agentOfAnotherProduct() public {
        // relay1/relay2 deliver alice's batch product; they are no agents of this one
        uint256 batch = _publishBatch(alice, 1e18);
        assertTrue(catalogue.isDeliveryAgent(batch, relay1), "relay1 agent of the batch");
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.NotComputationAgent.selector, job, relay1));
        vm.prank(relay1);
        analytics.recordResult(job, keccak256("forged"));
    }

    function test_recordResult_RevertIf_replayed() public {
        _result(node1, job);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.AlreadyAnswered.selector, job, node1));
        _result(node1, job);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.AlreadyAnswered.selector, job, node1));
        vm.prank(node1);
        analytics.recordResult(job, keccak256("another hash"));
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.AlreadyAnswered.selector, job, node1));
        vm.prank(node1);
        analytics.recordRefusal(job, RefusalReason.Differencing);
        assertEq(analytics.getJob(job).results, 1, "counted once");
        _assertStatus(job, JobStatus.Open);
    }

    function test_recordResult_RevertIf_zeroHash() public {
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.InvalidResultHash.selector));
        vm.prank(node1);
        analytics.recordResult(job, bytes32(0));
    }

    function test_recordResult_RevertIf_unknownJob() public {
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotFound.selector, 0));
        vm.prank(node1);
        analytics.recordResult(0, keccak256("r"));
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotFound.selector, 99));
        vm.prank(node1);
        analytics.recordRefusal(99, RefusalReason.QueryMalformed);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotFound.selector, 99));
        analytics.getJob(99);
    }

    function test_recordResult_atTheDeadline_RevertIf_after() public {
        uint40 deadline = analytics.getJob(job).deadline;
        vm.warp(deadline); // the last second still counts
        _result(node1, job);
        vm.warp(uint256(deadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobExpired.selector, job, deadline));
        _result(node2, job);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobExpired.selector, job, deadline));
        vm.prank(node2);
        analytics.recordRefusal(job, RefusalReason.ComputeFailed);
        _assertStatus(job, JobStatus.Open);
        assertEq(token.balanceOf(alice), 0, "unpaid");
    }

    function test_recordResult_RevertIf_agentsChangedDuringTheJob() public {
        _result(node1, job);
        // the seller replaces node3 by an account of its own to finish the job without the nodes
        address[] memory nodes = _nodes();
        nodes[2] = alice;
        vm.prank(alice);
        catalogue.setDeliveryAgents(product, nodes, 2);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.AgentsChanged.selector, product));
        vm.prank(alice);
        analytics.recordResult(job, keccak256("fake"));
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.AgentsChanged.selector, product));
        _result(node2, job);
        // even after a re-commit with the new list the job stays bound to version 1's agents
        _commit(product, _input());
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.AgentsChanged.selector, product));
        vm.prank(alice);
        analytics.recordResult(job, keccak256("fake"));
        // the buyer gets the money back after the deadline
        _warpBy(TIMEOUT + 1);
        analytics.refund(job);
        _assertStatus(job, JobStatus.Refunded);
        assertEq(token.balanceOf(alice), 0, "seller never paid");
    }

    function test_removedNode_RevertIf_answers() public {
        address[] memory nodes = _nodes();
        nodes[2] = address(0x5A04);
        vm.prank(alice);
        catalogue.setDeliveryAgents(product, nodes, 2);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.NotComputationAgent.selector, job, node3));
        _result(node3, job);
    }

    // --- refusals ---

    function test_recordRefusal_oneOfThree_staysOpen() public {
        vm.expectEmit(address(analytics));
        emit Analytics.QueryRefused(job, node2, RefusalReason.Differencing);
        vm.prank(node2);
        analytics.recordRefusal(job, RefusalReason.Differencing);
        (bool refused, RefusalReason reason) = analytics.refusalOf(job, node2);
        assertTrue(refused, "refused");
        assertEq(uint8(reason), uint8(RefusalReason.Differencing), "reason");
        assertTrue(analytics.answered(job, node2), "answered");
        assertEq(analytics.resultOf(job, node2), bytes32(0), "no result");
        Analytics.Job memory j = analytics.getJob(job);
        assertEq(j.refusals, 1, "one refusal");
        assertEq(uint8(j.status), uint8(JobStatus.Open), "a threshold is still possible");
        _assertEscrow(PRICE);
    }

    function test_recordRefusal_beyondSpare_refundsTheBuyer_keepsEpsilon() public {
        uint256 before = token.balanceOf(hospital);
        vm.prank(node1);
        analytics.recordRefusal(job, RefusalReason.QueryNotAllowed);
        vm.expectEmit(address(analytics));
        emit Analytics.QueryRefused(job, node3, RefusalReason.QueryNotAllowed);
        vm.expectEmit(address(analytics));
        emit Analytics.JobRefunded(job, hospital, PRICE, 0);
        vm.prank(node3);
        analytics.recordRefusal(job, RefusalReason.QueryNotAllowed);
        _assertStatus(job, JobStatus.Refused);
        assertEq(token.balanceOf(hospital), before + PRICE, "refunded in full");
        assertEq(token.balanceOf(alice), 0, "seller unpaid");
        _assertEscrow(0);
        assertEq(analytics.datasetOf(product).epsilonSpent, EPSILON, "epsilon stays spent");
        // closed: no more answers, no refund
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotOpen.selector, job, JobStatus.Refused));
        _result(node2, job);
        _warpBy(TIMEOUT + 1);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotOpen.selector, job, JobStatus.Refused));
        analytics.refund(job);
    }

    function test_oneRefusal_thenThreshold_completes() public {
        vm.prank(node1);
        analytics.recordRefusal(job, RefusalReason.ComputeFailed);
        _result(node2, job);
        _result(node3, job);
        _assertStatus(job, JobStatus.Completed);
        assertEq(token.balanceOf(alice), PRICE, "seller paid");
        Analytics.Job memory j = analytics.getJob(job);
        assertEq(j.results, 2, "results");
        assertEq(j.refusals, 1, "refusals");
    }

    function test_oneResult_thenTwoRefusals_refunds() public {
        _result(node1, job);
        vm.prank(node2);
        analytics.recordRefusal(job, RefusalReason.NotEligible);
        vm.prank(node3);
        analytics.recordRefusal(job, RefusalReason.DatasetMismatch);
        _assertStatus(job, JobStatus.Refused);
        assertEq(analytics.resultOf(job, node1), _resultHash(node1, job), "the result receipt stays recorded");
        assertEq(token.balanceOf(alice), 0, "seller unpaid");
    }

    function test_refusal_everyReasonIsRecorded() public {
        Analytics.DatasetInput memory d = _input();
        d.epsilonBudget = 10_000; // room for a query per reason
        _commit(product, d);
        for (uint8 r; r <= uint8(type(RefusalReason).max); ++r) {
            uint256 id = _queryAs(university, product, keccak256(abi.encode(r)));
            vm.prank(node3);
            analytics.recordRefusal(id, RefusalReason(r));
            (bool refused, RefusalReason reason) = analytics.refusalOf(id, node3);
            assertTrue(refused, "refused");
            assertEq(uint8(reason), r, "reason");
        }
    }

    function test_refusalOf_unanswered() public view {
        (bool refused, RefusalReason reason) = analytics.refusalOf(job, node1);
        assertFalse(refused, "not refused");
        assertEq(uint8(reason), 0, "zero");
        assertFalse(analytics.answered(job, node1), "not answered");
    }

    // --- other thresholds ---

    function test_threshold3of3_anyRefusalRefunds_allResultsPay() public {
        uint256 p = _publishAnalytics(bob, PRICE, _nodes(), 3);
        _setOpenPolicy(p, false);
        _commit(p, _input());
        uint256 a = _query(hospital, p);
        uint256 b = _query(hospital, p);
        _result(node1, a);
        _result(node2, a);
        _assertStatus(a, JobStatus.Open);
        _result(node3, a);
        _assertStatus(a, JobStatus.Completed);
        assertEq(token.balanceOf(bob), FUNDS + PRICE, "bob (seller) paid");
        vm.prank(node2);
        analytics.recordRefusal(b, RefusalReason.Differencing);
        _assertStatus(b, JobStatus.Refused);
    }

    function test_threshold1of1() public {
        address[] memory one = new address[](1);
        one[0] = node1;
        uint256 p = _publishAnalytics(bob, PRICE, one, 1);
        _setOpenPolicy(p, false);
        Analytics.DatasetInput memory d = _input();
        d.bundleHashes = _bundles(1);
        _commit(p, d);
        uint256 a = _query(hospital, p);
        vm.expectEmit(address(analytics));
        emit Analytics.JobCompleted(a, bob, PRICE);
        _result(node1, a);
        uint256 b = _query(hospital, p);
        vm.prank(node1);
        analytics.recordRefusal(b, RefusalReason.QueryMalformed);
        _assertStatus(b, JobStatus.Refused);
    }

    function test_freeJob_completesWithoutTransfer() public {
        uint256 p = _publishAnalytics(alice, 0, _nodes(), 2);
        _setOpenPolicy(p, false);
        _commit(p, _input());
        uint256 id = _query(pharma, p);
        _result(node1, id);
        vm.expectEmit(address(analytics));
        emit Analytics.JobCompleted(id, alice, 0);
        _result(node2, id);
        _assertStatus(id, JobStatus.Completed);
    }

    function test_jobsAreIndependent() public {
        uint256 other = _query(bob);
        _result(node1, job);
        _result(node1, other); // the same node answers each job once
        _result(node2, other);
        _assertStatus(other, JobStatus.Completed);
        _assertStatus(job, JobStatus.Open);
        _assertEscrow(PRICE);
    }
}
