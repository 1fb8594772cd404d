// Global (full-domain) recoding: every value of a column is generalised to the same level of an
// automatically built hierarchy — numbers to bands of 1, 2, 5, 10 … ending in "*", dates to
// day → month → year → 5 years → decade → "*", postcodes to ever shorter prefixes, categories to
// "*" — and rows still in classes smaller than k (or less than ℓ-diverse) are suppressed. The
// levels are found greedily: raise the level of the column that buys the best drop in suppressed
// rows per unit of information lost, until at most maxSuppression of the rows would go. Every
// value has a place at every level (a blank stays blank), so no run aborts on an unexpected
// value. Written here because no maintained npm package implements it.
import { labelOf, MISSING, spanOf, type Label, type QiColumn } from "./columns.ts";

const DAY_MS = 86_400_000;

/** One level of a column's hierarchy: the group a value falls in, and its label. */
interface Level {
  name: string;
  group(v: number): number;
  label(v: number): Label;
}

const NICE = [1, 2, 5];

function niceSteps(span: number, integers: boolean): number[] {
  const steps: number[] = [];
  const least = integers ? 1 : span / 1000;
  for (let e = Math.floor(Math.log10(Math.max(least, 1e-9))); steps.length < 40; e++) {
    for (const m of NICE) {
      const w = m * 10 ** e;
      if (w >= least && w < span) steps.push(w);
      if (w >= span) return steps;
    }
  }
  return steps;
}

/** The levels of a column's hierarchy, from "as given" to "*". */
export function hierarchyOf(c: QiColumn): Level[] {
  const levels: Level[] = [];
  const span = spanOf(c);
  const star: Level = { name: "*", group: (v) => (v === MISSING ? -1 : 0), label: (v) => (v === MISSING ? { text: "", loss: 0 } : { text: "*", loss: 1 }) };
  const exact: Level = { name: "as given", group: (v) => v, label: (v) => (v === MISSING ? { text: "", loss: 0 } : labelOf(c, v, v, false)) };
  levels.push(exact);
  const band = (w: number, name: string, to: (v: number) => [number, number]): Level => ({
    name,
    group: (v) => (v === MISSING ? -Infinity : Math.floor(v / w)),
    label: (v) => {
      if (v === MISSING) return { text: "", loss: 0 };
      const [a, b] = to(v);
      return { text: rangeText(c, a, b), loss: span > 0 ? Math.min(1, (b - a) / span) : 0 };
    },
  });
  if (c.kind === "number" || (c.kind === "date" && c.unit === "year")) {
    for (const w of niceSteps(span, c.integers)) {
      if (w === 1 && c.integers) continue;
      levels.push(band(w, `bands of ${w}`, (v) => {
        const a = Math.floor(v / w) * w;
        return [a, c.integers ? a + w - 1 : a + w];
      }));
    }
  } else if (c.kind === "date") {
    const year = (v: number) => new Date(v * DAY_MS).getUTCFullYear();
    const month = (v: number) => new Date(v * DAY_MS).getUTCMonth();
    levels.push({
      name: "month",
      group: (v) => (v === MISSING ? -Infinity : year(v) * 12 + month(v)),
      label: (v) => (v === MISSING ? { text: "", loss: 0 } : labelOf(c, Date.UTC(year(v), month(v), 1) / DAY_MS, Date.UTC(year(v), month(v) + 1, 1) / DAY_MS - 1, false)),
    });
    for (const w of [1, 5, 10]) {
      levels.push({
        name: w === 1 ? "year" : `${w} years`,
        group: (v) => (v === MISSING ? -Infinity : Math.floor(year(v) / w)),
        label: (v) => {
          if (v === MISSING) return { text: "", loss: 0 };
          const y = Math.floor(year(v) / w) * w;
          const from = Date.UTC(y, 0, 1) / DAY_MS;
          const to = Date.UTC(y + w, 0, 1) / DAY_MS - 1;
          return { text: w === 1 ? String(y) : `${y}–${y + w - 1}`, loss: span > 0 ? Math.min(1, (to - from) / span) : 0 };
        },
      });
    }
  } else if (c.kind === "postcode") {
    const longest = c.dict.reduce((m, s) => Math.max(m, s.length), 0);
    for (let len = longest - 1; len >= 1; len--) {
      const groups = new Map<string, number>();
      const groupOf = new Int32Array(c.dict.length);
      const size = new Map<number, number>();
      c.dict.forEach((s, r) => {
        const p = s.slice(0, len);
        let g = groups.get(p);
        if (g === undefined) groups.set(p, (g = groups.size));
        groupOf[r] = g;
        size.set(g, (size.get(g) ?? 0) + 1);
      });
      levels.push({
        name: `first ${len} characters`,
        group: (v) => groupOf[v],
        label: (v) => {
          const s = c.dict[v];
          if (s.length <= len) return { text: s, loss: 0 };
          return { text: `${s.slice(0, len)}*`, loss: span > 0 ? (size.get(groupOf[v])! - 1) / span : 0 };
        },
      });
    }
  }
  levels.push(star);
  return levels;
}

function rangeText(c: QiColumn, a: number, b: number): string {
  const f = (v: number) => (c.cap !== undefined && v >= c.cap ? `${c.cap}+` : String(v));
  if (c.cap !== undefined && a >= c.cap) return `${c.cap}+`;
  return `${f(a)}–${f(c.cap !== undefined ? Math.min(b, c.cap) : b)}`;
}

export interface RecodingInput {
  rows: number;
  columns: QiColumn[];
  k: number;
  l: number;
  sensitive?: Int32Array;
  maxSuppression: number;
  onProgress?: (step: number) => void;
}

export interface Recoding {
  /** chosen level per column */
  levels: Level[];
  /** 1 for each suppressed row */
  suppressed: Uint8Array;
  suppressedCount: number;
}

/** Suppressed rows when each column j is generalised to levels[j] (rows of classes < k or < ℓ-diverse). */
function evaluate(o: RecodingInput, levels: Level[], mark?: Uint8Array): number {
  const n = o.rows;
  const d = o.columns.length;
  // Group codes per column, renumbered densely so one row's key fits a number (mixed radix),
  // or a string when the product of group counts passes 2^53.
  const codes: Int32Array[] = [];
  const radix: number[] = [];
  for (let j = 0; j < d; j++) {
    const v = o.columns[j].values;
    const dense = new Map<number, number>();
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const g = levels[j].group(v[i]);
      let x = dense.get(g);
      if (x === undefined) dense.set(g, (x = dense.size));
      out[i] = x;
    }
    codes.push(out);
    radix.push(Math.max(1, dense.size));
  }
  const numeric = radix.reduce((p, r) => p * r, 1) < 2 ** 52;
  const keys: (number | string)[] = new Array(n);
  const counts = new Map<number | string, number>();
  for (let i = 0; i < n; i++) {
    let key: number | string;
    if (numeric) {
      key = 0;
      for (let j = 0; j < d; j++) key = key * radix[j] + codes[j][i];
    } else {
      key = "";
      for (let j = 0; j < d; j++) key += `${codes[j][i]},`;
    }
    keys[i] = key;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let small: Set<number | string> | undefined;
  if (o.l > 1 && o.sensitive) {
    const seen = new Map<number | string, Set<number>>();
    for (let i = 0; i < n; i++) {
      let s = seen.get(keys[i]);
      if (!s) seen.set(keys[i], (s = new Set()));
      if (s.size < o.l) s.add(o.sensitive[i]);
    }
    small = new Set([...seen].filter(([, s]) => s.size < o.l).map(([key]) => key));
  }
  let suppressed = 0;
  for (let i = 0; i < n; i++) {
    if (counts.get(keys[i])! < o.k || small?.has(keys[i])) {
      suppressed++;
      if (mark) mark[i] = 1;
    }
  }
  return suppressed;
}

/** Average loss of a column at a level over the rows (what raising it costs). */
function lossAt(c: QiColumn, level: Level, n: number): number {
  const cache = new Map<number, number>();
  let sum = 0;
  const step = Math.max(1, Math.floor(n / 20_000)); // a sample is enough to rank the candidates
  let seen = 0;
  for (let i = 0; i < n; i += step) {
    const v = c.values[i];
    let x = cache.get(v);
    if (x === undefined) cache.set(v, (x = level.label(v).loss));
    sum += x;
    seen++;
  }
  return seen ? sum / seen : 0;
}

export function globalRecoding(o: RecodingInput): Recoding {
  const hierarchies = o.columns.map(hierarchyOf);
  const at = o.columns.map(() => 0);
  const limit = Math.floor(o.maxSuppression * o.rows);
  let current = evaluate(o, at.map((x, j) => hierarchies[j][x]));
  let step = 0;
  while (current > limit) {
    let best = -1;
    let bestScore = Infinity;
    let bestSuppressed = current;
    for (let j = 0; j < o.columns.length; j++) {
      if (at[j] + 1 >= hierarchies[j].length) continue;
      const trial = at.map((x, i) => hierarchies[i][i === j ? x + 1 : x]);
      const suppressed = evaluate(o, trial);
      const cost = lossAt(o.columns[j], hierarchies[j][at[j] + 1], o.rows) - lossAt(o.columns[j], hierarchies[j][at[j]], o.rows);
      const score = suppressed / Math.max(1, o.rows) + Math.max(0, cost);
      if (score < bestScore) {
        bestScore = score;
        best = j;
        bestSuppressed = suppressed;
      }
    }
    if (best < 0) break; // every column at "*": what is left is suppressed
    at[best]++;
    current = bestSuppressed;
    o.onProgress?.(++step);
  }
  const levels = at.map((x, j) => hierarchies[j][x]);
  const suppressed = new Uint8Array(o.rows);
  const suppressedCount = evaluate(o, levels, suppressed);
  return { levels, suppressed, suppressedCount };
}
