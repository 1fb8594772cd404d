// The wizard's anonymisation of a batch product's file (issue 16): the columns the anonymiser
// found (each overridable), the seller's settings, the last run and the run the seller accepted.
// Pure functions: the panel renders and runs, this decides. Nothing here leaves the browser;
// only an accepted run's file (encrypted) and report are published.
import type { Hex } from "viem";
import type { AnonymisationReport, AnonymiseOptions, ColumnKind, ColumnOverride, ColumnPlan, ColumnRole, IdentifierAction, Method, Preset } from "@kraken/sdk/anonymise";

export interface AnonymiseSettings {
  /** as typed */
  k: string;
  /** "" = no ℓ-diversity */
  sensitive: string;
  l: string;
  preset: Preset;
  method: Method;
  /** global recoding: the most rows it may remove, in % as typed */
  maxSuppression: string;
}

/** What `inspectCsv` found: the header, the first rows and the automatic classification. */
export interface Inspection {
  header: string[];
  sample: string[][];
  columns: ColumnPlan[];
}

/** One run of the anonymiser: its report, the released file (still only in this browser) and its first rows. */
export interface AnonymiseRun {
  /** the settings it ran with (settingsKey), to tell a stale result */
  key: string;
  report: AnonymisationReport;
  header: string[];
  /** the released CSV's first rows (without the header) */
  preview: string[][];
  file: File;
}

/** The run the seller accepted: its file replaces the original for encryption and publishing. */
export interface AcceptedAnonymisation {
  file: File;
  report: AnonymisationReport;
  /** the report as published (canonical JSON) and its SHA-256, bound on chain */
  reportBytes: Uint8Array;
  reportHash: Hex;
}

export interface AnonymiseDraft {
  /** the original file this state belongs to */
  source: File | null;
  inspection: Inspection | null;
  overrides: Record<string, ColumnOverride>;
  settings: AnonymiseSettings;
  run: AnonymiseRun | null;
  accepted: AcceptedAnonymisation | null;
}

export const DEFAULT_K = 10;
export const PREVIEW_ROWS = 10;

export const ROLE_WORDS: Record<ColumnRole, string> = {
  identifier: "direct identifier",
  quasi: "quasi-identifier",
  sensitive: "sensitive",
  other: "other (kept as is)",
};
export const KIND_WORDS: Record<ColumnKind, string> = { number: "number", date: "date", postcode: "postcode", category: "category" };
export const ACTION_WORDS: Record<IdentifierAction, string> = { drop: "leave out", pseudonymise: "replace by a pseudonym" };
export const PRESET_WORDS: Record<Preset, string> = {
  none: "None",
  "safe-harbor": "HIPAA Safe Harbor-style (dates to year, ages 90+ grouped, postcodes to 3 characters)",
};
export const METHOD_WORDS: Record<Method, string> = {
  mondrian: "Mondrian (multidimensional partitioning)",
  global: "Global recoding (one generalisation for the whole column, plus suppression)",
};

export function emptyAnonymiseDraft(source: File | null = null): AnonymiseDraft {
  return {
    source,
    inspection: null,
    overrides: {},
    settings: { k: String(DEFAULT_K), sensitive: "", l: "2", preset: "none", method: "mondrian", maxSuppression: "5" },
    run: null,
    accepted: null,
  };
}

/** The classification with the seller's overrides applied; an overridden column's reason says so. */
export function effectiveColumns(inspection: Inspection, overrides: Record<string, ColumnOverride>): ColumnPlan[] {
  return inspection.columns.map((c) => {
    const o = overrides[c.name];
    if (!o || Object.keys(o).length === 0) return c;
    const role = o.role ?? c.role;
    const action = role === "identifier" ? (o.action ?? c.action ?? "drop") : undefined;
    return { ...c, ...o, role, action, reason: "your choice" };
  });
}

/** A column override: only what differs from the automatic plan (an override equal to it is removed). */
export function withOverride(inspection: Inspection, overrides: Record<string, ColumnOverride>, name: string, patch: ColumnOverride): Record<string, ColumnOverride> {
  const auto = inspection.columns.find((c) => c.name === name);
  if (!auto) return overrides;
  const merged: ColumnOverride = { ...overrides[name], ...patch };
  const clean: ColumnOverride = {};
  if (merged.role !== undefined && merged.role !== auto.role) clean.role = merged.role;
  if (merged.kind !== undefined && merged.kind !== auto.kind) clean.kind = merged.kind;
  if (merged.action !== undefined && merged.action !== (auto.action ?? "drop")) clean.action = merged.action;
  const next = { ...overrides };
  if (Object.keys(clean).length) next[name] = clean;
  else delete next[name];
  return next;
}

const int = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : NaN);

/** What keeps the seller from running the anonymiser with these settings. */
export function settingsProblems(d: AnonymiseDraft): string[] {
  const p: string[] = [];
  const s = d.settings;
  const k = int(s.k);
  if (!Number.isInteger(k) || k < 2) p.push("k must be a whole number of at least 2 (k = 1 hides nobody).");
  else if (k > 1_000_000) p.push("k is larger than any file the anonymiser accepts.");
  if (s.sensitive) {
    const l = int(s.l);
    if (!Number.isInteger(l) || l < 1) p.push("ℓ must be a whole number of at least 1.");
    else if (Number.isInteger(k) && l > k) p.push(`ℓ cannot be larger than k (${k}): a group of k records holds at most k different values.`);
    if (d.inspection && !d.inspection.header.includes(s.sensitive)) p.push(`The file has no column “${s.sensitive}”.`);
  }
  if (s.method === "global") {
    const m = Number(s.maxSuppression.trim().replace(",", "."));
    if (!s.maxSuppression.trim() || !Number.isFinite(m) || m < 0 || m > 100) p.push("The share of rows global recoding may remove is a percentage from 0 to 100.");
  }
  if (d.inspection) {
    const cols = effectiveColumns(d.inspection, d.overrides);
    if (cols.length && cols.every((c) => c.role === "identifier" && (c.action ?? "drop") === "drop")) p.push("Every column would be left out: keep at least one.");
    if (s.sensitive && cols.find((c) => c.name === s.sensitive)?.role === "identifier") p.push(`“${s.sensitive}” is a direct identifier: it cannot be the sensitive column.`);
  }
  return p;
}

/** The anonymiser's options for these settings (without callbacks). */
export function optionsOf(d: AnonymiseDraft): Omit<AnonymiseOptions, "onProgress" | "signal" | "pseudonymKey"> {
  const s = d.settings;
  const sensitive = s.sensitive || undefined;
  return {
    k: int(s.k),
    ...(sensitive ? { sensitive, l: int(s.l) } : { l: 1 }),
    preset: s.preset,
    method: s.method,
    ...(s.method === "global" ? { maxSuppression: Number(s.maxSuppression.trim().replace(",", ".")) / 100 } : {}),
    columns: d.overrides,
  };
}

/** Identifies the settings a run used: a result whose key differs from the current one is stale. */
export function settingsKey(d: AnonymiseDraft): string {
  return JSON.stringify(optionsOf(d));
}

/** "people.csv" → "people-anonymised.csv". */
export function anonymisedName(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)}-anonymised${name.slice(dot)}` : `${name}-anonymised.csv`;
}
