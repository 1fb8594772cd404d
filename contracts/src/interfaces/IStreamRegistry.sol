// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IStreamRegistry
/// @notice The part of Streamr's StreamRegistryV5 the marketplace uses (deployed on our chain
/// from the network-contracts package). Stream products link stream ids the seller owns; the
/// Agreements contract holds the registry's TRUSTED_ROLE and grants time-limited SUBSCRIBE on
/// purchase, as Streamr's own marketplace does. A data union creates its own stream and
/// grants and revokes its members' PUBLISH as the stream's owner.
interface IStreamRegistry {
    /// @dev StreamRegistryV5.Permission: one user's record on one stream.
    struct Permission {
        bool canEdit;
        bool canDelete;
        uint256 publishExpiration;
        uint256 subscribeExpiration;
        bool canGrant;
    }

    /// @dev Creates stream `<lower-case caller address><streamIdPath>`; the caller gets every
    /// permission (data unions own their stream this way).
    function createStream(string calldata streamIdPath, string calldata metadataJsonString) external;

    /// @dev Sets one publish or subscribe expiry of `user`, keeping the rest of their record;
    /// the caller needs GRANT on the stream.
    function setExpirationTime(string calldata streamId, address user, uint8 permissionType, uint256 expirationTime)
        external;

    /// @dev StreamRegistryV5.PermissionType: Edit, Delete, Publish, Subscribe, Grant.
    function hasDirectPermission(string calldata streamId, address user, uint8 permissionType)
        external
        view
        returns (bool);

    /// @dev The user's own record (public permissions not merged in); reverts for an unknown stream.
    function getDirectPermissionsForUser(string calldata streamId, address user)
        external
        view
        returns (Permission memory);

    /// @dev Sets the user's whole permission record on the stream; the caller needs TRUSTED_ROLE.
    /// Expirations are unix seconds compared with block.timestamp; 0 = no permission.
    function trustedSetPermissionsForUser(
        string calldata streamId,
        address user,
        bool canEdit,
        bool deletePerm,
        uint256 publishExpiration,
        uint256 subscribeExpiration,
        bool canGrant
    ) external;
}
