// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Agreements} from "../../src/Agreements.sol";
import {IStreamRegistry} from "../../src/interfaces/IStreamRegistry.sol";
import {AgreementsBase} from "./AgreementsBase.sol";
import {PricingUnit, Purpose} from "../../src/MarketTypes.sol";
import {IAgreementsErrors} from "../../src/interfaces/IMarketErrors.sol";

/// @dev Stream permissions in Streamr's StreamRegistry. Invariants:
/// - an active agreement on a stream product grants its consumer SUBSCRIBE until endsAt, renewal
///   extends it, a pending request grants nothing until approved, non-stream products never call
///   the registry;
/// - revoking (credential revoked, `revokeStreamAccess`) or terminating an agreement never
///   reduces access paid through another agreement, the consumer's other rights, or a longer
///   subscription the stream's owner gave: SUBSCRIBE always lasts until the latest end of the
///   consumer's live agreements; a superseded agreement keeps the newer grant;
/// - access is sold only while the seller still holds GRANT (`StreamGrantWithdrawn`);
///   `revokeStreamAccess` of an unknown agreement reverts.
contract AgreementsStreamsTest is AgreementsBase {
    // --- stream permissions (StreamRegistry) ---

    function test_streams_requestGrantsSubscribeUntilEndsAt() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 id = _request(hospital, product, Purpose.Research, 3);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), T0 + 3 days, "expires with the agreement");
        assertEq(agreements.getAgreement(id).endsAt, T0 + 3 days, "endsAt");
        assertTrue(streamRegistry.hasDirectPermission(streamId, hospital, 3), "may subscribe");
        _warpBy(3 days + 1);
        assertFalse(streamRegistry.hasDirectPermission(streamId, hospital, 3), "expired on the registry's clock");
    }

    function test_streams_renewExtendsSubscribe() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 id = _request(hospital, product, Purpose.Research, 1);
        (uint32 v41, PricingUnit u41) = _renewPins(id);
        vm.prank(hospital);
        agreements.renew(id, v41, u41, 2, 2 * DAILY);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), T0 + 3 days, "extended");
    }

    function test_streams_pendingGrantsNothingUntilApproved() public {
        (uint256 product, string memory streamId) = _streamProduct(true);
        uint256 id = _request(hospital, product, Purpose.Research, 1);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), 0, "nothing while pending");
        _warpBy(1 hours);
        vm.prank(alice);
        agreements.approve(id);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), T0 + 1 hours + 1 days, "from approval");
    }

    function test_streams_nonStreamProductsCallNoRegistry() public {
        streamRegistry.setTrusted(address(agreements), false); // any registry call would revert
        _request(hospital, batch, Purpose.Research, 1);
    }

    function test_revokeStreamAccess_afterCredentialRevoked() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 id = _request(insurer, product, Purpose.Insurance, 5);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.StillActive.selector, id));
        agreements.revokeStreamAccess(id);
        vm.prank(alice);
        policies.retractConsent(product, insurer);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.StillActive.selector, id)); // retraction: future only
        agreements.revokeStreamAccess(id);
        vm.prank(issuer);
        credentials.revoke(insurer);
        vm.expectEmit(address(agreements));
        emit Agreements.StreamAccessRevoked(id, insurer);
        vm.prank(stranger); // anyone may clean up once access has ended
        agreements.revokeStreamAccess(id);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, insurer), 0, "revoked");
        assertFalse(streamRegistry.hasDirectPermission(streamId, insurer, 3), "no subscribe");
    }

    function test_revokeStreamAccess_supersededKeepsNewerGrant() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 first = _request(hospital, product, Purpose.Research, 1);
        _warpBy(2 days);
        _request(hospital, product, Purpose.Research, 1);
        agreements.revokeStreamAccess(first); // ended long ago: a no-op
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), _now() + 1 days, "newer grant kept");
    }

    function test_terminate_revokesStreamAccess() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 id = _request(hospital, product, Purpose.Research, 4);
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        vm.prank(alice);
        agreements.terminate(id);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), 0, "subscribe revoked in the same tx");
    }

    /// @dev Review finding 9a: two products sell the same stream; ending one agreement early does
    /// not cut access paid through the other.
    function test_streams_revokingOneAgreementKeepsAccessPaidThroughAnother() public {
        (uint256 p1, string memory streamId) = _streamProduct(false);
        (uint256 p2,) = _streamProduct(false); // same stream, second listing
        uint256 short = _request(hospital, p1, Purpose.Research, 2);
        uint256 long = _request(hospital, p2, Purpose.Research, 5);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), T0 + 5 days, "the longer grant");
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        vm.prank(alice);
        agreements.terminate(long);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), T0 + 2 days, "back to the other agreement");
        agreements.revokeStreamAccess(long); // a replay changes nothing
        assertEq(streamRegistry.subscribeExpirationOf(streamId, hospital), T0 + 2 days, "still the other agreement");
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.StillActive.selector, short));
        agreements.revokeStreamAccess(short);
    }

    /// @dev Review finding 9c: a grant or a revoke keeps the consumer's other rights on the stream,
    /// and a longer subscription the stream's owner gave them.
    function test_streams_keepOtherRightsAndOwnerGrants() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        streamRegistry.ownerSetPermissions(
            streamId, hospital, IStreamRegistry.Permission(true, false, type(uint256).max, 0, true)
        );
        uint256 id = _request(hospital, product, Purpose.Research, 3);
        IStreamRegistry.Permission memory p = streamRegistry.getDirectPermissionsForUser(streamId, hospital);
        assertTrue(p.canEdit && p.canGrant && p.publishExpiration == type(uint256).max, "rights kept on grant");
        assertEq(p.subscribeExpiration, T0 + 3 days, "subscribe granted");
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        vm.prank(alice);
        agreements.terminate(id);
        p = streamRegistry.getDirectPermissionsForUser(streamId, hospital);
        assertTrue(p.canEdit && p.canGrant && p.publishExpiration == type(uint256).max, "rights kept on revoke");
        assertEq(p.subscribeExpiration, 0, "subscribe revoked");

        streamRegistry.ownerSetPermissions(
            streamId, university, IStreamRegistry.Permission(false, false, 0, type(uint256).max, false)
        );
        uint256 u = _request(university, product, Purpose.Research, 1);
        vm.prank(alice);
        agreements.terminate(u);
        assertEq(streamRegistry.subscribeExpirationOf(streamId, university), type(uint256).max, "owner's grant kept");
    }

    /// @dev Review finding 9b: the seller must still hold GRANT when access is sold.
    function test_streams_RevertIf_sellerLostGrant() public {
        (uint256 product, string memory streamId) = _streamProduct(false);
        uint256 id = _request(hospital, product, Purpose.Research, 1);
        streamRegistry.ownerSetPermissions(streamId, alice, IStreamRegistry.Permission(false, false, 0, 0, false));
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.StreamGrantWithdrawn.selector, product, streamId));
        _request(university, product, Purpose.Research, 1);
        (uint32 v, PricingUnit u) = _pins(product);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.StreamGrantWithdrawn.selector, product, streamId));
        vm.prank(hospital);
        agreements.renew(id, v, u, 1, DAILY);
    }

    /// @dev Invariant: revoking or terminating one agreement never reduces access paid through
    /// another — the consumer's SUBSCRIBE always lasts until the latest end of their live agreements.
    function testFuzz_streams_accessCoversEveryLiveAgreement(uint8 d1, uint8 d2, uint8 d3, uint8 order, uint16 wait)
        public
    {
        (uint256 p1, string memory streamId) = _streamProduct(false);
        (uint256 p2,) = _streamProduct(false);
        (uint256 p3,) = _streamProduct(false);
        uint256[3] memory ids = [
            _request(hospital, p1, Purpose.Research, uint16(bound(d1, 1, 30))),
            _request(hospital, p2, Purpose.Research, uint16(bound(d2, 1, 30))),
            _request(hospital, p3, Purpose.Research, uint16(bound(d3, 1, 30)))
        ];
        vm.prank(alice);
        token.approve(address(agreements), type(uint256).max);
        _warpBy(bound(wait, 0, 20 days));
        for (uint256 k; k < 3; ++k) {
            uint256 id = ids[(order + k) % 3];
            if (k < 2 && agreements.isActive(id)) {
                vm.prank(alice);
                agreements.terminate(id);
            }
            try agreements.revokeStreamAccess(ids[(order + k + 1) % 3]) {} catch {}
            uint256 live;
            for (uint256 j; j < 3; ++j) {
                if (agreements.isActive(ids[j]) && agreements.getAgreement(ids[j]).endsAt > live) {
                    live = agreements.getAgreement(ids[j]).endsAt;
                }
            }
            assertTrue(streamRegistry.subscribeExpirationOf(streamId, hospital) >= live, "covers every live agreement");
        }
    }

    function test_revokeStreamAccess_RevertIf_unknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.AgreementNotFound.selector, 999));
        agreements.revokeStreamAccess(999);
    }
}
