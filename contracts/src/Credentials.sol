// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Category, OrganisationType, Country, CredentialStatus} from "./MarketTypes.sol";
import {ICredentialsErrors} from "./interfaces/IMarketErrors.sol";

/// @title Credentials
/// @notice Registry of marketplace users attested by trusted credential issuers.
/// A user registers by submitting an issuer-signed EIP-712 attestation of their off-chain
/// verifiable credential. Only what consent policies need is kept: category, organisation
/// type, country, the credential's hash and the user's X25519 encryption key. Never a name,
/// an email or a birth date (MKT-FUN-14).
/// Revocation sticks: a subject whose credential is revoked cannot register again (with any
/// issuer's attestation) until the revoked credential's issuer or the consortium admin
/// re-admits it with `readmit`.
/// Its errors are declared in `ICredentialsErrors`.
contract Credentials is AccessControl, EIP712, ICredentialsErrors {
    /// @notice What an issuer signs (EIP-712 primary type `Attestation`).
    struct Attestation {
        address subject;
        address issuer;
        Category category;
        OrganisationType organisationType;
        Country country;
        bytes32 credentialHash; // hash of the off-chain verifiable credential
        bytes32 encryptionKey; // subject's X25519 public key, for sealed deliveries
        uint64 issuedAt;
        uint64 expiresAt;
        uint256 nonce; // chosen by the issuer; each (issuer, nonce) is usable once
        uint256 chainId; // explicit so a wrong-chain attestation gets a clear error
    }

    /// @notice A registered credential. The first five fields share one storage slot, which
    /// is all an eligibility check reads.
    struct Credential {
        address issuer;
        uint40 expiresAt;
        Category category;
        OrganisationType organisationType;
        Country country;
        bool revoked;
        bytes32 credentialHash;
        bytes32 encryptionKey;
    }

    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "Attestation(address subject,address issuer,uint8 category,uint8 organisationType,uint8 country,"
        "bytes32 credentialHash,bytes32 encryptionKey,uint64 issuedAt,uint64 expiresAt,uint256 nonce,uint256 chainId)"
    );

    mapping(address issuer => bool) public isTrustedIssuer;
    mapping(address issuer => mapping(uint256 nonce => bool)) public nonceUsed;
    mapping(address subject => Credential) private _credentials;
    /// @notice Subjects whose revoked credential was re-admitted (`readmit`) and who may therefore
    /// register once more. Only ever true while the subject's credential is revoked: the next
    /// registration clears it.
    mapping(address subject => bool) public readmitted;

    event IssuerTrusted(address indexed issuer);
    event IssuerUntrusted(address indexed issuer);
    event CredentialRegistered(
        address indexed subject,
        address indexed issuer,
        bytes32 credentialHash,
        Category category,
        OrganisationType organisationType,
        Country country,
        uint64 issuedAt,
        uint64 expiresAt,
        bytes32 encryptionKey
    );
    event CredentialRevoked(address indexed subject, address indexed issuer, bytes32 credentialHash);
    event EncryptionKeyRotated(address indexed subject, bytes32 encryptionKey);
    /// @notice `by` (the revoked credential's issuer or the consortium admin) allowed `subject`,
    /// whose credential is revoked, to register again. The credential itself stays revoked.
    event SubjectReadmitted(address indexed subject, address indexed by);

    /// @param admin The consortium admin who keeps the list of trusted issuers.
    constructor(address admin) EIP712("KrakenCredentials", "1") {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // --- issuers (consortium admin) ---

    /// @notice Trusts `issuer` to sign attestations.
    function trustIssuer(address issuer) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (issuer == address(0)) revert ZeroAddress();
        if (isTrustedIssuer[issuer]) revert IssuerAlreadyTrusted(issuer);
        isTrustedIssuer[issuer] = true;
        emit IssuerTrusted(issuer);
    }

    /// @notice Stops trusting `issuer`. Credentials it issued stop being valid at once.
    function untrustIssuer(address issuer) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!isTrustedIssuer[issuer]) revert NotTrustedIssuer(issuer);
        isTrustedIssuer[issuer] = false;
        emit IssuerUntrusted(issuer);
    }

    // --- subjects ---

    /// @notice Registers the caller with an issuer-signed attestation, replacing any previous
    /// credential. The caller must be the attestation's subject. A subject whose credential is
    /// revoked is refused (`SubjectRevoked`), whichever trusted issuer signed the new attestation,
    /// until it is re-admitted (`readmit`); the registration then uses up the re-admission.
    /// @param signature The issuer's EIP-712 signature (or ERC-1271 for contract issuers).
    function register(Attestation calldata att, bytes calldata signature) external {
        if (msg.sender != att.subject) revert NotSubject(msg.sender, att.subject);
        if (att.chainId != block.chainid) revert WrongChain(block.chainid, att.chainId);
        if (!isTrustedIssuer[att.issuer]) revert NotTrustedIssuer(att.issuer);
        if (att.issuedAt > block.timestamp) revert AttestationNotYetValid(att.issuedAt);
        if (att.expiresAt <= block.timestamp) revert AttestationExpired(att.expiresAt);
        if (att.expiresAt > type(uint40).max) revert ExpiryTooFar(att.expiresAt); // stored as uint40
        if (nonceUsed[att.issuer][att.nonce]) revert AttestationReplayed(att.issuer, att.nonce);
        // Invariant: readmitted[s] implies _credentials[s].revoked, so only a revoked subject can
        // hold a re-admission to use up below.
        bool wasRevoked = _credentials[att.subject].revoked;
        if (wasRevoked && !readmitted[att.subject]) revert SubjectRevoked(att.subject);
        if ((att.category == Category.Individual) != (att.organisationType == OrganisationType.None)) {
            revert InvalidOrganisationType(att.category, att.organisationType);
        }
        if (att.country == Country.None) revert UnsupportedCountry(att.country);
        if (att.credentialHash == bytes32(0)) revert InvalidCredentialHash();
        if (att.encryptionKey == bytes32(0)) revert InvalidEncryptionKey();
        if (!SignatureChecker.isValidSignatureNow(att.issuer, hashAttestation(att), signature)) {
            revert InvalidSignature();
        }

        nonceUsed[att.issuer][att.nonce] = true;
        if (wasRevoked) delete readmitted[att.subject];
        _credentials[att.subject] = Credential({
            issuer: att.issuer,
            expiresAt: uint40(att.expiresAt),
            category: att.category,
            organisationType: att.organisationType,
            country: att.country,
            revoked: false,
            credentialHash: att.credentialHash,
            encryptionKey: att.encryptionKey
        });
        emit CredentialRegistered(
            att.subject,
            att.issuer,
            att.credentialHash,
            att.category,
            att.organisationType,
            att.country,
            att.issuedAt,
            att.expiresAt,
            att.encryptionKey
        );
    }

    /// @notice Replaces the caller's X25519 encryption public key (e.g. after key loss).
    function rotateEncryptionKey(bytes32 encryptionKey) external {
        Credential storage c = _credentials[msg.sender];
        if (c.issuer == address(0)) revert NotRegistered(msg.sender);
        if (encryptionKey == bytes32(0)) revert InvalidEncryptionKey();
        c.encryptionKey = encryptionKey;
        emit EncryptionKeyRotated(msg.sender, encryptionKey);
    }

    /// @notice Revokes `subject`'s credential. Only its issuer or the consortium admin may.
    /// A subject that never registered can be barred the same way by a trusted issuer (which
    /// may have issued it an attestation it has not used yet) or the admin: the stored record
    /// then names the caller as issuer, and the subject cannot register until re-admitted.
    function revoke(address subject) external {
        Credential storage c = _credentials[subject];
        if (c.issuer == address(0)) {
            if (subject == address(0)) revert ZeroAddress();
            if (!isTrustedIssuer[msg.sender] && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
                revert NotCredentialIssuer(msg.sender);
            }
            c.issuer = msg.sender;
        } else if (msg.sender != c.issuer && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert NotCredentialIssuer(msg.sender);
        }
        if (c.revoked) revert AlreadyRevoked(subject);
        c.revoked = true;
        emit CredentialRevoked(subject, c.issuer, c.credentialHash);
    }

    /// @notice Re-admits `subject`, whose credential is revoked, so that it may register again
    /// with a fresh attestation. Only the revoked credential's issuer (while still trusted) or
    /// the consortium admin may. This sets a flag rather than clearing the record: the revoked
    /// credential stays stored, so `statusOf` keeps answering Revoked (and eligibility checks
    /// keep refusing) until the subject actually registers anew, which uses up the flag.
    function readmit(address subject) external {
        Credential storage c = _credentials[subject];
        address credentialIssuer = c.issuer;
        if (credentialIssuer == address(0)) revert NotRegistered(subject);
        if (!hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            if (msg.sender != credentialIssuer) revert NotCredentialIssuer(msg.sender);
            // a former issuer must not reopen the door it can no longer sign for
            if (!isTrustedIssuer[msg.sender]) revert NotTrustedIssuer(msg.sender);
        }
        if (!c.revoked) revert NotRevoked(subject);
        if (readmitted[subject]) revert AlreadyReadmitted(subject);
        readmitted[subject] = true;
        emit SubjectReadmitted(subject, msg.sender);
    }

    // --- views ---

    /// @notice The EIP-712 digest an issuer signs for `att`.
    function hashAttestation(Attestation calldata att) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    ATTESTATION_TYPEHASH,
                    att.subject,
                    att.issuer,
                    att.category,
                    att.organisationType,
                    att.country,
                    att.credentialHash,
                    att.encryptionKey,
                    att.issuedAt,
                    att.expiresAt,
                    att.nonce,
                    att.chainId
                )
            )
        );
    }

    /// @notice The stored credential of `subject` (all zero when not registered).
    function credentialOf(address subject) external view returns (Credential memory) {
        return _credentials[subject];
    }

    /// @notice `subject`'s X25519 public key, or zero when not registered.
    function encryptionKeyOf(address subject) external view returns (bytes32) {
        return _credentials[subject].encryptionKey;
    }

    /// @notice Whether `subject` holds a valid credential now, and the facts policies check.
    function statusOf(address subject)
        external
        view
        returns (CredentialStatus status, Category category, OrganisationType organisationType, Country country)
    {
        Credential storage c = _credentials[subject];
        address issuer = c.issuer;
        if (issuer == address(0)) {
            return (CredentialStatus.NotRegistered, Category.Individual, OrganisationType.None, Country.None);
        }
        category = c.category;
        organisationType = c.organisationType;
        country = c.country;
        if (c.revoked) status = CredentialStatus.Revoked;
        else if (c.expiresAt <= block.timestamp) status = CredentialStatus.Expired;
        else if (!isTrustedIssuer[issuer]) status = CredentialStatus.IssuerNotTrusted;
        else status = CredentialStatus.Valid;
    }
}
