// The issuer's HTTP protocol, shared by the issuer service and its clients (SDK, CLI, dApp).
//
//   POST /challenges            { address }                       -> IssuanceChallenge
//   POST /credentials           CredentialRequest                 -> IssuedCredential
//   GET  /credentials/status/:id                                  -> { id, revoked }
//   POST /credentials/revoke    { credentialId } | { subject }    -> { credentialId?, credentialIds, subject, revokedOnChain, transactionHash? }   (admin bearer token)
//   POST /credentials/readmit   { subject }                       -> { subject, readmittedOnChain, transactionHash?, readmittedEntries }   (admin bearer token)
//   POST /login/challenge       {}                                -> LoginChallenge
//   POST /login                 { presentation }                  -> LoginResult
//   GET  /session               (bearer session token)            -> Session
//
// Errors: HTTP 4xx/5xx with { error: SsiErrorCode, message }.
import type { Address, Hex } from "viem";
import type { Attestation } from "../attestation.ts";
import type { HeldCredential, MarketplaceClaims, MarketplaceCredential } from "./credential.ts";

export interface IssuanceChallenge {
  id: string;
  /** The text the holder signs with their wallet (EIP-191) to prove control of `address`. */
  message: string;
  address: Address;
  expiresAt: string;
}

export interface CredentialRequest extends MarketplaceClaims {
  challengeId: string;
  /** The wallet's EIP-191 signature of the challenge message. */
  signature: Hex;
  /** The holder's X25519 public key (32 bytes hex), registered on chain for sealed deliveries. */
  encryptionKey: Hex;
}

/** Attestation with its integers as decimal strings (JSON has no bigint). */
export type AttestationJson = { [K in keyof Attestation]: Attestation[K] extends bigint ? string : Attestation[K] };

export interface IssuedCredential extends HeldCredential {
  credential: MarketplaceCredential;
  issuerDid: string;
  attestation: AttestationJson;
  /** The issuer's EIP-712 signature of the attestation, for Credentials.register. */
  signature: Hex;
}

export function attestationToJson(a: Attestation): AttestationJson {
  return { ...a, issuedAt: String(a.issuedAt), expiresAt: String(a.expiresAt), nonce: String(a.nonce), chainId: String(a.chainId) };
}

export function attestationFromJson(a: AttestationJson): Attestation {
  return { ...a, issuedAt: BigInt(a.issuedAt), expiresAt: BigInt(a.expiresAt), nonce: BigInt(a.nonce), chainId: BigInt(a.chainId) };
}

/** The text a holder signs to prove control of their address to the issuer. */
export function issuanceChallengeMessage(address: Address, nonce: string, issuerDid: string): string {
  return (
    "Kraken marketplace: I control this address and ask for a credential.\n\n" +
    `Address: ${address}\nIssuer: ${issuerDid}\nChallenge: ${nonce}\n\n` +
    "Signing costs nothing and allows no transaction."
  );
}

const ISSUANCE_CHALLENGE_SHAPE =
  /^Kraken marketplace: I control this address and ask for a credential\.\n\nAddress: (0x[0-9a-fA-F]{40})\nIssuer: (did:[a-z0-9]+:[A-Za-z0-9._:%-]{1,200})\nChallenge: ([0-9a-f]{16,128})\n\nSigning costs nothing and allows no transaction\.$/;

/**
 * The parts of a text built by issuanceChallengeMessage, or undefined if the text has any other
 * shape. Holders sign only texts of this shape (see requestCredential).
 */
export function parseIssuanceChallengeMessage(message: string): { address: Address; issuerDid: string; nonce: string } | undefined {
  const m = ISSUANCE_CHALLENGE_SHAPE.exec(message);
  return m ? { address: m[1] as Address, issuerDid: m[2], nonce: m[3] } : undefined;
}
