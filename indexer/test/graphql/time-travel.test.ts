// Time travel: `block: { number }` and `block: { hash }` answer what the latest-block query
// answered when that block was the latest, for any indexed block, nested fields, filters through
// references, orderings by a reference's field, full-text search and `_meta` included. The
// answers are recorded while the dataset is written block by block, then asked again at the end.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryEngine, type MetaInfo } from "../../src/graphql/execute.ts";
import { EntityCache } from "../../src/store/cache.ts";
import type { PgStore } from "../../src/store/pg-store.ts";
import { BACKENDS, openBackend, type Backend } from "../backends.ts";
import { blockHash, bytes, SELLER_A, seed, T0 } from "./fixture.ts";

/** Queries whose answers change along the dataset; `$B` becomes the block argument. */
const QUERIES = [
  `{ products($B, first: 100, orderBy: price) { id title price active salesCount tags seller { id productsPublished salesCount } policy { id version } agreements { id status } } }`,
  `{ accounts($B, orderBy: id) { id productsPublished purchasesCount salesCount products(orderBy: createdAt) { id } } }`,
  `{ marketStats($B, id: "global") { products activeProducts agreements volume } }`,
  `{ productSearch($B, text: "wearable") { id } }`,
  `{ products($B, where: { seller_: { productsPublished_gte: 2 } }, orderBy: seller__salesCount, orderDirection: desc) { id } }`,
  `{ retractions($B) { id retracted product { id } } }`,
  `{ _meta($B) { block { number hash timestamp } } }`,
];
const at = (query: string, block: string) => query.replace("$B", `block: ${block}`);

describe.each(BACKENDS)("time travel on %s", (name) => {
  let db: Backend;
  let store: PgStore;
  let engine: QueryEngine;
  /** block → the answers of QUERIES when it was the latest */
  const recorded = new Map<number, unknown[]>();
  let head = 0;
  const run = async (query: string) => {
    const r = await engine.run({ query });
    return JSON.parse(JSON.stringify(r)) as { data?: any; errors?: { message: string }[] };
  };
  const record = async (block: number) => {
    head = block;
    recorded.set(block, await Promise.all(QUERIES.map(async (qt) => (await run(at(qt, `{ number: ${block} }`))).data)));
  };

  beforeAll(async () => {
    db = await openBackend(name);
    const meta = async (): Promise<MetaInfo> => {
      const cp = await store.checkpoint();
      return { block: cp.block, hasIndexingErrors: false, deployment: cp.deployment };
    };
    let cache: EntityCache;
    ({ store, cache } = await seed(await db.fresh(), async (block, s) => {
      store = s;
      engine ??= new QueryEngine(s, meta);
      await record(block);
    }));
    // Later blocks: a removal, a re-creation under the same id, and an update of a product.
    const write = async (change: () => void) => {
      change();
      const n = head + 1;
      await store.applyBlock({ number: n, hash: blockHash(n), timestamp: Number(T0) + n }, cache.takeChanges());
      await record(n);
    };
    await write(() => cache.remove("Retraction", `1-0x${"d4".padStart(40, "0")}`));
    await write(() => cache.set("Product", "2", { title: "Sleep diary 2025", price: 25n * 10n ** 18n, active: false }));
    await write(() => cache.set("Retraction", `1-0x${"d4".padStart(40, "0")}`, { id: `1-0x${"d4".padStart(40, "0")}`, product: "1", consumer: bytes("d4".padStart(40, "0")), retracted: false, updatedAt: T0 + 9000n }));
    await write(() => cache.set("Account", SELLER_A, { productsPublished: 99 }));
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await db?.stop();
  });

  it("answers at every indexed block what was answered when it was the latest", async () => {
    expect(head).toBe(17);
    for (const [block, answers] of recorded) {
      for (const [i, qt] of QUERIES.entries()) {
        expect((await run(at(qt, `{ number: ${block} }`))).data, `block ${block}: ${qt}`).toEqual(answers[i]);
        expect((await run(at(qt, `{ hash: "${blockHash(block)}" }`))).data, `block ${block} by hash: ${qt}`).toEqual(answers[i]);
      }
    }
    // the answers did change along the way (the test would otherwise prove little)
    expect(recorded.get(9)).not.toEqual(recorded.get(13));
    expect(recorded.get(14)![5]).toEqual({ retractions: [] });
    expect((recorded.get(16)![5] as any).retractions).toHaveLength(1);
  });

  it("sees nothing before the first block, and `_meta` gives the block asked for", async () => {
    expect((await run(`{ products(block: { number: 0 }) { id } accounts(block: { number: 0 }) { id } }`)).data).toEqual({ products: [], accounts: [] });
    expect((await run(`{ _meta(block: { number: 5 }) { block { number hash timestamp } } }`)).data).toEqual({
      _meta: { block: { number: 5, hash: blockHash(5), timestamp: Number(T0) + 5 } },
    });
  });

  it("refuses blocks not yet indexed, unknown or malformed hashes and negative numbers, clearly", async () => {
    const error = async (block: string) => (await run(`{ products(block: ${block}) { id } }`)).errors?.[0].message;
    expect(await error(`{ number: ${head + 1} }`)).toMatch(`only indexed up to block number ${head}`);
    expect(await error(`{ number: -1 }`)).toMatch(/must not be negative/);
    expect(await error(`{ hash: "${blockHash(999)}" }`)).toMatch(/not known to the indexer/);
    expect(await error(`{ hash: "0x1234" }`)).toMatch(/32 bytes of 0x-hex/);
    expect(await error(`{ hash: "0x${"00".repeat(31)}1' OR '1'='1" }`)).toMatch(/Bytes cannot represent/); // the scalar refuses it
    // …and nothing changed: the latest block still answers as before
    expect((await run(at(QUERIES[0], `{ number: ${head} }`))).data).toEqual(recorded.get(head)![0]);
  });
});

describe("several blocks written at once (the indexer's backfill)", () => {
  it("keeps each block's version, including an entity created and removed within the write", async () => {
    const { store, cache } = await seed();
    const engine = new QueryEngine(store, async () => {
      const cp = await store.checkpoint();
      return { block: cp.block, hasIndexingErrors: false };
    }, {}, async (b) => ("number" in b && b.number === 21 ? { number: 21, hash: blockHash(21), timestamp: 21 } : null));
    const blocks = [20, 21, 22, 23];
    const steps: Record<number, () => void> = {
      20: () => cache.set("Product", "3", { title: "Commuters 20" }),
      21: () => cache.set("Issuer", "0x" + "99".repeat(20), { id: bytes("99".repeat(20)), trusted: true, updatedAt: T0 }),
      22: () => {
        cache.set("Product", "3", { title: "Commuters 22" });
        cache.remove("Issuer", "0x" + "99".repeat(20));
      },
      23: () => cache.set("Product", "4", { price: 1n }),
    };
    for (const n of blocks) {
      cache.beginBlock();
      steps[n]();
      cache.endBlock(n);
    }
    // one write for all four; block 21's hash is not given: the resolver (the chain) knows it
    await store.applyBlock({ number: 23, hash: blockHash(23), timestamp: 23 }, cache.takeChanges(), [], [20, 22].map((n) => ({ number: n, hash: blockHash(n), timestamp: n })));
    const ask = async (n: number) => (await engine.run({ query: `{ product(id: "3", block: { number: ${n} }) { title } issuers(block: { number: ${n} }, where: { trusted: true }) { id } _meta(block: { number: ${n} }) { block { hash } } }` })).data;
    expect(await ask(13)).toEqual({ product: { title: "Commuter mobility union" }, issuers: [{ id: "0x" + "15".padStart(40, "0") }], _meta: { block: { hash: blockHash(13) } } });
    expect(await ask(20)).toMatchObject({ product: { title: "Commuters 20" }, issuers: [{}] });
    expect(await ask(21)).toEqual({ product: { title: "Commuters 20" }, issuers: [{ id: "0x" + "15".padStart(40, "0") }, { id: "0x" + "99".repeat(20) }], _meta: { block: { hash: blockHash(21) } } });
    expect(await ask(22)).toMatchObject({ product: { title: "Commuters 22" }, issuers: [{}] });
    expect((await engine.run({ query: `{ p22: product(id: "4", block: { number: 22 }) { price } p23: product(id: "4") { price } }` })).data).toEqual({ p22: { price: String(1000n * 10n ** 18n) }, p23: { price: "1" } });
    await store.close();
  });
});
