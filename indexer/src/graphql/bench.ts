// Query-latency benchmark: 10,000 published products with their consent policies, written the
// way the mappings write them (EntityCache → PgStore.applyBlock, 100 products per block), then
// realistic catalogue queries over HTTP: full-text + filters (ranked), and filters + sort.
// Run alone: `tsx indexer/src/graphql/bench.ts [products] [iterations]`.
import { fileURLToPath } from "node:url";
import { EntityCache } from "../store/cache.ts";
import { PgStore } from "../store/pg-store.ts";
import { startGraphqlServer } from "./server.ts";

export interface LatencyFigures {
  name: string;
  iterations: number;
  medianMs: number;
  p95Ms: number;
  meanMs: number;
  /** result count of the last run (sanity) */
  results: number;
}

export interface QueryBenchResult {
  products: number;
  policies: number;
  /** store write throughput while seeding (entities incl. accounts/stats per second) */
  seed: { ms: number; blocks: number; entitiesPerSec: number };
  queries: LatencyFigures[];
}

export interface QueryBenchOptions {
  products?: number;
  iterations?: number;
  /** PGlite data dir (default memory://) */
  dataDir?: string;
  schemaFile?: string;
  log?: (msg: string) => void;
}

const WORDS = (
  "heart rate sleep glucose diabetes cohort mobility gps traffic energy meter smart home wearable fitness running " +
  "cycling steps survey lifestyle hospital clinical trial genome blood pressure oxygen weight diet nutrition stress " +
  "mood mental air quality noise weather water usage retail purchase banking education learning school student " +
  "employment career recruitment insurance claims pharmacy prescription vaccine imaging radiology cardiology asthma " +
  "allergy pollen commute transit parking charging vehicle battery solar heating telemetry browsing search location"
).split(" ");
const CATEGORIES = ["Health", "Mobility", "Energy", "Research", "Sport", "Finance", "Education", "Environment"];
const TYPES = ["STREAM", "BATCH", "DATA_UNION", "ANALYTICS"];
const MODALITIES = ["ANONYMISED", "ENCRYPTED", "SMPC"];
const UNITS = ["ONE_TIME", "HOUR", "DAY", "WEEK", "MONTH"];
const PURPOSES = ["RESEARCH", "CLINICAL_TRIALS", "PUBLIC_HEALTH", "PRODUCT_DEVELOPMENT", "INSURANCE", "MARKETING", "EDUCATION", "RECRUITMENT", "AI_TRAINING", "WELLBEING_SERVICES", "STATISTICS"];
const COUNTRIES = ["DE", "GB", "FR", "IT", "ES", "NL", "BE", "PT", "SE", "DK"];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Seeds `products` products (+ one policy each) into `store` through the cache. */
export async function seedCatalogue(store: PgStore, products = 10_000, perBlock = 100): Promise<{ ms: number; blocks: number; entities: number }> {
  const rand = rng(42);
  const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)];
  const some = <T>(a: T[], n: number) => [...new Set(Array.from({ length: n }, () => pick(a)))];
  const cache = await EntityCache.load(store, { maxEntries: Infinity }); // seeding writes without the indexer: no miss-and-replay here
  const sellers = Array.from({ length: 200 }, (_, i) => "0x" + (0x1000 + i).toString(16).padStart(40, "0"));
  const t0 = performance.now();
  let block = 1;
  let entities = 0;
  const start = (await store.checkpoint()).block?.number ?? 0;
  for (let id = 1; id <= products; id++) {
    const seller = pick(sellers);
    const tags = some(WORDS, 3);
    const ts = BigInt(1_700_000_000 + id * 12);
    const sellerBytes = new Uint8Array(Buffer.from(seller.slice(2), "hex"));
    const existing = cache.get("Account", seller);
    cache.set("Account", seller, existing
      ? { productsPublished: (existing.productsPublished as number) + 1 }
      : { id: sellerBytes, productsPublished: 1, salesCount: 0, revenue: 0n, purchasesCount: 0, spent: 0n });
    const purposes = some(PURPOSES, 3);
    const jurisdictions = some(COUNTRIES, 2);
    const policy = {
      purposes, consumerCategories: rand() < 0.5 ? ["ORGANISATION"] : ["INDIVIDUAL", "ORGANISATION"],
      organisationTypes: rand() < 0.5 ? ["HOSPITAL"] : [], jurisdictions, requiresApproval: rand() < 0.3,
    };
    cache.set("Product", String(id), {
      id: String(id), productId: BigInt(id), seller: sellerBytes, productType: pick(TYPES), modality: pick(MODALITIES),
      title: `${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} data`, summary: Array.from({ length: 12 }, () => pick(WORDS)).join(" "),
      category: pick(CATEGORIES), tags, tagsText: tags.join(" "), metadataURI: `ipfs://bafy${id}`,
      price: BigInt(Math.floor(rand() * 1000)) * 10n ** 16n, pricingUnit: pick(UNITS), active: rand() < 0.9,
      deliveryAgents: [], threshold: 0, streams: [], createdAt: ts, updatedAt: ts, salesCount: 0, revenue: 0n,
      policy: `${id}-1`, ...policy,
    });
    cache.set("PolicyVersion", `${id}-1`, { id: `${id}-1`, product: String(id), version: 1, ...policy, retentionDays: 365, createdAt: ts });
    if (id % perBlock === 0 || id === products) {
      const changes = cache.takeChanges();
      entities += changes.length;
      const n = start + block++;
      await store.applyBlock({ number: n, hash: "0x" + n.toString(16).padStart(64, "0"), timestamp: 1_700_000_000 + n }, changes);
    }
  }
  return { ms: performance.now() - t0, blocks: block - 1, entities };
}

export const CATALOGUE_SEARCH = `query Search($text: String!, $where: Product_filter) {
  productSearch(text: $text, first: 20, where: $where) {
    id title summary category tags price pricingUnit productType modality createdAt
    seller { id }
    policy { purposes jurisdictions requiresApproval }
  }
}`;

export const CATALOGUE_BROWSE = `query Browse($where: Product_filter) {
  products(first: 20, where: $where, orderBy: price, orderDirection: desc) {
    id title summary category tags price pricingUnit productType modality createdAt
    seller { id }
    policy { purposes jurisdictions requiresApproval }
  }
}`;

/** Seeds the catalogue and measures query latency over HTTP (median, p95). */
export async function runQueryBenchmark(opts: QueryBenchOptions = {}): Promise<QueryBenchResult> {
  const products = opts.products ?? 10_000;
  const iterations = opts.iterations ?? 200;
  const log = opts.log ?? (() => {});
  const schemaFile = opts.schemaFile ?? fileURLToPath(new URL("../../../subgraph/schema.graphql", import.meta.url));
  const store = await PgStore.open({ schema: schemaFile, dataDir: opts.dataDir ?? "memory://", log });
  const server = await startGraphqlServer({ store, port: 0, cache: false }); // latency of running a query
  try {
    log(`seeding ${products} products with their policies…`);
    const seed = await seedCatalogue(store, products);
    log(`seeded in ${seed.ms.toFixed(0)} ms (${seed.blocks} blocks)`);
    await store.sql.exec("ANALYZE");
    const rand = rng(7);
    const cases: { name: string; query: string; vars: () => Record<string, unknown> }[] = [
      {
        name: "search: full-text + filters, ranked (first 20)",
        query: CATALOGUE_SEARCH,
        vars: () => ({
          text: WORDS[Math.floor(rand() * WORDS.length)],
          where: { active: true, productType_in: ["STREAM", "BATCH"], jurisdictions_contains: [COUNTRIES[Math.floor(rand() * 4)]], price_lte: "8000000000000000000" },
        }),
      },
      {
        name: "browse: filters + sort by price (first 20)",
        query: CATALOGUE_BROWSE,
        vars: () => ({
          where: { active: true, category: CATEGORIES[Math.floor(rand() * CATEGORIES.length)], purposes_contains: [PURPOSES[Math.floor(rand() * 3)]], price_gte: "1000000000000000000" },
        }),
      },
    ];
    const queries: LatencyFigures[] = [];
    for (const c of cases) {
      const run = async () => {
        const res = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: c.query, variables: c.vars() }) });
        const body = (await res.json()) as { data?: Record<string, unknown[]>; errors?: unknown[] };
        if (body.errors) throw new Error(`benchmark query failed: ${JSON.stringify(body.errors)}`);
        return Object.values(body.data!)[0].length;
      };
      for (let i = 0; i < 20; i++) await run(); // warm-up
      const times: number[] = [];
      let results = 0;
      for (let i = 0; i < iterations; i++) {
        const t = performance.now();
        results = await run();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const fig = {
        name: c.name,
        iterations,
        medianMs: percentile(times, 50),
        p95Ms: percentile(times, 95),
        meanMs: times.reduce((a, b) => a + b, 0) / times.length,
        results,
      };
      log(`${fig.name}: median ${fig.medianMs.toFixed(1)} ms, p95 ${fig.p95Ms.toFixed(1)} ms`);
      queries.push(fig);
    }
    return {
      products,
      policies: products,
      seed: { ms: seed.ms, blocks: seed.blocks, entitiesPerSec: (seed.entities / seed.ms) * 1000 },
      queries,
    };
  } finally {
    await server.stop();
    await store.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [products, iterations] = process.argv.slice(2).map(Number);
  runQueryBenchmark({ products: products || undefined, iterations: iterations || undefined, log: (m) => console.error(m) }).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
