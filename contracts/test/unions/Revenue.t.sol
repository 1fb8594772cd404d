// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DataUnionBase} from "./DataUnionBase.sol";
import {DataUnion} from "../../src/DataUnion.sol";
import {IDataUnionErrors} from "../../src/interfaces/IMarketErrors.sol";
import {PricingUnit, Purpose} from "../../src/MarketTypes.sol";

/// @dev Revenue sharing and the admin fee. Invariants:
/// - revenue is shared among exactly the members at the time it arrived: unsettled revenue is
///   settled before any join, part, removal, weight or fee change, so a member who joins right
///   after a payment gets none of it and one who parts right after keeps their share;
/// - each member earns floor(share / totalWeight) × weight; the remainder is `dust`, counted,
///   never lost: totalRevenue == Σ earnings + feesAccrued + dust after a settlement;
/// - every purchase path pays the union: request, renewal, approval (see Create), transfers;
/// - the fee is at most 50 % and a new fee applies only after FEE_NOTICE, never to revenue that
///   arrived before it was applied.
contract DataUnionRevenueTest is DataUnionBase {
    function test_purchase_paysTheUnion_sharedEqually() public {
        _joinFirst(MIN_MEMBERS);
        _buy(hospital, 10); // 10 DATA
        uint256 share = 10e18 - _fee(10e18);
        for (uint256 i; i < MIN_MEMBERS; ++i) {
            assertEq(union.withdrawable(members[i]), share / 3, "equal shares before settlement");
        }
        union.settle();
        for (uint256 i; i < MIN_MEMBERS; ++i) assertEq(union.earningsOf(members[i]), share / 3);
        assertEq(union.feesAccrued(), _fee(10e18));
        assertEq(union.dust(), share % 3);
        assertEq(union.totalRevenue(), 10e18);
        assertEq(3 * (share / 3) + union.feesAccrued() + union.dust(), union.totalRevenue(), "nothing lost");
    }

    function test_renewal_paysTheUnion() public {
        _joinFirst(MIN_MEMBERS);
        uint256 id = _buy(hospital, 1);
        (uint32 v, PricingUnit u) = _renewPins(id);
        vm.prank(hospital);
        agreements.renew(id, v, u, 2, type(uint256).max);
        union.settle();
        assertEq(union.totalRevenue(), 3 * DAILY);
    }

    function test_joinAfterRevenue_getsNoneOfIt() public {
        _joinFirst(MIN_MEMBERS);
        _buy(hospital, 9);
        address late = members[MIN_MEMBERS];
        _join(late); // settles the 9 DATA among the first three first
        assertEq(union.withdrawable(late), 0, "nothing of what arrived before joining");
        _donate(4e18);
        uint256 share = 4e18 - _fee(4e18);
        assertEq(union.withdrawable(late), share / 4, "a quarter of what arrived after");
    }

    function test_partAfterRevenue_keepsShare_getsNothingLater() public {
        _joinFirst(MIN_MEMBERS + 1);
        _donate(8e18);
        address leaver = members[0];
        _part(leaver);
        uint256 share = 8e18 - _fee(8e18);
        assertEq(union.withdrawable(leaver), share / 4, "keeps the share of revenue before parting");
        _donate(8e18);
        assertEq(union.withdrawable(leaver), share / 4, "nothing after parting");
        vm.prank(leaver);
        union.withdraw(type(uint256).max);
        assertEq(token.balanceOf(leaver), share / 4);
    }

    function test_weights() public {
        _joinFirst(2);
        vm.prank(unionAdmin);
        union.setWeight(members[0], 3);
        _donate(40e18);
        uint256 share = 40e18 - _fee(40e18);
        assertEq(union.withdrawable(members[0]), 3 * (share / 4));
        assertEq(union.withdrawable(members[1]), share / 4);
    }

    function test_weightChange_settlesFirst() public {
        _joinFirst(2);
        _donate(10e18);
        vm.prank(unionAdmin);
        union.setWeight(members[0], 4); // revenue so far at weight 1 each
        uint256 share = 10e18 - _fee(10e18);
        assertEq(union.withdrawable(members[0]), share / 2);
        assertEq(union.withdrawable(members[1]), share / 2);
    }

    function test_revenueWithoutMembers_isDust_sweptToFees() public {
        _donate(1e18);
        union.settle();
        assertEq(union.dust(), 1e18 - _fee(1e18));
        _join(members[0]);
        assertEq(union.withdrawable(members[0]), 0, "not shared with later members");
        vm.expectEmit(false, false, false, true, address(union));
        emit DataUnion.DustSwept(1e18 - _fee(1e18));
        vm.prank(unionAdmin);
        union.sweepDust();
        assertEq(union.dust(), 0);
        assertEq(union.feesWithdrawable(), 1e18);
    }

    // --- fee ---

    function test_feeChange_onlyAfterNotice_neverBackwards() public {
        _joinFirst(2);
        vm.prank(unionAdmin);
        union.scheduleFeeChange(5_000);
        assertEq(union.feeEffectiveAt(), _now() + 7 days);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.FeeChangeNotDue.selector, _now() + 7 days));
        union.applyFeeChange();
        _donate(10e18); // arrives under the old fee
        _warpBy(7 days);
        union.applyFeeChange(); // anyone; settles at 10 % first
        assertEq(union.feeBps(), 5_000);
        assertEq(union.feesAccrued(), 1e18, "old fee on revenue before the change");
        _donate(10e18);
        union.settle();
        assertEq(union.feesAccrued(), 1e18 + 5e18, "new fee after");
    }

    function test_feeChange_membersCanLeaveFirst() public {
        _joinFirst(2);
        vm.prank(unionAdmin);
        union.scheduleFeeChange(5_000);
        _donate(10e18);
        _part(members[0]);
        _warpBy(7 days);
        union.applyFeeChange();
        assertEq(union.withdrawable(members[0]), (10e18 - 1e18) / 2, "left with the old fee's share");
    }

    function test_feeChange_RevertIf_aboveHalfOrNothingScheduled() public {
        vm.startPrank(unionAdmin);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.FeeTooHigh.selector, 5_001, 5_000));
        union.scheduleFeeChange(5_001);
        vm.expectRevert(IDataUnionErrors.NoFeeChange.selector);
        union.cancelFeeChange();
        union.scheduleFeeChange(0);
        union.cancelFeeChange();
        vm.stopPrank();
        vm.expectRevert(IDataUnionErrors.NoFeeChange.selector);
        union.applyFeeChange();
        assertEq(union.feeBps(), FEE_BPS);
    }

    function test_withdrawFees() public {
        _joinFirst(MIN_MEMBERS);
        _buy(hospital, 10);
        vm.prank(unionAdmin);
        union.withdrawFees(unionAdmin, type(uint256).max);
        assertEq(token.balanceOf(unionAdmin), _fee(10e18));
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.AmountAboveWithdrawable.selector, 1, 0));
        vm.prank(unionAdmin);
        union.withdrawFees(unionAdmin, 1);
    }
}
