// Consent policies as the contracts store them: each allowed set is a bitmask with bit
// `value` set for every allowed enum value (see Policies.sol).
import { Category, CategoryNames, Country, CountryNames, OrganisationType, Purpose, PurposeNames } from "./generated/enums.ts";
import { countryCode, enumIndex, enumName, orgTypeWords, purposeName } from "./names.ts";

export function toMask(values: readonly number[]): bigint {
  let mask = 0n;
  for (const v of values) {
    if (!Number.isInteger(v) || v < 0 || v > 63) throw new RangeError(`enum value out of range: ${v}`);
    mask |= 1n << BigInt(v);
  }
  return mask;
}

export function fromMask(mask: bigint | number): number[] {
  const m = BigInt(mask);
  const out: number[] = [];
  for (let i = 0; i < 64; i++) if ((m >> BigInt(i)) & 1n) out.push(i);
  return out;
}

/** A consent policy (`Policies.Policy`) with enum values; `toPolicyArgs` turns it into `Policies.setPolicy` arguments. */
export interface Policy {
  purposes: Purpose[];
  consumerCategories: Category[];
  organisationTypes: OrganisationType[]; // must be empty iff organisations are not allowed
  jurisdictions: Country[];
  requiresApproval: boolean;
  retentionDays: number; // 0 = no limit
}

export function toPolicyArgs(productId: bigint, p: Policy) {
  return [
    productId,
    Number(toMask(p.purposes)),
    Number(toMask(p.consumerCategories)),
    Number(toMask(p.organisationTypes)),
    toMask(p.jurisdictions),
    p.requiresApproval,
    p.retentionDays,
  ] as const;
}

/** ISO 3166-1 alpha-2 code to the on-chain Country value (throws for unsupported codes). */
export function countryFromCode(code: string): Country {
  const i = CountryNames.indexOf(code.toUpperCase() as (typeof CountryNames)[number]);
  if (i <= 0) throw new RangeError(`unsupported country: ${code}`);
  return i as Country;
}

/** The target countries (docs/requirements.md#target-countries). */
export const TARGET_COUNTRIES = ["DE", "GB", "FR", "IT", "ES", "NL", "BE", "PT", "SE", "DK", "EE", "FI", "AT"].map(
  countryFromCode,
);
export const ALL_COUNTRIES = CountryNames.slice(1).map(countryFromCode);

/** One version of a product's policy as read back: the subgraph's `PolicyVersion` (enum names in any spelling), or the chain converted. */
export interface PolicyVersion {
  version: number;
  purposes: string[];
  consumerCategories: string[];
  organisationTypes: string[];
  jurisdictions: string[];
  requiresApproval: boolean;
  retentionDays: number;
  /** unix seconds as the subgraph gives them; clients may carry their own rendering */
  createdAt: string | null;
}

/** What a policy allows, decided once for every client (each words and lays it out its own way). */
export interface PolicyFacts {
  purposes: string[]; // in words, lower case
  individuals: boolean;
  /** allowed organisation types in words (plural), empty when organisations are not allowed */
  organisationTypes: string[];
  organisations: boolean;
  countries: string[]; // ISO codes
  /** the jurisdictions are exactly the marketplace's target countries */
  targetCountries: boolean;
  requiresApproval: boolean;
  retentionDays: number;
  version: number;
}

export function policyFacts(p: PolicyVersion): PolicyFacts {
  const categories = p.consumerCategories.map((c) => enumIndex(CategoryNames, c));
  const organisations = categories.includes(Category.Organisation);
  const countries = p.jurisdictions.map(countryCode);
  return {
    purposes: p.purposes.map((x) => purposeName(enumName(PurposeNames, x))),
    individuals: categories.includes(Category.Individual),
    organisations,
    organisationTypes: organisations ? p.organisationTypes.map((t) => orgTypeWords(t, true)) : [],
    countries,
    targetCountries: countries.join(",") === TARGET_COUNTRIES.map((c) => CountryNames[c]).join(","),
    requiresApproval: p.requiresApproval,
    retentionDays: p.retentionDays,
    version: p.version,
  };
}
