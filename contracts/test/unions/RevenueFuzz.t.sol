// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DataUnionBase} from "./DataUnionBase.sol";
import {IDataUnionErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev Fuzz tests of the union's revenue split: exact weighted shares, dust and fee; a joiner
/// gets nothing of earlier revenue; a parting member keeps what it earned and nothing later;
/// amounts up to 1e30 do not overflow.
contract RevenueFuzzTest is DataUnionBase {
    uint256 internal constant MAX_AMOUNT = 1e30;

    function _setWeight(address m, uint256 w) internal {
        vm.prank(unionAdmin);
        union.setWeight(m, uint32(w));
    }

    function _settle() internal {
        union.settle();
    }

    /// @dev (a) k members with random weights share a random amount: each earns exactly
    /// floor(share / totalWeight) × weight, dust is the rest, the fee amount × feeBps / 10 000.
    function testFuzz_weightedSplitIsExact(uint256 kSeed, uint32[8] memory weights, uint256 amount) public {
        uint256 k = bound(kSeed, 1, MEMBERS);
        amount = bound(amount, 1, MAX_AMOUNT);
        _joinFirst(k);
        uint256 totalWeight;
        uint256[] memory w = new uint256[](k);
        for (uint256 i; i < k; ++i) {
            w[i] = bound(weights[i], 1, union.MAX_WEIGHT());
            _setWeight(members[i], w[i]);
            totalWeight += w[i];
        }
        assertEq(union.totalWeight(), totalWeight, "totalWeight");

        _donate(amount);
        uint256 fee = _fee(amount);
        uint256 share = amount - fee;
        uint256 perWeight = share / totalWeight;
        // the views include unsettled revenue exactly as the settlement splits it
        for (uint256 i; i < k; ++i) {
            assertEq(union.earningsOf(members[i]), perWeight * w[i], "earnings before settle");
        }
        _settle();
        uint256 sum;
        for (uint256 i; i < k; ++i) {
            assertEq(union.earningsOf(members[i]), perWeight * w[i], "earnings == floor(share/W) * w");
            assertEq(union.withdrawable(members[i]), perWeight * w[i], "withdrawable");
            sum += perWeight * w[i];
        }
        for (uint256 i = k; i < MEMBERS; ++i) {
            assertEq(union.earningsOf(members[i]), 0, "non-member earns nothing");
        }
        assertEq(union.dust(), share - sum, "dust == share - sum");
        assertTrue(union.dust() < totalWeight, "dust < totalWeight");
        assertEq(union.feesAccrued(), amount * FEE_BPS / 10_000, "fee == amount * feeBps / 10000");
        assertEq(union.totalRevenue(), amount, "totalRevenue");
        assertEq(sum + union.dust() + union.feesAccrued(), amount, "nothing lost");
    }

    /// @dev (b) Revenue arrives, then a member joins: it gets none of that revenue, only its share
    /// of later revenue.
    function testFuzz_joinerGetsNothingOfEarlierRevenue(uint256 before, uint256 later, bool settleFirst) public {
        before = bound(before, 1, MAX_AMOUNT);
        later = bound(later, 0, MAX_AMOUNT);
        _joinFirst(3);
        _donate(before);
        if (settleFirst) _settle();
        address joiner = members[3];
        _join(joiner); // settles `before` among the first three
        assertEq(union.earningsOf(joiner), 0, "joiner earns nothing of earlier revenue");
        uint256 earlyShare = (before - _fee(before)) / 3;
        for (uint256 i; i < 3; ++i) {
            assertEq(union.earningsOf(members[i]), earlyShare, "earlier members share it");
        }
        vm.prank(joiner);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.AmountAboveWithdrawable.selector, 0, 0));
        union.withdraw(type(uint256).max);

        _donate(later);
        uint256 lateShare = (later - _fee(later)) / 4;
        assertEq(union.earningsOf(joiner), lateShare, "joiner shares later revenue");
        if (lateShare == 0) return;
        vm.prank(joiner);
        uint256 paid = union.withdraw(type(uint256).max);
        assertEq(paid, lateShare, "withdraws only its later share");
        assertEq(token.balanceOf(joiner), lateShare, "joiner paid");
        assertEq(union.withdrawable(joiner), 0, "nothing left");
        assertEq(union.earningsOf(members[0]), earlyShare + lateShare, "earlier member has both");
    }

    /// @dev (c) A parting member keeps exactly what it earned (withdrawable after parting) and
    /// gets nothing of revenue that arrives later.
    function testFuzz_partingMemberKeepsEarningsOnly(uint256 before, uint256 later, uint32 weight, bool settleFirst)
        public
    {
        before = bound(before, 1, MAX_AMOUNT);
        later = bound(later, 1, MAX_AMOUNT);
        uint256 w = bound(weight, 1, union.MAX_WEIGHT());
        _joinFirst(4);
        address leaver = members[3];
        _setWeight(leaver, w);
        _donate(before);
        if (settleFirst) _settle();
        uint256 perWeight = (before - _fee(before)) / (3 + w);
        uint256 earned = perWeight * w;
        _part(leaver);
        assertEq(union.earningsOf(leaver), earned, "earned while a member");
        assertEq(union.memberOf(leaver).weight, 0, "no weight after parting");

        _donate(later);
        _settle();
        assertEq(union.earningsOf(leaver), earned, "nothing of later revenue");
        uint256 latePerMember = (later - _fee(later)) / 3;
        assertEq(union.earningsOf(members[0]), perWeight + latePerMember, "remaining members share later revenue");

        if (earned == 0) return;
        vm.prank(leaver);
        uint256 paid = union.withdraw(type(uint256).max);
        assertEq(paid, earned, "withdraws exactly what it earned");
        assertEq(token.balanceOf(leaver), earned, "leaver paid");
        _donate(later);
        assertEq(union.withdrawable(leaver), 0, "still nothing of later revenue");
    }

    /// @dev (d) Amounts up to 1e30 with maximum weights, repeated, do not overflow, and every
    /// unit stays accounted for; everyone can withdraw everything.
    function testFuzz_largeAmountsDoNotOverflow(uint256[4] memory amounts, uint32[8] memory weights) public {
        _joinFirst(MEMBERS);
        for (uint256 i; i < MEMBERS; ++i) {
            _setWeight(members[i], bound(weights[i], 1, union.MAX_WEIGHT()));
        }
        uint256 total;
        for (uint256 r; r < amounts.length; ++r) {
            uint256 amount = bound(amounts[r], 0, MAX_AMOUNT);
            if (r == 0) amount = MAX_AMOUNT; // at least one round at the maximum
            _donate(amount);
            total += amount;
            if (r % 2 == 1) _settle();
            _setWeight(members[r], union.MAX_WEIGHT());
        }
        _settle();
        uint256 earned;
        for (uint256 i; i < MEMBERS; ++i) {
            earned += union.earningsOf(members[i]);
        }
        assertEq(union.totalRevenue(), total, "totalRevenue");
        assertEq(earned + union.feesAccrued() + union.dust(), total, "revenue == earnings + fees + dust");

        uint256 paid;
        for (uint256 i; i < MEMBERS; ++i) {
            if (union.withdrawable(members[i]) == 0) continue;
            vm.prank(members[i]);
            paid += union.withdraw(type(uint256).max);
        }
        if (union.feesWithdrawable() != 0) {
            vm.prank(unionAdmin);
            paid += union.withdrawFees(unionAdmin, type(uint256).max);
        }
        assertEq(paid, earned + union.feesAccrued(), "everything earned paid");
        assertEq(token.balanceOf(address(union)), union.dust(), "only dust left");
    }
}
