// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Catalogue, IUnionRegistry} from "./Catalogue.sol";
import {Policies} from "./Policies.sol";
import {Agreements} from "./Agreements.sol";
import {Credentials} from "./Credentials.sol";
import {DataUnion} from "./DataUnion.sol";

/// @title DataUnionFactory
/// @notice Creates data unions (MKT-FUN-18): each a minimal clone of one `DataUnion` template,
/// administered by its creator. `isUnion` tells a union made here from any other contract.
contract DataUnionFactory is IUnionRegistry {
    /// @notice The implementation every union delegates to (never initialized itself).
    DataUnion public immutable template;

    mapping(address union => bool) public isUnion;
    uint256 public unionCount;

    /// @notice Emitted before the union sets itself up, so that an indexer watching unions from
    /// this event (a subgraph template) also sees the union's own `UnionInitialized`.
    event UnionCreated(address indexed union, address indexed admin);

    /// @dev Deploys the template here, so that only this factory can initialize its clones.
    constructor(IERC20 token, Catalogue catalogue, Policies policies, Agreements agreements, Credentials credentials) {
        template = new DataUnion(token, catalogue, policies, agreements, credentials);
    }

    /// @notice Creates a union administered by the caller, with its stream, product and consent
    /// policy (see `DataUnion.initialize`). It goes on sale once `setup.minMembers` have joined.
    function create(DataUnion.Setup calldata setup) external returns (DataUnion union) {
        union = DataUnion(Clones.clone(address(template)));
        isUnion[address(union)] = true;
        ++unionCount;
        emit UnionCreated(address(union), msg.sender);
        union.initialize(msg.sender, setup);
    }
}
