// Eligibility verdicts (Agreements.eligibility / eligibilityMany, the same rules the purchase
// checks) in words: yes, or exactly why not and what to do.
import { Verdict, VerdictNames } from "@kraken/sdk";
import { countryCode, list, orgTypeWords, purposeWords } from "./words.ts";

export type VerdictName = (typeof VerdictNames)[number];

export interface VerdictContext {
  /** Credentials.statusOf(me): [status, category, organisationType, country] */
  credential?: readonly [number, number, number, number];
  /** purposes the policy allows (any spelling) */
  allowedPurposes?: string[];
  purpose: number;
}

export interface Explained {
  eligible: boolean;
  verdict: VerdictName;
  reason: string;
  /** what the user can do about it, if anything */
  action?: "register" | "choose-purpose";
}

export function explainVerdict(verdict: number, ctx: VerdictContext): Explained {
  const name = (VerdictNames[verdict] ?? "Eligible") as VerdictName;
  const base = { eligible: verdict === Verdict.Eligible, verdict: name };
  const [, category, orgType, country] = ctx.credential ?? [];
  switch (verdict) {
    case Verdict.Eligible:
      return { ...base, reason: `Your credential meets this product's policy for ${purposeWords(ctx.purpose).toLowerCase()}.` };
    case Verdict.ProductNotFound:
      return { ...base, reason: "This product does not exist." };
    case Verdict.ProductInactive:
      return { ...base, reason: "The seller has deactivated this product; it cannot be bought now." };
    case Verdict.OwnProduct:
      return { ...base, reason: "This is your own product." };
    case Verdict.NoPolicy:
      return { ...base, reason: "The seller has not set a consent policy yet, so nobody can buy it." };
    case Verdict.NotRegistered:
      return { ...base, reason: "Your address has no credential. Register first: it takes one transaction and puts nothing personal on chain.", action: "register" };
    case Verdict.CredentialExpired:
      return { ...base, reason: "Your credential has expired. Register again with the issuer.", action: "register" };
    case Verdict.CredentialRevoked:
      return { ...base, reason: "Your credential has been revoked by its issuer or the consortium." };
    case Verdict.IssuerNotTrusted:
      return { ...base, reason: "The issuer of your credential is no longer trusted. Register again with a trusted issuer.", action: "register" };
    case Verdict.CategoryNotAllowed:
      return { ...base, reason: `${category === 0 ? "Individuals are" : category === 1 ? "Organisations are" : "Your category is"} not allowed by this policy.` };
    case Verdict.OrganisationTypeNotAllowed:
      return { ...base, reason: `The policy does not allow ${orgType === undefined ? "your organisation type" : orgTypeWords(orgType, true)}.` };
    case Verdict.JurisdictionNotAllowed:
      return { ...base, reason: `The policy does not allow buyers registered in ${country === undefined ? "your country" : countryCode(country)}.` };
    case Verdict.PurposeNotAllowed:
      return {
        ...base,
        reason: `The purpose ${purposeWords(ctx.purpose).toLowerCase()} is not allowed by this policy${ctx.allowedPurposes?.length ? ` (it allows ${list(ctx.allowedPurposes.map((p) => purposeWords(p).toLowerCase()))})` : ""}.`,
        action: "choose-purpose",
      };
    case Verdict.ConsentRetracted:
      return { ...base, reason: "The seller has retracted consent for your address on this product." };
    default:
      return { ...base, reason: `Not eligible (verdict ${verdict}).` };
  }
}
