// Enum spellings across the system: the SDK's names (ResearchUniversity), the subgraph's
// GraphQL enums (RESEARCH_UNIVERSITY), command-line flags (research-university) and on-chain
// numbers all name the same value.

import { CountryNames, OrganisationTypeNames, PricingUnitNames } from "./generated/enums.ts";

/** "CLINICAL_TRIALS", "ClinicalTrials", "clinical-trials" → "clinicaltrials" (for matching). */
const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");

/** Index of `value` in an SDK enum name list (any spelling, or a number); -1 if unknown. */
export function enumIndex(names: readonly string[], value: string | number): number {
  if (typeof value === "number") return value >= 0 && value < names.length ? value : -1;
  return names.map(squash).indexOf(squash(value));
}

/** SDK name → subgraph enum string: ResearchUniversity → RESEARCH_UNIVERSITY. */
export const toGraphEnum = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();

/** SDK name → command-line spelling: ResearchUniversity → research-university. */
export const toFlag = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();

/** The SDK name of `value` (any spelling or a number), or `String(value)` if unknown. */
export const enumName = (names: readonly string[], value: string | number) => names[enumIndex(names, value)] ?? String(value);

/** SDK name → lower-case words: PublicHealth → "public health". */
export const spaced = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();

// Wordings shared by the CLI and the dApp (lower case; each capitalises as its layout needs).
const PURPOSE_WORDS: Record<string, string> = { AiTraining: "AI training" };
const ORGANISATION_TYPE_WORDS: Record<string, [singular: string, plural: string]> = {
  None: ["individual", "individuals"],
  Hospital: ["hospital", "hospitals"],
  ResearchUniversity: ["research university", "research universities and institutes"],
  Pharma: ["pharma company", "pharma companies"],
  Insurer: ["insurer", "insurers"],
  PublicAuthority: ["public authority", "public authorities"],
  HealthTech: ["health-tech company", "health-tech companies"],
  EmployerRecruiter: ["employer or recruiter", "employers and recruiters"],
  EducationProvider: ["education provider", "education providers"],
};
const PRICING_UNIT_WORDS: Record<string, string> = { OneTime: "one-time", Hour: "hour", Day: "day", Week: "week", Month: "month" };

/** A purpose in words: "AI training", "public health". */
export const purposeName = (sdkName: string) => PURPOSE_WORDS[sdkName] ?? spaced(sdkName);
/** An organisation type in words, singular or plural; undefined if unknown. */
export const organisationTypeName = (sdkName: string, plural = false) => ORGANISATION_TYPE_WORDS[sdkName]?.[plural ? 1 : 0];
/** A pricing unit in words: "one-time", "day"; undefined if unknown. */
export const pricingUnitName = (sdkName: string) => PRICING_UNIT_WORDS[sdkName];

// Enum values in words from any spelling (subgraph RESEARCH_UNIVERSITY, SDK ResearchUniversity,
// on-chain numbers), lower case: the CLI prints them as they are, the dApp capitalises.
/** "day", "one-time"; the raw value if unknown. */
export const unitWords = (v: string | number) => pricingUnitName(enumName(PricingUnitNames, v)) ?? String(v);
/** "hospital" / "hospitals"; the raw value if unknown. */
export const orgTypeWords = (v: string | number, plural = false) => organisationTypeName(enumName(OrganisationTypeNames, v), plural) ?? String(v);
/** ISO code from a Country number or any spelling: 12 → "EE", "ee" → "EE". */
export const countryCode = (v: string | number) => (typeof v === "number" ? (CountryNames[v] ?? String(v)) : v.toUpperCase());
/** Subscriptions are time-based: they take a number of periods and end. */
export const isTimeBased = (unit: string | number) => enumName(PricingUnitNames, unit) !== "OneTime";

/** "a", "a and b", "a, b and c". */
export function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
