// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DataUnionBase} from "./DataUnionBase.sol";
import {IDataUnionErrors, IMarketErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev Withdrawals. Invariants: a member withdraws at most what they earned, to themself, to
/// another address, or through a signature anyone submits; each signature pays once, before its
/// deadline, only the amount and recipient the member signed; the union's balance always covers
/// every member's withdrawable earnings plus the admin's fees and the dust.
contract DataUnionWithdrawTest is DataUnionBase {
    bytes32 private constant WITHDRAW_TYPEHASH =
        keccak256("Withdraw(address member,address to,uint256 amount,uint256 nonce,uint256 deadline)");

    function setUp() public override {
        super.setUp();
        _joinFirst(2);
        _donate(20e18); // 9 DATA each after the 10 % fee
    }

    function _signWithdraw(uint256 pk, address to, uint256 amount, uint256 nonce, uint256 deadline)
        private
        view
        returns (bytes memory)
    {
        address member = vm.addr(pk);
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                union.domainSeparator(),
                keccak256(abi.encode(WITHDRAW_TYPEHASH, member, to, amount, nonce, deadline))
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function test_withdraw_partThenAll() public {
        vm.startPrank(members[0]);
        union.withdraw(4e18);
        assertEq(union.withdrawable(members[0]), 5e18);
        union.withdraw(type(uint256).max);
        vm.stopPrank();
        assertEq(token.balanceOf(members[0]), 9e18);
        assertEq(union.memberOf(members[0]).withdrawn, 9e18);
        assertEq(union.earningsOf(members[0]), 9e18, "earnings include what was withdrawn");
    }

    function test_withdrawTo() public {
        vm.prank(members[0]);
        union.withdrawTo(alice, 9e18);
        assertEq(token.balanceOf(alice), 9e18);
        vm.expectRevert(IMarketErrors.ZeroAddress.selector);
        vm.prank(members[1]);
        union.withdrawTo(address(0), 1);
    }

    function test_withdraw_RevertIf_aboveEarnings() public {
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.AmountAboveWithdrawable.selector, 9e18 + 1, 9e18));
        vm.prank(members[0]);
        union.withdraw(9e18 + 1);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.AmountAboveWithdrawable.selector, 0, 0));
        vm.prank(stranger);
        union.withdraw(type(uint256).max);
    }

    function test_withdrawWithSignature_paysOnceToWhomTheMemberChose() public {
        uint256 deadline = _now() + 1 hours;
        bytes memory sig = _signWithdraw(MEMBER_PK, alice, 5e18, 0, deadline);
        vm.prank(stranger); // a relayer pays the gas
        union.withdrawWithSignature(members[0], alice, 5e18, deadline, sig);
        assertEq(token.balanceOf(alice), 5e18);
        assertEq(union.nonces(members[0]), 1);
        vm.expectRevert(IMarketErrors.InvalidSignature.selector); // replay: the nonce moved on
        union.withdrawWithSignature(members[0], alice, 5e18, deadline, sig);
    }

    function test_withdrawWithSignature_RevertIf_alteredOrForeignOrExpired() public {
        uint256 deadline = _now() + 1 hours;
        bytes memory sig = _signWithdraw(MEMBER_PK, alice, 5e18, 0, deadline);
        vm.expectRevert(IMarketErrors.InvalidSignature.selector);
        union.withdrawWithSignature(members[0], stranger, 5e18, deadline, sig); // other recipient
        vm.expectRevert(IMarketErrors.InvalidSignature.selector);
        union.withdrawWithSignature(members[0], alice, 9e18, deadline, sig); // other amount
        vm.expectRevert(IMarketErrors.InvalidSignature.selector);
        union.withdrawWithSignature(members[1], alice, 5e18, deadline, sig); // someone else's earnings
        _warpBy(1 hours + 1);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.SignatureExpired.selector, deadline));
        union.withdrawWithSignature(members[0], alice, 5e18, deadline, sig);
        assertEq(union.withdrawable(members[0]), 9e18, "nothing paid");
    }

    function test_balanceCoversEverything() public {
        vm.prank(members[0]);
        union.withdraw(3e18);
        union.settle();
        uint256 owed = union.withdrawable(members[0]) + union.withdrawable(members[1]) + union.feesWithdrawable()
            + union.dust();
        assertEq(token.balanceOf(address(union)), owed);
    }
}
