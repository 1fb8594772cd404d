// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DataUnionBase} from "../unions/DataUnionBase.sol";
import {UnionHandler} from "./handlers/UnionHandler.sol";
import {DataUnion} from "../../src/DataUnion.sol";
import {MemberStatus} from "../../src/MarketTypes.sol";

/// @dev Invariants of one DataUnion under random sequences of UnionHandler actions (join,
/// approve/reject a join, part, removeMember with a random reason, credential revocation and
/// removeIneligible, re-registration, setWeight, listing toggles, purchases and renewals of the
/// union product by consumers, donations minted straight to the union, settle, withdraw /
/// withdrawTo / withdrawWithSignature of random amounts, withdrawFees, sweepDust, schedule /
/// cancel / apply fee changes, warps). The handler's model of membership, weights and fee is its
/// own; the union is only compared against it here. Where "after a settlement" is said, the
/// invariant first settles the union and the model together (`handler.settleNow`).
/// 1. Accounting, after a settlement: totalRevenue == Σ earningsOf(m) over every account that
///    was ever a member + feesAccrued + dust; token.balanceOf(union) == totalRevenue − Σ withdrawn
///    − feesWithdrawn; Σ withdrawable + Σ withdrawn + feesAccrued + dust == totalRevenue; and
///    totalRevenue == every token unit the handler sent (purchases and donations).
/// 2. Earnings are exact: earningsOf(m) == the handler's expected earnings of m, which counts
///    only revenue split while m was Active (none from before it joined or after it parted or
///    was removed), at the fee then in force: floor(share / totalWeight) × weight. feesAccrued,
///    dust, feesWithdrawn and each member's withdrawn equal the model's too.
/// 3. Membership: totalWeight == Σ weight of Active members (read from memberOf), memberCount ==
///    number of Active members, inactive members have weight 0; both equal the model's.
/// 4. Stream: an account holds PUBLISH on the union's stream iff it is an Active member.
/// 5. Sale: the union product is active in the Catalogue iff listed && memberCount >= minMembers.
/// 6. Fee: feeBps <= MAX_FEE_BPS (and the scheduled fee too), and feeBps == the model's fee (a
///    scheduled change applies only through applyFeeChange after FEE_NOTICE).
/// 7. No action observed a violation (a call the model says must succeed reverted, or one that
///    must fail succeeded; see UnionHandler.ghostViolations).
contract DataUnionInvariants is DataUnionBase {
    UnionHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new UnionHandler(union, token, credentials, agreements, admin, ISSUER_PK);
        for (uint256 i; i < MEMBERS; ++i) {
            handler.addMember(members[i], MEMBER_PK + i);
        }
        handler.addConsumer(hospital);
        handler.addConsumer(university);
        handler.addConsumer(insurer);
        handler.addConsumer(pharma);
        handler.addConsumer(bob);
        vm.label(address(handler), "UnionHandler");

        // seed: three members (the product goes on sale), revenue, one more member, a purchase
        handler.join(0);
        handler.join(2);
        handler.donate(1_000e18 + 7); // split among two members: uneven, leaves dust
        handler.join(4);
        handler.buy(0, 3);
        handler.join(6);
        handler.setWeight(6, 7);
        assertEq(union.memberCount(), 4, "seeded members");
        assertTrue(catalogue.termsOf(unionProduct).active, "seeded union on sale");
        assertEq(handler.ghostViolations(), 0, "seed without violation");

        bytes4[] memory selectors = new bytes4[](26);
        selectors[0] = UnionHandler.join.selector;
        selectors[1] = UnionHandler.join.selector; // joins twice as likely
        selectors[2] = UnionHandler.approveJoin.selector;
        selectors[3] = UnionHandler.part.selector;
        selectors[4] = UnionHandler.removeMember.selector;
        selectors[5] = UnionHandler.revokeAndRemove.selector;
        selectors[6] = UnionHandler.removeIneligible.selector;
        selectors[7] = UnionHandler.reregister.selector;
        selectors[8] = UnionHandler.setWeight.selector;
        selectors[9] = UnionHandler.setWeight.selector;
        selectors[10] = UnionHandler.toggleListed.selector;
        selectors[11] = UnionHandler.buy.selector;
        selectors[12] = UnionHandler.buy.selector;
        selectors[13] = UnionHandler.donate.selector;
        selectors[14] = UnionHandler.donate.selector;
        selectors[15] = UnionHandler.settle.selector;
        selectors[16] = UnionHandler.withdraw.selector;
        selectors[17] = UnionHandler.withdraw.selector;
        selectors[18] = UnionHandler.withdrawFees.selector;
        selectors[19] = UnionHandler.sweepDust.selector;
        selectors[20] = UnionHandler.scheduleFeeChange.selector;
        selectors[21] = UnionHandler.cancelFeeChange.selector;
        selectors[22] = UnionHandler.applyFeeChange.selector;
        selectors[23] = UnionHandler.applyFeeChange.selector;
        selectors[24] = UnionHandler.warp.selector;
        selectors[25] = UnionHandler.approveJoin.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev 1. Accounting.
    function invariant_accounting() public {
        handler.settleNow();
        uint256 revenue = union.totalRevenue();
        assertEq(revenue, handler.ghostRevenue(), "totalRevenue == revenue sent");
        assertEq(union.unsettledRevenue(), 0, "settled");
        uint256 earned;
        uint256 withdrawable;
        uint256 withdrawn;
        for (uint256 i; i < members.length; ++i) {
            earned += union.earningsOf(members[i]);
            withdrawable += union.withdrawable(members[i]);
            withdrawn += union.memberOf(members[i]).withdrawn;
        }
        assertEq(revenue, earned + union.feesAccrued() + union.dust(), "revenue == earnings + fees + dust");
        assertEq(
            token.balanceOf(address(union)), revenue - withdrawn - union.feesWithdrawn(), "balance == revenue - paid out"
        );
        assertEq(
            withdrawable + withdrawn + union.feesAccrued() + union.dust(),
            revenue,
            "withdrawable + withdrawn + fees + dust == revenue"
        );
        assertEq(withdrawn, handler.ghostWithdrawnTotal(), "withdrawn == ghost");
        assertTrue(union.feesWithdrawn() <= union.feesAccrued(), "fees withdrawn <= accrued");
    }

    /// @dev 2. Exact earnings, fees and dust.
    function invariant_earningsExact() public {
        handler.settleNow();
        for (uint256 i; i < members.length; ++i) {
            address m = members[i];
            assertEq(union.earningsOf(m), handler.ghostExpected(m), "earnings == expected");
            assertEq(union.memberOf(m).withdrawn, handler.ghostWithdrawn(m), "withdrawn == ghost");
        }
        assertEq(union.feesAccrued(), handler.ghostFees(), "feesAccrued == model");
        assertEq(union.dust(), handler.ghostDust(), "dust == model");
        assertEq(union.feesWithdrawn(), handler.ghostFeesWithdrawn(), "feesWithdrawn == ghost");
    }

    /// @dev 2'. Without settling: the views include unsettled revenue exactly as a settlement
    /// would split it (the model splits it the same way).
    function invariant_earningsViewIncludesUnsettled() public view {
        // compare the sum only: the model splits unsettled revenue at the next settlement
        uint256 earned;
        for (uint256 i; i < members.length; ++i) {
            earned += union.earningsOf(members[i]);
        }
        uint256 unsettled = union.unsettledRevenue();
        assertEq(unsettled, handler.ghostUnsettled(), "unsettled == model");
        uint256 share = unsettled - unsettled * union.feeBps() / 10_000;
        assertTrue(earned <= union.totalRevenue() - union.feesAccrued() - union.dust() + share, "earnings bounded");
    }

    /// @dev 3. Membership counts and weights.
    function invariant_membership() public view {
        uint256 weight;
        uint256 count;
        for (uint256 i; i < members.length; ++i) {
            address m = members[i];
            DataUnion.Member memory mm = union.memberOf(m);
            bool active = mm.status == MemberStatus.Active;
            assertEq(active, handler.modelActive(m), "status == model");
            if (active) {
                weight += mm.weight;
                count += 1;
                assertTrue(mm.weight >= 1 && mm.weight <= union.MAX_WEIGHT(), "weight in range");
            } else {
                assertEq(mm.weight, 0, "inactive weight 0");
            }
            assertEq(mm.weight, handler.modelWeight(m), "weight == model");
        }
        assertEq(union.totalWeight(), weight, "totalWeight == sum of active weights");
        assertEq(union.memberCount(), count, "memberCount == active members");
        assertEq(union.totalWeight(), handler.modelTotalWeight(), "totalWeight == model");
        assertEq(union.memberCount(), handler.modelCount(), "memberCount == model");
    }

    /// @dev 4. PUBLISH iff Active.
    function invariant_publishOnlyActive() public view {
        for (uint256 i; i < members.length; ++i) {
            address m = members[i];
            bool active = union.memberOf(m).status == MemberStatus.Active;
            assertEq(_publishAllowed(m), active, "PUBLISH iff Active");
        }
        assertFalse(_publishAllowed(hospital), "a consumer never publishes");
    }

    /// @dev 5. On sale iff listed and big enough.
    function invariant_listing() public view {
        bool want = union.listed() && union.memberCount() >= union.minMembers();
        assertEq(catalogue.termsOf(unionProduct).active, want, "active iff listed && memberCount >= minMembers");
    }

    /// @dev 6. Fee bounds and notice.
    function invariant_fee() public view {
        assertTrue(union.feeBps() <= union.MAX_FEE_BPS(), "fee <= MAX_FEE_BPS");
        assertTrue(union.pendingFeeBps() <= union.MAX_FEE_BPS(), "pending fee <= MAX_FEE_BPS");
        assertEq(union.feeBps(), handler.modelFee(), "fee == model");
        assertEq(uint256(union.feeEffectiveAt()), handler.modelFeeDueAt(), "fee change due == model");
    }

    /// @dev 7. No violation seen inside an action.
    function invariant_noViolation() public view {
        assertEq(handler.ghostViolations(), 0, handler.lastViolation());
    }
}
