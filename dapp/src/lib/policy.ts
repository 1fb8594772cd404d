// A consent policy in plain language, one rule per line, for the product page and the wizard's review.
import { policyFacts, type PolicyVersion } from "@kraken/sdk";
import { countryName, list } from "./words.ts";

export type { PolicyVersion };

/** The SDK's `policyFacts` laid out for the page. */
export function policyRules(p: PolicyVersion): { label: string; text: string }[] {
  const f = policyFacts(p);
  const who: string[] = [];
  if (f.individuals) who.push("individuals");
  if (f.organisations) who.push(list(f.organisationTypes));
  const where = f.targetCountries ? `the ${f.countries.length} target countries of the marketplace (${f.countries.join(", ")})` : list(f.countries.map(countryName));
  return [
    { label: "Allowed purposes", text: list(f.purposes.map(capitalise)) || "none" },
    { label: "Who may buy", text: who.length ? capitalise(list(who)) : "nobody" },
    { label: "Where", text: `buyers registered in ${where || "no country"}` },
    {
      label: "Approval",
      text: f.requiresApproval ? "the seller approves each request; any payment is held in escrow until then and refunded if rejected" : "none: access starts as soon as the purchase is mined",
    },
    { label: "Retention", text: f.retentionDays ? `keep the data at most ${f.retentionDays} days` : "no limit set" },
    { label: "Policy version", text: String(f.version) },
  ];
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
