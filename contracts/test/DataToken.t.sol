// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Fixture} from "./utils/Fixture.sol";

/// @dev DataToken declares no errors of its own; these tests reach every error its OpenZeppelin
/// bases can raise through its public API. Unreachable: ERC20InvalidSender (transfers always come
/// from msg.sender or, via transferFrom, fail earlier with ERC20InvalidApprover for address(0)),
/// InvalidAccountNonce (permit uses unchecked nonces) and ECDSAInvalidSignatureLength (permit takes v, r, s).
/// State invariants: totalSupply == sum of mints; only MINTER_ROLE holders mint;
/// a permit sets allowance[owner][spender] = value and bumps nonces(owner) by one.
contract DataTokenTest is Fixture {

    function test_metadata() public view {
        assertEq(token.name(), "DATA Token", "name");
        assertEq(token.symbol(), "DATA", "symbol");
        assertEq(token.decimals(), 18, "decimals");
        assertEq(token.totalSupply(), 0, "no premint");
        assertTrue(token.hasRole(token.DEFAULT_ADMIN_ROLE(), admin), "admin role");
        assertTrue(token.hasRole(token.MINTER_ROLE(), admin), "minter role");
        assertEq(token.MINTER_ROLE(), keccak256("MINTER_ROLE"), "MINTER_ROLE");
    }

    function test_mint_byMinter() public {
        vm.expectEmit(address(token));
        emit IERC20.Transfer(address(0), bob, 1e18);
        vm.prank(admin);
        token.mint(bob, 1e18);
        assertEq(token.balanceOf(bob), 1e18, "balance");
        assertEq(token.totalSupply(), 1e18, "supply");
    }

    function test_mint_RevertIf_notMinter() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, bob, token.MINTER_ROLE())
        );
        vm.prank(bob);
        token.mint(bob, 1);
    }

    function test_mint_grantedMinter() public {
        bytes32 role = token.MINTER_ROLE();
        vm.prank(admin);
        token.grantRole(role, bob);
        vm.prank(bob);
        token.mint(hospital, 5);
        assertEq(token.balanceOf(hospital), 5, "minted by new minter");
    }

    function test_grantRole_RevertIf_notAdmin() public {
        bytes32 role = token.MINTER_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, token.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(bob);
        token.grantRole(role, bob);
    }

    function test_renounceRole_RevertIf_badConfirmation() public {
        bytes32 role = token.MINTER_ROLE();
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlBadConfirmation.selector));
        vm.prank(admin);
        token.renounceRole(role, bob);
    }

    function test_mint_RevertIf_toZero() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        vm.prank(admin);
        token.mint(address(0), 1);
    }

    function test_transfer_RevertIf_insufficientBalance() public {
        _mint(bob, 10);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, bob, 10, 11));
        vm.prank(bob);
        token.transfer(hospital, 11);
    }

    function test_transfer_RevertIf_toZero() public {
        _mint(bob, 10);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        vm.prank(bob);
        token.transfer(address(0), 1);
    }

    function test_transferFrom_RevertIf_insufficientAllowance() public {
        _mint(bob, 10);
        vm.prank(bob);
        token.approve(hospital, 3);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, hospital, 3, 4));
        vm.prank(hospital);
        token.transferFrom(bob, hospital, 4);
    }

    function test_transferFrom_RevertIf_fromZero() public {
        // A zero-value transferFrom from address(0) passes the allowance amount check, then fails
        // re-approving the zero address's (zero) remaining allowance.
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidApprover.selector, address(0)));
        vm.prank(hospital);
        token.transferFrom(address(0), hospital, 0);
    }

    function test_approve_RevertIf_zeroSpender() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidSpender.selector, address(0)));
        vm.prank(bob);
        token.approve(address(0), 1);
    }

    function test_permit_setsAllowance() public {
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(BOB_PK, hospital, 42, deadline);
        vm.expectEmit(address(token));
        emit IERC20.Approval(bob, hospital, 42);
        vm.prank(stranger); // anyone may submit the permit
        token.permit(bob, hospital, 42, deadline, v, r, s);
        assertEq(token.allowance(bob, hospital), 42, "allowance");
        assertEq(token.nonces(bob), 1, "nonce bumped");
    }

    function test_permit_RevertIf_expired() public {
        uint256 deadline = _now() - 1;
        (uint8 v, bytes32 r, bytes32 s) = _permit(BOB_PK, hospital, 42, deadline);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        token.permit(bob, hospital, 42, deadline, v, r, s);
    }

    function test_permit_RevertIf_wrongSigner() public {
        uint256 deadline = _now() + 1 hours;
        // hospital signs a permit claiming to be bob's
        (uint8 v, bytes32 r, bytes32 s) = _permitAs(HOSPITAL_PK, bob, hospital, 42, deadline);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612InvalidSigner.selector, hospital, bob));
        token.permit(bob, hospital, 42, deadline, v, r, s);
    }

    function test_permit_RevertIf_replayed() public {
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(BOB_PK, hospital, 42, deadline);
        token.permit(bob, hospital, 42, deadline, v, r, s);
        // the nonce moved on, so the same signature recovers to some other address
        address recovered = ecrecover(_permitDigest(bob, hospital, 42, 1, deadline), v, r, s);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612InvalidSigner.selector, recovered, bob));
        token.permit(bob, hospital, 42, deadline, v, r, s);
    }

    function test_permit_RevertIf_invalidSignature() public {
        uint256 deadline = _now() + 1 hours;
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignature.selector));
        token.permit(bob, hospital, 42, deadline, 27, bytes32(0), bytes32(0));
    }

    function test_permit_RevertIf_malleableS() public {
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(BOB_PK, hospital, 42, deadline);
        // the other valid signature (n - s, flipped v) is rejected as malleable
        bytes32 highS =
            bytes32(uint256(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141) - uint256(s));
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, highS));
        token.permit(bob, hospital, 42, deadline, v == 27 ? 28 : 27, r, highS);
    }

    /// @dev Transfers move value and never change the supply.
    function testFuzz_transfer_conservesSupply(uint256 minted, uint256 amount) public {
        minted = bound(minted, 0, type(uint128).max);
        amount = bound(amount, 0, minted);
        _mint(bob, minted);
        vm.prank(bob);
        token.transfer(hospital, amount);
        assertEq(token.totalSupply(), minted, "supply");
        assertEq(token.balanceOf(bob) + token.balanceOf(hospital), minted, "sum of balances");
        assertEq(token.balanceOf(hospital), amount, "received");
    }

    // --- helpers ---

    function _permitAs(uint256 pk, address owner, address spender, uint256 value, uint256 deadline)
        internal
        view
        returns (uint8, bytes32, bytes32)
    {
        return vm.sign(pk, _permitDigest(owner, spender, value, token.nonces(owner), deadline));
    }
}
