// Indexer memory scaling: backfills N products + their policies (bench/indexer.ts publishes them)
// with the indexer in its own process (indexer/src/main.ts, PGlite), and reports throughput and
// the process's peak RSS (VmHWM). The entity cache is bounded, so the peak should not grow with N.
// `npm run bench` runs it at 10,000 and 100,000 products; `npm run bench:scale` at 1,000,000
// (or the sizes given as arguments: `npm run bench:scale -- 10000 100000`).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, http } from "viem";
import { startChain } from "../chain/src/index.ts";
import { ensureDeployment } from "../scripts/lib/deployment.ts";
import { buildSubgraph } from "../subgraph/scripts/build.ts";
import { mnemonicToAccount } from "viem/accounts";
import { DEV_MNEMONIC, type Deployment } from "@kraken/sdk";
import { publishProducts } from "./indexer.ts";

const root = resolve(fileURLToPath(import.meta.url), "..", "..");

export interface ScaleFigures {
  products: number;
  events: number;
  blocks: number;
  /** seeding the chain (0 when a kept chain was reused) */
  seedSeconds: number;
  backfillSeconds: number;
  perSecond: number;
  peakRssMiB: number;
}

export interface ScaleOptions {
  /** keep the seeded chain here and reuse it on the next run with the same size */
  chainDir?: string;
  /** extra node flags for the indexer process, e.g. ["--cpu-prof", "--cpu-prof-dir=…"] */
  nodeFlags?: string[];
  /** the indexer's entry (default indexer/src/main.ts): another build, for before/after runs */
  entry?: string;
  /** entity cache bound of the indexer (default: its own default) */
  cacheEntities?: number;
  log?: (line: string) => void;
}

export async function scaleBench(products: number, o: ScaleOptions = {}): Promise<ScaleFigures> {
  const log = o.log ?? ((l: string) => process.stderr.write(`[bench:scale] ${l}\n`));
  const dir = mkdtempSync(join(tmpdir(), "kraken-bench-scale-"));
  const chainDir = o.chainDir ? resolve(o.chainDir, String(products)) : join(dir, "chain");
  const reuse = existsSync(join(chainDir, "chain", "state.json"));
  const port = 30000 + Math.floor(Math.random() * 20000);
  mkdirSync(chainDir, { recursive: true });
  const chain = await startChain({ port, dataDir: join(chainDir, "chain"), log: () => {} });
  try {
    // A kept chain keeps its deployment, even when the contracts changed since (their events did not).
    const deployment: Deployment = reuse
      ? JSON.parse(readFileSync(join(chainDir, "deployments", "localhost.json"), "utf8"))
      : (await ensureDeployment({ rpcUrl: chain.rpcUrl, network: "localhost", deploymentsDir: join(chainDir, "deployments"), seed: false, log: () => {} })).deployment;
    const t = performance.now();
    const seller = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 2 });
    if (!reuse) await publishProducts(chain.rpcUrl, deployment.contracts.Catalogue.address, deployment.contracts.Policies.address, seller, products);
    const head = await createPublicClient({ transport: http(chain.rpcUrl) }).getBlockNumber();
    const seedSeconds = reuse ? 0 : (performance.now() - t) / 1000;
    if (!reuse) log(`seeded ${products.toLocaleString("en")} products in ${seedSeconds.toFixed(0)} s`);
    const manifestFile = buildSubgraph(deployment);
    const run = await backfillInChild({ rpcUrl: chain.rpcUrl, manifestFile, dataDir: join(dir, "indexer"), head: Number(head), nodeFlags: o.nodeFlags, cacheEntities: o.cacheEntities, entry: o.entry });
    return { products, blocks: Number(head), seedSeconds: Math.round(seedSeconds), ...run };
  } finally {
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the indexer process, waits until it indexed `head`, stops it; time from its start-up. */
async function backfillInChild(o: { rpcUrl: string; manifestFile: string; dataDir: string; head: number; nodeFlags?: string[]; cacheEntities?: number; entry?: string }) {
  const port = 30000 + Math.floor(Math.random() * 20000);
  const config = { rpcUrl: o.rpcUrl, manifestFile: o.manifestFile, dataDir: o.dataDir, port, host: "127.0.0.1", ...(o.cacheEntities ? { cacheEntities: o.cacheEntities } : {}) };
  const child = spawn(process.execPath, [...(o.nodeFlags ?? []), "--import", "tsx", resolve(root, o.entry ?? "indexer/src/main.ts")], {
    cwd: root,
    env: { ...process.env, KRAKEN_SERVICE_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  let peakKiB = 0;
  const hwm = () => {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
    if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
  };
  const metric = async (name: string): Promise<number | null> => {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => "");
    const m = new RegExp(`^kraken_indexer_${name}(\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
    return m ? Number(m[2]) : null;
  };
  try {
    let t0 = 0;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the indexer ended (${child.exitCode}): ${stderr}`);
      const block = await metric("indexed_block");
      if (block !== null && !t0) t0 = performance.now(); // serving: start-up done
      if (block !== null && block >= o.head) break;
      if (stderr.includes("indexing stopped")) throw new Error(`indexing failed: ${stderr}`);
      hwm();
      await new Promise((r) => setTimeout(r, 250));
    }
    const backfillSeconds = (performance.now() - t0) / 1000;
    const events = (await metric("events_total")) ?? 0;
    hwm();
    return { events, backfillSeconds: Math.round(backfillSeconds * 10) / 10, perSecond: Math.round(events / backfillSeconds), peakRssMiB: Math.round(peakKiB / 1024) };
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

/** The figures as a table, with each size's peak RSS against the smallest size's. */
export function scaleTable(figures: readonly ScaleFigures[]): string {
  const base = figures[0];
  const rows = figures.map((f) => [
    f.products.toLocaleString("en"), f.events.toLocaleString("en"), f.backfillSeconds.toFixed(1), f.perSecond.toLocaleString("en"),
    String(f.peakRssMiB), base ? `×${(f.peakRssMiB / base.peakRssMiB).toFixed(2)}` : "", f.seedSeconds ? String(f.seedSeconds) : "reused",
  ]);
  const head = ["products", "events", "backfill s", "events/s", "peak RSS MiB", "vs first", "seed s"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join("  ");
  const spread = figures.length > 1 ? Math.max(...figures.map((f) => Math.abs(f.peakRssMiB / base.peakRssMiB - 1))) : null;
  const verdict = spread === null
    ? "one size only (set BENCH_SCALE_PRODUCTS for a second)"
    : `peak RSS within ±20 % of the first size (issue #18): ${spread <= 0.2 ? "met" : "MISSED"} (largest difference ${(spread * 100).toFixed(0)} %)`;
  return ["Indexer memory scaling (PGlite, indexer in its own process)", line(head), line(w.map((n) => "-".repeat(n))), ...rows.map(line), verdict, ""].join("\n");
}
