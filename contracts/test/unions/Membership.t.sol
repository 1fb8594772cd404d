// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DataUnionBase} from "./DataUnionBase.sol";
import {DataUnion} from "../../src/DataUnion.sol";
import {IDataUnionErrors} from "../../src/interfaces/IMarketErrors.sol";
import {
    Category, Country, MemberStatus, OrganisationType, RemovalReason, Verdict
} from "../../src/MarketTypes.sol";

/// @dev Joining, parting, removal, weights and the union stream's PUBLISH permission. Invariants:
/// - a member joins themself with a valid credential the join policy allows, checked on chain
///   with the purchase's eligibility errors; no join server;
/// - PUBLISH on the union's stream is held exactly by Active members: granted on join (or
///   approval) and revoked on part or removal in the same transaction;
/// - memberCount and totalWeight are the count and Σ weight of Active members;
/// - a member the admin removed needs the admin's approval to come back; one removed because
///   their credential stopped being valid may rejoin once it is valid again.
contract DataUnionMembershipTest is DataUnionBase {
    function test_join_grantsPublishAndCounts() public {
        address m = members[0];
        assertFalse(_publishAllowed(m));
        vm.expectEmit(true, false, false, true, address(union));
        emit DataUnion.MemberJoined(m, 1);
        _join(m);
        assertTrue(_publishAllowed(m), "PUBLISH in the join transaction");
        DataUnion.Member memory r = union.memberOf(m);
        assertEq(uint8(r.status), uint8(MemberStatus.Active));
        assertEq(r.weight, 1);
        assertEq(r.joinedAt, _now());
        assertEq(union.memberCount(), 1);
        assertEq(union.totalWeight(), 1);
    }

    function test_part_revokesPublish() public {
        address m = members[0];
        _join(m);
        vm.expectEmit(true, false, false, true, address(union));
        emit DataUnion.MemberParted(m);
        _part(m);
        assertFalse(_publishAllowed(m), "PUBLISH revoked in the part transaction");
        assertEq(uint8(union.memberOf(m).status), uint8(MemberStatus.Parted));
        assertEq(union.memberCount(), 0);
        assertEq(union.totalWeight(), 0);
        _join(m); // parting is not final
        assertTrue(_publishAllowed(m));
    }

    function test_join_RevertIf_alreadyMemberOrPending() public {
        _join(members[0]);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.WrongMemberStatus.selector, members[0], MemberStatus.Active));
        _join(members[0]);
    }

    function test_part_RevertIf_notMember() public {
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.WrongMemberStatus.selector, stranger, MemberStatus.None));
        _part(stranger);
    }

    function test_join_RevertIf_notRegistered() public {
        vm.expectRevert(abi.encodeWithSignature("NotRegistered(address)", stranger));
        _join(stranger);
        assertEq(uint8(union.joinVerdict(stranger)), uint8(Verdict.NotRegistered));
    }

    function test_join_RevertIf_categoryNotAllowed() public {
        vm.expectRevert(
            abi.encodeWithSignature("CategoryNotAllowed(uint256,uint8)", unionProduct, uint8(Category.Organisation))
        );
        _join(hospital);
    }

    function test_join_RevertIf_jurisdictionNotAllowed() public {
        // alice is an individual in DE: allowed; bob too. Register one in FR.
        address fr = vm.addr(0xF4);
        _registerIndividual(fr, Country.FR);
        vm.expectRevert(abi.encodeWithSignature("JurisdictionNotAllowed(uint256,uint8)", unionProduct, uint8(Country.FR)));
        _join(fr);
    }

    function test_join_RevertIf_organisationTypeNotAllowed() public {
        vm.prank(unionAdmin);
        union.setJoinPolicy(
            DataUnion.JoinPolicy({
                categories: uint8(1 << uint8(Category.Organisation)),
                organisationTypes: uint16(1 << uint8(OrganisationType.Hospital)),
                jurisdictions: uint64(1 << uint8(Country.FR)),
                requiresApproval: false
            })
        );
        vm.expectRevert(
            abi.encodeWithSignature(
                "OrganisationTypeNotAllowed(uint256,uint8)", unionProduct, uint8(OrganisationType.ResearchUniversity)
            )
        );
        _join(university);
    }

    function test_join_RevertIf_credentialRevokedOrExpired() public {
        vm.prank(issuer);
        credentials.revoke(members[0]);
        vm.expectRevert(abi.encodeWithSignature("CredentialRevoked(address)", members[0]));
        _join(members[0]);
        _warpBy(CREDENTIAL_LIFETIME + 1);
        vm.expectRevert(abi.encodeWithSignature("CredentialExpired(address)", members[1]));
        _join(members[1]);
    }

    function test_join_RevertIf_issuerNoLongerTrusted() public {
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        vm.expectRevert(abi.encodeWithSignature("IssuerNotTrusted(address)", members[0]));
        _join(members[0]);
    }

    function test_join_withApproval() public {
        vm.prank(unionAdmin);
        union.setJoinPolicy(_joinPolicy(true));
        _join(members[0]);
        assertEq(uint8(union.memberOf(members[0]).status), uint8(MemberStatus.Pending));
        assertFalse(_publishAllowed(members[0]), "nothing before approval");
        vm.prank(unionAdmin);
        union.approveJoin(members[0]);
        assertTrue(_publishAllowed(members[0]));
        _join(members[1]);
        vm.prank(unionAdmin);
        union.rejectJoin(members[1]);
        assertEq(uint8(union.memberOf(members[1]).status), uint8(MemberStatus.None));
        _join(members[2]);
        vm.prank(members[2]);
        union.cancelJoin();
        assertEq(uint8(union.memberOf(members[2]).status), uint8(MemberStatus.None));
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.WrongMemberStatus.selector, members[2], MemberStatus.None));
        vm.prank(unionAdmin);
        union.approveJoin(members[2]);
    }

    function test_approveJoin_rechecksTheCredential() public {
        vm.prank(unionAdmin);
        union.setJoinPolicy(_joinPolicy(true));
        _join(members[0]);
        vm.prank(issuer);
        credentials.revoke(members[0]);
        vm.expectRevert(abi.encodeWithSignature("CredentialRevoked(address)", members[0]));
        vm.prank(unionAdmin);
        union.approveJoin(members[0]);
    }

    function test_remove_byAdminWithReason_andComingBackNeedsApproval() public {
        _join(members[0]);
        vm.expectEmit(true, false, false, true, address(union));
        emit DataUnion.MemberRemoved(members[0], RemovalReason.BadData);
        vm.prank(unionAdmin);
        union.removeMember(members[0], RemovalReason.BadData);
        assertFalse(_publishAllowed(members[0]));
        DataUnion.Member memory r = union.memberOf(members[0]);
        assertEq(uint8(r.status), uint8(MemberStatus.Removed));
        assertEq(uint8(r.removalReason), uint8(RemovalReason.BadData));
        _join(members[0]);
        assertEq(uint8(union.memberOf(members[0]).status), uint8(MemberStatus.Pending), "asks, does not walk back in");
        vm.prank(members[0]);
        union.cancelJoin();
        assertEq(uint8(union.memberOf(members[0]).status), uint8(MemberStatus.Removed), "back to removed");
    }

    function test_removeIneligible_byAnyone_thenRejoinWhenValidAgain() public {
        _join(members[0]);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.StillEligible.selector, members[0]));
        vm.prank(stranger);
        union.removeIneligible(members[0]);
        vm.prank(issuer);
        credentials.revoke(members[0]);
        vm.prank(stranger);
        union.removeIneligible(members[0]);
        assertFalse(_publishAllowed(members[0]));
        assertEq(uint8(union.memberOf(members[0]).removalReason), uint8(RemovalReason.CredentialInvalid));
        vm.prank(issuer);
        credentials.readmit(members[0]);
        _registerIndividual(members[0], Country.IT);
        _join(members[0]);
        assertEq(uint8(union.memberOf(members[0]).status), uint8(MemberStatus.Active), "no approval needed");
    }

    function test_setWeight() public {
        _joinFirst(2);
        vm.prank(unionAdmin);
        union.setWeight(members[0], 3);
        assertEq(union.totalWeight(), 4);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.InvalidWeight.selector, 0, 1_000));
        vm.prank(unionAdmin);
        union.setWeight(members[0], 0);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.InvalidWeight.selector, 1_001, 1_000));
        vm.prank(unionAdmin);
        union.setWeight(members[0], 1_001);
        vm.expectRevert(abi.encodeWithSelector(IDataUnionErrors.WrongMemberStatus.selector, members[5], MemberStatus.None));
        vm.prank(unionAdmin);
        union.setWeight(members[5], 2);
        _part(members[0]);
        assertEq(union.totalWeight(), 1, "a parted member's weight leaves with them");
        _join(members[0]);
        assertEq(union.memberOf(members[0]).weight, 1, "a rejoin starts at weight 1");
    }

    function test_setJoinPolicy_RevertIf_invalid() public {
        DataUnion.JoinPolicy memory p = _joinPolicy(false);
        p.categories = 4; // no such category
        vm.expectRevert(IDataUnionErrors.InvalidJoinPolicy.selector);
        vm.prank(unionAdmin);
        union.setJoinPolicy(p);
    }
}
