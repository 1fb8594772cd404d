// Indexer benchmarks on a real local chain: backfill throughput over 10,000 published products
// and their policies, freshness (mined → visible in a query) and catalogue query latency, on
// each store in the same run against the same chain: PGlite (embedded, the default) and a
// PostgreSQL server (a throw-away local cluster).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, encodeFunctionData, http, parseEther, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { catalogueAbi, clientsFor, DEV_MNEMONIC, marketplaceChain, Modality, policiesAbi, PricingUnit, ProductType, Purpose, Category, OrganisationType, TARGET_COUNTRIES, toPolicyArgs } from "@kraken/sdk";
import { startChain } from "../chain/src/index.ts";
import { ensureDeployment } from "../scripts/lib/deployment.ts";
import { buildSubgraph } from "../subgraph/scripts/build.ts";
import { startIndexer } from "../indexer/src/index.ts";
import { startPostgres } from "../test/helpers/postgres.ts";
import { quantiles, time, type Row } from "./lib.ts";
import { configValue } from "@kraken/sdk/config";

const WORDS = ["heart", "glucose", "sleep", "steps", "oncology", "radiology", "cohort", "grades", "enrollment", "vitals", "asthma", "diabetes", "wearable", "clinic", "students", "courses"];
const CATEGORIES = ["Health / Clinical", "Health / Imaging", "Wellbeing / Wearables", "Education / Certificates", "Health / Laboratory"];

export type IndexerStoreName = "PGlite" | "PostgreSQL";
export interface IndexerFigures {
  store: IndexerStoreName;
  rows: Row[];
  backfill: { events: number; seconds: number; perSecond: number; startupMs: number; blocks: number };
}

/** A local chain with the marketplace deployed and `products` published (each with a consent
 * policy) by one seller, or the demo catalogue when `products` is "demo"; the subgraph built
 * for it. Shared by the indexer and load benchmarks. `stop` stops the chain and removes its files. */
export interface BenchChain {
  dir: string;
  rpcUrl: string;
  manifestFile: string;
  /** the chain head once everything is mined */
  head: bigint;
  seller: ReturnType<typeof mnemonicToAccount>;
  catalogue: Hex;
  stop(): Promise<void>;
}

export async function benchChain(products: number | "demo"): Promise<BenchChain> {
  const dir = mkdtempSync(join(tmpdir(), "kraken-bench-indexer-"));
  const port = 30000 + Math.floor(Math.random() * 20000);
  const chain = await startChain({ port, dataDir: join(dir, "chain"), log: () => {} });
  const stop = async () => {
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { deployment } = await ensureDeployment({ rpcUrl: chain.rpcUrl, network: "localhost", deploymentsDir: join(dir, "deployments"), seed: products === "demo", log: () => {} });
    const rpc = createPublicClient({ transport: http(chain.rpcUrl) });
    const seller = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 2 });
    if (products !== "demo") await publishProducts(chain.rpcUrl, deployment.contracts.Catalogue.address, deployment.contracts.Policies.address, seller, products);
    return { dir, rpcUrl: chain.rpcUrl, manifestFile: buildSubgraph(deployment), head: await rpc.getBlockNumber(), seller, catalogue: deployment.contracts.Catalogue.address, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Publishes N products and a policy for each, 100 transactions per block (under the gas limit).
 * A block's transactions are sent concurrently (explicit nonces, no retries that could send one
 * twice): several times faster than one at a time, which matters from 100,000 products on. */
export async function publishProducts(rpcUrl: string, catalogue: Hex, policies: Hex, seller: ReturnType<typeof mnemonicToAccount>, products: number): Promise<void> {
  const rpc = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 120_000 }) });
  // Raw JSON-RPC: anvil and txpool methods, which viem's public client does not type.
  const call = (method: string, params: unknown[] = []) => rpc.request<{ Parameters: unknown[]; ReturnType: unknown }>({ method, params });
  await call("evm_setAutomine", [false]);
  let sending: Promise<unknown>[] = [];
  let nonce = await rpc.getTransactionCount({ address: seller.address });
  const send = (to: Hex, data: Hex) => call("eth_sendTransaction", [{ from: seller.address, to, data, gas: "0x7a120", nonce: `0x${(nonce++).toString(16)}` }]);
  const policy = { purposes: [Purpose.Research, Purpose.PublicHealth], consumerCategories: [Category.Organisation], organisationTypes: [OrganisationType.ResearchUniversity, OrganisationType.Hospital], jurisdictions: TARGET_COUNTRIES, requiresApproval: false, retentionDays: 365 };
  for (let i = 1; i <= products; i++) {
    const words = [WORDS[i % WORDS.length], WORDS[(i * 7) % WORDS.length], WORDS[(i * 11) % WORDS.length]];
    sending.push(send(catalogue, encodeFunctionData({ abi: catalogueAbi, functionName: "publish", args: [ProductType.Stream, Modality.Anonymised, parseEther(String(1 + (i % 97))), PricingUnit.Day, [], 0, { metadataURI: `ipfs://bafkreibench${i}`, title: `${words[0]} ${words[1]} dataset ${i}`, summary: `Daily ${words[2]} readings from cohort ${i}`, category: CATEGORIES[i % CATEGORIES.length], tags: words }, []] })));
    sending.push(send(policies, encodeFunctionData({ abi: policiesAbi, functionName: "setPolicy", args: toPolicyArgs(BigInt(i), policy) })));
    if (i % 50 === 0) {
      await Promise.all(sending);
      sending = [];
      await call("evm_mine");
    }
  }
  await Promise.all(sending);
  while (Number(((await call("txpool_status")) as { pending: Hex }).pending) > 0) await call("evm_mine");
  await call("evm_setAutomine", [true]);
}

export async function indexerBench(products = configValue("BENCH_PRODUCTS"), stores: readonly IndexerStoreName[] = ["PGlite", "PostgreSQL"]): Promise<IndexerFigures[]> {
  const c = await benchChain(products);
  try {
    const out: IndexerFigures[] = [];
    for (const store of stores) out.push(await measure(store, { rpcUrl: c.rpcUrl, manifestFile: c.manifestFile, dataDir: join(c.dir, `indexer-${store}`), head: c.head, products, seller: c.seller, catalogue: c.catalogue }));
    return out;
  } finally {
    await c.stop();
  }
}

interface MeasureOptions {
  rpcUrl: string;
  manifestFile: string;
  dataDir: string;
  head: bigint;
  products: number;
  seller: ReturnType<typeof mnemonicToAccount>;
  catalogue: Hex;
}

/** Backfills a new indexer on `store` up to `head`, then measures freshness and two queries. */
async function measure(store: IndexerStoreName, o: MeasureOptions): Promise<IndexerFigures> {
  const pg = store === "PostgreSQL" ? await startPostgres() : undefined;
  try {
    const connectionString = pg ? await pg.createDatabase() : undefined;
    // Backfill from scratch.
    const tStart = performance.now();
    const indexer = await startIndexer({ rpcUrl: o.rpcUrl, manifestFile: o.manifestFile, dataDir: o.dataDir, connectionString, port: 0, log: configValue("BENCH_LOG") ? (l) => process.stderr.write(`${l}\n`) : () => {} });
    const startupMs = Math.round(performance.now() - tStart); // new embedded database, mappings loaded
    const t0 = performance.now();
    await indexer.waitFor(o.head, 600_000);
    const seconds = (performance.now() - t0) / 1000;
    const events = indexer.status().events;

    const query = async (q: string) => {
      const res = await fetch(indexer.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: q }) });
      const body = await res.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };

    // Freshness: a product published now, from mined to visible in a query.
    const { wallet, publicClient } = clientsFor(marketplaceChain(o.rpcUrl), o.seller, 5);
    const fresh: number[] = [];
    for (let i = 0; i < 30; i++) {
      const title = `fresh product ${i} ${Date.now()}`;
      const hash = await wallet.writeContract({ address: o.catalogue, abi: catalogueAbi, functionName: "publish", args: [ProductType.Batch, Modality.Encrypted, 0n, PricingUnit.OneTime, [o.seller.address], 1, { metadataURI: "ipfs://bafkreifresh", title, summary: "s", category: "c", tags: [] }, []] });
      await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 5 });
      const mined = performance.now();
      for (;;) {
        const data = await query(`{ products(where: { title: ${JSON.stringify(title)} }) { id } }`);
        if (data.products.length) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      fresh.push(performance.now() - mined);
    }
    const f = quantiles(fresh);

    // a price bound a wei apart on every run: each query runs (the server caches answers per block)
    let n = 0;
    const search = await time(100, async () => {
      await query(`{ productSearch(text: "glucose", where: { active: true, category: "Health / Clinical", price_lte: "${60n * 10n ** 18n + BigInt(n++)}" }, first: 20) { id title price seller { id } } }`);
    });
    const filterSort = await time(100, async () => {
      await query(`{ products(where: { productType: STREAM, jurisdictions_contains: ["DE"], purposes_contains: [RESEARCH], price_gte: "${10n * 10n ** 18n + BigInt(n++)}" }, orderBy: price, orderDirection: asc, first: 20, skip: 40) { id title price policy { version } } }`);
    });
    // Time travel: the same query at a block half-way through the backfill, where the current
    // rows written by then and the history rows valid then are read together.
    const mid = Number(o.head) >> 1;
    const timeTravel = await time(100, async () => {
      await query(`{ products(block: { number: ${mid} }, where: { productType: STREAM, jurisdictions_contains: ["DE"], purposes_contains: [RESEARCH], price_gte: "${10n * 10n ** 18n + BigInt(n++)}" }, orderBy: price, orderDirection: asc, first: 20, skip: 40) { id title price policy { version } } }`);
    });
    await indexer.stop();
    return {
      store,
      backfill: { events, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round(events / seconds), startupMs, blocks: Number(o.head) },
      rows: [
        { operation: "freshness: mined → visible in a query (30 publishes)", median: Math.round(f.median), p95: Math.round(f.p95) },
        { operation: `query: full-text + filters over ${o.products.toLocaleString("en")} products, first 20`, ...search },
        { operation: `query: filters + sort by price + skip, first 20`, ...filterSort },
        { operation: `time travel: the same at block ${mid.toLocaleString("en")} (of ${Number(o.head).toLocaleString("en")})`, ...timeTravel },
      ],
    };
  } finally {
    await pg?.stop();
  }
}

/** PostgreSQL against PGlite, figure by figure, with the ratio PostgreSQL / PGlite. */
export function indexerComparison(figures: readonly IndexerFigures[]): string {
  const lite = figures.find((f) => f.store === "PGlite");
  const server = figures.find((f) => f.store === "PostgreSQL");
  if (!lite || !server) return "";
  const rows: [string, number, number][] = [
    ["backfill, events/s (higher is better)", lite.backfill.perSecond, server.backfill.perSecond],
    ["start-up with a new database, ms", lite.backfill.startupMs, server.backfill.startupMs],
    ...lite.rows.map((row, i): [string, number, number] => [`${row.operation}, median ms`, Number(row.median), Number(server.rows[i].median)]),
  ];
  const width = Math.max(...rows.map(([op]) => op.length));
  const n = (v: number) => v.toLocaleString("en").padStart(10);
  return [
    "Indexer: PostgreSQL server vs PGlite (same chain, same run)",
    `${"figure".padEnd(width)}  ${"PGlite".padStart(10)}  ${"PostgreSQL".padStart(10)}  ${"ratio".padStart(6)}`,
    `${"-".repeat(width)}  ${"-".repeat(10)}  ${"-".repeat(10)}  ${"-".repeat(6)}`,
    ...rows.map(([op, a, b]) => `${op.padEnd(width)}  ${n(a)}  ${n(b)}  ${(a ? `×${(b / a).toFixed(2)}` : "n/a").padStart(6)}`),
    "",
  ].join("\n");
}
