// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AnalyticsBase} from "./AnalyticsBase.sol";
import {Analytics} from "../../src/Analytics.sol";
import {JobStatus, RefusalReason} from "../../src/MarketTypes.sol";
import {IAnalyticsErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev `refund` after a job's timeout. Invariants:
/// - only after the deadline (strictly later: `JobNotExpired` at it) and only an Open job
///   (`JobNotOpen` once completed, refused or refunded; `JobNotFound` for unknown ids);
/// - anyone may call it; the escrowed amount goes to the job's consumer, never the caller;
/// - the job's ε is given back to the dataset; a refunded job takes no more answers;
/// - a job is paid out or refunded, never both, and refunded at most once.
contract AnalyticsRefundTest is AnalyticsBase {
    uint256 internal job;
    uint40 internal deadline;

    function setUp() public override {
        super.setUp();
        job = _query(hospital);
        deadline = analytics.getJob(job).deadline;
    }

    function test_refund_afterDeadline_byAnyone() public {
        uint256 before = token.balanceOf(hospital);
        vm.warp(uint256(deadline) + 1);
        vm.expectEmit(address(analytics));
        emit Analytics.JobRefunded(job, hospital, PRICE, EPSILON);
        vm.prank(stranger);
        analytics.refund(job);
        _assertStatus(job, JobStatus.Refunded);
        assertEq(token.balanceOf(hospital), before + PRICE, "consumer refunded");
        assertEq(token.balanceOf(stranger), 0, "caller gets nothing");
        _assertEscrow(0);
        assertEq(analytics.datasetOf(product).epsilonSpent, 0, "epsilon returned");
        assertEq(analytics.epsilonLeft(product), BUDGET, "full budget again");
    }

    function test_refund_withOneResult_stillRefunds() public {
        _result(node1, job); // below the threshold: the buyer cannot reconstruct anything
        vm.warp(uint256(deadline) + 1);
        vm.prank(hospital);
        analytics.refund(job);
        _assertStatus(job, JobStatus.Refunded);
        assertEq(token.balanceOf(alice), 0, "seller unpaid");
    }

    function test_refund_RevertIf_beforeOrAtDeadline() public {
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotExpired.selector, job, deadline));
        analytics.refund(job);
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotExpired.selector, job, deadline));
        vm.prank(hospital);
        analytics.refund(job);
        _assertEscrow(PRICE);
    }

    function test_refund_RevertIf_twice() public {
        vm.warp(uint256(deadline) + 1);
        analytics.refund(job);
        uint256 balance = token.balanceOf(hospital);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotOpen.selector, job, JobStatus.Refunded));
        analytics.refund(job);
        assertEq(token.balanceOf(hospital), balance, "refunded once");
        assertEq(analytics.datasetOf(product).epsilonSpent, 0, "epsilon returned once");
    }

    function test_refund_RevertIf_completed() public {
        _result(node1, job);
        _result(node2, job);
        vm.warp(uint256(deadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotOpen.selector, job, JobStatus.Completed));
        vm.prank(hospital);
        analytics.refund(job);
        assertEq(token.balanceOf(alice), PRICE, "seller keeps the payment");
    }

    function test_refund_RevertIf_completedBeforeDeadline() public {
        _result(node1, job);
        _result(node2, job);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotOpen.selector, job, JobStatus.Completed));
        analytics.refund(job);
    }

    function test_refund_RevertIf_refused() public {
        vm.prank(node1);
        analytics.recordRefusal(job, RefusalReason.ComputeFailed);
        vm.prank(node2);
        analytics.recordRefusal(job, RefusalReason.ComputeFailed);
        vm.warp(uint256(deadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotOpen.selector, job, JobStatus.Refused));
        analytics.refund(job);
        assertEq(analytics.datasetOf(product).epsilonSpent, EPSILON, "refused: epsilon stays spent");
    }

    function test_refund_RevertIf_unknownJob() public {
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotFound.selector, 2));
        analytics.refund(2);
    }

    function test_noAnswerAfterRefund() public {
        vm.warp(uint256(deadline) + 1);
        analytics.refund(job);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotOpen.selector, job, JobStatus.Refunded));
        _result(node1, job);
    }

    function test_refund_freeJob() public {
        uint256 p = _publishAnalytics(alice, 0, _nodes(), 2);
        _setOpenPolicy(p, false);
        _commit(p, _input());
        uint256 id = _query(pharma, p);
        _warpBy(TIMEOUT + 1);
        vm.expectEmit(address(analytics));
        emit Analytics.JobRefunded(id, pharma, 0, EPSILON);
        analytics.refund(id);
        _assertStatus(id, JobStatus.Refunded);
    }

    function test_refund_onlyTheExpiredJob() public {
        _warpBy(TIMEOUT / 2);
        uint256 later = _query(bob);
        vm.warp(uint256(deadline) + 1);
        analytics.refund(job);
        vm.expectRevert(
            abi.encodeWithSelector(IAnalyticsErrors.JobNotExpired.selector, later, analytics.getJob(later).deadline)
        );
        analytics.refund(later);
        _assertEscrow(PRICE);
        assertEq(analytics.datasetOf(product).epsilonSpent, EPSILON, "the open job's epsilon");
    }

    function test_refund_keepsTheJobsTimeoutAfterRecommit() public {
        // the seller shortens the timeout: the open job keeps the deadline it was created with
        Analytics.DatasetInput memory d = _input();
        d.jobTimeout = 60;
        _commit(product, d);
        _warpBy(61);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.JobNotExpired.selector, job, deadline));
        analytics.refund(job);
        uint256 quick = _query(bob);
        assertEq(analytics.getJob(quick).deadline, _now() + 60, "new jobs get the new timeout");
    }
}
