// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Agreements} from "../../src/Agreements.sol";
import {AgreementsBase} from "./AgreementsBase.sol";
import {AgreementStatus, PricingUnit, Purpose} from "../../src/MarketTypes.sol";
import {IAgreementsErrors, IProductErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev Termination by the seller (`terminate`). Invariants:
/// - a time-based agreement is refunded the current paid term's payment pro rata to the time
///   left (after a renewal that followed a gap, only the current term); a one-time agreement in
///   full before any delivery and not at all after one; the status becomes Terminated;
/// - only the product's seller terminates (`NotSeller`), only a running agreement (not pending,
///   ended or already terminated: `NotActive`), and only when the seller can pay the refund.
contract AgreementsTerminateTest is AgreementsBase {
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
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, id));
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
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, delivered));
        vm.prank(relay1);
        agreements.recordDelivery(delivered, keccak256("again"));
    }

    function test_terminate_RevertIf_notSeller() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, stream, hospital));
        vm.prank(hospital);
        agreements.terminate(id);
    }

    function test_terminate_RevertIf_pendingEndedOrTwice() public {
        uint256 pending = _request(hospital, gated, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, pending));
        vm.prank(alice);
        agreements.terminate(pending); // a pending request is rejected, not terminated
        uint256 id = _request(university, stream, Purpose.Research, 1);
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        vm.prank(alice);
        agreements.terminate(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, id));
        vm.prank(alice);
        agreements.terminate(id);
        uint256 ended = _request(insurer, stream, Purpose.Research, 1);
        _warpBy(1 days);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, ended));
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
}
