// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IStreamRegistry} from "../../src/interfaces/IStreamRegistry.sol";

/// @dev The StreamRegistryV5 behaviour the marketplace relies on, for unit tests of the
/// contracts alone (the real StreamRegistryV5 artifact is exercised by the
/// TypeScript tests on anvil): stream creators hold GRANT, unknown streams revert, only trusted
/// callers set permissions, subscribe permission holds while `expiration >= block.timestamp`; records are whole (edit, delete,
/// publish, subscribe, grant) as in the real registry.
contract StreamRegistryMock is IStreamRegistry {
    mapping(string streamId => bool) public exists;
    mapping(string streamId => mapping(address user => Permission)) public permissions;
    mapping(address caller => bool) public trusted;

    error StreamDoesNotExist(string streamId);
    error NotTrusted(address caller);
    error NoGrant(address caller);

    function setTrusted(address caller, bool isTrusted) external {
        trusted[caller] = isTrusted;
    }

    function createStream(string calldata streamId) external {
        exists[streamId] = true;
        permissions[streamId][msg.sender] = Permission(true, true, type(uint256).max, type(uint256).max, true);
    }

    /// @dev As StreamRegistryV5.createStream: the id is the caller's lower-case address + path.
    function createStream(string calldata streamIdPath, string calldata) external {
        string memory streamId = string.concat(Strings.toHexString(msg.sender), streamIdPath);
        exists[streamId] = true;
        permissions[streamId][msg.sender] = Permission(true, true, type(uint256).max, type(uint256).max, true);
    }

    /// @dev As StreamRegistryV5.setExpirationTime: needs GRANT, publish (2) or subscribe (3) only.
    function setExpirationTime(string calldata streamId, address user, uint8 permissionType, uint256 expirationTime)
        external
    {
        if (!exists[streamId]) revert StreamDoesNotExist(streamId);
        if (!permissions[streamId][msg.sender].canGrant) revert NoGrant(msg.sender);
        if (permissionType == 2) permissions[streamId][user].publishExpiration = expirationTime;
        else if (permissionType == 3) permissions[streamId][user].subscribeExpiration = expirationTime;
        else revert NoGrant(msg.sender);
    }

    function hasDirectPermission(string calldata streamId, address user, uint8 permissionType)
        external
        view
        returns (bool)
    {
        if (!exists[streamId]) revert StreamDoesNotExist(streamId);
        Permission storage p = permissions[streamId][user];
        if (permissionType == 2) return p.publishExpiration >= block.timestamp;
        if (permissionType == 3) return p.subscribeExpiration >= block.timestamp;
        if (permissionType == 4) return p.canGrant;
        return false;
    }

    function trustedSetPermissionsForUser(
        string calldata streamId,
        address user,
        bool canEdit,
        bool deletePerm,
        uint256 publishExpiration,
        uint256 subscribeExpiration,
        bool canGrant
    ) external {
        if (!trusted[msg.sender]) revert NotTrusted(msg.sender);
        if (!exists[streamId]) revert StreamDoesNotExist(streamId);
        permissions[streamId][user] = Permission(canEdit, deletePerm, publishExpiration, subscribeExpiration, canGrant);
    }

    function getDirectPermissionsForUser(string calldata streamId, address user)
        external
        view
        returns (Permission memory)
    {
        if (!exists[streamId]) revert StreamDoesNotExist(streamId);
        return permissions[streamId][user];
    }

    /// @dev Test helper: the stream owner sets a user's record directly (as setPermissionsForUser).
    function ownerSetPermissions(string calldata streamId, address user, Permission calldata p) external {
        permissions[streamId][user] = p;
    }

    function subscribeExpirationOf(string calldata streamId, address user) external view returns (uint256) {
        return permissions[streamId][user].subscribeExpiration;
    }
}
