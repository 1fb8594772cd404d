// Human-readable renderings shared by the commands: enum values (from the chain or the
// subgraph), DATA amounts and prices, dates, addresses, tables, consent policies in words.
import { formatEther, parseEther } from "viem";
import {
  ModalityNames,
  PricingUnitNames,
  ProductTypeNames,
  PurposeNames,
  countryCode,
  enumIndex,
  enumName,
  listWords,
  orgTypeWords,
  policyFacts,
  purposeName,
  toFlag,
  toGraphEnum,
  unitWords,
  type PolicyVersion,
} from "@kraken/sdk";

export { countryCode, enumIndex, orgTypeWords, toFlag, toGraphEnum, unitWords, type PolicyVersion };
import { CliError, EXIT } from "./errors.ts";

/** Parses a CLI enum argument, or throws a usage error listing the choices. */
export function parseEnum(names: readonly string[], value: string | undefined, flag: string, skipFirst = false): number {
  const i = value === undefined ? -1 : enumIndex(names, value);
  if (i < (skipFirst ? 1 : 0)) {
    const choices = names.slice(skipFirst ? 1 : 0).map(toFlag).join(", ");
    throw new CliError(EXIT.usage, value === undefined ? `${flag} is required (one of ${choices})` : `unknown ${flag} "${value}" (one of ${choices})`);
  }
  return i;
}

const TYPE_WORDS: Record<string, string> = { Stream: "stream", Batch: "batch", DataUnion: "data union", Analytics: "analytics" };
const nameOf = enumName;

export const purposeWords = (v: string | number) => purposeName(nameOf(PurposeNames, v));
export const productTypeWords = (v: string | number) => TYPE_WORDS[nameOf(ProductTypeNames, v)] ?? String(v);
export const modalityWords = (v: string | number) => ({ Anonymised: "anonymised", Encrypted: "encrypted", Smpc: "secure multi-party computation (SMPC)" })[nameOf(ModalityNames, v)] ?? String(v);

/** 250000000000000000000 → "250 DATA". */
export const data = (wei: bigint | string) => `${formatEther(BigInt(wei))} DATA`;

/** A price with its unit: "free", "250 DATA", "2 DATA / hour". */
export function priceWords(price: bigint | string, unit: string | number): string {
  if (BigInt(price) === 0n) return "free";
  const u = nameOf(PricingUnitNames, unit);
  return u === "OneTime" ? data(price) : `${data(price)} / ${unitWords(u)}`;
}

/** A DATA amount from the command line ("12.5") in base units. */
export function parseData(value: string, flag: string): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(value.trim())) throw new CliError(EXIT.usage, `${flag} takes an amount of DATA, e.g. 250 or 12.5`);
  return parseEther(value.trim());
}

export function parseCount(value: string | undefined, flag: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(EXIT.usage, `${flag} takes a whole number from ${min} to ${max}`);
  return n;
}

/** Unix seconds (or an ISO date) → "2025-06-01 14:03 UTC"; 0 or null → the given placeholder. */
export function date(seconds: bigint | number | string | null | undefined, zero = "—"): string {
  if (seconds === null || seconds === undefined) return zero;
  const s = typeof seconds === "string" && !/^\d+$/.test(seconds) ? Date.parse(seconds) / 1000 : Number(seconds);
  if (!s) return zero;
  return `${new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export const isoDate = (seconds: bigint | number | string) => (Number(seconds) ? new Date(Number(seconds) * 1000).toISOString() : null);
export const shortAddress = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;

/** A plain text table; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => [...(r[i] ?? "")].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i] - [...c].length))).join("  ").trimEnd();
  return [line(headers), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)].join("\n");
}

export const truncate = (s: string, n: number) => ([...s].length > n ? `${[...s].slice(0, n - 1).join("")}…` : s);

/** The policy in plain language, one line per rule (the facts are the SDK's `policyFacts`). */
export function policyLines(p: PolicyVersion): string[] {
  const f = policyFacts(p);
  const who: string[] = [];
  if (f.individuals) who.push("individuals");
  if (f.organisations) who.push(`organisations: ${listWords(f.organisationTypes)}`);
  const where = f.targetCountries ? `the ${f.countries.length} target countries (${f.countries.join(" ")})` : f.countries.join(" ");
  return [
    `purposes        ${listWords(f.purposes)}`,
    `who may buy     ${who.join("; ") || "nobody"}`,
    `jurisdictions   buyers registered in ${where}`,
    `approval        ${p.requiresApproval ? "the seller approves each request (payment held in escrow until then)" : "none: access starts when you pay"}`,
    `retention       ${p.retentionDays ? `keep the data at most ${p.retentionDays} days` : "no limit"}`,
    `version         ${p.version}${p.createdAt ? `, set ${date(p.createdAt)}` : ""}`,
  ];
}
