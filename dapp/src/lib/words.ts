// Enum values in words, DATA amounts, prices and dates. Accepts subgraph spellings
// (RESEARCH_UNIVERSITY), SDK names (ResearchUniversity) and on-chain numbers.
import { formatEther } from "viem";
import {
  CountryNames,
  ModalityNames,
  OrganisationTypeNames,
  PricingUnitNames,
  ProductTypeNames,
  PurposeNames,
  CategoryNames,
  AgreementStatusNames,
  enumIndex,
  enumName,
  organisationTypeName,
  pricingUnitName,
  purposeName,
  toGraphEnum,
} from "@kraken/sdk";

export { enumIndex, toGraphEnum };

const nameOf = enumName;
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const TYPE: Record<string, string> = { Stream: "Stream", Batch: "Batch dataset", DataUnion: "Data union", Analytics: "Analytics" };
const MODALITY: Record<string, string> = { Anonymised: "Anonymised", Encrypted: "Encrypted", Smpc: "Secure multi-party computation (SMPC)" };
const STATUS: Record<string, string> = { Pending: "Pending approval", Active: "Active", Rejected: "Rejected", Cancelled: "Cancelled", Terminated: "Ended by the seller" };

export const purposeWords = (v: string | number) => capital(purposeName(nameOf(PurposeNames, v)));
export const productTypeWords = (v: string | number) => TYPE[nameOf(ProductTypeNames, v)] ?? String(v);
export const modalityWords = (v: string | number) => MODALITY[nameOf(ModalityNames, v)] ?? String(v);
export const unitWords = (v: string | number) => pricingUnitName(nameOf(PricingUnitNames, v)) ?? String(v);
export const orgTypeWords = (v: string | number, plural = false) => organisationTypeName(nameOf(OrganisationTypeNames, v), plural) ?? String(v);
export const categoryWords = (v: string | number) => (nameOf(CategoryNames, v) === "Individual" ? "Individual" : "Organisation");
export const statusWords = (v: string | number) => STATUS[nameOf(AgreementStatusNames, v)] ?? String(v);
export const countryCode = (v: string | number) => (typeof v === "number" ? (CountryNames[v] ?? String(v)) : v.toUpperCase());

/** Subscriptions are time-based: they take a number of periods and end. */
export const isTimeBased = (unit: string | number) => nameOf(PricingUnitNames, unit) !== "OneTime";

const UNIT_SECONDS: Record<string, number> = { Hour: 3600, Day: 86_400, Week: 604_800, Month: 2_592_000 };
/** The most periods one purchase or renewal may buy (Agreements.maxPeriods: 366 days of access; 1 for one-time). */
export const maxPeriods = (unit: string | number) => {
  const secs = UNIT_SECONDS[nameOf(PricingUnitNames, unit)];
  return secs ? Math.floor((366 * 86_400) / secs) : 1;
};

/** 250000000000000000000 → "250 DATA". */
export function data(wei: bigint | string | number): string {
  const s = formatEther(BigInt(wei));
  const [i, f] = s.split(".");
  return `${Number(i).toLocaleString("en")}${f ? "." + f.slice(0, 4).replace(/0+$/, "") : ""} DATA`.replace(/\.(?= DATA)/, "");
}

/** "Free", "250 DATA", "2 DATA / hour". */
export function priceWords(price: bigint | string, unit: string | number): string {
  if (BigInt(price) === 0n) return "Free";
  return isTimeBased(unit) ? `${data(price)} / ${unitWords(unit)}` : data(price);
}

/** Unix seconds → "2025-06-01 14:03"; 0 → placeholder. */
export function date(seconds: bigint | number | string | null | undefined, zero = "—"): string {
  const s = Number(seconds ?? 0);
  if (!s) return zero;
  return new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ");
}

export const shortAddress = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;

/** "a, b and c". */
export function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

export const PURPOSE_OPTIONS = PurposeNames.map((n, i) => ({ value: i, graph: toGraphEnum(n), label: purposeWords(n) }));
export const PRODUCT_TYPE_OPTIONS = ProductTypeNames.map((n) => ({ graph: toGraphEnum(n), label: productTypeWords(n) }));
export const MODALITY_OPTIONS = ModalityNames.map((n) => ({ graph: toGraphEnum(n), label: modalityWords(n) }));
export const COUNTRY_OPTIONS = CountryNames.slice(1).map((c) => ({ code: c, label: regionName(c) }));

function regionName(code: string): string {
  try {
    return new Intl.DisplayNames(["en"], { type: "region" }).of(code) ?? code;
  } catch {
    return code;
  }
}
export const countryName = (code: string) => regionName(code.toUpperCase());
