// Dataset schemas (docs/analytics.md, "Schema and encoding"): strict parsing with the limits of
// the doc, the encoded columns every row turns into, the schema hash and the headroom rule.
import type { Hex } from "viem";
import { canonicalHash } from "./canonical.ts";
import { compareDecimal, decimalOfNumber, toFixedPoint, type Decimal } from "./decimal.ts";
import { SchemaError } from "./errors.ts";

export const MAX_COLUMNS = 32;
export const MAX_BINS = 32;
export const MAX_CATEGORIES = 64;
export const MAX_DECIMALS = 6;
export const MAX_VALUE_LENGTH = 64;
/** rows · (max |v| · 10^d)² must stay below this (sums of squares never wrap). */
export const HEADROOM = 2n ** 100n;
export const COLUMN_NAME = /^[a-z][a-z0-9_]{0,31}$/;

export interface NumericColumn {
  name: string;
  kind: "numeric";
  min: number;
  max: number;
  /** fixed point: a value v is stored as round(v · 10^decimals) */
  decimals: number;
  /** strictly ascending edges; bin i holds edges[i] ≤ v < edges[i+1] */
  bins?: number[];
}

export interface CategoricalColumn {
  name: string;
  kind: "categorical";
  values: string[];
}

export type Column = NumericColumn | CategoricalColumn;

export interface Schema {
  columns: Column[];
}

/** One field element per row: the fixed-point value, its square, a bin indicator or a value indicator. */
export interface EncodedColumn {
  /** "age", "age^2", "age#0" (bin 0), "sex=F" */
  id: string;
  column: string;
  kind: "value" | "square" | "bin" | "category";
  /** bin index (kind "bin") */
  bin?: number;
  /** categorical value (kind "category") */
  value?: string;
}

const bad = (message: string): never => {
  throw new SchemaError("bad-schema", `invalid schema: ${message}`);
};
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const only = (c: Record<string, unknown>, keys: readonly string[], what: string) => {
  for (const k of Object.keys(c)) if (!keys.includes(k)) bad(`${what} has an unknown field "${k.slice(0, 40)}"`);
};
const finite = (x: unknown, what: string): number => (typeof x === "number" && Number.isFinite(x) ? x : bad(`${what} is not a finite number`));

/** Whether a categorical value is acceptable: 1–64 characters, no control characters, no "," or "|" (list and key separators), no surrounding spaces. */
export const isCategoryValue = (v: unknown): v is string =>
  typeof v === "string" && v.length >= 1 && v.length <= MAX_VALUE_LENGTH && v.trim() === v && !/[\u0000-\u001f\u007f,|]/.test(v);

/** Parses and checks a schema; returns a fresh object with only the known fields. */
export function parseSchema(json: unknown): Schema {
  if (!isObj(json)) return bad("not an object");
  only(json, ["columns"], "the schema");
  const cols = json.columns;
  if (!Array.isArray(cols) || cols.length === 0) return bad("columns must be a non-empty array");
  if (cols.length > MAX_COLUMNS) bad(`at most ${MAX_COLUMNS} columns, not ${cols.length}`);
  const names = new Set<string>();
  const columns = cols.map((c, i): Column => {
    if (!isObj(c)) return bad(`columns[${i}] is not an object`);
    const name = typeof c.name === "string" && COLUMN_NAME.test(c.name) ? c.name : bad(`columns[${i}].name must match ${COLUMN_NAME.source}`);
    if (names.has(name)) bad(`two columns are named "${name}"`);
    names.add(name);
    if (c.kind === "numeric") {
      only(c, ["name", "kind", "min", "max", "decimals", "bins"], `column "${name}"`);
      const min = finite(c.min, `"${name}".min`);
      const max = finite(c.max, `"${name}".max`);
      if (!(min < max)) bad(`"${name}": min must be below max`);
      const decimals = Number.isInteger(c.decimals) && (c.decimals as number) >= 0 && (c.decimals as number) <= MAX_DECIMALS ? (c.decimals as number) : bad(`"${name}".decimals must be an integer from 0 to ${MAX_DECIMALS}`);
      const col: NumericColumn = { name, kind: "numeric", min, max, decimals };
      if (c.bins !== undefined) {
        if (!Array.isArray(c.bins) || c.bins.length < 2 || c.bins.length > MAX_BINS + 1) bad(`"${name}".bins must be 2 to ${MAX_BINS + 1} edges (1 to ${MAX_BINS} bins)`);
        const bins = (c.bins as unknown[]).map((e, j) => finite(e, `"${name}".bins[${j}]`));
        for (let j = 1; j < bins.length; j++) if (!(bins[j] > bins[j - 1])) bad(`"${name}".bins must be strictly ascending`);
        if (!(bins[0] <= min)) bad(`"${name}": the first bin edge must be ≤ min`);
        if (!(bins[bins.length - 1] > max)) bad(`"${name}": the last bin edge must be > max`);
        col.bins = bins;
      }
      if (maxAbs(col) ** 2n >= HEADROOM) bad(`"${name}": (max |v| · 10^decimals)² reaches 2^100 even for one row`);
      return col;
    }
    if (c.kind === "categorical") {
      only(c, ["name", "kind", "values"], `column "${name}"`);
      if (!Array.isArray(c.values) || c.values.length < 1 || c.values.length > MAX_CATEGORIES) bad(`"${name}".values must have 1 to ${MAX_CATEGORIES} values`);
      const values = (c.values as unknown[]).map((v, j) =>
        isCategoryValue(v) ? v : bad(`"${name}".values[${j}] must be a string of 1 to ${MAX_VALUE_LENGTH} characters without control characters, "," or "|" and without surrounding spaces`),
      );
      if (new Set(values).size !== values.length) bad(`"${name}".values has a duplicate`);
      return { name, kind: "categorical", values };
    }
    return bad(`columns[${i}].kind must be "numeric" or "categorical"`);
  });
  return { columns };
}

/** The encoded columns of a schema, in order: numeric → x, x², one per bin; categorical → one per value. */
export function encodedColumns(schema: Schema): EncodedColumn[] {
  const out: EncodedColumn[] = [];
  for (const c of schema.columns) {
    if (c.kind === "numeric") {
      out.push({ id: c.name, column: c.name, kind: "value" }, { id: `${c.name}^2`, column: c.name, kind: "square" });
      c.bins?.slice(1).forEach((_, b) => out.push({ id: `${c.name}#${b}`, column: c.name, kind: "bin", bin: b }));
    } else {
      for (const v of c.values) out.push({ id: `${c.name}=${v}`, column: c.name, kind: "category", value: v });
    }
  }
  return out;
}

/** keccak256 of the schema's canonical JSON. */
export const schemaHash = (schema: Schema): Hex => canonicalHash(schema);

/** The column named `name`, or undefined. */
export const findColumn = (schema: Schema, name: string): Column | undefined => schema.columns.find((c) => c.name === name);

/** max |v| · 10^d over [min, max] in fixed point (rounded as values are): the sensitivity of a sum. */
export function maxAbs(c: NumericColumn): bigint {
  const lo = toFixedPoint(decimalOfNumber(c.min), c.decimals);
  const hi = toFixedPoint(decimalOfNumber(c.max), c.decimals);
  const a = lo < 0n ? -lo : lo;
  const b = hi < 0n ? -hi : hi;
  return a > b ? a : b;
}

/** Throws SchemaError("no-headroom") when rows · (max |v| · 10^d)² ≥ 2^100 for a numeric column. */
export function checkHeadroom(schema: Schema, rows: number | bigint): void {
  for (const c of schema.columns) {
    if (c.kind !== "numeric") continue;
    const m = maxAbs(c);
    if (BigInt(rows) * m * m >= HEADROOM)
      throw new SchemaError("no-headroom", `column "${c.name}": ${rows} rows · (${m})² reaches 2^100, so a sum of squares could wrap; use fewer decimals, a narrower range or fewer rows`);
  }
}

/** Label of bin i of a binned column: "65–80" (edges[i] ≤ v < edges[i+1]). */
export const binLabel = (edges: readonly number[], i: number): string => `${edges[i]}–${edges[i + 1]}`;

/** Exact decimals of a numeric column's bounds and edges (for range and bin checks). */
export interface NumericBounds {
  min: Decimal;
  max: Decimal;
  edges?: Decimal[];
}

export const numericBounds = (c: NumericColumn): NumericBounds => ({
  min: decimalOfNumber(c.min),
  max: decimalOfNumber(c.max),
  edges: c.bins?.map(decimalOfNumber),
});

/** The bin of an in-range value (edges[i] ≤ v < edges[i+1]). */
export function binOf(edges: readonly Decimal[], v: Decimal): number {
  for (let i = 0; i < edges.length - 1; i++) if (compareDecimal(v, edges[i + 1]) < 0) return compareDecimal(v, edges[i]) >= 0 ? i : -1;
  return -1;
}
