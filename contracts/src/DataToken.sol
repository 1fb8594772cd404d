// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title DataToken
/// @notice The marketplace's payment token (stands in for Streamr's DATAcoin): an ERC-20 with
/// EIP-2612 permit so a purchase can be approved and paid in one transaction.
/// @dev Only holders of MINTER_ROLE can create tokens; the demo uses it to fund personas.
contract DataToken is ERC20, ERC20Permit, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @param admin Receives DEFAULT_ADMIN_ROLE and MINTER_ROLE.
    constructor(address admin) ERC20("DATA Token", "DATA") ERC20Permit("DATA Token") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @notice Creates `amount` tokens for `to`.
    /// @dev Reverts with AccessControlUnauthorizedAccount unless the caller has MINTER_ROLE.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }
}
