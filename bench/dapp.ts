// dApp benchmarks: bundle sizes of the production build (initial JS gzip against the 300 KB
// budget of issue 7, and the total), and, in headless Chromium against the real local stack,
// time to interactive and time to the first search result (median and p95 of 5 cold loads).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { launchBrowser } from "../test/browser/harness/browser.ts";
import { startMarketplace } from "../test/browser/harness/stack.ts";
import { quantiles, type Row } from "./lib.ts";

const dappRoot = join(import.meta.dirname, "..", "dapp");
export const INITIAL_JS_BUDGET_GZIP = 300 * 1024;

export interface BundleSizes {
  /** JS the browser loads before the first render: the entry script and its module preloads. */
  initialJsGzip: number;
  initialJs: number;
  /** Every JS chunk, including the lazily loaded ones (didkit wasm glue, Streamr client, …). */
  totalJsGzip: number;
  totalJs: number;
  /** Everything in the build (JS, CSS, wasm, images). */
  totalAssets: number;
  chunks: number;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Builds the production bundle (no demo wallet) into a temp dir and measures it. */
export async function bundleSizes(): Promise<BundleSizes> {
  const { build } = await import("vite");
  const outDir = mkdtempSync(join(tmpdir(), "kraken-dapp-build-"));
  try {
    await build({ root: dappRoot, configFile: join(dappRoot, "vite.config.ts"), mode: "production", logLevel: "error", build: { outDir, emptyOutDir: true } });
    const html = readFileSync(join(outDir, "index.html"), "utf8");
    const initial = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"/g)].map((m) => resolve(outDir, m[1]));
    const all = files(outDir);
    const js = all.filter((f) => f.endsWith(".js"));
    const gz = (f: string) => gzipSync(readFileSync(f), { level: 9 }).length;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    return {
      initialJsGzip: sum(initial.map(gz)),
      initialJs: sum(initial.map((f) => statSync(f).size)),
      totalJsGzip: sum(js.map(gz)),
      totalJs: sum(js.map((f) => statSync(f).size)),
      totalAssets: sum(all.map((f) => statSync(f).size)),
      chunks: js.length,
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

const kb = (n: number) => `${(n / 1024).toLocaleString("en", { maximumFractionDigits: 1 })} KB`;

export function bundleTable(s: BundleSizes): string {
  const rows = [
    ["initial JS (gzip)", kb(s.initialJsGzip)],
    ["initial JS (raw)", kb(s.initialJs)],
    [`all JS, ${s.chunks} chunks (gzip)`, kb(s.totalJsGzip)],
    [`all JS, ${s.chunks} chunks (raw)`, kb(s.totalJs)],
    ["whole build (raw)", kb(s.totalAssets)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    "dApp bundle (production build, no demo wallet)",
    `${"bundle".padEnd(w)}  ${"size".padStart(10)}`,
    `${"-".repeat(w)}  ${"-".repeat(10)}`,
    ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v.padStart(10)}`),
    `initial JS ${kb(s.initialJsGzip)} gzip (budget ${kb(INITIAL_JS_BUDGET_GZIP)}): ${s.initialJsGzip <= INITIAL_JS_BUDGET_GZIP ? "within budget" : "OVER BUDGET"}`,
    "",
  ].join("\n");
}

/**
 * Cold loads of the Explore page (new browser context each time: empty cache, no service
 * worker) against the local stack:
 * - time to interactive: navigation start → the search box is enabled and the main thread has
 *   been idle (first requestIdleCallback after it appeared);
 * - time to first search result: navigation start of `#/explore?q=<term>` → the first result
 *   card is on screen.
 */
export async function pageTimings(runs = 5, term = "diabetes"): Promise<Row[]> {
  const stack = await startMarketplace();
  const browser = await launchBrowser();
  // Records, in the page's own clock (ms since navigation start), when a selector first matches.
  const marks = () => {
    const w = window as unknown as { __marks: Record<string, number> };
    w.__marks = {};
    const watch: [string, string][] = [["searchbox", "input[type=search]:not([disabled])"], ["result", ".product-card"]];
    new MutationObserver(() => {
      for (const [name, sel] of watch) if (!(name in w.__marks) && document.querySelector(sel)) w.__marks[name] = performance.now();
    }).observe(document, { childList: true, subtree: true, attributes: true });
  };
  const load = async (route: string, mark: string) => {
    const { page, context } = await browser.newPage(stack.origins); // new context: cold cache
    await page.addInitScript(marks);
    await page.goto(`${stack.urls.dapp}/#${route}`);
    await page.waitForFunction((m) => (window as unknown as { __marks: Record<string, number> }).__marks[m] !== undefined, mark, { timeout: 30_000 });
    // Interactive: the main thread is idle once the control is there (first idle callback).
    const t = await page.evaluate(
      (m) =>
        new Promise<{ at: number; idle: number }>((r) =>
          requestIdleCallback(() => r({ at: (window as unknown as { __marks: Record<string, number> }).__marks[m], idle: performance.now() }), { timeout: 10_000 }),
        ),
      mark,
    );
    await context.close();
    return t;
  };
  try {
    const tti: number[] = [];
    const firstResult: number[] = [];
    for (let i = 0; i <= runs; i++) {
      // run 0 warms the servers (file cache, indexer query plans) and is dropped
      const a = await load("/explore", "searchbox");
      const b = await load(`/explore?q=${encodeURIComponent(term)}`, "result");
      if (i > 0) {
        tti.push(a.idle);
        firstResult.push(b.at);
      }
    }
    const r = (xs: number[]) => {
      const q = quantiles(xs);
      return { median: Math.round(q.median), p95: Math.round(q.p95) };
    };
    return [
      { operation: "time to interactive (Explore, cold load)", ...r(tti) },
      { operation: `time to first search result ("${term}", cold load)`, ...r(firstResult) },
    ];
  } finally {
    await browser.close();
    await stack.stop();
  }
}

// `npx tsx bench/dapp.ts`: this benchmark alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { table } = await import("./lib.ts");
  process.stdout.write(bundleTable(await bundleSizes()));
  process.stdout.write(table("dApp in headless Chromium on the local stack (5 cold loads)", "ms", await pageTimings(5)));
  process.exit(0);
}
