// The query language (docs/analytics.md, "Query language"): strict parsing, the CLI's
// `--where col=a,b` / `--where col=lo..hi` form, validation against a manifest (every failure a
// QueryError with a code and a readable message), the canonical form and its hash.
import type { Hex } from "viem";
import { canonicalHash } from "./canonical.ts";
import { QueryError, type QueryErrorCode } from "./errors.ts";
import { OPERATIONS, type AnalyticsManifest, type Operation } from "./manifest.ts";
import { COLUMN_NAME, findColumn } from "./schema.ts";

export const MAX_CONDITIONS = 4;

export interface InCondition {
  column: string;
  in: string[];
}
export interface RangeCondition {
  column: string;
  from: number;
  to: number;
}
export type Condition = InCondition | RangeCondition;

export interface Query {
  v: 1;
  op: Operation;
  /** the numeric column of sum, mean, variance, stddev and histogram (none for count) */
  column?: string;
  where?: Condition[];
  groupBy?: string;
}

const fail = (code: QueryErrorCode, message: string): never => {
  throw new QueryError(code, message);
};
const malformed = (message: string): never => fail("malformed", `malformed query: ${message}`);
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const only = (c: Record<string, unknown>, keys: readonly string[], what: string) => {
  for (const k of Object.keys(c)) if (!keys.includes(k)) malformed(`${what} has an unknown field "${k.slice(0, 40)}"`);
};
const name = (x: unknown, what: string): string => (typeof x === "string" && COLUMN_NAME.test(x) ? x : malformed(`${what} is not a column name`));
export const isRange = (c: Condition): c is RangeCondition => "from" in c;

/** Parses the structure of a query (types, fields, version); validateQuery checks it against a manifest. */
export function parseQuery(json: unknown): Query {
  if (!isObj(json)) return malformed("not an object");
  only(json, ["v", "op", "column", "where", "groupBy"], "the query");
  if (json.v !== 1) malformed(`unsupported version ${String(json.v).slice(0, 20)} (expected 1)`);
  const op = typeof json.op === "string" && (OPERATIONS as readonly string[]).includes(json.op) ? (json.op as Operation) : malformed(`op must be one of ${OPERATIONS.join(", ")}`);
  const q: Query = { v: 1, op };
  if (json.column !== undefined) q.column = name(json.column, "column");
  if (op === "count" && q.column !== undefined) malformed("count takes no column");
  if (op !== "count" && q.column === undefined) malformed(`${op} needs a column`);
  if (json.where !== undefined) {
    if (!Array.isArray(json.where)) return malformed("where is not an array");
    if (json.where.length > MAX_CONDITIONS) fail("too-many-conditions", `at most ${MAX_CONDITIONS} conditions, not ${json.where.length}`);
    q.where = json.where.map((c, i): Condition => {
      if (!isObj(c)) return malformed(`where[${i}] is not an object`);
      const column = name(c.column, `where[${i}].column`);
      if (c.in !== undefined) {
        only(c, ["column", "in"], `where[${i}]`);
        if (!Array.isArray(c.in) || c.in.length === 0 || c.in.length > 64 || c.in.some((v) => typeof v !== "string" || v.length === 0 || v.length > 64))
          return malformed(`where[${i}].in must be 1 to 64 values`);
        if (new Set(c.in).size !== c.in.length) malformed(`where[${i}].in has a duplicate`);
        return { column, in: [...(c.in as string[])] };
      }
      only(c, ["column", "from", "to"], `where[${i}]`);
      if (typeof c.from !== "number" || !Number.isFinite(c.from) || typeof c.to !== "number" || !Number.isFinite(c.to)) return malformed(`where[${i}] needs "in" (values) or "from" and "to" (numbers)`);
      return { column, from: c.from, to: c.to };
    });
    if (q.where.length === 0) delete q.where;
  }
  if (json.groupBy !== undefined) q.groupBy = name(json.groupBy, "groupBy");
  return q;
}

/**
 * A query from the CLI's arguments: `where` items are "col=a,b" (values) or "col=lo..hi"
 * (bin edges). Throws QueryError("malformed"); validateQuery does the rest.
 */
export function queryFromArgs(a: { op: string; column?: string; where?: readonly string[]; groupBy?: string }): Query {
  const where = (a.where ?? []).map((w) => {
    const eq = w.indexOf("=");
    if (eq <= 0) return malformed(`--where "${w.slice(0, 80)}" is not column=value[,value…] or column=from..to`);
    const column = w.slice(0, eq).trim();
    const rhs = w.slice(eq + 1).trim();
    const range = /^(-?[0-9]+(?:\.[0-9]+)?)\.\.(-?[0-9]+(?:\.[0-9]+)?)$/.exec(rhs);
    if (range) return { column, from: Number(range[1]), to: Number(range[2]) };
    const values = rhs.split(",").map((v) => v.trim());
    if (values.some((v) => v === "")) malformed(`--where "${w.slice(0, 80)}" has an empty value`);
    return { column, in: values };
  });
  return parseQuery({ v: 1, op: a.op, column: a.column, where: where.length ? where : undefined, groupBy: a.groupBy });
}

/**
 * Checks a query against a manifest (schema kinds, the `allowed` lists, values and bin edges)
 * and returns its canonical form: conditions sorted by column, `in` values in schema order.
 */
export function validateQuery(query: Query, manifest: Pick<AnalyticsManifest, "schema" | "allowed">): Query {
  const q = parseQuery(query); // also accepts raw JSON
  const { schema, allowed } = manifest;
  const known = (col: string, role: string) => {
    const c = findColumn(schema, col);
    if (!c) return fail("unknown-column", `${role} "${col}": the dataset has no such column (it has ${schema.columns.map((x) => x.name).join(", ")})`);
    if (!allowed.columns.includes(col)) fail("not-allowed", `${role} "${col}": the seller does not allow queries on this column`);
    return c;
  };
  if (!allowed.operations.includes(q.op)) fail("not-allowed", `the seller does not allow ${q.op} (allowed: ${allowed.operations.join(", ")})`);
  if (q.column !== undefined) {
    const c = known(q.column, "column");
    if (c.kind !== "numeric") fail("wrong-kind", `${q.op} of "${c.name}": it is categorical; ${q.op} needs a numeric column`);
    else if (q.op === "histogram" && !c.bins) fail("wrong-kind", `histogram of "${c.name}": the column has no bins`);
  }
  const out: Query = { v: 1, op: q.op };
  if (q.column !== undefined) out.column = q.column;
  if (q.where) {
    const seen = new Set<string>();
    const where = q.where.map((w): Condition => {
      const c = known(w.column, "condition on");
      if (seen.has(w.column)) fail("duplicate-column", `two conditions on "${w.column}": combine them into one`);
      seen.add(w.column);
      if (!isRange(w)) {
        if (c.kind !== "categorical") return fail("wrong-kind", `condition on "${c.name}": a numeric column takes a range of bin edges (from/to), not values`);
        for (const v of w.in) if (!c.values.includes(v)) fail("unknown-value", `condition on "${c.name}": "${v.slice(0, 64)}" is not one of its values (${c.values.join(", ")})`);
        return { column: w.column, in: c.values.filter((v) => w.in.includes(v)) };
      }
      if (c.kind !== "numeric") return fail("wrong-kind", `condition on "${c.name}": a categorical column takes values (in), not a range`);
      if (!c.bins) return fail("wrong-kind", `condition on "${c.name}": the column has no bins, so it cannot be filtered`);
      if (!c.bins.includes(w.from) || !c.bins.includes(w.to)) fail("bad-range", `condition on "${c.name}": from and to must be bin edges (${c.bins.join(", ")})`);
      if (!(w.from < w.to)) fail("bad-range", `condition on "${c.name}": from (${w.from}) must be below to (${w.to})`);
      return { column: w.column, from: w.from, to: w.to };
    });
    if (where.length > MAX_CONDITIONS) fail("too-many-conditions", `at most ${MAX_CONDITIONS} conditions, not ${where.length}`);
    out.where = where.sort((a, b) => (a.column < b.column ? -1 : a.column > b.column ? 1 : 0));
  }
  if (q.groupBy !== undefined) {
    const c = known(q.groupBy, "groupBy");
    if (c.kind !== "categorical") fail("wrong-kind", `groupBy "${c.name}": only a categorical column can group`);
    if (!allowed.groupBy.includes(q.groupBy)) fail("not-allowed", `groupBy "${q.groupBy}": the seller does not allow grouping by it (allowed: ${allowed.groupBy.join(", ") || "none"})`);
    out.groupBy = q.groupBy;
  }
  return out;
}

/** keccak256 of the canonical JSON of the (validated) query: what requestQuery names. */
export const queryHash = (query: Query): Hex => canonicalHash(query);

/**
 * Whether a query's cells need no product of shared values, so that two nodes can answer it:
 * every cell is a sum over rows of one indicator or value column. Indicators of one column are
 * one-hot (a row is in exactly one bin / has one value), so a condition, a group and a
 * histogram on the same column combine into one indicator.
 */
export function isLinear(query: Query): boolean {
  const indicatorColumns = new Set<string>();
  for (const w of query.where ?? []) indicatorColumns.add(w.column);
  if (query.groupBy) indicatorColumns.add(query.groupBy);
  if (query.op === "histogram" && query.column) indicatorColumns.add(query.column);
  const valueFactor = query.op === "sum" || query.op === "mean" || query.op === "variance" || query.op === "stddev" ? 1 : 0;
  return indicatorColumns.size + valueFactor <= 1;
}

