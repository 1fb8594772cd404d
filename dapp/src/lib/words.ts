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
  countryCode,
  enumIndex,
  enumName,
  isTimeBased,
  listWords,
  maxPeriods,
  orgTypeWords,
  purposeName,
  toGraphEnum,
  unitWords,
} from "@kraken/sdk";

export { countryCode, enumIndex, isTimeBased, maxPeriods, orgTypeWords, toGraphEnum, unitWords };

const nameOf = enumName;
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const TYPE: Record<string, string> = { Stream: "Stream", Batch: "Batch dataset", DataUnion: "Data union", Analytics: "Analytics" };
const MODALITY: Record<string, string> = { Anonymised: "Anonymised", Encrypted: "Encrypted", Smpc: "Secure multi-party computation (SMPC)" };
const STATUS: Record<string, string> = { Pending: "Pending approval", Active: "Active", Rejected: "Rejected", Cancelled: "Cancelled", Terminated: "Ended by the seller" };

export const purposeWords = (v: string | number) => capital(purposeName(nameOf(PurposeNames, v)));
export const productTypeWords = (v: string | number) => TYPE[nameOf(ProductTypeNames, v)] ?? String(v);
export const modalityWords = (v: string | number) => MODALITY[nameOf(ModalityNames, v)] ?? String(v);
export const categoryWords = (v: string | number) => (nameOf(CategoryNames, v) === "Individual" ? "Individual" : "Organisation");
export const statusWords = (v: string | number) => STATUS[nameOf(AgreementStatusNames, v)] ?? String(v);

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
export const list = listWords;

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
