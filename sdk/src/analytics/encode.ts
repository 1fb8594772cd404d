// Encoding of dataset rows (docs/analytics.md, "Schema and encoding"): every row becomes one
// field element per encoded column — fixed-point value, its square, bin indicators, value
// indicators. Values are parsed as decimal text (never through a float), so rounding half away
// from zero is exact. A missing, malformed, out-of-range or undeclared value is a DatasetError
// naming the row (1-based, header excluded) and the column.
import { compareDecimal, parseDecimal, toFixedPoint } from "./decimal.ts";
import { DatasetError } from "./errors.ts";
import { fromSigned } from "./field.ts";
import { binOf, encodedColumns, numericBounds, type NumericBounds, type Schema } from "./schema.ts";

/** Squares below this are exact as JS numbers. */
const SAFE_SQUARE_ROOT = 94_906_265;

/** A row encoded as signed integers (numbers when they are safe integers, else bigints), one per encoded column. */
export type EncodedRow = (number | bigint)[];

/** Encodes records whose fields are given in schema column order (the fast path of shareDataset). */
export class RowEncoder {
  /** Encoded columns per row. */
  readonly width: number;
  private readonly plan: (
    | { kind: "numeric"; name: string; at: number; decimals: number; bounds: NumericBounds; minText: string; maxText: string }
    | { kind: "categorical"; name: string; at: number; index: Map<string, number> }
  )[];

  constructor(readonly schema: Schema) {
    this.width = encodedColumns(schema).length;
    let at = 0;
    this.plan = schema.columns.map((c) => {
      const start = at;
      if (c.kind === "numeric") {
        at += 2 + (c.bins ? c.bins.length - 1 : 0);
        return { kind: "numeric" as const, name: c.name, at: start, decimals: c.decimals, bounds: numericBounds(c), minText: String(c.min), maxText: String(c.max) };
      }
      at += c.values.length;
      return { kind: "categorical" as const, name: c.name, at: start, index: new Map(c.values.map((v, i) => [v, i])) };
    });
  }

  /**
   * Writes row `row` (1-based, for errors) into `out` (length ≥ width, every entry overwritten).
   * `fields[i]` is the text of schema column i (undefined or "" = missing).
   */
  encodeInto(fields: readonly (string | undefined)[], row: number, out: EncodedRow): EncodedRow {
    for (let k = 0; k < this.width; k++) out[k] = 0;
    for (let i = 0; i < this.plan.length; i++) {
      const p = this.plan[i];
      const text = fields[i]?.trim() ?? "";
      if (text === "") throw new DatasetError("missing-value", `row ${row}, column "${p.name}": the value is missing`, row, p.name);
      if (p.kind === "categorical") {
        const v = p.index.get(text);
        if (v === undefined) throw new DatasetError("unknown-value", `row ${row}, column "${p.name}": "${text.slice(0, 64)}" is not one of the declared values`, row, p.name);
        out[p.at + v] = 1;
        continue;
      }
      const d = parseDecimal(text);
      if (!d) throw new DatasetError("not-a-number", `row ${row}, column "${p.name}": "${text.slice(0, 64)}" is not a decimal number`, row, p.name);
      if (compareDecimal(d, p.bounds.min) < 0 || compareDecimal(d, p.bounds.max) > 0)
        throw new DatasetError("out-of-range", `row ${row}, column "${p.name}": ${text.slice(0, 64)} is outside [${p.minText}, ${p.maxText}]`, row, p.name);
      const fixed = toFixedPoint(d, p.decimals);
      const x = Number(fixed); // |fixed| < 2^50 (parseSchema checks the headroom of one row)
      out[p.at] = x;
      out[p.at + 1] = Math.abs(x) < SAFE_SQUARE_ROOT ? x * x : fixed * fixed;
      if (p.bounds.edges) out[p.at + 2 + binOf(p.bounds.edges, d)] = 1; // in range, so in a bin
    }
    return out;
  }
}

const encoders = new WeakMap<Schema, RowEncoder>();
const encoderFor = (schema: Schema): RowEncoder => {
  let e = encoders.get(schema);
  if (!e) encoders.set(schema, (e = new RowEncoder(schema)));
  return e;
};

/** The fields of a record (by column name) in schema order, as text. */
export function fieldsOf(schema: Schema, record: Readonly<Record<string, unknown>>): (string | undefined)[] {
  return schema.columns.map((c) => {
    const v = record[c.name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "number") return Number.isFinite(v) ? String(v) : "NaN";
    return String(v);
  });
}

/** Encodes one record (fields by column name; numbers or text) as signed integers, one per encoded column. */
export function encodeRowSigned(schema: Schema, record: Readonly<Record<string, unknown>>, rowNumber: number): EncodedRow {
  const e = encoderFor(schema);
  return e.encodeInto(fieldsOf(schema, record), rowNumber, new Array(e.width));
}

/** Encodes one record as field elements, one per encoded column. */
export function encodeRow(schema: Schema, record: Readonly<Record<string, unknown>>, rowNumber: number): bigint[] {
  return encodeRowSigned(schema, record, rowNumber).map((v) => fromSigned(v));
}
