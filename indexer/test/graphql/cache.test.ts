// The per-block answer cache of the GraphQL server (src/graphql/cache.ts): the same answers as
// without it, dropped on a new block, bounded under a flood of distinct queries, and no help to
// abuse (timeouts and errors while running are not kept; big answers are not kept).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CoalescedReader, LruCache, ResultCache } from "../../src/graphql/cache.ts";
import { QueryEngine, type MetaInfo } from "../../src/graphql/execute.ts";
import { startGraphqlServer, type GraphqlServer } from "../../src/graphql/server.ts";
import { EntityCache } from "../../src/store/cache.ts";
import type { PgStore } from "../../src/store/pg-store.ts";
import { publish, seed, SELLER_A } from "./fixture.ts";

let store: PgStore;
let cached: GraphqlServer;
let uncached: GraphqlServer;

async function post(server: GraphqlServer, query: string, variables?: Record<string, unknown>, operationName?: string): Promise<string> {
  const res = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables, operationName }) });
  expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
  return res.text();
}

const meta = (s: PgStore) => async (): Promise<MetaInfo> => {
  const c = await s.checkpoint();
  return { block: c.block, hasIndexingErrors: c.hasIndexingErrors, deployment: c.deployment };
};

beforeAll(async () => {
  ({ store } = await seed());
  cached = await startGraphqlServer({ store, port: 0 });
  uncached = await startGraphqlServer({ store, port: 0, cache: false });
});
afterAll(async () => {
  await cached?.stop();
  await uncached?.stop();
  await store?.close();
});

const BROWSE = `query Browse($where: Product_filter, $first: Int!) { products(where: $where, first: $first, orderBy: price, orderDirection: asc) { id title price seller { id } policy { version } } }`;
const CASES: [string, Record<string, unknown>?, string?][] = [
  [BROWSE, { where: { active: true }, first: 5 }],
  [BROWSE, { where: { price_gte: "1000" }, first: 3 }],
  [`{ productSearch(text: "wearable", first: 10) { id title } _meta { block { number hash timestamp } hasIndexingErrors deployment } }`],
  [`query A { products(first: 2) { id } } query B { accounts(first: 2) { id productsPublished } }`, undefined, "B"],
  [`{ products(first: 2) { nope } }`], // invalid for every block: refused
  [`query Q($n: Int!) { products(first: $n) { id } }`, { n: "x" }], // invalid variables: refused
  [`{ products(first: 2, block: { number: 99999 }) { id } }`], // not indexed yet: an error while running
];

describe("answer cache", () => {
  it("answers byte for byte as without the cache, on a miss and on a hit", async () => {
    for (const [query, variables, op] of CASES) {
      const want = await post(uncached, query, variables, op);
      expect(await post(cached, query, variables, op)).toBe(want);
      expect(await post(cached, query, variables, op)).toBe(want);
    }
    // the first five cases are kept: answers and refusals, not the error while running
    expect(cached.cache!.size).toBe(CASES.length - 1);
    expect(cached.cache!.hits).toBeGreaterThanOrEqual(CASES.length - 1);
  });

  it("drops its answers when a block is written, so the next query sees the block (and _meta its number)", async () => {
    const q = `{ products(where: { title: "Cache test" }) { id title } _meta { block { number } } }`;
    const before = JSON.parse(await post(cached, q));
    expect(before.data.products).toEqual([]);
    expect(JSON.parse(await post(cached, q))).toEqual(before); // a hit
    const entities = await EntityCache.load(store);
    publish(entities, { id: 900, seller: SELLER_A, productType: "BATCH", modality: "ENCRYPTED", title: "Cache test", summary: "s", category: "c", tags: [], price: 1n, pricingUnit: "ONE_TIME" }, 1n);
    const n = before.data._meta.block.number + 1;
    await store.applyBlock({ number: n, hash: "0x" + n.toString(16).padStart(64, "f"), timestamp: n }, entities.takeChanges());
    const after = JSON.parse(await post(cached, q));
    expect(after.data).toEqual({ products: [{ id: "900", title: "Cache test" }], _meta: { block: { number: n } } });
    expect(await post(cached, q)).toBe(await post(uncached, q));
    expect(cached.cache!.size).toBe(1); // the answers of the older block are gone
  });

  it("stays within its bounds under 10,000 distinct queries, and so does the parsed-query cache", async () => {
    const maxBytes = 1 << 20;
    // the bounds are the cache's: an executor answering without the database keeps this fast
    const fixed = async (): Promise<MetaInfo> => ({ block: { number: 1, hash: "0x01" }, hasIndexingErrors: false });
    const cache = new ResultCache(fixed, async (req) => ({ data: { echo: JSON.stringify(req.variables).repeat(20) } }), { maxEntries: 300, maxBytes });
    let most = 0;
    for (let i = 0; i < 10_000; i++) {
      const a = await cache.answer({ query: BROWSE, variables: { where: { price_gte: String(i) }, first: 2 }, operationName: null });
      expect(a.cached).toBe(false);
      most = Math.max(most, cache.size);
      expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
    }
    expect(most).toBe(300);
    expect(cache.misses).toBe(10_000);

    // 10,000 distinct query texts, parsed and validated by the engine (_meta: no SQL)
    const engine = new QueryEngine(store, fixed);
    const status = fixed();
    for (let i = 0; i < 10_000; i++) {
      const r = await engine.run({ query: `{ a${i}: _meta { block { number } } }` }, status);
      expect(r.errors).toBeUndefined();
    }
    const docs = (engine as unknown as { docs: LruCache<unknown> }).docs;
    expect(docs.size).toBeLessThanOrEqual(500);
    expect(docs.bytes).toBeLessThanOrEqual(docs.maxBytes);
  }, 60_000);

  it("does not keep timeouts or answers too big to keep, and runs identical concurrent queries once", async () => {
    const slow = new QueryEngine(store, meta(store), { timeoutMs: -1 }); // every statement is past its deadline
    const c1 = new ResultCache(meta(store), (req, m) => slow.run(req, m));
    const q = { query: `{ products(first: 5) { id } }` };
    for (let i = 0; i < 3; i++) {
      const a = await c1.answer(q);
      expect(a).toMatchObject({ outcome: "error", cached: false });
      expect(a.body).toMatch(/took longer than -1 ms/);
    }
    expect(c1.misses).toBe(3);
    expect(c1.size).toBe(0);

    const engine = new QueryEngine(store, meta(store));
    const run = vi.fn((req, m) => engine.run(req, m));
    const c2 = new ResultCache(meta(store), run, { maxBytes: 8 * 1024 }); // one answer may use 1 KiB
    const big = { query: `{ products(first: 100) { id title summary tags } }` };
    expect((await c2.answer(big)).body.length).toBeGreaterThan(1024);
    expect((await c2.answer(big)).cached).toBe(false);
    expect(c2.size).toBe(0);

    run.mockClear();
    const same = { query: `{ accounts(first: 5) { id } }` };
    const answers = await Promise.all(Array.from({ length: 20 }, () => c2.answer(same)));
    expect(run).toHaveBeenCalledTimes(1);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
  });

  it("refuses a query over a limit the same way from the cache", async () => {
    const deep = `{ products { policy { product { policy { product { policy { product { policy { product { policy { product { id } } } } } } } } } } } }`;
    const want = await post(uncached, deep);
    expect(want).toMatch(/exceeds the limit/);
    expect(await post(cached, deep)).toBe(want);
    expect(await post(cached, deep)).toBe(want);
  });
});

describe("CoalescedReader", () => {
  it("gives each caller a read started after its call, one read for the callers that wait", async () => {
    let value = 0;
    let reads = 0;
    const gates: (() => void)[] = [];
    const reader = new CoalescedReader(async () => {
      reads++;
      const v = value;
      await new Promise<void>((r) => gates.push(r));
      return v;
    });
    const a = reader.read(); // starts read 1 (sees 0)
    value = 1;
    const b = reader.read(); // waits for read 2
    const c = reader.read(); // …the same read 2
    expect(reads).toBe(1);
    gates.shift()!();
    expect(await a).toEqual({ value: 0, seq: 1 });
    await new Promise((r) => setImmediate(r));
    expect(reads).toBe(2);
    gates.shift()!();
    expect(await b).toEqual({ value: 1, seq: 2 });
    expect(await c).toEqual({ value: 1, seq: 2 });
  });
});

describe("LruCache", () => {
  it("evicts the least recently used entry when over its entries or bytes, and refuses an entry over an eighth of its bytes", () => {
    const lru = new LruCache<number>(3, 800);
    lru.set("a", 1, 10);
    lru.set("b", 2, 10);
    lru.set("c", 3, 10);
    expect(lru.get("a")).toBe(1);
    lru.set("d", 4, 10); // evicts b
    expect([lru.get("b"), lru.size, lru.bytes]).toEqual([undefined, 3, 30]);
    expect(lru.set("e", 5, 101)).toBe(false);
    lru.set("f", 6, 100);
    lru.set("g", 7, 100);
    expect(lru.bytes).toBeLessThanOrEqual(800);
    expect(lru.get("a")).toBeUndefined(); // the least recently used went first
  });
});
