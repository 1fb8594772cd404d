// Anonymiser benchmarks (issue 16; @kraken/sdk/anonymise), on the 12-column synthetic health table
// of bench/anonymise-data.ts (3 identifiers, 5 quasi-identifiers, diagnosis, 3 measurements):
//   - Node: 1,000,000 rows at k = 10 (automatic classification, Mondrian), read from a temporary
//     CSV file and written to another, in a child process of its own per run so its memory is the
//     anonymiser's alone: rows/s and peak RSS (the kernel's high-water mark VmHWM, and the RSS
//     sampled every 50 ms by the parent and by the child itself), median of the runs;
//   - Chromium (headless, the browser tests' launcher): the same SDK code bundled for the browser,
//     1,000,000 rows in a Blob generated in the page, the released CSV counted and discarded (as a
//     stream to a file would be): rows/s and the JS heap peak (performance.memory with precise
//     figures, sampled at every chunk read, row batch written and progress event, and every 50 ms;
//     the baseline is the heap after the Blob is built and garbage is collected);
//   - information loss against k (2 … 100) on 100,000 rows: average loss over the quasi-identifiers
//     and per quasi-identifier, rows suppressed, classes, prosecutor risk.
// `npx tsx bench/anonymise.ts [--rows N] [--runs N] [--skip-browser]` runs it alone.
import { spawn } from "node:child_process";
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { anonymiseCsv } from "@kraken/sdk/anonymise";
import { HEALTH_QUASI, healthCsv } from "./anonymise-data.ts";
import { quantiles } from "./lib.ts";

const K = 10;
const MiB = 1024 * 1024;
const statusKb = (field: string, pid: number | "self" = "self") => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;

/** Writes the health CSV to a file; its size in bytes. */
function writeHealthCsv(file: string, rows: number): number {
  const fd = openSync(file, "w");
  try {
    for (const chunk of healthCsv(rows)) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return statSync(file).size;
}

// --- Node: one run in a child process ---

export interface NodeRun {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  /** RSS after the imports, before the run */
  baseRss: number;
  /** the kernel's high-water mark of the child (VmHWM) */
  peakRss: number;
  /** the highest RSS the child sampled itself every 50 ms (process.memoryUsage().rss) */
  sampledRss: number;
  /** the highest RSS the parent sampled every 50 ms (/proc/<pid>/status) */
  parentSampledRss: number;
  outputBytes: number;
  k: number;
  classes: number;
}

async function nodeChild(input: string, output: string, k: number): Promise<void> {
  const baseRss = statusKb("VmRSS");
  let sampledRss = process.memoryUsage().rss;
  const timer = setInterval(() => (sampledRss = Math.max(sampledRss, process.memoryUsage().rss)), 50);
  const fd = openSync(output, "w");
  let outputBytes = 0;
  const t0 = performance.now();
  const { report } = await anonymiseCsv(() => createReadStream(input, { highWaterMark: 1 << 20 }), (text) => {
    outputBytes += writeSync(fd, text);
  }, { k, size: statSync(input).size, onProgress: () => (sampledRss = Math.max(sampledRss, process.memoryUsage().rss)) });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  closeSync(fd);
  const run: Omit<NodeRun, "parentSampledRss"> = {
    rows: report.rows.input, seconds, rowsPerSecond: report.rows.input / seconds, baseRss, peakRss: statusKb("VmHWM"), sampledRss, outputBytes, k: report.k, classes: report.classes,
  };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

function nodeRun(input: string, output: string, k: number): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--node-child", input, output, String(k)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    let parentSampledRss = 0;
    const timer = setInterval(() => {
      try {
        parentSampledRss = Math.max(parentSampledRss, statusKb("VmRSS", p.pid!));
      } catch {
        // exited
      }
    }, 50);
    p.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    p.on("exit", (code) => {
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`the anonymiser child process exited ${code}`));
      resolve({ ...(JSON.parse(out.trim().split("\n").pop()!) as Omit<NodeRun, "parentSampledRss">), parentSampledRss });
    });
  });
}

export async function anonymiseNodeBench(runs = 3, rows = 1_000_000, k = K): Promise<{ runs: NodeRun[]; inputBytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), "kraken-anonymise-bench-"));
  try {
    const input = join(dir, "health.csv");
    const inputBytes = writeHealthCsv(input, rows);
    const out: NodeRun[] = [];
    for (let i = 0; i < runs; i++) {
      const run = await nodeRun(input, join(dir, "released.csv"), k);
      if (run.k < k || run.rows !== rows) throw new Error(`the anonymiser released k = ${run.k} from ${run.rows} rows (asked k = ${k} of ${rows})`);
      out.push(run);
    }
    return { runs: out, inputBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- Chromium ---

export interface BrowserRun {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  /** used JS heap after the Blob is built and garbage collected */
  baseHeap: number;
  /** the highest used JS heap sampled during the run */
  peakHeap: number;
  /** the largest total (committed) JS heap seen */
  peakTotalHeap: number;
  blobBytes: number;
  outputChars: number;
  k: number;
  classes: number;
}

/** The browser side: the SDK's anonymiser and the generator, bundled into one script for the page. */
const BROWSER_ENTRY = `
import { anonymiseCsv } from "./sdk/src/anonymise/index.ts";
import { healthCsv } from "./bench/anonymise-data.ts";
globalThis.krakenAnonymiseBench = async (rows, k) => {
  const mem = () => performance.memory;
  const parts = [];
  for (const chunk of healthCsv(rows)) parts.push(chunk);
  const blob = new Blob(parts);
  parts.length = 0;
  for (let i = 0; i < 3; i++) { globalThis.gc?.(); await new Promise((r) => setTimeout(r, 100)); }
  const baseHeap = mem().usedJSHeapSize;
  let peakHeap = baseHeap, peakTotalHeap = mem().totalJSHeapSize;
  const sample = () => {
    const m = mem();
    if (m.usedJSHeapSize > peakHeap) peakHeap = m.usedJSHeapSize;
    if (m.totalJSHeapSize > peakTotalHeap) peakTotalHeap = m.totalJSHeapSize;
  };
  const timer = setInterval(sample, 50);
  async function* read() {
    const reader = blob.stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      sample();
      yield value;
    }
  }
  let outputChars = 0;
  const t0 = performance.now();
  const { report } = await anonymiseCsv(read, (text) => { outputChars += text.length; sample(); }, { k, size: blob.size, onProgress: sample });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  sample();
  return { rows: report.rows.input, seconds, rowsPerSecond: report.rows.input / seconds, baseHeap, peakHeap, peakTotalHeap, blobBytes: blob.size, outputChars, k: report.k, classes: report.classes };
};
`;

async function browserBundle(): Promise<string> {
  const { build } = await import("esbuild");
  const root = join(import.meta.dirname, "..");
  const r = await build({
    stdin: { contents: BROWSER_ENTRY, resolveDir: root, loader: "js", sourcefile: "anonymise-bench-entry.js" },
    bundle: true, write: false, format: "iife", platform: "browser", target: "chrome120", minify: true, logLevel: "error",
  });
  return r.outputFiles[0].text;
}

export async function anonymiseBrowserBench(runs = 3, rows = 1_000_000, k = K): Promise<{ runs: BrowserRun[]; browser: string; bundleBytes: number }> {
  const { launchChromium } = await import("../test/browser/harness/chromium.ts");
  const script = await browserBundle();
  const { browser, source } = await launchChromium([
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    "--enable-precise-memory-info", "--js-flags=--expose-gc",
  ]);
  try {
    const out: BrowserRun[] = [];
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext(); // a fresh page (and heap) per run
      const page = await context.newPage();
      await page.setContent("<!doctype html><title>anonymiser benchmark</title>");
      await page.addScriptTag({ content: script });
      page.setDefaultTimeout(20 * 60_000);
      out.push(await page.evaluate(([n, kk]) => (globalThis as unknown as { krakenAnonymiseBench: (rows: number, k: number) => Promise<BrowserRun> }).krakenAnonymiseBench(n, kk), [rows, k] as const));
      await context.close();
    }
    return { runs: out, browser: source, bundleBytes: script.length };
  } finally {
    await browser.close();
  }
}

// --- information loss against k ---

export interface LossRow {
  k: number;
  /** average over the quasi-identifiers of each one's loss (0 = as given, 1 = nothing left) */
  loss: number;
  perQuasi: Record<string, number>;
  suppressed: number;
  classes: number;
  /** smallest class released */
  achieved: number;
  risk: { max: number; average: number };
  seconds: number;
}

export async function informationLoss(rows = 100_000, ks = [2, 5, 10, 20, 50, 100]): Promise<LossRow[]> {
  const chunks = [...healthCsv(rows)];
  const out: LossRow[] = [];
  for (const k of ks) {
    const t0 = performance.now();
    const { report } = await anonymiseCsv(() => chunks, () => {}, { k });
    const quasi = report.columns.filter((c) => c.role === "quasi");
    out.push({
      k,
      loss: quasi.reduce((a, c) => a + c.loss, 0) / quasi.length,
      perQuasi: Object.fromEntries(quasi.map((c) => [c.name, c.loss])),
      suppressed: report.rows.suppressed,
      classes: report.classes,
      achieved: report.k,
      risk: report.risk,
      seconds: (performance.now() - t0) / 1000,
    });
  }
  return out;
}

// --- tables ---

const mib = (n: number) => `${(n / MiB).toLocaleString("en", { maximumFractionDigits: 0 })} MiB`;
const int = (n: number) => Math.round(n).toLocaleString("en");
const median = (xs: number[]) => quantiles(xs).median;

function grid(title: string, head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  return [title, line(head), w.map((x) => "-".repeat(x)).join("  "), ...rows.map(line), "", ""].join("\n");
}

export function nodeTable(r: { runs: NodeRun[]; inputBytes: number }): string {
  const rows = r.runs[0]?.rows ?? 0;
  return grid(
    `Anonymiser in Node, ${int(rows)} rows × 12 columns (${mib(r.inputBytes)} CSV), k = ${K}, Mondrian (${r.runs.length} runs, child process each; median)`,
    ["measure", "median", "min", "max"],
    [
      ["rows/s", int(median(r.runs.map((x) => x.rowsPerSecond))), int(Math.min(...r.runs.map((x) => x.rowsPerSecond))), int(Math.max(...r.runs.map((x) => x.rowsPerSecond)))],
      ["seconds", median(r.runs.map((x) => x.seconds)).toFixed(1), Math.min(...r.runs.map((x) => x.seconds)).toFixed(1), Math.max(...r.runs.map((x) => x.seconds)).toFixed(1)],
      ["peak RSS (VmHWM)", mib(median(r.runs.map((x) => x.peakRss))), mib(Math.min(...r.runs.map((x) => x.peakRss))), mib(Math.max(...r.runs.map((x) => x.peakRss)))],
      ["peak RSS sampled every 50 ms", mib(median(r.runs.map((x) => Math.max(x.sampledRss, x.parentSampledRss)))), mib(Math.min(...r.runs.map((x) => Math.max(x.sampledRss, x.parentSampledRss)))), mib(Math.max(...r.runs.map((x) => Math.max(x.sampledRss, x.parentSampledRss))))],
      ["RSS before the run", mib(median(r.runs.map((x) => x.baseRss))), mib(Math.min(...r.runs.map((x) => x.baseRss))), mib(Math.max(...r.runs.map((x) => x.baseRss)))],
      ["classes released (k achieved)", `${int(median(r.runs.map((x) => x.classes)))} (${median(r.runs.map((x) => x.k))})`, "", ""],
    ],
  );
}

export function browserTable(r: { runs: BrowserRun[]; browser: string; bundleBytes: number }): string {
  const rows = r.runs[0]?.rows ?? 0;
  const m = (f: (x: BrowserRun) => number) => r.runs.map(f);
  return grid(
    `Anonymiser in headless ${/Chromium [\d.]+/.exec(r.browser)?.[0] ?? "Chromium"}, ${int(rows)} rows × 12 columns in a Blob (${mib(r.runs[0]?.blobBytes ?? 0)}), k = ${K} (${r.runs.length} runs, fresh page each; median)`,
    ["measure", "median", "min", "max"],
    [
      ["rows/s", int(median(m((x) => x.rowsPerSecond))), int(Math.min(...m((x) => x.rowsPerSecond))), int(Math.max(...m((x) => x.rowsPerSecond)))],
      ["seconds", median(m((x) => x.seconds)).toFixed(1), Math.min(...m((x) => x.seconds)).toFixed(1), Math.max(...m((x) => x.seconds)).toFixed(1)],
      ["JS heap peak (used)", mib(median(m((x) => x.peakHeap))), mib(Math.min(...m((x) => x.peakHeap))), mib(Math.max(...m((x) => x.peakHeap)))],
      ["JS heap peak above the baseline", mib(median(m((x) => x.peakHeap - x.baseHeap))), mib(Math.min(...m((x) => x.peakHeap - x.baseHeap))), mib(Math.max(...m((x) => x.peakHeap - x.baseHeap)))],
      ["JS heap committed (total) peak", mib(median(m((x) => x.peakTotalHeap))), mib(Math.min(...m((x) => x.peakTotalHeap))), mib(Math.max(...m((x) => x.peakTotalHeap)))],
      ["JS heap before the run (Blob built)", mib(median(m((x) => x.baseHeap))), mib(Math.min(...m((x) => x.baseHeap))), mib(Math.max(...m((x) => x.baseHeap)))],
      [`SDK bundle (minified)`, `${(r.bundleBytes / 1024).toFixed(0)} KB`, "", ""],
    ],
  );
}

export function lossTable(rows: LossRow[], n: number): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  return grid(
    `Information loss against k, ${int(n)} rows (Mondrian, automatic classification; loss 0 = as given, 1 = nothing left)`,
    ["k", "avg loss", ...HEALTH_QUASI, "suppressed", "classes", "min class", "max risk", "avg risk", "s"],
    rows.map((r) => [String(r.k), r.loss.toFixed(3), ...HEALTH_QUASI.map((q) => (r.perQuasi[q] ?? 0).toFixed(3)), int(r.suppressed), int(r.classes), String(r.achieved), pct(r.risk.max), pct(r.risk.average), r.seconds.toFixed(1)]),
  );
}

/** Everything, as printed by `npm run bench`. */
export async function anonymiseReport(o: { runs?: number; rows?: number; lossRows?: number; browser?: boolean } = {}): Promise<string> {
  const runs = o.runs ?? 3, rows = o.rows ?? 1_000_000, lossRows = o.lossRows ?? 100_000;
  let out = nodeTable(await anonymiseNodeBench(runs, rows));
  if (o.browser !== false) {
    try {
      out += browserTable(await anonymiseBrowserBench(runs, rows));
    } catch (err) {
      out += `Anonymiser in Chromium: not measured (${(err as Error).message.split("\n")[0]})\n\n`;
    }
  }
  out += lossTable(await informationLoss(lossRows), lossRows);
  return out;
}

if (process.argv[2] === "--node-child") {
  await nodeChild(process.argv[3], process.argv[4], Number(process.argv[5]));
  process.exit(0);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  process.stdout.write(await anonymiseReport({ runs: arg("--runs"), rows: arg("--rows"), lossRows: arg("--loss-rows"), browser: !process.argv.includes("--skip-browser") }));
  process.exit(0);
}
