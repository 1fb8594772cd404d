// Load benchmark of the indexer's GraphQL over HTTP (autocannon): 10, 50 and 200 concurrent
// clients, over the demo catalogue and over N published products (BENCH_PRODUCTS, 10,000; served
// from PGlite and from a PostgreSQL server), each on a real local chain and indexed by the
// indexer in its own process (as npm start runs it, its
// per-IP rate limit lifted), so the load generator does not share its event loop. Two workloads:
// the catalogue page's queries repeated (what many visitors of the dApp send), and distinct
// queries (a price threshold that changes with every request, so none is answered from a cache).
// Run alone: `node --import tsx -e 'import("./bench/load.ts").then(async (m) => process.stdout.write(m.loadTable(await m.loadBench(200))))'`.
import autocannon from "autocannon";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger, configValue } from "@kraken/sdk/config";
import { PRODUCT_FIELDS } from "@kraken/sdk";
import { Supervisor } from "../scripts/lib/supervisor.ts";
import { startPostgres } from "../test/helpers/postgres.ts";
import { benchChain } from "./indexer.ts";
import { quantiles } from "./lib.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export type Workload = "repeated catalogue queries" | "distinct uncached queries";

export interface LoadRow {
  dataset: string;
  workload: Workload;
  clients: number;
  requests: number;
  perSecond: number;
  median: number;
  p95: number;
  p99: number;
  /** transport errors, timeouts, non-2xx answers and GraphQL errors */
  errors: number;
}

/** The targets of issue #18, at 200 clients; zero errors everywhere. */
export const LOAD_TARGETS: Record<Workload, { perSecond: number; p95: number; dataset?: "products" }> = {
  "repeated catalogue queries": { perSecond: 2000, p95: 150 },
  "distinct uncached queries": { perSecond: 300, p95: 500, dataset: "products" },
};

// What the dApp's catalogue page (dapp/src/pages/Explore.tsx) sends: the first page, newest first
// and by price, and a full-text search.
const BROWSE = `query Browse($where: Product_filter, $first: Int!, $skip: Int!, $orderBy: Product_orderBy, $dir: OrderDirection) {
  products(where: $where, first: $first, skip: $skip, orderBy: $orderBy, orderDirection: $dir) { ${PRODUCT_FIELDS} } }`;
const SEARCH = `query Search($text: String!, $where: Product_filter, $first: Int!) { productSearch(text: $text, where: $where, first: $first) { ${PRODUCT_FIELDS} } }`;
const CATALOGUE = [
  { query: BROWSE, operationName: "Browse", variables: { where: { active: true }, first: 13, skip: 0, orderBy: "createdAt", dir: "desc" } },
  { query: BROWSE, operationName: "Browse", variables: { where: { active: true, productType: "STREAM" }, first: 13, skip: 0, orderBy: "price", dir: "asc" } },
  { query: SEARCH, operationName: "Search", variables: { text: "glucose", where: { active: true }, first: 200 } },
];
/** A filter + sort by price + first 20 whose price threshold differs on every request. */
const distinct = (n: number) => ({
  query: BROWSE,
  operationName: "Browse",
  variables: { where: { active: true, price_gte: String(BigInt(n) * 1_000_000_007n) }, first: 20, skip: 0, orderBy: "price", dir: "asc" },
});

/** Runs one workload for `seconds` with `clients` connections. */
async function run(url: string, workload: Workload, clients: number, seconds: number): Promise<Omit<LoadRow, "dataset">> {
  let n = 0;
  let errors = 0;
  const onResponse = (status: number, body: string) => {
    if (status !== 200 || !body.startsWith('{"data"') || body.includes('"errors"')) errors++;
  };
  const headers = { "content-type": "application/json" };
  const requests = workload === "repeated catalogue queries"
    ? CATALOGUE.map((b) => ({ method: "POST" as const, headers, body: JSON.stringify(b), onResponse }))
    : [{ method: "POST" as const, headers, setupRequest: (r: autocannon.Request) => ({ ...r, body: JSON.stringify(distinct(++n)) }), onResponse }];
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections: clients, duration: seconds, requests, timeout: 30 }, (err, r) => (err ? reject(err) : resolve(r)));
    // autocannon emits (client, statusCode, bytes, responseTime ms); its types leave out the client
    instance.on("response", (...args: unknown[]) => latencies.push(args[3] as number));
  });
  const q = quantiles(latencies);
  const p99 = [...latencies].sort((a, b) => a - b)[Math.max(0, Math.ceil(0.99 * latencies.length) - 1)] ?? 0;
  return {
    workload,
    clients,
    requests: latencies.length,
    perSecond: Math.round(latencies.length / seconds),
    median: Math.round(q.median ?? 0),
    p95: Math.round(q.p95 ?? 0),
    p99: Math.round(p99),
    errors: errors + result.errors + result.timeouts + result.non2xx,
  };
}

/** Waits until the indexer at `url` has indexed `block`. */
async function caughtUp(url: string, block: bigint, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ _meta { block { number } } }" }) }).catch(() => null);
    const body = (await res?.json().catch(() => null)) as { data?: { _meta: { block: { number: number } } } } | null;
    if ((body?.data?._meta.block.number ?? -1) >= Number(block)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the indexer had not indexed block ${block} after ${timeoutMs / 1000} s`);
}

export async function loadBench(products = configValue("BENCH_PRODUCTS"), o: { clients?: number[]; seconds?: number; postgres?: boolean } = {}): Promise<LoadRow[]> {
  const clients = o.clients ?? [10, 50, 200];
  const seconds = o.seconds ?? 10;
  const rows: LoadRow[] = [];
  for (const size of ["demo", products] as const) {
    const chain = await benchChain(size);
    try {
      // The products are served from both stores: PGlite (one statement at a time, in the
      // indexer's process) and a PostgreSQL server (a pool of connections, several at once).
      const stores = size === "demo" || o.postgres === false ? ["PGlite"] : ["PGlite", "PostgreSQL"];
      for (const store of stores) {
        const dataset = size === "demo" ? "demo catalogue" : `${size.toLocaleString("en")} products, ${store}`;
        const pg = store === "PostgreSQL" ? await startPostgres() : undefined;
        const supervisor = new Supervisor({ root: ROOT, log: createLogger("bench"), env: { ...process.env, KRAKEN_LOG_LEVEL: "warn" } });
        try {
          const indexer = await supervisor.start({
            name: "indexer",
            entry: "indexer/src/main.ts",
            options: {
              rpcUrl: chain.rpcUrl, manifestFile: chain.manifestFile, dataDir: join(chain.dir, `indexer-${store}`), port: 0,
              ...(pg && { connectionString: await pg.createDatabase() }), rateLimits: { readsPerIp: { max: 1e9, windowMs: 1000 } },
            },
          });
          const url = String(indexer.info.url);
          await caughtUp(url, chain.head, 900_000);
          const workloads: Workload[] = size === "demo" ? ["repeated catalogue queries"] : ["repeated catalogue queries", "distinct uncached queries"];
          for (const workload of workloads) {
            await run(url, workload, 10, 2); // warm-up
            for (const c of clients) rows.push({ dataset, ...(await run(url, workload, c, seconds)) });
          }
        } finally {
          await supervisor.stopAll();
          await pg?.stop();
        }
      }
    } finally {
      await chain.stop();
    }
  }
  return rows;
}

/** The rows as a table, with each 200-client row checked against its target. */
export function loadTable(rows: readonly LoadRow[]): string {
  const head = ["dataset", "workload", "clients", "req/s", "median ms", "p95 ms", "p99 ms", "errors", "target (200 clients)"];
  const cells = rows.map((r) => {
    const t = LOAD_TARGETS[r.workload];
    const applies = r.clients === 200 && (!t.dataset || !r.dataset.startsWith("demo"));
    const met = r.perSecond >= t.perSecond && r.p95 <= t.p95 && r.errors === 0;
    const target = applies ? `≥ ${t.perSecond.toLocaleString("en")} req/s, p95 ≤ ${t.p95} ms: ${met ? "met" : "MISSED"}` : r.errors ? "errors!" : "";
    return [r.dataset, r.workload, String(r.clients), r.perSecond.toLocaleString("en"), String(r.median), String(r.p95), String(r.p99), String(r.errors), target];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i < 2 || i === 8 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join("  ").trimEnd();
  return [
    "Indexer GraphQL under load (autocannon over HTTP, the indexer in its own process, rate limit lifted)",
    line(head),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.map(line),
    "",
  ].join("\n");
}
