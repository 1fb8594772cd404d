// The anonymisation report: what the anonymiser did and what it achieved, in a JSON document
// the seller publishes on IPFS and binds to the product on chain (Catalogue.reportAnonymisation:
// its SHA-256, k and ℓ). Buyers check the document against that hash and read it in words.
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { canonicalJson } from "../analytics/canonical.ts";
import { AnonymiseError } from "./errors.ts";
import type { ColumnKind, ColumnRole, IdentifierAction, Method, Preset } from "./types.ts";

export const REPORT_SCHEMA = "kraken.anonymisation/v1";

export interface ReportColumn {
  name: string;
  role: ColumnRole;
  kind: ColumnKind;
  /** identifiers: dropped or pseudonymised; others: generalised (quasi) or kept */
  action: IdentifierAction | "generalise" | "keep";
  /** information lost in this column, 0 (as given) – 1 (nothing left), averaged over released rows */
  loss: number;
  /** quasi-identifiers: how the released values look ("bands of 10", "year", "3-character prefix", "value sets") */
  granularity?: string;
}

export interface AnonymisationReport {
  schema: typeof REPORT_SCHEMA;
  settings: { k: number; l: number; sensitive: string | null; preset: Preset; method: Method; maxSuppression: number };
  columns: ReportColumn[];
  rows: { input: number; output: number; suppressed: number };
  /** smallest equivalence class released (≥ settings.k) */
  k: number;
  /** fewest distinct sensitive values in a class (1 when no sensitive column) */
  l: number;
  classes: number;
  /** prosecutor model: the chance of re-identifying a given person known to be in the data */
  risk: { max: number; average: number };
  /** the released CSV: its SHA-256 (what buyers receive, byte for byte) and size */
  output: { sha256: Hex; bytes: number };
}

/** The report's bytes as published (canonical JSON: one document, one hash). */
export function encodeReport(report: AnonymisationReport): Uint8Array {
  return new TextEncoder().encode(canonicalJson(report));
}

/** SHA-256 of the report's bytes: what Catalogue.reportAnonymisation records. */
export function reportHash(bytes: Uint8Array): Hex {
  return bytesToHex(sha256(bytes));
}

const bad = (why: string): never => {
  throw new AnonymiseError("bad-report", `not an anonymisation report: ${why}`);
};
const isInt = (v: unknown, min = 0): v is number => typeof v === "number" && Number.isInteger(v) && v >= min;
const isShare = (v: unknown): v is number => typeof v === "number" && v >= 0 && v <= 1;

/** Parses and checks a report; with `expectedHash`, the bytes must hash to it (a report bound on chain). */
export function parseReport(bytes: Uint8Array, expectedHash?: Hex): AnonymisationReport {
  if (expectedHash && reportHash(bytes).toLowerCase() !== expectedHash.toLowerCase())
    throw new AnonymiseError("bad-report", "the anonymisation report does not match the hash its seller recorded on chain");
  let r: AnonymisationReport;
  try {
    r = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as AnonymisationReport;
  } catch {
    return bad("not JSON");
  }
  if (!r || typeof r !== "object" || r.schema !== REPORT_SCHEMA) bad(`schema is not ${REPORT_SCHEMA}`);
  const s = r.settings;
  if (!s || !isInt(s.k, 1) || !isInt(s.l, 1) || !(s.sensitive === null || typeof s.sensitive === "string") || !["none", "safe-harbor"].includes(s.preset) || !["mondrian", "global"].includes(s.method) || !isShare(s.maxSuppression))
    bad("settings");
  if (!Array.isArray(r.columns) || r.columns.some((c) => !c || typeof c.name !== "string" || !isShare(c.loss) || !["identifier", "quasi", "sensitive", "other"].includes(c.role)))
    bad("columns");
  if (!r.rows || !isInt(r.rows.input) || !isInt(r.rows.output) || !isInt(r.rows.suppressed) || r.rows.output + r.rows.suppressed !== r.rows.input) bad("row counts");
  if (!isInt(r.k) || !isInt(r.l) || !isInt(r.classes) || !r.risk || !isShare(r.risk.max) || !isShare(r.risk.average)) bad("figures");
  if (!r.output || typeof r.output.sha256 !== "string" || hexToBytes(r.output.sha256 as Hex).length !== 32 || !isInt(r.output.bytes)) bad("output");
  return r;
}

const pct = (part: number, whole: number) => {
  if (part === 0) return "0 %";
  const p = (100 * part) / Math.max(1, whole);
  return `${p < 0.1 ? "< 0.1" : p.toFixed(1)} %`;
};
const list = (xs: string[]) => (xs.length <= 1 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`);

/** The report in plain words, for a product page or the CLI. */
export function describeReport(r: AnonymisationReport): string[] {
  const quasi = r.columns.filter((c) => c.role === "quasi").map((c) => (c.granularity ? `${c.name} (${c.granularity})` : c.name));
  const dropped = r.columns.filter((c) => c.action === "drop").map((c) => c.name);
  const pseudo = r.columns.filter((c) => c.action === "pseudonymise").map((c) => c.name);
  const lines: string[] = [];
  lines.push(
    quasi.length
      ? `Every record shares its ${list(quasi)} with at least ${r.k - 1} other record${r.k === 2 ? "" : "s"} (k = ${r.k}).`
      : "No column could single a person out when combined with outside data (no quasi-identifiers).",
  );
  if (r.settings.sensitive) lines.push(`Each such group holds at least ${r.l} different values of ${r.settings.sensitive} (ℓ = ${r.l}).`);
  lines.push(`${pct(r.rows.suppressed, r.rows.input)} of rows removed (${r.rows.suppressed.toLocaleString("en")} of ${r.rows.input.toLocaleString("en")}).`);
  if (dropped.length) lines.push(`Direct identifiers removed: ${list(dropped)}.`);
  if (pseudo.length) lines.push(`Replaced by pseudonyms the buyer cannot reverse: ${list(pseudo)}.`);
  lines.push(`Chance of re-identifying a known person: at most ${pct(r.risk.max, 1)}, ${pct(r.risk.average, 1)} on average.`);
  if (r.settings.preset === "safe-harbor") lines.push("HIPAA Safe Harbor-style generalisation applied first (dates to year, ages 90 and over as 90+, postcodes to 3 characters).");
  return lines;
}
