// Quasi-identifier columns encoded for partitioning: one float per row (typed arrays grown by
// doubling; the row's text is not kept), in an order where generalising means taking a range —
// numbers and dates as themselves, postcodes and categories as ranks of their sorted distinct
// values (so a range of postcodes shares a prefix). A missing or unreadable value is -Infinity:
// it sorts first and never aborts a run (ARX aborts on a value outside its hierarchy).
// Labels: how a range [lo, hi] of a column is released, and its information loss (0–1).
import type { ColumnKind } from "./types.ts";

export const MISSING = -Infinity;
const DAY_MS = 86_400_000;

export interface QiColumn {
  name: string;
  /** index of the column in the input record */
  index: number;
  kind: ColumnKind;
  /** dates: "day" (days since 1970-01-01) or "year" (the year: Safe Harbor) */
  unit: "day" | "year" | "value";
  /** Safe Harbor ages: values ≥ cap are encoded as cap and labelled "cap+" */
  cap?: number;
  /** Safe Harbor postcodes: only this many leading characters are kept */
  prefix?: number;
  values: Float64Array;
  length: number;
  /** finite minimum and maximum */
  min: number;
  max: number;
  /** every finite value is an integer (labels "20–29" rather than "20–30") */
  integers: boolean;
  /** postcodes and categories: distinct values, sorted once reading ends */
  dict: string[];
  lookup: Map<string, number>;
}

export function newQiColumn(name: string, index: number, kind: ColumnKind, o: { safeHarbor: boolean; age: boolean }): QiColumn {
  return {
    name,
    index,
    kind,
    unit: kind === "date" ? (o.safeHarbor ? "year" : "day") : "value",
    ...(o.safeHarbor && kind === "number" && o.age ? { cap: 90 } : {}),
    ...(o.safeHarbor && kind === "postcode" ? { prefix: 3 } : {}),
    values: new Float64Array(1024),
    length: 0,
    min: Infinity,
    max: -Infinity,
    integers: true,
    dict: [],
    lookup: new Map(),
  };
}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})/;
const YEAR_ONLY = /^(\d{4})$/;
const YEAR_MONTH = /^(\d{4})-(\d{2})$/;

/** A date as days since 1970-01-01 (UTC), or MISSING. Accepts YYYY-MM-DD[Thh:mm…], YYYY-MM, YYYY. */
export function parseDay(text: string): number {
  let m = ISO_DAY.exec(text);
  if (m) {
    const t = Date.UTC(+m[1], +m[2] - 1, +m[3]);
    return +m[2] >= 1 && +m[2] <= 12 && +m[3] >= 1 && +m[3] <= 31 && Number.isFinite(t) ? Math.floor(t / DAY_MS) : MISSING;
  }
  m = YEAR_MONTH.exec(text);
  if (m && +m[2] >= 1 && +m[2] <= 12) return Math.floor(Date.UTC(+m[1], +m[2] - 1, 1) / DAY_MS);
  m = YEAR_ONLY.exec(text);
  if (m) return Math.floor(Date.UTC(+m[1], 0, 1) / DAY_MS);
  return MISSING;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Appends one row's value (the raw text) to the column. */
export function pushValue(c: QiColumn, raw: string): void {
  const text = raw.trim();
  let v: number;
  switch (c.kind) {
    case "number":
      v = NUMBER.test(text) ? Number(text) : MISSING;
      if (c.cap !== undefined && v > c.cap) v = c.cap;
      break;
    case "date":
      v = parseDay(text);
      if (v !== MISSING && c.unit === "year") v = new Date(v * DAY_MS).getUTCFullYear();
      break;
    default: {
      const key = c.prefix !== undefined ? text.slice(0, c.prefix) : text;
      let code = c.lookup.get(key);
      if (code === undefined) {
        code = c.dict.length;
        c.dict.push(key);
        c.lookup.set(key, code);
      }
      v = code;
    }
  }
  if (v !== MISSING && (c.kind === "number" || c.kind === "date")) {
    if (!Number.isFinite(v)) v = MISSING;
    else {
      if (v < c.min) c.min = v;
      if (v > c.max) c.max = v;
      if (c.integers && !Number.isInteger(v)) c.integers = false;
    }
  }
  if (c.length === c.values.length) {
    const grown = new Float64Array(c.values.length * 2);
    grown.set(c.values);
    c.values = grown;
  }
  c.values[c.length++] = v;
}

/** Once reading ends: dictionary codes become ranks of the sorted values; min/max set for every kind. */
export function finishColumn(c: QiColumn): void {
  if (c.kind === "postcode" || c.kind === "category") {
    const order = c.dict.map((_, i) => i).sort((a, b) => (c.dict[a] < c.dict[b] ? -1 : c.dict[a] > c.dict[b] ? 1 : 0));
    const rank = new Float64Array(order.length);
    order.forEach((code, r) => (rank[code] = r));
    for (let i = 0; i < c.length; i++) c.values[i] = rank[c.values[i]];
    c.dict = order.map((code) => c.dict[code]);
    c.lookup = new Map();
    c.min = 0;
    c.max = c.dict.length - 1;
  }
  if (c.min > c.max) {
    c.min = 0; // only missing values
    c.max = 0;
  }
}

/** A column's span for normalising widths and losses (0 when it has one value). */
export const spanOf = (c: QiColumn) => c.max - c.min;

const pad = (n: number) => String(n).padStart(2, "0");
const isoDay = (d: number) => {
  const t = new Date(d * DAY_MS);
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
};
const fmt = (c: QiColumn, v: number) => (c.cap !== undefined && v >= c.cap ? `${c.cap}+` : String(v));

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

/** First rank whose entry is ≥ key (the dictionary is sorted). */
function lowerBound(dict: string[], key: string): number {
  let lo = 0;
  let hi = dict.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (dict[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First and last rank of the dictionary entries starting with `p`. */
function prefixRange(dict: string[], p: string): [number, number] {
  const lo = lowerBound(dict, p);
  return [lo, Math.max(lo, lowerBound(dict, `${p}\uffff`) - 1)];
}

export interface Label {
  text: string;
  /** information loss of releasing this label instead of the value (normalised certainty penalty) */
  loss: number;
}

/**
 * How the finite range [lo, hi] (and, when `missing`, blank values too) of a column is released.
 * Dates are labelled at the coarsest calendar unit containing the range (a day, a month, a year,
 * years), postcodes by the prefix the range shares, categories as the set of values in the range.
 */
export function labelOf(c: QiColumn, lo: number, hi: number, missing: boolean): Label {
  const span = spanOf(c);
  let text = "";
  let loss = 0;
  if (lo <= hi) {
    switch (c.kind) {
      case "number":
        text = lo === hi ? fmt(c, lo) : `${fmt(c, lo)}–${fmt(c, hi)}`;
        loss = span > 0 ? (hi - lo) / span : 0;
        break;
      case "date":
        if (c.unit === "year") {
          text = lo === hi ? String(lo) : `${lo}–${hi}`;
          loss = span > 0 ? (hi - lo) / span : 0;
        } else {
          const a = new Date(lo * DAY_MS);
          const b = new Date(hi * DAY_MS);
          let from: number;
          let to: number;
          if (lo === hi) {
            text = isoDay(lo);
            from = to = lo;
          } else if (a.getUTCFullYear() === b.getUTCFullYear() && a.getUTCMonth() === b.getUTCMonth()) {
            text = isoDay(lo).slice(0, 7);
            from = Date.UTC(a.getUTCFullYear(), a.getUTCMonth(), 1) / DAY_MS;
            to = Date.UTC(a.getUTCFullYear(), a.getUTCMonth() + 1, 1) / DAY_MS - 1;
          } else if (a.getUTCFullYear() === b.getUTCFullYear() && (a.getUTCMonth() > 0 || b.getUTCMonth() < 11)) {
            text = `${isoDay(lo).slice(0, 7)}–${isoDay(hi).slice(0, 7)}`; // a range of months
            from = Date.UTC(a.getUTCFullYear(), a.getUTCMonth(), 1) / DAY_MS;
            to = Date.UTC(b.getUTCFullYear(), b.getUTCMonth() + 1, 1) / DAY_MS - 1;
          } else if (a.getUTCFullYear() === b.getUTCFullYear()) {
            text = String(a.getUTCFullYear());
            from = Date.UTC(a.getUTCFullYear(), 0, 1) / DAY_MS;
            to = Date.UTC(a.getUTCFullYear() + 1, 0, 1) / DAY_MS - 1;
          } else {
            text = `${a.getUTCFullYear()}–${b.getUTCFullYear()}`;
            from = Date.UTC(a.getUTCFullYear(), 0, 1) / DAY_MS;
            to = Date.UTC(b.getUTCFullYear() + 1, 0, 1) / DAY_MS - 1;
          }
          loss = span > 0 ? Math.min(1, (to - from) / span) : 0;
        }
        break;
      case "postcode": {
        if (lo === hi) text = c.dict[lo];
        else {
          const p = commonPrefix(c.dict[lo], c.dict[hi]);
          const [a, b] = prefixRange(c.dict, p);
          text = `${p}*`;
          lo = a;
          hi = b;
        }
        loss = span > 0 ? (hi - lo) / span : 0;
        break;
      }
      default: {
        const values = c.dict.slice(lo, hi + 1).map((v) => (v === "" ? "(blank)" : v));
        text = lo === 0 && hi === c.dict.length - 1 && hi > 0 ? "*" : values.length <= 6 ? values.join("|") : `${values[0]}…${values[values.length - 1]}`;
        loss = span > 0 ? (hi - lo) / span : 0;
      }
    }
  }
  if (missing) {
    if (lo > hi) return { text: "", loss: 0 };
    return { text: `${text}|(blank)`, loss: Math.min(1, loss + (span > 0 ? 1 / (span + 1) : 0)) };
  }
  return { text, loss };
}

/** What the released values of a column look like, for the report ("ranges", "year" …). */
export function granularityOf(c: QiColumn, method: "mondrian" | "global", level?: string): string {
  if (method === "global" && level) return level;
  const base = c.kind === "number" ? "ranges" : c.kind === "date" ? (c.unit === "year" ? "year ranges" : "dates, months, month ranges or years") : c.kind === "postcode" ? "shared prefixes" : "sets of values";
  const sh = c.cap !== undefined ? `; ${c.cap} and over as ${c.cap}+` : c.prefix !== undefined ? `; first ${c.prefix} characters` : "";
  return base + sh;
}
