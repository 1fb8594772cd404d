// Login with a Verifiable Presentation signed by the wallet: did:pkh holder,
// EthereumEip712Signature2021 proof bound to the service's challenge and domain, the credential
// embedded as a VC-JWT (an EIP-712 presentation cannot carry a linked-data credential whose
// context is inline; see docs/identity.md).
import type { Account, Address, WalletClient } from "viem";
import { CREDENTIALS_V1_CONTEXT, type HeldCredential } from "./credential.ts";
import { pkhDid, publicJwkFromSignature } from "./did.ts";
import { didkit } from "./didkit.ts";
import { SsiError } from "./errors.ts";

export const PRESENTATION_EIP712_DOMAIN = { name: "Kraken marketplace login" } as const;
export const PUBLIC_KEY_MESSAGE = "Kraken marketplace: show my public key to the login page.\n\nThis signature costs nothing and grants nothing.";

export interface LoginChallenge {
  challenge: string;
  domain: string;
  expiresAt: string;
}

function accountOf(wallet: WalletClient): Account | Address {
  if (!wallet.account) throw new SsiError("bad-request", "the wallet client has no account");
  return wallet.account;
}

/** The wallet's secp256k1 public key as a JWK (one EIP-191 signature; cache it per address). */
export async function walletPublicJwk(wallet: WalletClient): Promise<string> {
  const signature = await wallet.signMessage({ account: accountOf(wallet), message: PUBLIC_KEY_MESSAGE });
  return publicJwkFromSignature(PUBLIC_KEY_MESSAGE, signature);
}

/**
 * Builds and signs (with the wallet, as EIP-712 typed data) a presentation of `held` for a
 * service's `challenge` and `domain`. Returns the presentation as a JSON string.
 */
export async function createPresentation(o: {
  wallet: WalletClient;
  chainId: number;
  held: Pick<HeldCredential, "credentialJwt">;
  challenge: string;
  domain: string;
  publicJwk?: string; // from walletPublicJwk, to save a signature prompt
}): Promise<string> {
  const dk = await didkit();
  const account = accountOf(o.wallet);
  const address = typeof account === "string" ? account : account.address;
  const holder = pkhDid(o.chainId, address);
  const jwk = o.publicJwk ?? (await walletPublicJwk(o.wallet));
  const vp = {
    "@context": [CREDENTIALS_V1_CONTEXT],
    type: ["VerifiablePresentation"],
    holder,
    verifiableCredential: o.held.credentialJwt,
  };
  const options: Record<string, unknown> = {
    type: "EthereumEip712Signature2021",
    proofPurpose: "authentication",
    verificationMethod: `${holder}#blockchainAccountId`,
    challenge: o.challenge,
    domain: o.domain,
  };
  // A first preparation gives the EIP-712 types of this document; wallets need them stated with
  // an explicit domain, or they reject the typed data.
  const first = JSON.parse(await dk.prepareIssuePresentation(JSON.stringify(vp), JSON.stringify(options), jwk));
  options.eip712Domain = { messageSchema: first.signingInput.types, primaryType: first.signingInput.primaryType, domain: PRESENTATION_EIP712_DOMAIN };
  const preparation = JSON.parse(await dk.prepareIssuePresentation(JSON.stringify(vp), JSON.stringify(options), jwk));
  const { EIP712Domain: _domainType, ...types } = preparation.signingInput.types;
  const signature = await o.wallet.signTypedData({
    account,
    domain: preparation.signingInput.domain,
    types,
    primaryType: preparation.signingInput.primaryType,
    message: preparation.signingInput.message,
  });
  return dk.completeIssuePresentation(JSON.stringify(vp), JSON.stringify(preparation), signature);
}

/** Asks `serviceUrl` for a challenge, presents `held` and returns the service's session. */
export async function loginWithPresentation(o: {
  serviceUrl: string; // e.g. http://127.0.0.1:8787 (POST /login/challenge, POST /login)
  wallet: WalletClient;
  chainId: number;
  held: Pick<HeldCredential, "credentialJwt">;
  publicJwk?: string;
}): Promise<{ token: string; expiresAt: string; address: Address; did: string }> {
  const base = o.serviceUrl.replace(/\/$/, "");
  // The presentation is bound to the origin this client is talking to, never to the domain the
  // service's answer names: a service that relayed another service's challenge would otherwise
  // get a presentation it could use to log in there as this holder.
  const origin = new URL(base, (globalThis as { location?: { href: string } }).location?.href).origin;
  const challenge = await postJson<LoginChallenge>(`${base}/login/challenge`, {});
  if (challenge.domain !== origin) {
    throw new SsiError("wrong-domain", `the service at ${origin} asked for a presentation for "${challenge.domain}": not signing one that could log you in elsewhere`);
  }
  const presentation = await createPresentation({ ...o, challenge: challenge.challenge, domain: origin });
  return postJson(`${base}/login`, { presentation: JSON.parse(presentation) });
}

/** POSTs JSON; a refusal comes back as SsiError with the service's code and message. */
export async function postJson<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  } catch (err) {
    throw new SsiError("issuer-unreachable", `cannot reach ${url}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let data: any;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    throw new SsiError("issuer-refused", `${url} answered ${res.status} with a non-JSON body`);
  }
  if (!res.ok) throw new SsiError(data?.error ?? "issuer-refused", data?.message ?? `${url} answered ${res.status}`);
  return data as T;
}
