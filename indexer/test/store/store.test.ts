import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntityCache } from "../../src/store/cache.ts";
import { PgStore } from "../../src/store/pg-store.ts";
import { loadSchema, parseSchema } from "../../src/store/schema.ts";
import { BACKENDS, openBackend, type Backend } from "../backends.ts";
import { CONSUMER_C, bytes, SCHEMA_FILE, seed, SELLER_A } from "../graphql/fixture.ts";

/** Unset optional fields read back as null. */
const withNulls = (store: PgStore, entity: string, d: Record<string, unknown>) =>
  Object.fromEntries(store.entity(entity).stored.map((f) => [f.name, d[f.name] ?? null]));

describe("schema model", () => {
  it("parses entities, enums, references, derived fields and the fulltext definition", () => {
    const m = loadSchema(SCHEMA_FILE);
    const product = m.entities.get("Product")!;
    expect(product.table).toBe("product");
    expect(product.immutable).toBe(false);
    expect(m.entities.get("PolicyVersion")!.immutable).toBe(true);
    expect(m.entities.get("PolicyVersion")!.table).toBe("policy_version");
    expect(product.fieldMap.get("seller")).toMatchObject({ kind: "entity", type: "Account", list: false, nonNull: true });
    expect(product.fieldMap.get("policy")).toMatchObject({ kind: "entity", type: "PolicyVersion", nonNull: false });
    expect(product.fieldMap.get("policyVersions")).toMatchObject({ kind: "entity", list: true, derivedFrom: "product" });
    expect(product.fieldMap.get("purposes")).toMatchObject({ kind: "enum", type: "Purpose", list: true });
    expect(product.fieldMap.get("deliveryAgents")).toMatchObject({ kind: "scalar", type: "Bytes", list: true });
    expect(product.stored.map((f) => f.name)).not.toContain("agreements");
    expect(m.entities.get("Account")!.idType).toBe("Bytes");
    expect(m.enums.get("ProductType")).toEqual(["STREAM", "BATCH", "DATA_UNION", "ANALYTICS"]);
    expect(m.fulltext).toEqual([
      expect.objectContaining({ name: "productSearch", entity: "Product", config: "english", algorithm: "rank", fields: ["title", "summary", "category", "tagsText"] }),
    ]);
  });

  it("rejects a @derivedFrom that names no back-reference", () => {
    expect(() =>
      parseSchema(`type A @entity { id: ID! bs: [B!]! @derivedFrom(field: "nope") } type B @entity { id: ID! a: A! }`),
    ).toThrow(/derivedFrom/);
  });
});

describe("EntityCache", () => {
  const model = loadSchema(SCHEMA_FILE);
  const stats = { id: "global", products: 1, activeProducts: 1, agreements: 0, volume: 5n, sellers: 1, consumers: 0, buyers: 0 };

  it("merges sets like graph-node, records changes and rolls back", () => {
    const c = new EntityCache(model);
    c.set("MarketStats", "global", stats);
    c.set("MarketStats", "global", { products: 2 });
    expect(c.get("MarketStats", "global")).toEqual({ ...stats, products: 2 });
    expect(c.takeChanges()).toEqual([{ entity: "MarketStats", id: "global", data: { ...stats, products: 2 }, stored: false }]); // new: no earlier version
    expect(c.takeChanges()).toEqual([]);
    expect(c.getInBlock("MarketStats", "global")).toBeNull();
    c.set("MarketStats", "global", { products: 3 });
    expect(c.getInBlock("MarketStats", "global")!.products).toBe(3);
    c.set("Issuer", "0xAB", { id: bytes("0xab"), trusted: true, updatedAt: 1n });
    expect(c.get("Issuer", "0xab")).not.toBeNull(); // Bytes ids are lowercase hex
    c.discardChanges();
    expect(c.get("MarketStats", "global")!.products).toBe(2);
    expect(c.get("Issuer", "0xab")).toBeNull();
    c.remove("MarketStats", "global");
    expect(c.takeChanges()).toEqual([{ entity: "MarketStats", id: "global", data: null }]);
    // created then removed within one block: no change at all
    c.set("Issuer", "0xab", { id: bytes("0xab"), trusted: true, updatedAt: 1n });
    c.remove("Issuer", "0xab");
    expect(c.takeChanges()).toEqual([]);
  });

  it("get returns copies", () => {
    const c = new EntityCache(model);
    c.set("MarketStats", "global", stats);
    const got = c.get("MarketStats", "global")!;
    got.products = 99;
    expect(c.get("MarketStats", "global")!.products).toBe(1);
  });

  it("validates types, fields and required values", () => {
    const c = new EntityCache(model);
    expect(() => c.set("Nope", "1", {})).toThrow(/not part of the schema/);
    expect(() => c.set("MarketStats", "global", { ...stats, bogus: 1 })).toThrow(/unknown field `bogus`/);
    expect(() => c.set("MarketStats", "global", { id: "global", products: 1 })).toThrow(/missing value for non-nullable field `activeProducts`/);
    expect(() => c.set("Product", "1", { agreements: [] })).toThrow(/derived/);
    expect(c.takeChanges()).toEqual([]);
  });
});

describe.each(BACKENDS)("PgStore on %s", (name) => {
  let db: Backend;
  beforeAll(async () => {
    db = await openBackend(name);
  });
  afterAll(async () => {
    await db?.stop();
  });

  it("round-trips every value type through applyBlock and loadAll", async () => {
    const store = await PgStore.fromSdl(
      `enum Color { RED GREEN }
       type Thing @entity { id: Bytes! s: String i: Int! i8: Int8 b: BigInt bd: BigDecimal by: Bytes ok: Boolean
         ts: Timestamp c: Color cs: [Color!] ss: [String!] bs: [BigInt!] bys: [Bytes!] other: Other others: [Other!] }
       type Other @entity { id: ID! things: [Thing!]! @derivedFrom(field: "other") }`,
      { ...(await db.fresh()), log: () => {} },
    );
    const thing = {
      id: bytes("0xabcdef"), s: "héllo 'quoted' \"x\"", i: -7, i8: 9007199254740993n, b: -(10n ** 40n), bd: { bigDecimal: "3.14159" },
      by: bytes("0x00ff"), ok: false, ts: 1_700_000_000_000_000n, c: "GREEN", cs: ["RED", "GREEN"], ss: ["a,b", "{c}", "NULL"],
      bs: [1n, 10n ** 30n], bys: [bytes("0x01"), bytes("0x0203")], other: "o1", others: ["o1", "o2"],
    };
    const cache = new EntityCache(store.model);
    cache.set("Thing", "0xABCDEF", thing);
    cache.set("Other", "o1", { id: "o1" });
    await store.applyBlock({ number: 7, hash: "0x07", timestamp: 70 }, cache.takeChanges());
    // the database is the one named: a server answers on a port, PGlite is compiled by Emscripten
    const [{ v, port }] = (await store.sql.query<{ v: string; port: number | null }>("SELECT version() AS v, inet_server_port() AS port")).rows;
    if (name === "PostgreSQL") expect([v.includes("Emscripten"), port]).toEqual([false, expect.any(Number)]);
    else expect([v.includes("Emscripten"), port]).toEqual([true, null]);
    const all = await store.loadAll();
    expect(all.get("Thing")!.get("0xabcdef")).toEqual({ ...thing });
    expect(all.get("Other")!.get("o1")).toEqual({ id: "o1" });
    expect(await store.get("Thing", "0xabcdef")).toEqual(thing);
    expect((await store.checkpoint()).block).toEqual({ number: 7, hash: "0x07", timestamp: 70 });
    // null clears a field, removal deletes the row
    cache.set("Thing", "0xabcdef", { s: null });
    cache.remove("Other", "o1");
    await store.applyBlock({ number: 8, hash: "0x08" }, cache.takeChanges());
    expect((await store.get("Thing", "0xabcdef"))!.s).toBeNull();
    expect(await store.get("Other", "o1")).toBeNull();
    await store.close();
  });

  it("applies a block atomically: a failing write leaves neither entities nor checkpoint", async () => {
    const { store, cache } = await seed(await db.fresh());
    const before = await store.checkpoint();
    const changes = [
      { entity: "MarketStats", id: "global", data: { ...cache.get("MarketStats", "global")!, products: 1234 } },
      { entity: "Product", id: "1", data: { ...cache.get("Product", "1")!, threshold: "not a number" } },
    ];
    await expect(store.applyBlock({ number: 99, hash: "0x99" }, changes)).rejects.toThrow();
    expect(await store.checkpoint()).toEqual(before);
    expect((await store.get("MarketStats", "global"))!.products).toBe(8);
    await store.close();
  });

  it("records an indexing failure without moving the checkpoint", async () => {
    const { store } = await seed(await db.fresh());
    await store.recordFailure({ number: 14, hash: "0x0e" }, "Mapping aborted at catalogue.ts: boom");
    const cp = await store.checkpoint();
    expect(cp.block!.number).toBe(13);
    expect(cp.hasIndexingErrors).toBe(true);
    expect(cp.error).toEqual({ block: { number: 14, hash: "0x0e" }, message: "Mapping aborted at catalogue.ts: boom" });
    await store.clearFailure();
    expect((await store.checkpoint()).hasIndexingErrors).toBe(false);
    await store.close();
  });

  it("reads the checkpoint from the database once, and again only after the store wrote it", async () => {
    const { store, cache } = await seed(await db.fresh());
    const query = store.sql.query.bind(store.sql);
    let reads = 0;
    store.sql.query = ((sql: string, ...rest: unknown[]) => {
      if (/_indexer_meta/.test(sql) && /^\s*SELECT/i.test(sql)) reads++;
      return (query as (...a: unknown[]) => unknown)(sql, ...rest);
    }) as typeof store.sql.query;
    const first = await store.checkpoint();
    await Promise.all(Array.from({ length: 20 }, () => store.checkpoint()));
    expect(reads).toBe(1);
    cache.set("MarketStats", "global", { products: 4321 });
    await store.applyBlock({ number: 20, hash: "0x14" }, cache.takeChanges());
    expect((await store.checkpoint()).block).toEqual({ number: 20, hash: "0x14", timestamp: null });
    await store.recordFailure({ number: 21, hash: "0x15" }, "boom");
    expect((await store.checkpoint()).hasIndexingErrors).toBe(true);
    await store.clearFailure();
    expect((await store.checkpoint()).hasIndexingErrors).toBe(false);
    expect(reads).toBe(4);
    expect(first.block!.number).toBe(13);
    await store.close();
  });

  it("resumes after a restart: same entities and checkpoint from the same data directory", async () => {
    const at = await db.persistent();
    const { store, cache } = await seed(at);
    const cp = await store.checkpoint();
    const all = await store.loadAll();
    await store.close();

    const again = await PgStore.open({ schema: SCHEMA_FILE, ...at, log: () => {} });
    expect(await again.checkpoint()).toEqual(cp);
    expect(await again.loadAll()).toEqual(all);
    const reloaded = await EntityCache.load(again);
    const sorted = (c: EntityCache, e: string) => [...c.all(e)].sort(([a], [b]) => a.localeCompare(b));
    for (const e of again.model.entities.keys()) {
      expect(sorted(reloaded, e).map(([id, d]) => [id, withNulls(again, e, d)])).toEqual(
        sorted(cache, e).map(([id, d]) => [id, withNulls(again, e, d)]),
      );
    }
    expect(reloaded.get("Account", SELLER_A)!.id).toEqual(bytes(SELLER_A));
    expect(reloaded.get("Credential", CONSUMER_C)!.subject).toEqual(bytes(CONSUMER_C));
    // keeps indexing on top of the stored state
    reloaded.set("MarketStats", "global", { buyers: 42 });
    await again.applyBlock({ number: cp.block!.number + 1, hash: "0xnext" }, reloaded.takeChanges());
    expect((await again.get("MarketStats", "global"))!.buyers).toBe(42);
    await again.close();
  });

  if (name === "PostgreSQL") {
    it("keeps serving when the server drops its idle connections (logged, replaced, no crash)", async () => {
      const at = await db.fresh();
      const logs: string[] = [];
      const { store } = await seed(at);
      const admin = new pg.Client({ connectionString: at.connectionString });
      await admin.connect();
      const idle = await PgStore.open({ schema: SCHEMA_FILE, ...at, log: (m) => logs.push(m) });
      expect((await idle.get("MarketStats", "global"))!.products).toBe(8); // a pooled connection, now idle
      const killed = await admin.query<{ n: string }>(
        "SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        [new URL(at.connectionString!).pathname.slice(1)],
      );
      expect(Number(killed.rows[0].n)).toBeGreaterThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(logs.some((l) => /connection lost while idle/.test(l))).toBe(true);
      expect((await idle.get("MarketStats", "global"))!.products).toBe(8);
      await Promise.all([idle.close(), store.close().catch(() => {}), admin.end()]);
    });
  }

  it("starts from scratch when the schema changed", async () => {
    const at = await db.persistent();
    const sdl = `type A @entity { id: ID! n: Int! }`;
    const s1 = await PgStore.fromSdl(sdl, { ...at, log: () => {} });
    await s1.applyBlock({ number: 1, hash: "0x01" }, [{ entity: "A", id: "a", data: { id: "a", n: 1 } }]);
    await s1.close();
    const logs: string[] = [];
    const s2 = await PgStore.fromSdl(sdl + ` type B @entity { id: ID! }`, { ...at, log: (m) => logs.push(m) });
    expect(logs[0]).toMatch(/schema changed/);
    expect((await s2.checkpoint()).block).toBeNull();
    expect((await s2.loadAll()).get("A")!.size).toBe(0);
    await s2.close();
  });
});
