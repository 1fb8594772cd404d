// Shared fixtures of the analytics tests: a small hospital-like schema, a manifest around it and
// a seeded row generator (deterministic, so failures reproduce).
import type { AnalyticsManifest, Schema } from "../../src/analytics/index.ts";
import { parseManifest, parseSchema } from "../../src/analytics/index.ts";

export const NODES = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222", "0x3333333333333333333333333333333333333333"] as const;

export const SCHEMA: Schema = parseSchema({
  columns: [
    { name: "age", kind: "numeric", min: 0, max: 110, decimals: 0, bins: [0, 18, 40, 65, 80, 111] },
    { name: "length_of_stay", kind: "numeric", min: 0, max: 365, decimals: 1 },
    { name: "sex", kind: "categorical", values: ["F", "M"] },
    { name: "region", kind: "categorical", values: ["north", "centre", "south", "islands"] },
    { name: "readmitted", kind: "numeric", min: 0, max: 1, decimals: 0 },
    { name: "temp", kind: "numeric", min: -20, max: 45.5, decimals: 2, bins: [-20, 0, 20, 46] },
  ],
});

export function manifestFor(schema: Schema, rows: number, over: Partial<AnalyticsManifest> = {}): AnalyticsManifest {
  return parseManifest({
    kind: "kraken.analytics-manifest",
    v: 1,
    productId: "4",
    schema,
    rows,
    allowed: { columns: schema.columns.map((c) => c.name), operations: ["count", "sum", "mean", "variance", "stddev", "histogram"], groupBy: schema.columns.filter((c) => c.kind === "categorical").map((c) => c.name) },
    privacy: { minCohort: 5, epsilonPerQuery: 0, epsilonBudget: 0 },
    nodes: [...NODES],
    threshold: 2,
    bundleHashes: [`0x${"aa".repeat(32)}`, `0x${"bb".repeat(32)}`, `0x${"cc".repeat(32)}`],
    ...over,
  });
}

/** mulberry32 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Row = Record<string, string>;

/** Rows of SCHEMA; a "rare" island population of exactly `islands` rows. */
export function makeRows(n: number, seed = 1, islands = 3): Row[] {
  const r = prng(seed);
  const regions = ["north", "centre", "south"];
  return Array.from({ length: n }, (_, i) => ({
    age: String(Math.floor(r() * 111)),
    length_of_stay: (Math.floor(r() * 3650) / 10).toFixed(1),
    sex: r() < 0.52 ? "F" : "M",
    region: i < islands ? "islands" : regions[Math.floor(r() * 3)],
    readmitted: r() < 0.15 ? "1" : "0",
    temp: (Math.round((r() * 65.5 - 20) * 100) / 100).toFixed(2),
  }));
}

export function toCsv(rows: Row[], columns = Object.keys(rows[0])): string {
  return [columns.join(","), ...rows.map((row) => columns.map((c) => row[c]).join(","))].join("\n") + "\n";
}

export async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
