// Login verifier for off-chain services (the issuer, the relays, later analytics): hands out
// single-use challenges, checks a wallet-signed Verifiable Presentation against one, and gives a
// short-lived session token. Every refusal is an SsiError whose code and message say which check
// failed: that is for the service's log. Clients get `publicLoginError(err)`, which keeps only the
// challenge refusals (the client's remedy is a new challenge) and says "the presentation could not
// be verified" for everything else, so the verifier is no oracle for what it checked or fetched.
// Runs wherever didkit and a JSON-RPC endpoint are available (Node services; browsers too).
//
// Order: the challenge is consumed first (a failed attempt cannot be retried with it), then
// everything that needs no network beyond the chain (presentation signature, credential proof,
// on-chain registration and issuer trust), and only then the issuer's status list, fetched only
// from the origin this verifier was configured with for that issuer (see issuerStatusList).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Address, PublicClient } from "viem";
import { credentialsAbi } from "../generated/abis.ts";
import { CategoryNames, CountryNames, OrganisationTypeNames } from "../generated/enums.ts";
import { credentialHash, decodeCredentialJwt, type MarketplaceCredential } from "./credential.ts";
import { base64UrlToString, bytesToBase64Url, parsePkhDid } from "./did.ts";
import { didkit, verificationErrors } from "./didkit.ts";
import { ChallengeStore } from "./challenges.ts";
import { SsiError } from "./errors.ts";
import type { LoginChallenge } from "./presentation.ts";

export interface LoginVerifierOptions {
  publicClient: PublicClient;
  /** Address of the Credentials contract. */
  credentials: Address;
  chainId: number;
  /**
   * What presentations must be bound to: the service's public origin (`https://svc.example`),
   * as clients compute it from the URL they call (`loginWithPresentation`). Every presentation
   * is checked against this value, never against anything the client or challenge says.
   */
  domain: string;
  challengeTtlMs?: number; // default 5 min
  /** Cap on login challenges kept; the oldest are evicted first (then refused as unknown). Default 10,000. */
  maxChallenges?: number;
  sessionTtlMs?: number; // default 15 min
  /** Issuer DIDs accepted (did:key…). Unset: any issuer whose attestation is registered on chain. */
  trustedIssuerDids?: string[];
  /**
   * Revocation status from the issuer's status list: true when revoked. Throw when unknown.
   * Called only after the presentation, the credential's proof and the issuer's trust on chain
   * are verified. Remote lists: use issuerStatusList (origin allow-list, timeout, size cap).
   */
  isRevokedByIssuer?: (credential: MarketplaceCredential) => Promise<boolean>;
  /** Key of the session tokens (HMAC-SHA256); random per verifier unless given. */
  sessionSecret?: Uint8Array;
  now?: () => number; // ms; for tests
}

export interface Session {
  address: Address;
  did: string;
  credentialId: string;
  category: string;
  organisationType: string;
  country: string;
  expiresAt: string;
}

export interface LoginResult extends Session {
  token: string;
}

const refuse = (code: ConstructorParameters<typeof SsiError>[0], message: string) => new SsiError(code, message);

export class LoginVerifier {
  // Bounded (maxChallenges, oldest evicted first) and pruned from the front in O(1) amortised.
  // Used challenges are kept until a minute after they expire, so that a replay gets the
  // "replayed" answer.
  private readonly challenges: ChallengeStore<{ expiresAt: number; used: boolean }>;
  private readonly secret: Uint8Array;
  private readonly now: () => number;

  constructor(private readonly o: LoginVerifierOptions) {
    this.secret = o.sessionSecret ?? randomBytes(32);
    this.now = o.now ?? Date.now;
    this.challenges = new ChallengeStore({ ttlMs: o.challengeTtlMs ?? 5 * 60_000, maxChallenges: o.maxChallenges, now: this.now });
  }

  /** Login challenges kept (outstanding, used or recently expired). */
  get challengeCount(): number {
    return this.challenges.size;
  }

  get domain(): string {
    return this.o.domain;
  }

  /** A fresh single-use challenge for one login. */
  createChallenge(): LoginChallenge {
    const challenge = bytesToBase64Url(randomBytes(24));
    const { expiresAt } = this.challenges.add(challenge, (expiresAt) => ({ expiresAt, used: false }));
    return { challenge, domain: this.o.domain, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** Verifies `presentation` (JSON string or object) and returns a session, or throws SsiError. */
  async verify(presentation: unknown): Promise<LoginResult> {
    let vp: any = presentation;
    if (typeof vp === "string") {
      try {
        vp = JSON.parse(vp);
      } catch {
        throw refuse("invalid-presentation", "invalid presentation: not JSON");
      }
    }
    if (!vp || typeof vp !== "object" || !vp.proof || typeof vp.proof !== "object") {
      throw refuse("invalid-presentation", "invalid presentation: no proof");
    }

    // 1. Challenge: known, unused, not expired; consumed now (nothing awaited between the check
    //    and the mark), so that whatever happens next, a failed attempt cannot be retried with it.
    const challenge = vp.proof.challenge;
    this.consumeChallenge(challenge);

    // 2. Domain.
    if (vp.proof.domain !== this.o.domain) {
      throw refuse("wrong-domain", `wrong domain: the presentation is for "${vp.proof.domain ?? "(none)"}", this service is "${this.o.domain}"`);
    }

    // 3. Holder and the presentation's signature.
    const holder = parsePkhDid(vp.holder);
    if (!holder) throw refuse("invalid-presentation", "invalid presentation: the holder must be a did:pkh:eip155 DID");
    if (holder.chainId !== this.o.chainId) {
      throw refuse("invalid-presentation", `invalid presentation: the holder DID is on chain ${holder.chainId}, this marketplace is on chain ${this.o.chainId}`);
    }
    if (typeof vp.proof.verificationMethod !== "string" || !vp.proof.verificationMethod.startsWith(`${vp.holder}#`)) {
      throw refuse("invalid-presentation", "invalid presentation: it is not signed by its holder");
    }
    const dk = await didkit();
    const vpErrors = verificationErrors(
      await dk.verifyPresentation(JSON.stringify(vp), JSON.stringify({ proofPurpose: "authentication", challenge, domain: this.o.domain })),
    );
    if (vpErrors.length) throw refuse("invalid-presentation", `invalid presentation: its signature does not verify (${vpErrors.join("; ")})`);

    // 4. The credential: issuer's signature, expiry, subject = holder, issuer DID.
    const jwt = vp.verifiableCredential;
    if (typeof jwt !== "string") {
      throw refuse("invalid-presentation", "invalid presentation: expected exactly one credential, as a VC-JWT");
    }
    const decoded = decodeCredentialJwt(jwt);
    const vc = decoded.vc;
    const nowSec = this.now() / 1000;
    const expiry = decoded.exp ?? (vc.expirationDate ? Date.parse(vc.expirationDate) / 1000 : undefined);
    const vcErrors = verificationErrors(await dk.verifyCredential(jwt, JSON.stringify({ proofPurpose: "assertionMethod", proofFormat: "jwt" })));
    if (vcErrors.length) {
      // didkit refuses a JWT past its `exp` without saying why: tell expiry apart from forgery.
      if (expiry !== undefined && expiry <= Date.now() / 1000) throw this.expired(vc, expiry);
      throw refuse("tampered-credential", `tampered credential: the issuer's signature on the credential does not verify (${vcErrors.join("; ")})`);
    }
    if (expiry !== undefined && expiry <= nowSec) throw this.expired(vc, expiry);
    const subject = parsePkhDid(vc.credentialSubject?.id);
    if (!subject || subject.address !== holder.address || subject.chainId !== holder.chainId) {
      throw refuse("wrong-holder", `wrong holder: the credential was issued to ${vc.credentialSubject?.id ?? "(no subject)"}, the presentation is signed by ${vp.holder}`);
    }
    if (this.o.trustedIssuerDids && !this.o.trustedIssuerDids.includes(vc.issuer)) {
      throw refuse("untrusted-issuer", `untrusted issuer: ${vc.issuer} is not an issuer this service trusts`);
    }

    // 5. The chain: this credential is the one registered for the holder, issued by a trusted
    //    issuer (whose attestation covered this credential's hash), not revoked, not expired.
    const c = this.o.credentials;
    const [registered, block] = await Promise.all([
      this.o.publicClient.readContract({ address: c, abi: credentialsAbi, functionName: "credentialOf", args: [holder.address] }),
      this.o.publicClient.getBlock(),
    ]);
    if (registered.issuer === "0x0000000000000000000000000000000000000000") {
      throw refuse("not-registered", `not registered: ${holder.address} has no credential on chain`);
    }
    if (registered.credentialHash.toLowerCase() !== credentialHash(vc).toLowerCase()) {
      throw refuse("credential-not-registered", `credential not registered: ${vc.id} is not the credential registered on chain for ${holder.address} (replaced, or never attested by a trusted issuer)`);
    }
    if (registered.revoked) throw refuse("credential-revoked", `credential revoked: the credential of ${holder.address} is revoked on chain`);
    const trusted = await this.o.publicClient.readContract({ address: c, abi: credentialsAbi, functionName: "isTrustedIssuer", args: [registered.issuer] });
    if (!trusted) throw refuse("untrusted-issuer", `untrusted issuer: ${registered.issuer}, who attested this credential, is no longer trusted on chain`);
    if (BigInt(registered.expiresAt) <= block.timestamp) {
      throw refuse("credential-expired", `credential expired: the registration of ${holder.address} expired on chain at ${new Date(Number(registered.expiresAt) * 1000).toISOString()}`);
    }

    // 6. The issuer's status list, last: only for a credential a trusted issuer attested on chain.
    if (this.o.isRevokedByIssuer) {
      let revoked: boolean;
      try {
        revoked = await this.o.isRevokedByIssuer(vc);
      } catch (err) {
        throw refuse("status-unavailable", `cannot check the credential's revocation status: ${(err as Error).message}`);
      }
      if (revoked) throw refuse("credential-revoked", `credential revoked: the issuer's status list marks ${vc.id} as revoked`);
    }

    const expiresAt = new Date(this.now() + (this.o.sessionTtlMs ?? 15 * 60_000)).toISOString();
    const session: Session = {
      address: holder.address,
      did: vp.holder,
      credentialId: vc.id,
      category: CategoryNames[registered.category],
      organisationType: OrganisationTypeNames[registered.organisationType],
      country: CountryNames[registered.country],
      expiresAt,
    };
    return { ...session, token: this.sign(session) };
  }

  /** The session behind `token`, or undefined when the token is forged or expired. */
  session(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const [body, mac] = token.split(".");
    if (!body || !mac) return undefined;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    const session = JSON.parse(base64UrlToString(body)) as Session;
    return Date.parse(session.expiresAt) > this.now() ? session : undefined;
  }

  private expired(vc: MarketplaceCredential, expiry: number): SsiError {
    return refuse("credential-expired", `credential expired: ${vc.id} expired at ${new Date(expiry * 1000).toISOString()}`);
  }

  /** Checks the challenge and marks it used, synchronously: two parallel attempts cannot both pass. */
  private consumeChallenge(challenge: unknown): void {
    const entry = this.challenges.get(challenge);
    if (!entry) throw refuse("challenge-unknown", "unknown challenge: ask this service for a new one");
    if (entry.used) throw refuse("challenge-replayed", "replayed challenge: this challenge was already used for a login");
    if (entry.expiresAt <= this.now()) throw refuse("challenge-expired", "challenge expired: ask this service for a new one");
    entry.used = true;
  }

  private sign(session: Session): string {
    const body = bytesToBase64Url(new TextEncoder().encode(JSON.stringify(session)));
    return `${body}.${this.mac(body)}`;
  }

  private mac(body: string): string {
    return createHmac("sha256", this.secret).update(body).digest("base64url");
  }
}

/** What a client is told when a login is refused (the reason goes to the service's log). */
export const LOGIN_REFUSED_MESSAGE = "the presentation could not be verified";

const CHALLENGE_CODES = new Set(["challenge-unknown", "challenge-expired", "challenge-replayed"]);

/**
 * The client-facing form of a login refusal: challenge refusals as they are (fixed texts, nothing
 * about the credential), every other refusal as `login-refused` with LOGIN_REFUSED_MESSAGE.
 */
export function publicLoginError(err: unknown): SsiError {
  if (err instanceof SsiError && CHALLENGE_CODES.has(err.code)) return err;
  return new SsiError("login-refused", LOGIN_REFUSED_MESSAGE);
}

export interface StatusListOptions {
  /**
   * Issuer DID -> the origin (scheme://host[:port]) its status list is served from, as configured
   * by the verifier's operator (for the demo issuer: its public URL). The rule: a credential's
   * `credentialStatus.id` is fetched only when it is on exactly the origin configured for that
   * credential's issuer. The origin never comes from the credential: the chain trusts issuer
   * addresses, not URLs, so a URL a credential names is no proof of anything. A credential whose
   * issuer has no configured origin is not looked up at all (false): the on-chain registration,
   * already checked, decides (revoking the registered credential revokes it on chain). A status
   * URL elsewhere than the configured origin is refused (throws), unfetched.
   */
  origins: Record<string, string>;
  /** Abort the request after this long (default 3 s). */
  timeoutMs?: number;
  /** Refuse a response body larger than this (default 4 KiB; the answer is `{ id, revoked }`). */
  maxBytes?: number;
}

/** isRevokedByIssuer for remote issuers: asks the issuer's status endpoint, on its own origin only. */
export async function issuerStatusList(credential: MarketplaceCredential, o: StatusListOptions): Promise<boolean> {
  const url = credential.credentialStatus?.id;
  if (!url) return false; // a credential without a status entry cannot be revoked by its issuer
  const configured = Object.hasOwn(o.origins, credential.issuer) ? o.origins[credential.issuer] : undefined;
  if (configured === undefined) return false; // unknown origin: never fetched, the chain decides
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`the status URL ${JSON.stringify(url)} is not a URL`);
  }
  const origin = new URL(configured).origin;
  if (parsed.origin !== origin || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    throw new Error(`the status URL ${parsed.href} is not on ${origin}, the status origin configured for ${credential.issuer}`);
  }
  const res = await fetch(parsed, { signal: AbortSignal.timeout(o.timeoutMs ?? 3000), redirect: "error", headers: { accept: "application/json" } });
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`${parsed.href} answered ${res.status}`);
  }
  const text = await readCapped(res, o.maxBytes ?? 4096);
  let body: { revoked?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${parsed.href} answered with a non-JSON body`);
  }
  if (typeof body?.revoked !== "boolean") throw new Error(`${parsed.href} gave no revocation status`);
  return body.revoked;
}

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new Error(`${res.url} answered more than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
