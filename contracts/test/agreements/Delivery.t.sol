// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Agreements} from "../../src/Agreements.sol";
import {AgreementsBase} from "./AgreementsBase.sol";
import {Purpose} from "../../src/MarketTypes.sol";
import {IAgreementsErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev Delivery receipts (`recordDelivery`). Invariants:
/// - only a current delivery agent of the product records a delivery (`NotDeliveryAgent`, also
///   for an agent removed since), only for an active agreement (not pending, expired or
///   cancelled: `NotActive`; a one-time agreement stays active long after), and never a zero
///   hash; the latest hash per agent is kept and the agreement is marked delivered.
contract AgreementsDeliveryTest is AgreementsBase {
    // --- delivery receipts ---

    function test_recordDelivery() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        bytes32 envelope = keccak256("sealed key share for hospital");
        vm.expectEmit(address(agreements));
        emit Agreements.DeliveryRecorded(id, relay1, envelope);
        vm.prank(relay1);
        agreements.recordDelivery(id, envelope);
        assertEq(agreements.deliveryOf(id, relay1), envelope, "recorded");
        assertEq(agreements.deliveryOf(id, relay2), bytes32(0), "other relay not yet");
        // a later delivery replaces the recorded hash
        bytes32 envelope2 = keccak256("re-sealed after key rotation");
        vm.prank(relay1);
        agreements.recordDelivery(id, envelope2);
        assertEq(agreements.deliveryOf(id, relay1), envelope2, "replaced");
    }

    function test_recordDelivery_oneTimeLongAfter() public {
        uint256 id = _request(university, batch, Purpose.Research, 1);
        _warpBy(CREDENTIAL_LIFETIME - 1); // as long as the consumer's credential is valid
        vm.prank(relay2);
        agreements.recordDelivery(id, keccak256("e"));
        assertEq(agreements.deliveryOf(id, relay2), keccak256("e"), "recorded");
    }

    function test_recordDelivery_RevertIf_notAgent() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotDeliveryAgent.selector, id, alice));
        vm.prank(alice); // not even the seller
        agreements.recordDelivery(id, keccak256("e"));
    }

    function test_recordDelivery_RevertIf_agentRemoved() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        address[] memory agents = new address[](1);
        agents[0] = relay2;
        vm.prank(alice);
        catalogue.setDeliveryAgents(stream, agents, 1);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotDeliveryAgent.selector, id, relay1));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("e"));
    }

    function test_recordDelivery_RevertIf_pending() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("e"));
    }

    function test_recordDelivery_RevertIf_expired() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        _warpBy(1 days);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("e"));
    }

    function test_recordDelivery_RevertIf_cancelled() public {
        uint256 id = _request(hospital, gated, Purpose.Research, 1);
        vm.prank(hospital);
        agreements.cancel(id);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.NotActive.selector, id));
        vm.prank(relay1);
        agreements.recordDelivery(id, keccak256("e"));
    }

    function test_recordDelivery_RevertIf_zeroHash() public {
        uint256 id = _request(hospital, stream, Purpose.Research, 1);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.InvalidEnvelopeHash.selector));
        vm.prank(relay1);
        agreements.recordDelivery(id, bytes32(0));
    }
}
