// Typed failures of analytics products (docs/analytics.md). Every one is a KrakenError with a
// stable `code`; the subclasses carry what their callers act on (the row and column of a bad
// value, the nodes whose shares disagree).
import { KrakenError } from "../errors.ts";

/** A schema breaks a rule of docs/analytics.md ("Schema and encoding") or has no headroom. */
export type SchemaErrorCode = "bad-schema" | "no-headroom";

export class SchemaError extends KrakenError<SchemaErrorCode> {
  override name = "SchemaError";
}

/** A manifest does not parse, or does not match what it is checked against. */
export type ManifestErrorCode = "bad-manifest" | "no-headroom";

export class ManifestError extends KrakenError<ManifestErrorCode> {
  override name = "ManifestError";
}

/** A dataset value or the CSV around it is unusable; `row` is 1-based (header excluded; 0 = the header). */
export type DatasetErrorCode =
  | "bad-csv" // the CSV does not parse (quotes, a record longer than the limit, …)
  | "missing-column" // a schema column is not in the CSV header
  | "duplicate-column" // the CSV header names a column twice
  | "wrong-field-count" // a record has more or fewer fields than the header
  | "missing-value" // an empty field
  | "not-a-number" // a numeric field that is not a decimal number
  | "out-of-range" // a numeric value outside [min, max]
  | "unknown-value" // a categorical value not among the declared values
  | "empty" // no rows
  | "row-count" // not the number of rows announced
  | "no-headroom"; // rows · (max |v| · 10^d)² reached 2^100

export class DatasetError extends KrakenError<DatasetErrorCode> {
  override name = "DatasetError";

  constructor(
    code: DatasetErrorCode,
    message: string,
    /** 1-based data row (the header is row 0); undefined when the error is not about one row */
    readonly row?: number,
    /** the schema (or CSV) column */
    readonly column?: string,
  ) {
    super(code, message);
  }
}

/** A query breaks the query language or the manifest's rules (docs/analytics.md, "Query language"). */
export type QueryErrorCode =
  | "malformed" // not a query: wrong types, unknown fields, bad version
  | "unknown-column" // a column the schema does not have
  | "wrong-kind" // e.g. a mean of a categorical column, a histogram without bins, `in` on a numeric column
  | "not-allowed" // the manifest's `allowed` lists forbid the operation or a column
  | "bad-range" // from/to not bin edges of the column, or from ≥ to
  | "unknown-value" // an `in` value the column does not declare
  | "too-many-conditions" // more than 4 conditions
  | "duplicate-column"; // two conditions on one column

export class QueryError extends KrakenError<QueryErrorCode> {
  override name = "QueryError";
}

/** A bundle (the binary file of one node's shares) is malformed. */
export type BundleErrorCode = "bad-bundle" | "truncated" | "trailing-bytes" | "bad-element" | "row-count";

export class BundleError extends KrakenError<BundleErrorCode> {
  override name = "BundleError";
}

/** A field element or share is out of range or malformed. */
export class FieldError extends KrakenError<"bad-element"> {
  override name = "FieldError";

  constructor(message: string) {
    super("bad-element", message);
  }
}

/** A result-share payload is malformed, or the payloads do not fit together. */
export type ResultErrorCode = "bad-payload" | "mismatched-payloads" | "not-enough-shares";

export class ResultError extends KrakenError<ResultErrorCode> {
  override name = "ResultError";
}

/** One way of reconstructing a value: from the shares at these x (node index + 1). */
export interface Reconstruction {
  xs: number[];
  value: bigint;
}

/**
 * Three shares of a degree-1 value are not collinear: at least one node's share is wrong. Names
 * the nodes whose shares were combined (`nodes`, indexes), the value (`what`) and each pairwise
 * reconstruction, which disagree.
 */
export class InconsistentShareError extends KrakenError<"inconsistent-shares"> {
  override name = "InconsistentShareError";

  constructor(
    readonly reconstructions: Reconstruction[],
    readonly nodes: number[] = reconstructions.length ? [...new Set(reconstructions.flatMap((r) => r.xs.map((x) => x - 1)))].sort() : [],
    readonly what?: string,
  ) {
    super(
      "inconsistent-shares",
      `the shares of nodes ${nodes.join(", ")}${what ? ` for ${what}` : ""} do not agree: ` +
        reconstructions.map((r) => `nodes ${r.xs.map((x) => x - 1).join("+")} give ${r.value}`).join(", ") +
        "; one of these nodes delivered a wrong share",
    );
  }
}
