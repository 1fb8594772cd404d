// A consent policy in plain language, one rule per line, for the product page and the wizard's review.
import { CountryNames, TARGET_COUNTRIES } from "@kraken/sdk";
import { countryCode, countryName, enumIndex, list, orgTypeWords, purposeWords } from "./words.ts";

export interface PolicyView {
  version: number;
  purposes: string[];
  consumerCategories: string[];
  organisationTypes: string[];
  jurisdictions: string[];
  requiresApproval: boolean;
  retentionDays: number;
}

const TARGETS = TARGET_COUNTRIES.map((c) => CountryNames[c]).join(",");

export function policyRules(p: PolicyView): { label: string; text: string }[] {
  const individuals = p.consumerCategories.some((c) => enumIndex(["Individual", "Organisation"], c) === 0);
  const organisations = p.consumerCategories.some((c) => enumIndex(["Individual", "Organisation"], c) === 1);
  const who: string[] = [];
  if (individuals) who.push("individuals");
  if (organisations) who.push(list(p.organisationTypes.map((t) => orgTypeWords(t, true))));
  const codes = p.jurisdictions.map(countryCode);
  const where =
    codes.join(",") === TARGETS ? `the ${codes.length} target countries of the marketplace (${codes.join(", ")})` : list(codes.map(countryName));
  return [
    { label: "Allowed purposes", text: list(p.purposes.map((x) => purposeWords(x))) || "none" },
    { label: "Who may buy", text: who.length ? capitalise(list(who)) : "nobody" },
    { label: "Where", text: `buyers registered in ${where || "no country"}` },
    {
      label: "Approval",
      text: p.requiresApproval ? "the seller approves each request; any payment is held in escrow until then and refunded if rejected" : "none: access starts as soon as the purchase is mined",
    },
    { label: "Retention", text: p.retentionDays ? `keep the data at most ${p.retentionDays} days` : "no limit set" },
    { label: "Policy version", text: String(p.version) },
  ];
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
