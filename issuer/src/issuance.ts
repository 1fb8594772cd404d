// Issuing: a holder proves control of their address (signed challenge), then gets a W3C
// verifiable credential (linked-data proof and VC-JWT, both from the issuer's did:key) and the
// EIP-712 attestation (signed by the issuer's Ethereum key) that registers them on chain.
import { randomBytes, randomUUID } from "node:crypto";
import { isAddress, isHex, getAddress, type Hex, type LocalAccount, type PublicClient, type WalletClient } from "viem";
import { signAttestation, type Attestation, type Deployment } from "@kraken/sdk";
import {
  claimsToFacts,
  credentialHash,
  CREDENTIAL_TYPE,
  CREDENTIALS_V1_CONTEXT,
  didkit,
  issuanceChallengeMessage,
  KRAKEN_CONTEXT,
  pkhDid,
  SsiError,
  STATUS_TYPE,
  attestationToJson,
  ChallengeStore,
  type CredentialRequest,
  type IssuanceChallenge,
  type IssuedCredential,
  type MarketplaceCredential,
} from "@kraken/sdk/ssi";
import type { IssuerIdentity } from "./identity.ts";
import { revokedReason } from "./revocation.ts";
import type { StatusList } from "./status-list.ts";

const CHALLENGE_TTL_MS = 5 * 60_000;
const MAX_TEXT = 200;

export interface IssuanceDeps {
  identity: IssuerIdentity;
  account: LocalAccount;
  wallet: WalletClient;
  publicClient: PublicClient;
  deployment: Deployment;
  statusList: StatusList;
  publicUrl: string;
  validityDays: number;
  log: (l: string) => void;
}

export interface IssuanceChallengesOptions {
  /** Cap on challenges kept; the oldest are evicted first (then refused as unknown). Default 10,000. */
  maxChallenges?: number;
  ttlMs?: number; // default 5 min
  now?: () => number; // ms; for tests
}

/**
 * Registration challenges: single use, five minutes, at most `maxChallenges` kept (oldest evicted
 * first; pruning and eviction are O(1) amortised, see ChallengeStore).
 */
export class IssuanceChallenges {
  private readonly pending: ChallengeStore<IssuanceChallenge & { used: boolean }>;
  private readonly now: () => number;

  constructor(
    private readonly issuerDid: string,
    o: IssuanceChallengesOptions = {},
  ) {
    this.now = o.now ?? Date.now;
    this.pending = new ChallengeStore({ ttlMs: o.ttlMs ?? CHALLENGE_TTL_MS, maxChallenges: o.maxChallenges, now: this.now });
  }

  /** Challenges kept (outstanding, used or recently expired). */
  get size(): number {
    return this.pending.size;
  }

  create(address: unknown): IssuanceChallenge {
    if (typeof address !== "string" || !isAddress(address, { strict: false })) throw new SsiError("bad-request", "address: expected a 0x-prefixed Ethereum address");
    const id = randomBytes(16).toString("hex");
    const { used: _used, ...challenge } = this.pending.add(id, (expiresAt) => ({
      id,
      address: getAddress(address),
      message: issuanceChallengeMessage(getAddress(address), id, this.issuerDid),
      expiresAt: new Date(expiresAt).toISOString(),
      used: false,
    }));
    return challenge;
  }

  /** Marks the challenge used and returns it, or refuses saying why. */
  take(id: unknown): IssuanceChallenge {
    const c = this.pending.get(id);
    if (!c) throw new SsiError("challenge-unknown", "unknown challenge: ask for a new one (POST /challenges)");
    if (c.used) throw new SsiError("challenge-replayed", "replayed challenge: this challenge was already used");
    if (Date.parse(c.expiresAt) <= this.now()) throw new SsiError("challenge-expired", "challenge expired: ask for a new one (POST /challenges)");
    c.used = true;
    return c;
  }
}

function optionalText(v: unknown, key: string): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string" || v.length > MAX_TEXT) throw new SsiError("bad-request", `${key}: expected text of at most ${MAX_TEXT} characters`);
  return v.trim();
}

/**
 * Checks the holder's proof of control and that the holder is not barred by a revocation (see
 * revokedReason: refused with `credential-revoked`), then issues the credential and the
 * attestation.
 */
export async function issue(d: IssuanceDeps, challenges: IssuanceChallenges, body: Partial<CredentialRequest>): Promise<IssuedCredential> {
  if (!body || typeof body !== "object") throw new SsiError("bad-request", "expected a JSON object");
  // Validate everything before consuming the challenge, so a typo does not cost a new signature.
  const facts = claimsToFacts({
    category: body.category,
    organisationType: body.organisationType ?? "None",
    country: body.country,
  });
  if (typeof body.encryptionKey !== "string" || !isHex(body.encryptionKey) || body.encryptionKey.length !== 66 || /^0x0+$/.test(body.encryptionKey)) {
    throw new SsiError("bad-request", "encryptionKey: expected the 32-byte X25519 public key as 0x-hex");
  }
  if (typeof body.signature !== "string" || !isHex(body.signature)) throw new SsiError("bad-request", "signature: expected the wallet's signature of the challenge as 0x-hex");
  const legalName = optionalText(body.legalName, "legalName");
  const registrationNumber = optionalText(body.registrationNumber, "registrationNumber");
  const email = optionalText(body.email, "email");
  if (email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email)) throw new SsiError("bad-request", "email: not an email address");

  const challenge = challenges.take(body.challengeId);
  const holder = challenge.address;
  const controls = await d.publicClient.verifyMessage({ address: holder, message: challenge.message, signature: body.signature as Hex });
  if (!controls) throw new SsiError("bad-signature", `the signature does not prove control of ${holder}`);
  // Only after the proof of control, so that nobody can probe others' revocations here.
  const barred = await revokedReason(d, holder);
  if (barred) {
    d.log(`refused to issue to ${pkhDid(d.deployment.chainId, holder)}: revoked, not re-admitted`);
    throw new SsiError("credential-revoked", `refused: ${barred}`);
  }

  // A real issuer would verify the legal name, registration number and email here (documents,
  // business registers, an email loop). The demo issuer takes them as given.
  const chainId = d.deployment.chainId;
  const latest = await d.publicClient.getBlock();
  const nowSec = Math.min(Math.floor(Date.now() / 1000), Number(latest.timestamp)) - 60; // valid from the chain's point of view
  const expiresSec = nowSec + 60 + d.validityDays * 86400;
  const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const uuid = randomUUID();
  const credential: MarketplaceCredential = {
    "@context": [CREDENTIALS_V1_CONTEXT, KRAKEN_CONTEXT],
    id: `urn:uuid:${uuid}`,
    type: ["VerifiableCredential", CREDENTIAL_TYPE],
    issuer: d.identity.did,
    issuanceDate: iso(nowSec),
    expirationDate: iso(expiresSec),
    credentialSubject: {
      id: pkhDid(chainId, holder),
      category: body.category!,
      organisationType: (body.organisationType ?? "None") as MarketplaceCredential["credentialSubject"]["organisationType"],
      country: body.country!,
      ...(legalName !== undefined && { legalName }),
      ...(registrationNumber !== undefined && { registrationNumber }),
      ...(email !== undefined && { email }),
    },
    credentialStatus: { id: `${d.publicUrl}/credentials/status/${uuid}`, type: STATUS_TYPE },
  };
  const dk = await didkit();
  const ldOptions = { proofPurpose: "assertionMethod", verificationMethod: d.identity.verificationMethod };
  const signedLd = JSON.parse(await dk.issueCredential(JSON.stringify(credential), JSON.stringify(ldOptions), d.identity.jwk)) as MarketplaceCredential;
  const credentialJwt = await dk.issueCredential(JSON.stringify(credential), JSON.stringify({ ...ldOptions, proofFormat: "jwt" }), d.identity.jwk);
  const hash = credentialHash(signedLd);

  const attestation: Attestation = {
    subject: holder,
    issuer: d.account.address,
    ...facts,
    credentialHash: hash,
    encryptionKey: body.encryptionKey as Hex,
    issuedAt: BigInt(nowSec),
    expiresAt: BigInt(expiresSec),
    nonce: BigInt(`0x${randomBytes(16).toString("hex")}`),
    chainId: BigInt(chainId),
  };
  const signature = await signAttestation(d.wallet, d.deployment.contracts.Credentials.address, attestation, d.account);
  d.statusList.add(credential.id, { subject: holder, credentialHash: hash, issuedAt: credential.issuanceDate, expiresAt: credential.expirationDate, revoked: false });
  d.log(`issued ${credential.id} to ${pkhDid(chainId, holder)} (${body.category}, ${body.organisationType ?? "None"}, ${body.country})`);
  return {
    credential: signedLd,
    credentialJwt,
    credentialHash: hash,
    issuerDid: d.identity.did,
    attestation: attestationToJson(attestation),
    signature,
  };
}

