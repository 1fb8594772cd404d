// Throughput and memory of the seller's sharing (not a vitest test; run it with
// `npx tsx sdk/test/analytics/share-throughput.ts [rows]`): a generated 10-column CSV of 100,000
// rows (never held whole) is checked, encoded, shared and encrypted into three bundles whose
// ciphertext is hashed and dropped. Prints rows/s of each pass and the peak RSS.
import { createHash } from "node:crypto";
import { parseSchema, shareDataset } from "../../src/analytics/index.ts";
import { WIDE_SCHEMA, wideCsv } from "../../../bench/wide-dataset.ts";

const ROWS = Number(process.argv[2] ?? 100_000);
const schema = parseSchema(WIDE_SCHEMA);
const csv = () => wideCsv(ROWS);

const rss0 = process.memoryUsage().rss;
let peakRss = rss0;
let peakHeap = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
};
const timer = setInterval(sample, 20);
const t0 = performance.now();
let tCheck = 0;
let bytes = 0;
const result = await shareDataset({
  csv,
  schema,
  productId: "4",
  nodes: ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222", "0x3333333333333333333333333333333333333333"],
  onChunk: (_, c) => {
    bytes += c.length;
  },
  onProgress: (p) => {
    if (p.phase === "share" && tCheck === 0) tCheck = performance.now();
    sample();
  },
  createHash: () => createHash("sha256"),
});
const t1 = performance.now();
clearInterval(timer);
sample();
const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const checkS = (tCheck - t0) / 1000;
const shareS = (t1 - tCheck) / 1000;
console.log(
  `${result.rows} rows × ${schema.columns.length} columns (${result.columns} encoded): ${mib(bytes)} MiB of ciphertext (3 bundles)\n` +
    `check pass ${checkS.toFixed(1)} s (${Math.round(result.rows / checkS)} rows/s), share+encrypt+hash pass ${shareS.toFixed(1)} s (${Math.round(result.rows / shareS)} rows/s), ` +
    `total ${((t1 - t0) / 1000).toFixed(1)} s (${Math.round(result.rows / ((t1 - t0) / 1000))} rows/s)\n` +
    `RSS before ${mib(rss0)} MiB, peak ${mib(peakRss)} MiB (+${mib(peakRss - rss0)}); peak heap + array buffers ${mib(peakHeap)} MiB; maxRSS ${mib(process.resourceUsage().maxRSS * 1024)} MiB`,
);
