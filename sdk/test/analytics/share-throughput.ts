// Throughput and memory of the seller's sharing (not a vitest test; run it with
// `npx tsx sdk/test/analytics/share-throughput.ts [rows]`): a generated 10-column CSV of 100,000
// rows (never held whole) is checked, encoded, shared and encrypted into three bundles whose
// ciphertext is hashed and dropped. Prints rows/s of each pass and the peak RSS.
import { createHash } from "node:crypto";
import { parseSchema, shareDataset } from "../../src/analytics/index.ts";

const ROWS = Number(process.argv[2] ?? 100_000);
const schema = parseSchema({
  columns: [
    { name: "age", kind: "numeric", min: 0, max: 110, decimals: 0, bins: [0, 18, 40, 65, 80, 111] },
    { name: "length_of_stay", kind: "numeric", min: 0, max: 365, decimals: 1, bins: [0, 3, 7, 14, 30, 366] },
    { name: "sex", kind: "categorical", values: ["F", "M"] },
    { name: "region", kind: "categorical", values: ["north", "centre", "south", "islands"] },
    { name: "readmitted", kind: "numeric", min: 0, max: 1, decimals: 0 },
    { name: "temp", kind: "numeric", min: -20, max: 45.5, decimals: 2, bins: [-20, 0, 20, 46] },
    { name: "diagnosis", kind: "categorical", values: ["cardiac", "respiratory", "orthopaedic", "oncology", "neurology", "digestive", "other"] },
    { name: "weight", kind: "numeric", min: 2, max: 250, decimals: 1, bins: [2, 50, 80, 120, 251] },
    { name: "bmi", kind: "numeric", min: 10, max: 70, decimals: 1 },
    { name: "smoker", kind: "categorical", values: ["yes", "no"] },
  ],
});

function* csv(): Generator<string> {
  let a = 12345;
  const r = () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648;
  };
  const diag = ["cardiac", "respiratory", "orthopaedic", "oncology", "neurology", "digestive", "other"];
  const regions = ["north", "centre", "south", "islands"];
  yield "age,length_of_stay,sex,region,readmitted,temp,diagnosis,weight,bmi,smoker\n";
  let lines: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    lines.push(
      `${Math.floor(r() * 111)},${(Math.floor(r() * 3650) / 10).toFixed(1)},${r() < 0.5 ? "F" : "M"},${regions[Math.floor(r() * 4)]},${r() < 0.15 ? 1 : 0},` +
        `${((Math.round(r() * 6550) - 2000) / 100).toFixed(2)},${diag[Math.floor(r() * 7)]},${(2 + Math.floor(r() * 2480) / 10).toFixed(1)},${(10 + Math.floor(r() * 600) / 10).toFixed(1)},${r() < 0.2 ? "yes" : "no"}\n`,
    );
    if (lines.length === 1000) {
      yield lines.join("");
      lines = [];
    }
  }
  if (lines.length) yield lines.join("");
}

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
