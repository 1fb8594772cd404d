// Data unions in words: who may join, a member's status, the fee and its scheduled change, whether
// the union is on sale, and the join verdict (DataUnion.joinVerdict, the rules `join` enforces)
// with what the person can do about it. Pure functions over the SDK's reads.
import {
  Category,
  CountryNames,
  MAX_FEE_BPS,
  fromMask,
  MemberStatus,
  OrganisationTypeNames,
  RemovalReasonNames,
  TARGET_COUNTRIES,
  Verdict,
  type UnionState,
} from "@kraken/sdk";
import { countryCode, countryName, date, list, orgTypeWords } from "../../lib/words.ts";

/** Fee in basis points from "10" or "12.5"; NaN when it is not 0 to MAX_FEE_BPS with at most two decimals. */
export function feeBps(text: string): number {
  const t = text.trim().replace(",", ".");
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return NaN;
  const bps = Math.round(Number(t) * 100);
  return bps <= MAX_FEE_BPS ? bps : NaN;
}

export const percent = (bps: number) => `${(bps / 100).toLocaleString("en", { maximumFractionDigits: 2 })} %`;

/** "Individuals and hospitals registered in the 13 pilot countries; the admin approves each join." */
export function joinPolicyWords(p: UnionState["joinPolicy"]): string {
  const cats = fromMask(p.categories);
  const who: string[] = [];
  if (cats.includes(Category.Individual)) who.push("individuals");
  if (cats.includes(Category.Organisation)) {
    const types = fromMask(p.organisationTypes).map((t) => orgTypeWords(OrganisationTypeNames[t], true));
    who.push(types.length ? `organisations (${list(types)})` : "organisations");
  }
  const countries = fromMask(p.jurisdictions);
  const codes = countries.map((c) => CountryNames[c]);
  const pilot = TARGET_COUNTRIES.map((c) => CountryNames[c]);
  const where =
    codes.length === pilot.length && codes.every((c) => pilot.includes(c as (typeof pilot)[number]))
      ? `the ${pilot.length} pilot countries (${pilot.join(", ")})`
      : codes.length === CountryNames.length - 1
        ? "any country"
        : codes.length <= 4
          ? list(codes.map((c) => countryName(c)))
          : `${codes.length} countries (${codes.join(", ")})`;
  const w = list(who) || "nobody";
  return `${w.charAt(0).toUpperCase()}${w.slice(1)} registered in ${where}; ${p.requiresApproval ? "the admin approves each join" : "no approval needed: eligible people join at once"}.`;
}

/** MemberStatus (number or subgraph spelling) in words. */
export function memberStatusWords(s: number | string): string {
  const n = typeof s === "number" ? s : MemberStatus[(s.charAt(0) + s.slice(1).toLowerCase()) as keyof typeof MemberStatus];
  switch (n) {
    case MemberStatus.Pending:
      return "Waiting for approval";
    case MemberStatus.Active:
      return "Member";
    case MemberStatus.Parted:
      return "Left";
    case MemberStatus.Removed:
      return "Removed";
    default:
      return "Not a member";
  }
}

/** RemovalReason names in words (subgraph spelling or number). */
export const REMOVAL_REASONS = RemovalReasonNames.map((n, i) => ({
  value: i,
  label: { Other: "Other", CredentialInvalid: "Credential no longer valid", PolicyBreach: "Broke the union's rules", BadData: "Bad or fake data", Inactive: "Inactive (no data)" }[n] ?? n,
}));

export function removalReasonWords(r: string | number | null | undefined): string {
  if (r === null || r === undefined) return "";
  const i = typeof r === "number" ? r : RemovalReasonNames.findIndex((n) => n.toLowerCase() === r.replace(/_/g, "").toLowerCase());
  return REMOVAL_REASONS[i]?.label ?? String(r);
}

/** "On sale" or "Needs 3 more members to go on sale" or "Not on sale: the admin unlisted it". */
export function saleWords(u: { listed: boolean; memberCount: bigint | number; minMembers: number }): { onSale: boolean; text: string } {
  const members = Number(u.memberCount);
  if (!u.listed) return { onSale: false, text: "Not on sale: the admin took it off sale" };
  if (members >= u.minMembers) return { onSale: true, text: "On sale" };
  const n = u.minMembers - members;
  return { onSale: false, text: `Needs ${n} more member${n === 1 ? "" : "s"} to go on sale` };
}

/** "10 %" or "10 %, changing to 15 % from 2026-12-13 10:00". */
export function feeWords(u: Pick<UnionState, "feeBps" | "feeChange">): string {
  return `${percent(u.feeBps)}${u.feeChange ? `, changing to ${percent(u.feeChange.feeBps)} from ${date(u.feeChange.effectiveAt)}` : ""}`;
}

export interface JoinExplained {
  eligible: boolean;
  reason: string;
  action?: "register";
}

/**
 * DataUnion.joinVerdict in words. `credential` is Credentials.statusOf(me):
 * [status, category, organisationType, country].
 */
export function explainJoinVerdict(verdict: number, credential?: readonly [number, number, number, number]): JoinExplained {
  const [, category, orgType, country] = credential ?? [];
  switch (verdict) {
    case Verdict.Eligible:
      return { eligible: true, reason: "Your credential fits this union's join policy." };
    case Verdict.NotRegistered:
      return { eligible: false, reason: "Your address has no credential: register first (one transaction, nothing personal on chain).", action: "register" };
    case Verdict.CredentialExpired:
      return { eligible: false, reason: "Your credential has expired: register again with the issuer.", action: "register" };
    case Verdict.CredentialRevoked:
      return { eligible: false, reason: "Your credential has been revoked, so you cannot join." };
    case Verdict.IssuerNotTrusted:
      return { eligible: false, reason: "The issuer of your credential is no longer trusted: register again with a trusted issuer.", action: "register" };
    case Verdict.CategoryNotAllowed:
      return { eligible: false, reason: `${category === Category.Organisation ? "Organisations" : category === Category.Individual ? "Individuals" : "Your category"} may not join this union.` };
    case Verdict.OrganisationTypeNotAllowed:
      return { eligible: false, reason: `This union does not admit ${orgType === undefined ? "your kind of organisation" : orgTypeWords(orgType, true)}.` };
    case Verdict.JurisdictionNotAllowed:
      return { eligible: false, reason: `This union does not admit members registered in ${country === undefined ? "your country" : `${countryName(countryCode(country))} (${countryCode(country)})`}.` };
    default:
      return { eligible: false, reason: `You may not join (verdict ${verdict}).` };
  }
}
