// The marketplace credential: a W3C Verifiable Credential (data model 1.1) an issuer gives a
// holder, saying whether they are an individual or an organisation (and which kind) and their
// country, plus what a real issuer verified (legal name, registration number, email). Those
// personal details stay in the credential, with the holder; the chain only ever gets the
// credential's hash (see credentialHash) and the policy facts.
import { keccak256, stringToHex, type Hex } from "viem";
import { Category, CategoryNames, Country, CountryNames, OrganisationType, OrganisationTypeNames } from "../generated/enums.ts";
import { base64UrlToString } from "./did.ts";
import { SsiError } from "./errors.ts";

export const CREDENTIALS_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1";
export const CREDENTIAL_TYPE = "KrakenMarketplaceCredential";
export const STATUS_TYPE = "KrakenCredentialStatus2026";

/**
 * JSON-LD context of the marketplace terms, inline so that nothing is fetched at run time
 * (didkit only knows the W3C v1 context built in; a context URL would need the network).
 */
export const KRAKEN_CONTEXT = {
  "@version": 1.1,
  "@protected": true,
  kraken: "https://w3id.org/kraken-marketplace/v1#",
  [CREDENTIAL_TYPE]: "kraken:KrakenMarketplaceCredential",
  [STATUS_TYPE]: "kraken:KrakenCredentialStatus2026",
  category: "kraken:category",
  organisationType: "kraken:organisationType",
  country: "kraken:country",
  legalName: "kraken:legalName",
  registrationNumber: "kraken:registrationNumber",
  email: "kraken:email",
} as const;

/** Claims about the subject. The first three go on chain (as enum values); the rest never do. */
export interface MarketplaceClaims {
  category: (typeof CategoryNames)[number];
  organisationType: (typeof OrganisationTypeNames)[number]; // "None" for individuals
  country: (typeof CountryNames)[number];
  legalName?: string;
  registrationNumber?: string; // organisations
  email?: string;
}

export interface MarketplaceCredential {
  "@context": [typeof CREDENTIALS_V1_CONTEXT, typeof KRAKEN_CONTEXT];
  id: string; // urn:uuid:…
  type: ["VerifiableCredential", typeof CREDENTIAL_TYPE];
  issuer: string; // did:key:…
  issuanceDate: string;
  expirationDate: string;
  credentialSubject: { id: string } & MarketplaceClaims; // id: did:pkh:eip155:<chainId>:<address>
  credentialStatus?: { id: string; type: typeof STATUS_TYPE };
  proof?: Record<string, unknown>;
}

/** What a holder keeps: the credential in its two encodings, both signed by the issuer. */
export interface HeldCredential {
  /** Linked-data proof (Ed25519Signature2018): the readable, canonical form. */
  credential: MarketplaceCredential;
  /** The same credential as a VC-JWT: the form embedded in EIP-712 presentations (didkit cannot
   * put a linked-data credential with an inline context into EIP-712 typed data). */
  credentialJwt: string;
  /** keccak256 of the canonical credential without its proof (as registered on chain). */
  credentialHash: Hex;
}

/** JSON with object keys sorted (recursively) and no whitespace: a stable byte form. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/**
 * The credential hash registered on chain: keccak256 of the canonical JSON of the credential
 * without its proof. Both encodings of one credential (linked-data proof and VC-JWT) carry the
 * same unsigned credential, so both give the same hash.
 */
export function credentialHash(credential: object): Hex {
  const { proof: _proof, ...unsigned } = credential as Record<string, unknown>;
  return keccak256(stringToHex(canonicalJson(unsigned)));
}

/** Decodes (does not verify) a VC-JWT: its claims and the embedded credential. */
export function decodeCredentialJwt(jwt: string): { exp?: number; nbf?: number; iss?: string; sub?: string; jti?: string; vc: MarketplaceCredential } {
  const parts = typeof jwt === "string" ? jwt.split(".") : [];
  if (parts.length !== 3) throw new SsiError("tampered-credential", "tampered credential: the embedded credential is not a compact JWT");
  try {
    const payload = JSON.parse(base64UrlToString(parts[1]));
    if (!payload || typeof payload.vc !== "object") throw new Error("no vc claim");
    return payload;
  } catch {
    throw new SsiError("tampered-credential", "tampered credential: the credential JWT's payload cannot be read");
  }
}

/** The on-chain enum values of a credential's claims (throws on unknown or missing names). */
export function claimsToFacts(c: Partial<Pick<MarketplaceClaims, "category" | "organisationType" | "country">>): {
  category: Category;
  organisationType: OrganisationType;
  country: Country;
} {
  const category = Category[c.category as keyof typeof Category];
  const organisationType = OrganisationType[c.organisationType as keyof typeof OrganisationType];
  const country = Country[c.country as keyof typeof Country];
  if (category === undefined) throw new SsiError("bad-request", `unknown category "${c.category}" (expected ${CategoryNames.join(" or ")})`);
  if (organisationType === undefined) {
    throw new SsiError("bad-request", `unknown organisation type "${c.organisationType}" (expected one of ${OrganisationTypeNames.join(", ")})`);
  }
  if (country === undefined || country === Country.None) {
    throw new SsiError("bad-request", `unsupported country "${c.country}" (expected one of ${CountryNames.slice(1).join(", ")})`);
  }
  if ((category === Category.Individual) !== (organisationType === OrganisationType.None)) {
    throw new SsiError(
      "bad-request",
      category === Category.Individual
        ? "an individual has no organisation type (leave it out or use None)"
        : "an organisation needs an organisation type",
    );
  }
  return { category, organisationType, country };
}

/** Serialises a held credential for saving or downloading (a JSON file the holder keeps). */
export function heldCredentialToJson(held: HeldCredential): string {
  return JSON.stringify({ format: "kraken.held-credential/v1", ...held }, null, 2) + "\n";
}

export function heldCredentialFromJson(text: string): HeldCredential {
  const o = JSON.parse(text);
  if (!o || typeof o.credentialJwt !== "string" || typeof o.credential !== "object") {
    throw new SsiError("invalid-credential", "not a saved Kraken credential (expected credential and credentialJwt)");
  }
  return { credential: o.credential, credentialJwt: o.credentialJwt, credentialHash: o.credentialHash ?? credentialHash(o.credential) };
}

/** Suggested file name when a holder saves their credential. */
export function heldCredentialFileName(held: HeldCredential): string {
  const addr = held.credential.credentialSubject.id.split(":").pop() ?? "holder";
  return `kraken-credential-${addr.toLowerCase()}.json`;
}
