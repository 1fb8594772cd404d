// Analytics in words: operations, the output-privacy guarantees of a manifest, query errors,
// node refusals and job states (docs/analytics.md).
import type { AnalyticsManifest, Column, Operation } from "./sdk.ts";

export const OP_WORDS: Record<Operation, string> = {
  count: "Count of people",
  sum: "Sum",
  mean: "Mean (average)",
  variance: "Variance",
  stddev: "Standard deviation",
  histogram: "Histogram (count per range)",
};

/** "mean length_of_stay", "count", "histogram of age". */
export function opPhrase(op: Operation, column?: string): string {
  if (op === "count") return "count";
  if (op === "histogram") return `histogram of ${column ?? "…"}`;
  return `${op === "stddev" ? "standard deviation" : op} of ${column ?? "…"}`;
}

/** Operations that need a numeric column (histogram: one with bins). */
export const needsColumn = (op: Operation) => op !== "count";

/** Columns an operation may use: numeric for sum/mean/variance/stddev, binned numeric for histogram. */
export function columnFits(op: Operation, c: Column): boolean {
  if (op === "count") return false;
  if (c.kind !== "numeric") return false;
  return op !== "histogram" || (c.bins?.length ?? 0) >= 2;
}

/** ε in thousandths (on chain) → "0.5". */
export const epsilon = (thousandths: number) => (thousandths / 1000).toLocaleString("en", { maximumFractionDigits: 3 });

export interface Guarantee {
  key: "suppression" | "differencing" | "noise" | "budget";
  text: string;
}

/** The manifest's output-privacy rules as sentences; `epsilonLeft` in ε (not thousandths). */
export function privacyGuarantees(m: Pick<AnalyticsManifest, "privacy">, epsilonLeft?: number): Guarantee[] {
  const { minCohort: k, epsilonPerQuery, epsilonBudget } = m.privacy;
  const out: Guarantee[] = [
    { key: "suppression", text: `Results for groups of fewer than ${k} people are withheld.` },
    { key: "differencing", text: `A query that differs from one of your earlier queries by fewer than ${k} people is refused.` },
  ];
  if (epsilonPerQuery > 0) {
    out.push({ key: "noise", text: `Random noise is added to every result (differential privacy, ε = ${fmt(epsilonPerQuery)} per query).` });
    out.push({
      key: "budget",
      text: `Privacy budget: ε ${epsilonLeft === undefined ? "…" : fmt(epsilonLeft)} of ${fmt(epsilonBudget)} left for all buyers together; when it is used up the dataset answers no more queries.`,
    });
  } else {
    out.push({ key: "noise", text: "No noise is added: the results that are not withheld are exact." });
  }
  return out;
}

const fmt = (x: number) => x.toLocaleString("en", { maximumFractionDigits: 3 });

/** The SDK's QueryError codes in words; the SDK's own message (which names the column) follows. */
const QUERY_ERRORS: Record<string, string> = {
  malformed: "The query is incomplete.",
  "unknown-column": "The query names a column the dataset does not have.",
  "wrong-kind": "This column cannot be used that way.",
  "not-allowed": "The seller does not allow this.",
  "bad-range": "The range must start and end on bin edges, the start below the end.",
  "unknown-value": "The condition names a value the column does not have.",
  "too-many-conditions": "At most 4 conditions.",
  "duplicate-column": "Only one condition per column.",
};

export function queryErrorWords(code: string, message: string): string {
  const lead = QUERY_ERRORS[code];
  const detail = message.replace(/^malformed query: /, "");
  if (!lead) return capitalFirst(detail);
  return detail ? `${lead} ${capitalFirst(detail)}.`.replace(/\.\.$/, ".") : lead;
}

const capitalFirst = (s: string) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : s);

/** Why the nodes refused a job (RefusalReason), in words; k for the differencing rule. */
export function refusalWords(reason: string, k?: number): string {
  switch (reason) {
    case "QueryMalformed":
    case "QUERY_MALFORMED":
      return "The computation nodes could not read the query (it did not match what was paid for).";
    case "QueryNotAllowed":
    case "QUERY_NOT_ALLOWED":
      return "The seller's rules do not allow this query.";
    case "Differencing":
    case "DIFFERENCING":
      return `This query's group of people differs from one of your earlier queries by fewer than ${k ?? "k"} people, so answering it could reveal individuals: refused.`;
    case "NotEligible":
    case "NOT_ELIGIBLE":
      return "Your credential no longer meets the product's consent policy.";
    case "DatasetMismatch":
    case "DATASET_MISMATCH":
      return "The computation nodes do not hold this version of the dataset.";
    case "ComputeFailed":
    case "COMPUTE_FAILED":
      return "The computation between the nodes failed.";
    default:
      return `Refused (${reason}).`;
  }
}

const JOB_STATUS: Record<string, string> = {
  OPEN: "Waiting for the nodes",
  COMPLETED: "Answered",
  REFUSED: "Refused (refunded)",
  REFUNDED: "Refunded",
};
export const jobStatusWords = (s: string) => JOB_STATUS[s.toUpperCase()] ?? s;
