// What the seller of an analytics product sets in the wizard's data step: the CSV (read and
// shared only in this browser), its schema (edited column by column), what buyers may ask and
// the output-privacy settings; and how they become the schema and the manifest's rules.
// Pure functions: the fields render, this decides.
import type { Operation, Schema } from "../../analytics/sdk.ts";
import { parseSchema } from "../../analytics/sdk.ts";

export interface ColumnDraft {
  /** the CSV header's name (a schema column must be named like its CSV column) */
  name: string;
  /** false: left out of the schema (never uploaded) */
  use: boolean;
  kind: "numeric" | "categorical";
  // numeric, as typed
  min: string;
  max: string;
  decimals: string;
  /** bin edges, comma-separated; "" = no bins */
  bins: string;
  // categorical, comma-separated
  values: string;
}

export interface AnalyticsDraft {
  csv: File | null;
  /** where the columns came from: the CSV header (inferred) or a schema file */
  schemaSource: "infer" | "file";
  /** the CSV header, as read */
  header: string[];
  columns: ColumnDraft[];
  /** what inference read: "all 10,000 rows" or "the first N rows" */
  inferredFrom?: string;
  allowedOperations: Operation[];
  /** columns buyers may name; "" entries never */
  allowedColumns: string[];
  groupBy: string[];
  /** k: smallest group revealed, as typed */
  minCohort: string;
  noise: boolean;
  epsilonPerQuery: string;
  epsilonBudget: string;
  jobTimeoutMinutes: string;
}

export const ALL_OPERATIONS: Operation[] = ["count", "sum", "mean", "variance", "stddev", "histogram"];

export function emptyAnalyticsDraft(): AnalyticsDraft {
  return {
    csv: null,
    schemaSource: "infer",
    header: [],
    columns: [],
    allowedOperations: [...ALL_OPERATIONS],
    allowedColumns: [],
    groupBy: [],
    minCohort: "10",
    noise: false,
    epsilonPerQuery: "0.5",
    epsilonBudget: "20",
    jobTimeoutMinutes: "10",
  };
}

const list = (text: string) => text.split(",").map((s) => s.trim()).filter(Boolean);
const num = (text: string) => (text.trim() === "" ? NaN : Number(text));

/** The schema the draft describes (not yet checked: see schemaProblems). */
export function schemaOf(d: Pick<AnalyticsDraft, "columns">): Schema {
  return {
    columns: d.columns
      .filter((c) => c.use)
      .map((c) =>
        c.kind === "categorical"
          ? { name: c.name, kind: "categorical" as const, values: list(c.values) }
          : { name: c.name, kind: "numeric" as const, min: num(c.min), max: num(c.max), decimals: num(c.decimals), ...(list(c.bins).length ? { bins: list(c.bins).map(Number) } : {}) },
      ),
  };
}

/** A schema (from a JSON file) as editable columns, in the order of the CSV header when known. */
export function columnsFromSchema(schema: Schema, header: string[]): ColumnDraft[] {
  const drafts = schema.columns.map((c): ColumnDraft =>
    c.kind === "categorical"
      ? { name: c.name, use: true, kind: "categorical", min: "", max: "", decimals: "0", bins: "", values: c.values.join(", ") }
      : { name: c.name, use: true, kind: "numeric", min: String(c.min), max: String(c.max), decimals: String(c.decimals), bins: (c.bins ?? []).join(", "), values: "" },
  );
  const extra = header.filter((h) => !drafts.some((c) => c.name === h.trim())).map((h): ColumnDraft => ({ name: h.trim(), use: false, kind: "categorical", min: "", max: "", decimals: "0", bins: "", values: "" }));
  return [...drafts, ...extra];
}

/** After the columns change: allowed lists keep only columns still in the schema (new ones are allowed by default). */
export function withColumns(d: AnalyticsDraft, columns: ColumnDraft[]): AnalyticsDraft {
  const used = columns.filter((c) => c.use).map((c) => c.name);
  const before = new Set(d.columns.filter((c) => c.use).map((c) => c.name));
  const allowedColumns = used.filter((n) => d.allowedColumns.includes(n) || !before.has(n));
  const categorical = new Set(columns.filter((c) => c.use && c.kind === "categorical").map((c) => c.name));
  const groupBy = [...new Set([...d.groupBy, ...[...categorical].filter((n) => !before.has(n))])].filter((n) => categorical.has(n) && allowedColumns.includes(n));
  return { ...d, columns, allowedColumns, groupBy };
}

/** Problems with the schema in words, or [] (the SDK's parseSchema decides). */
export function schemaProblems(d: AnalyticsDraft): string[] {
  const errors: string[] = [];
  if (!d.csv) errors.push("Choose the CSV file of the dataset.");
  if (d.columns.filter((c) => c.use).length === 0) errors.push(d.csv ? "Use at least one column of the CSV." : "The schema has no columns yet.");
  for (const c of d.columns) if (c.use && !d.header.map((h) => h.trim()).includes(c.name) && d.header.length) errors.push(`The schema's column "${c.name}" is not in the CSV header.`);
  if (errors.length) return errors;
  try {
    parseSchema(schemaOf(d));
  } catch (err) {
    errors.push((err as Error).message.replace(/^invalid schema: /, "Schema: "));
  }
  return errors;
}

export interface PrivacyRules {
  minCohort: number;
  epsilonPerQuery: number;
  epsilonBudget: number;
  jobTimeout: number;
}

/** The rules problems in words, or []. */
export function rulesProblems(d: AnalyticsDraft): string[] {
  const errors: string[] = [];
  if (d.allowedOperations.length === 0) errors.push("Allow at least one operation.");
  if (d.allowedColumns.length === 0 && d.allowedOperations.some((o) => o !== "count")) errors.push("Allow at least one column, or only counts.");
  const k = num(d.minCohort);
  if (!Number.isInteger(k) || k < 2) errors.push("The smallest group revealed (k) must be a whole number of at least 2.");
  if (d.noise) {
    const e = num(d.epsilonPerQuery);
    const b = num(d.epsilonBudget);
    if (!(e > 0) || e > 100 || Math.abs(e * 1000 - Math.round(e * 1000)) > 1e-9) errors.push("ε per query must be above 0, at most 100, with at most 3 decimals.");
    if (!(b >= e) || Math.abs(b * 1000 - Math.round(b * 1000)) > 1e-9) errors.push("The privacy budget must be at least one query's ε, with at most 3 decimals.");
  }
  const t = num(d.jobTimeoutMinutes);
  if (!(t >= 1 && t <= 7 * 24 * 60) || !Number.isInteger(t)) errors.push("The job timeout must be a whole number of minutes from 1 to 10,080 (7 days).");
  return errors;
}

export function rulesOf(d: AnalyticsDraft): PrivacyRules & { allowed: { columns: string[]; operations: Operation[]; groupBy: string[] } } {
  return {
    allowed: { columns: d.allowedColumns, operations: d.allowedOperations, groupBy: d.groupBy.filter((g) => d.allowedColumns.includes(g)) },
    minCohort: Number(d.minCohort),
    epsilonPerQuery: d.noise ? Number(d.epsilonPerQuery) : 0,
    epsilonBudget: d.noise ? Number(d.epsilonBudget) : 0,
    jobTimeout: Number(d.jobTimeoutMinutes) * 60,
  };
}
