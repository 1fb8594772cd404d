// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Fixture} from "./utils/Fixture.sol";
import {Credentials} from "../src/Credentials.sol";
import {Category, Country, CredentialStatus, OrganisationType} from "../src/MarketTypes.sol";
import {ICredentialsErrors, IMarketErrors} from "../src/interfaces/IMarketErrors.sol";

/// @dev A contract issuer (e.g. a multisig-held issuer wallet) that accepts its owner's signatures.
contract ContractIssuer is IERC1271 {
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        return err == ECDSA.RecoverError.NoError && signer == owner ? IERC1271.isValidSignature.selector : bytes4(0);
    }
}

/// @dev State invariants:
/// - a subject holds at most one credential; register replaces it (and clears `revoked`);
/// - a revoked subject registers again only after a re-admission (`readmit`, by the revoked
///   credential's issuer while trusted, or the admin); the registration uses it up, and
///   `readmitted` is only ever set while the credential is revoked;
/// - each (issuer, nonce) registers at most once (nonceUsed is monotone);
/// - statusOf is Valid iff registered, not revoked, not expired and the issuer is trusted now;
///   precedence Revoked > Expired > IssuerNotTrusted;
/// - only the credential's issuer or the admin can revoke; only the subject rotates its key.
contract CredentialsTest is Fixture {

    uint256 internal constant ROGUE_PK = 0xBAD;

    // --- constructor and issuers ---

    function test_constructor_RevertIf_zeroAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
        new Credentials(address(0));
    }

    function test_constructor_grantsAdmin() public view {
        assertTrue(credentials.hasRole(credentials.DEFAULT_ADMIN_ROLE(), admin), "admin");
        assertTrue(credentials.isTrustedIssuer(issuer), "fixture issuer trusted");
    }

    function test_trustIssuer() public {
        address other = vm.addr(ROGUE_PK);
        vm.expectEmit(address(credentials));
        emit Credentials.IssuerTrusted(other);
        vm.prank(admin);
        credentials.trustIssuer(other);
        assertTrue(credentials.isTrustedIssuer(other), "trusted");
    }

    function test_trustIssuer_RevertIf_zero() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
        vm.prank(admin);
        credentials.trustIssuer(address(0));
    }

    function test_trustIssuer_RevertIf_alreadyTrusted() public {
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.IssuerAlreadyTrusted.selector, issuer));
        vm.prank(admin);
        credentials.trustIssuer(issuer);
    }

    function test_trustIssuer_RevertIf_notAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, issuer, credentials.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(issuer); // an issuer cannot co-opt others
        credentials.trustIssuer(stranger);
    }

    function test_untrustIssuer() public {
        vm.expectEmit(address(credentials));
        emit Credentials.IssuerUntrusted(issuer);
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        assertFalse(credentials.isTrustedIssuer(issuer), "untrusted");
    }

    function test_untrustIssuer_RevertIf_notTrusted() public {
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotTrustedIssuer.selector, stranger));
        vm.prank(admin);
        credentials.untrustIssuer(stranger);
    }

    function test_untrustIssuer_RevertIf_notAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, credentials.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(stranger);
        credentials.untrustIssuer(issuer);
    }

    // --- register: happy paths ---

    function test_register_individual() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.expectEmit(address(credentials));
        emit Credentials.CredentialRegistered(
            bob,
            issuer,
            att.credentialHash,
            Category.Individual,
            OrganisationType.None,
            Country.DE,
            att.issuedAt,
            att.expiresAt,
            att.encryptionKey
        );
        vm.prank(bob);
        credentials.register(att, sig);

        Credentials.Credential memory c = credentials.credentialOf(bob);
        assertEq(c.issuer, issuer, "issuer");
        assertEq(c.expiresAt, att.expiresAt, "expiresAt");
        assertEq(uint8(c.category), uint8(Category.Individual), "category");
        assertEq(uint8(c.organisationType), uint8(OrganisationType.None), "orgType");
        assertEq(uint8(c.country), uint8(Country.DE), "country");
        assertFalse(c.revoked, "not revoked");
        assertEq(c.credentialHash, att.credentialHash, "credentialHash");
        assertEq(c.encryptionKey, att.encryptionKey, "encryptionKey");
        assertEq(credentials.encryptionKeyOf(bob), att.encryptionKey, "encryptionKeyOf");
        assertTrue(credentials.nonceUsed(issuer, att.nonce), "nonce used");
        _assertStatus(bob, CredentialStatus.Valid);
    }

    function test_register_organisation() public {
        _registerOrganisation(hospital, OrganisationType.Hospital, Country.NL);
        (CredentialStatus s, Category cat, OrganisationType org, Country country) = credentials.statusOf(hospital);
        assertEq(uint8(s), uint8(CredentialStatus.Valid), "status");
        assertEq(uint8(cat), uint8(Category.Organisation), "category");
        assertEq(uint8(org), uint8(OrganisationType.Hospital), "orgType");
        assertEq(uint8(country), uint8(Country.NL), "country");
    }

    function test_register_personas() public {
        _registerPersonas();
        _assertStatus(alice, CredentialStatus.Valid);
        _assertStatus(bob, CredentialStatus.Valid);
        _assertStatus(hospital, CredentialStatus.Valid);
        _assertStatus(university, CredentialStatus.Valid);
        _assertStatus(insurer, CredentialStatus.Valid);
        _assertStatus(pharma, CredentialStatus.Valid);
    }

    function test_register_replacesPreviousCredential() public {
        _registerIndividual(bob, Country.DE);
        bytes32 oldHash = credentials.credentialOf(bob).credentialHash;
        // bob moves to France and gets a new credential: replaces the old one
        _registerIndividual(bob, Country.FR);
        Credentials.Credential memory c = credentials.credentialOf(bob);
        assertEq(uint8(c.country), uint8(Country.FR), "new country");
        assertTrue(c.credentialHash != oldHash, "new hash");
        assertFalse(c.revoked, "fresh credential");
        _assertStatus(bob, CredentialStatus.Valid);
    }

    function test_register_afterReadmit() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        vm.prank(issuer);
        credentials.readmit(bob);
        _assertStatus(bob, CredentialStatus.Revoked); // re-admission alone restores nothing
        assertTrue(credentials.credentialOf(bob).revoked, "still revoked");
        // bob gets a new credential: replaces the revoked one, not revoked, re-admission used up
        _registerIndividual(bob, Country.FR);
        Credentials.Credential memory c = credentials.credentialOf(bob);
        assertEq(uint8(c.country), uint8(Country.FR), "new country");
        assertFalse(c.revoked, "fresh credential");
        assertFalse(credentials.readmitted(bob), "re-admission used up");
        _assertStatus(bob, CredentialStatus.Valid);
    }

    function test_register_afterReadmitByAdmin_withAnotherIssuer() public {
        address other = vm.addr(ROGUE_PK);
        vm.prank(admin);
        credentials.trustIssuer(other);
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        vm.prank(admin);
        credentials.readmit(bob);
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        att.issuer = other;
        bytes memory sig = _sign(att, ROGUE_PK);
        vm.prank(bob);
        credentials.register(att, sig);
        assertEq(credentials.credentialOf(bob).issuer, other, "new issuer");
        _assertStatus(bob, CredentialStatus.Valid);
    }

    function test_register_revokedAgainAfterReadmit_needsNewReadmit() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        vm.prank(issuer);
        credentials.readmit(bob);
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        // the first re-admission was used up by the registration
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.SubjectRevoked.selector, bob));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_viaContractIssuer() public {
        ContractIssuer wallet = new ContractIssuer(vm.addr(ROGUE_PK));
        vm.prank(admin);
        credentials.trustIssuer(address(wallet));
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.GB);
        att.issuer = address(wallet);
        bytes memory sig = _sign(att, ROGUE_PK); // the wallet owner's key
        vm.prank(bob);
        credentials.register(att, sig);
        assertEq(credentials.credentialOf(bob).issuer, address(wallet), "contract issuer");
        _assertStatus(bob, CredentialStatus.Valid);
    }

    function test_hashAttestation_matchesEip712() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        bytes32 domainSeparator = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("KrakenCredentials"),
                keccak256("1"),
                block.chainid,
                address(credentials)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "Attestation(address subject,address issuer,uint8 category,uint8 organisationType,uint8 country,bytes32 credentialHash,bytes32 encryptionKey,uint64 issuedAt,uint64 expiresAt,uint256 nonce,uint256 chainId)"
                ),
                att.subject,
                att.issuer,
                uint8(att.category),
                uint8(att.organisationType),
                uint8(att.country),
                att.credentialHash,
                att.encryptionKey,
                att.issuedAt,
                att.expiresAt,
                att.nonce,
                att.chainId
            )
        );
        assertEq(credentials.ATTESTATION_TYPEHASH(), keccak256(
            "Attestation(address subject,address issuer,uint8 category,uint8 organisationType,uint8 country,bytes32 credentialHash,bytes32 encryptionKey,uint64 issuedAt,uint64 expiresAt,uint256 nonce,uint256 chainId)"
        ), "typehash");
        assertEq(
            credentials.hashAttestation(att),
            keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash)),
            "digest"
        );
    }

    // --- register: failures, in the order the contract checks them ---

    function test_register_RevertIf_notSubject() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotSubject.selector, stranger, bob));
        vm.prank(stranger); // someone who intercepted bob's attestation
        credentials.register(att, sig);
    }

    function test_register_RevertIf_wrongChainInAttestation() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        att.chainId = 1;
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.WrongChain.selector, block.chainid, 1));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_replayedOnAnotherChain() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        bytes memory sig = _sign(att, ISSUER_PK);
        uint256 original = att.chainId; // not block.chainid: viaIR may re-read it after vm.chainId
        vm.chainId(original + 1);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.WrongChain.selector, original + 1, original));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_unknownIssuer() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        att.issuer = vm.addr(ROGUE_PK);
        bytes memory sig = _sign(att, ROGUE_PK); // correctly signed, but nobody trusts it
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotTrustedIssuer.selector, att.issuer));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_untrustedIssuer() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotTrustedIssuer.selector, issuer));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_notYetValid() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        att.issuedAt = uint64(_now() + 1);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.AttestationNotYetValid.selector, att.issuedAt));
        vm.prank(bob);
        credentials.register(att, sig);
        // …and it is accepted once its time has come
        _warpBy(1);
        vm.prank(bob);
        credentials.register(att, sig);
        _assertStatus(bob, CredentialStatus.Valid);
    }

    function test_register_RevertIf_expired() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.warp(att.expiresAt); // expiresAt is exclusive
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.AttestationExpired.selector, att.expiresAt));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_expiryTooFar() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        att.expiresAt = uint64(type(uint40).max) + 1; // would not fit the stored uint40
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.ExpiryTooFar.selector, att.expiresAt));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_replayed() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.prank(bob);
        credentials.register(att, sig);
        vm.prank(issuer);
        credentials.revoke(bob);
        // bob tries to undo the revocation by re-submitting the same attestation
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.AttestationReplayed.selector, issuer, att.nonce));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_revoked() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        // a fresh, validly signed attestation from the same issuer does not undo the revocation
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.FR);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.SubjectRevoked.selector, bob));
        vm.prank(bob);
        credentials.register(att, sig);
        _assertStatus(bob, CredentialStatus.Revoked);
        assertEq(uint8(credentials.credentialOf(bob).country), uint8(Country.DE), "record kept");
        assertFalse(credentials.nonceUsed(issuer, att.nonce), "nonce not spent");
    }

    function test_register_RevertIf_revoked_attestedByAnotherIssuer() public {
        address other = vm.addr(ROGUE_PK);
        vm.prank(admin);
        credentials.trustIssuer(other);
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        // bob shops for a more lenient issuer: refused too
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        att.issuer = other;
        bytes memory sig = _sign(att, ROGUE_PK);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.SubjectRevoked.selector, bob));
        vm.prank(bob);
        credentials.register(att, sig);
        _assertStatus(bob, CredentialStatus.Revoked);
    }

    function test_register_RevertIf_nonceReusedForAnotherSubject() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        _submit(att);
        Credentials.Attestation memory att2 =
            _attestation(hospital, Category.Organisation, OrganisationType.Hospital, Country.NL);
        att2.nonce = att.nonce;
        bytes memory sig2 = _sign(att2, ISSUER_PK);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.AttestationReplayed.selector, issuer, att.nonce));
        vm.prank(hospital);
        credentials.register(att2, sig2);
    }

    function test_register_RevertIf_individualWithOrganisationType() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.Hospital, Country.DE);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICredentialsErrors.InvalidOrganisationType.selector, Category.Individual, OrganisationType.Hospital
            )
        );
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_organisationWithoutType() public {
        Credentials.Attestation memory att =
            _attestation(hospital, Category.Organisation, OrganisationType.None, Country.NL);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICredentialsErrors.InvalidOrganisationType.selector, Category.Organisation, OrganisationType.None
            )
        );
        vm.prank(hospital);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_noCountry() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.None);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.UnsupportedCountry.selector, Country.None));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_zeroCredentialHash() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        att.credentialHash = bytes32(0);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.InvalidCredentialHash.selector));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_zeroEncryptionKey() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        att.encryptionKey = bytes32(0);
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.InvalidEncryptionKey.selector));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_signedByAnotherKey() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        bytes memory sig = _sign(att, ROGUE_PK); // claims the trusted issuer, signed by someone else
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.InvalidSignature.selector));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_tamperedAfterSigning() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        bytes memory sig = _sign(att, ISSUER_PK);
        att.category = Category.Organisation; // bob poses as a hospital
        att.organisationType = OrganisationType.Hospital;
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.InvalidSignature.selector));
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function test_register_RevertIf_malformedSignature() public {
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.InvalidSignature.selector));
        vm.prank(bob);
        credentials.register(att, hex"1234");
    }

    // --- validity over time and issuer trust ---

    function test_status_notRegistered() public view {
        (CredentialStatus s, Category cat, OrganisationType org, Country country) = credentials.statusOf(bob);
        assertEq(uint8(s), uint8(CredentialStatus.NotRegistered), "status");
        assertEq(uint8(cat), 0, "category");
        assertEq(uint8(org), 0, "orgType");
        assertEq(uint8(country), 0, "country");
        assertEq(credentials.encryptionKeyOf(bob), bytes32(0), "no key");
    }

    function test_status_expiresAtExpiresAt() public {
        _registerIndividual(bob, Country.DE);
        uint256 expiresAt = credentials.credentialOf(bob).expiresAt;
        vm.warp(expiresAt - 1);
        _assertStatus(bob, CredentialStatus.Valid);
        vm.warp(expiresAt);
        _assertStatus(bob, CredentialStatus.Expired);
    }

    function test_untrustIssuer_invalidatesExistingCredentials() public {
        _registerIndividual(bob, Country.DE);
        _registerOrganisation(hospital, OrganisationType.Hospital, Country.NL);
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        _assertStatus(bob, CredentialStatus.IssuerNotTrusted);
        _assertStatus(hospital, CredentialStatus.IssuerNotTrusted);
        // trusting it again restores them
        vm.prank(admin);
        credentials.trustIssuer(issuer);
        _assertStatus(bob, CredentialStatus.Valid);
    }

    function test_status_precedence() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        _warpBy(CREDENTIAL_LIFETIME);
        _assertStatus(bob, CredentialStatus.Expired); // expired beats untrusted
        vm.prank(admin);
        credentials.revoke(bob);
        _assertStatus(bob, CredentialStatus.Revoked); // revoked beats everything
    }

    // --- revoke ---

    function test_revoke_byIssuer() public {
        _registerIndividual(bob, Country.DE);
        bytes32 h = credentials.credentialOf(bob).credentialHash;
        vm.expectEmit(address(credentials));
        emit Credentials.CredentialRevoked(bob, issuer, h);
        vm.prank(issuer);
        credentials.revoke(bob);
        assertTrue(credentials.credentialOf(bob).revoked, "revoked");
        _assertStatus(bob, CredentialStatus.Revoked);
    }

    function test_revoke_byAdmin() public {
        _registerIndividual(bob, Country.DE);
        bytes32 h = credentials.credentialOf(bob).credentialHash;
        vm.expectEmit(address(credentials));
        emit Credentials.CredentialRevoked(bob, issuer, h);
        vm.prank(admin);
        credentials.revoke(bob);
        _assertStatus(bob, CredentialStatus.Revoked);
    }

    function test_revoke_byFormerIssuerAfterUntrust() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        vm.prank(issuer);
        credentials.revoke(bob);
        _assertStatus(bob, CredentialStatus.Revoked);
    }

    function test_revoke_RevertIf_otherIssuer() public {
        _registerIndividual(bob, Country.DE);
        address other = vm.addr(ROGUE_PK);
        vm.prank(admin);
        credentials.trustIssuer(other);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotCredentialIssuer.selector, other));
        vm.prank(other);
        credentials.revoke(bob);
    }

    function test_revoke_RevertIf_subjectItself() public {
        _registerIndividual(bob, Country.DE);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotCredentialIssuer.selector, bob));
        vm.prank(bob);
        credentials.revoke(bob);
    }

    /// @dev Review finding 2: an attestation issued but not yet registered cannot be used once
    /// its issuer has revoked the subject.
    function test_revoke_barsSubjectThatNeverRegistered() public {
        Credentials.Attestation memory att = _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        bytes memory signature = _sign(att, ISSUER_PK);
        vm.expectEmit(address(credentials));
        emit Credentials.CredentialRevoked(bob, issuer, bytes32(0));
        vm.prank(issuer);
        credentials.revoke(bob);
        _assertStatus(bob, CredentialStatus.Revoked);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.SubjectRevoked.selector, bob));
        vm.prank(bob);
        credentials.register(att, signature);
        vm.prank(issuer);
        credentials.readmit(bob);
        vm.prank(bob);
        credentials.register(att, signature);
        _assertStatus(bob, CredentialStatus.Valid);
    }

    function test_revoke_RevertIf_notRegisteredAndCallerNoIssuer() public {
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotCredentialIssuer.selector, stranger));
        vm.prank(stranger);
        credentials.revoke(bob);
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
        vm.prank(admin);
        credentials.revoke(address(0));
    }

    function test_revoke_RevertIf_alreadyRevoked() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.AlreadyRevoked.selector, bob));
        vm.prank(admin);
        credentials.revoke(bob);
    }

    // --- readmit ---

    function test_readmit_byIssuer() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        vm.expectEmit(address(credentials));
        emit Credentials.SubjectReadmitted(bob, issuer);
        vm.prank(issuer);
        credentials.readmit(bob);
        assertTrue(credentials.readmitted(bob), "readmitted");
        _assertStatus(bob, CredentialStatus.Revoked);
    }

    function test_readmit_byAdmin() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        vm.expectEmit(address(credentials));
        emit Credentials.SubjectReadmitted(bob, admin);
        vm.prank(admin);
        credentials.readmit(bob);
        assertTrue(credentials.readmitted(bob), "readmitted");
    }

    function test_readmit_byAdminAfterIssuerUntrusted() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        vm.prank(admin);
        credentials.readmit(bob);
        assertTrue(credentials.readmitted(bob), "readmitted");
    }

    function test_readmit_RevertIf_otherIssuer() public {
        address other = vm.addr(ROGUE_PK);
        vm.prank(admin);
        credentials.trustIssuer(other);
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotCredentialIssuer.selector, other));
        vm.prank(other);
        credentials.readmit(bob);
        assertFalse(credentials.readmitted(bob), "not readmitted");
    }

    function test_readmit_RevertIf_subjectItself() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotCredentialIssuer.selector, bob));
        vm.prank(bob);
        credentials.readmit(bob);
    }

    function test_readmit_RevertIf_stranger() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotCredentialIssuer.selector, stranger));
        vm.prank(stranger);
        credentials.readmit(bob);
    }

    function test_readmit_RevertIf_formerIssuerAfterUntrust() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotTrustedIssuer.selector, issuer));
        vm.prank(issuer);
        credentials.readmit(bob);
    }

    function test_readmit_RevertIf_notRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.NotRegistered.selector, bob));
        vm.prank(admin);
        credentials.readmit(bob);
    }

    function test_readmit_RevertIf_notRevoked() public {
        _registerIndividual(bob, Country.DE);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotRevoked.selector, bob));
        vm.prank(issuer);
        credentials.readmit(bob);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.NotRevoked.selector, bob));
        vm.prank(admin);
        credentials.readmit(bob);
    }

    function test_readmit_RevertIf_alreadyReadmitted() public {
        _registerIndividual(bob, Country.DE);
        vm.prank(issuer);
        credentials.revoke(bob);
        vm.prank(issuer);
        credentials.readmit(bob);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.AlreadyReadmitted.selector, bob));
        vm.prank(admin);
        credentials.readmit(bob);
    }

    // --- encryption key rotation ---

    function test_rotateEncryptionKey() public {
        _registerIndividual(bob, Country.DE);
        bytes32 key = keccak256("new x25519 key");
        vm.expectEmit(address(credentials));
        emit Credentials.EncryptionKeyRotated(bob, key);
        vm.prank(bob);
        credentials.rotateEncryptionKey(key);
        assertEq(credentials.encryptionKeyOf(bob), key, "rotated");
        _assertStatus(bob, CredentialStatus.Valid); // nothing else changes
    }

    function test_rotateEncryptionKey_RevertIf_notRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.NotRegistered.selector, bob));
        vm.prank(bob);
        credentials.rotateEncryptionKey(keccak256("k"));
    }

    function test_rotateEncryptionKey_RevertIf_zero() public {
        _registerIndividual(bob, Country.DE);
        vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.InvalidEncryptionKey.selector));
        vm.prank(bob);
        credentials.rotateEncryptionKey(bytes32(0));
    }

    // --- fuzz ---

    /// @dev Any (category, organisation type, country) registers iff individual ⇔ no organisation
    /// type and a country is set; the stored facts are exactly the attested ones.
    function testFuzz_register_facts(uint8 categorySeed, uint8 orgSeed, uint8 countrySeed) public {
        Category category = Category(bound(categorySeed, 0, uint8(type(Category).max)));
        OrganisationType org = OrganisationType(bound(orgSeed, 0, uint8(type(OrganisationType).max)));
        Country country = Country(bound(countrySeed, 0, uint8(type(Country).max)));
        Credentials.Attestation memory att = _attestation(bob, category, org, country);
        bytes memory sig = _sign(att, ISSUER_PK);
        bool consistent = (category == Category.Individual) == (org == OrganisationType.None);
        if (!consistent) {
            vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.InvalidOrganisationType.selector, category, org));
        } else if (country == Country.None) {
            vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.UnsupportedCountry.selector, country));
        }
        vm.prank(bob);
        credentials.register(att, sig);
        if (consistent && country != Country.None) {
            (CredentialStatus s, Category c, OrganisationType o, Country k) = credentials.statusOf(bob);
            assertEq(uint8(s), uint8(CredentialStatus.Valid), "status");
            assertEq(uint8(c), uint8(category), "category");
            assertEq(uint8(o), uint8(org), "orgType");
            assertEq(uint8(k), uint8(country), "country");
        }
    }

    /// @dev Validity window: registers iff issuedAt <= now < expiresAt.
    function testFuzz_register_validityWindow(uint64 issuedOffset, uint64 lifetime, bool future) public {
        issuedOffset = uint64(bound(issuedOffset, 0, 30 days));
        lifetime = uint64(bound(lifetime, 0, 60 days));
        Credentials.Attestation memory att =
            _attestation(bob, Category.Individual, OrganisationType.None, Country.DE);
        att.issuedAt = future ? uint64(_now() + issuedOffset) : uint64(_now() - issuedOffset);
        att.expiresAt = att.issuedAt + lifetime;
        bytes memory sig = _sign(att, ISSUER_PK);
        if (att.issuedAt > _now()) {
            vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.AttestationNotYetValid.selector, att.issuedAt));
        } else if (att.expiresAt <= _now()) {
            vm.expectRevert(abi.encodeWithSelector(ICredentialsErrors.AttestationExpired.selector, att.expiresAt));
        }
        vm.prank(bob);
        credentials.register(att, sig);
    }

    function _assertStatus(address subject, CredentialStatus expected) internal view {
        (CredentialStatus s,,,) = credentials.statusOf(subject);
        assertEq(uint8(s), uint8(expected), "credential status");
    }
}
