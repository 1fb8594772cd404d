// Abuse limits of the GraphQL server: analysis that stays fast on hostile query shapes (nested
// fragments with aliases, issue 12 finding 1), field/alias budgets, cost semantics, row caps,
// statement timeouts, and HTTP abuse (per-IP rate limit 429, body limit 413, malformed JSON 400).
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryEngine, type MetaInfo, type QueryLimits } from "../../src/graphql/execute.ts";
import { startGraphqlServer, type GraphqlServer } from "../../src/graphql/server.ts";
import type { PgStore, QueryOptions, SqlClient } from "../../src/store/pg-store.ts";
import { BACKENDS, openBackend, type Backend } from "../backends.ts";
import { seed } from "./fixture.ts";

let store: PgStore;
let server: GraphqlServer;

beforeAll(async () => {
  ({ store } = await seed());
  server = await startGraphqlServer({ store, port: 0 });
});
afterAll(async () => {
  await server?.stop();
  await store?.close();
});

async function gql(query: string): Promise<{ data?: any; errors?: { message: string }[] }> {
  const res = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
  expect(res.status).toBe(200);
  return res.json();
}

const meta = async (): Promise<MetaInfo> => ({ block: { number: 13, hash: "0x0d" }, hasIndexingErrors: false });
const engine = (limits: Partial<QueryLimits>) => new QueryEngine(store, meta, limits);

/** Nine nested named fragments, each with k fields spreading the next one (aliased, or the same
 * field repeated, which graphql-js merges); every list has `first: 0`, so the estimated cost is
 * 0 while a walk along every path visits k^9 of them. */
function fragmentBomb(k: number, aliases = true): string {
  const frags: string[] = [];
  for (let i = 1; i <= 9; i++) {
    const onProduct = i % 2 === 1;
    const field = i === 9 ? null : onProduct ? "seller" : "products(first: 0)";
    const body = field ? Array.from({ length: k }, (_, j) => `${aliases ? `a${j}: ` : ""}${field} { ...F${i + 1} }`).join(" ") : "id";
    frags.push(`fragment F${i} on ${onProduct ? "Product" : "Account"} { ${body} }`);
  }
  return `{ products(first: 0) { ...F1 } }\n${frags.join("\n")}`;
}

/** The same through introspection: `ofType` does not count for graphql-js's introspection depth
 * rule, which walks every path through the fragments during validation. */
function introspectionBomb(k: number): string {
  const frags: string[] = [];
  for (let i = 1; i <= 9; i++) {
    const body = i < 9 ? Array.from({ length: k }, (_, j) => `a${j}: ofType { ...F${i + 1} }`).join(" ") : "name";
    frags.push(`fragment F${i} on __Type { ${body} }`);
  }
  return `{ __schema { types { ...F1 } } }\n${frags.join("\n")}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs the query through the engine the HTTP handler calls, `runs` times with a fresh text (no
 * parse cache); returns the median time and the last result. */
async function timed(query: string, runs = 5) {
  const times: number[] = [];
  let result: Awaited<ReturnType<QueryEngine["run"]>> | undefined;
  for (let run = 0; run < runs; run++) {
    const t0 = performance.now();
    result = await server.engine.run({ query: `${query}\n# run ${run}` });
    times.push(performance.now() - t0);
  }
  return { ms: median(times), result: result! };
}

describe("query analysis is linear in the query's size", () => {
  it("rejects the nested-fragment alias bomb in < 50 ms for k = 5, 6, 7, 10", async () => {
    const ms = new Map<number, number>();
    for (const k of [5, 6, 7, 10]) {
      const query = fragmentBomb(k);
      expect(query.length).toBeLessThan(3000);
      const r = await timed(query);
      ms.set(k, r.ms);
      expect(r.ms).toBeLessThan(50);
      expect(r.result.data).toBeUndefined();
      expect(r.result.errors?.map((e) => e.message)).toEqual([expect.stringMatching(/The query uses more than 100 aliases/)]);
    }
    // no growth with k beyond noise
    expect(ms.get(10)!).toBeLessThan(Math.max(3 * ms.get(5)!, 10));
    // over HTTP the client gets a plain GraphQL error
    expect((await gql(fragmentBomb(7))).errors?.[0].message).toMatch(/more than 100 aliases/);
  });

  it("rejects the same shape without aliases (repeated fields) by the field budget", async () => {
    for (const k of [5, 10]) {
      const r = await timed(fragmentBomb(k, false));
      expect(r.ms).toBeLessThan(50);
      expect(r.result.errors?.[0].message).toMatch(/The query selects more than 2000 fields/);
    }
  });

  it("rejects other shapes that make validation super-linear, each in < 50 ms", async () => {
    const rep = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(" ");
    const cases: [string, string, RegExp][] = [
      // graphql-js's introspection-depth rule walks every path: ofType does not count as depth
      ["introspection bomb", introspectionBomb(10), /more than 100 aliases/],
      // the overlapping-fields rule compares every pair of repeated fields, recursively
      ["repeated fields", `{ products(first: 0) { ${rep(10, () => `seller { ${rep(10, () => "products(first: 0) { id }")} }`)} } }`, /more than 1000 pairs of fields share a response key/],
      ["repeated fields, 6 KB", `{ products(first: 0) { ${rep(100, () => `seller { ${rep(19, () => "id")} }`)} } }`, /selects more than 2000 fields/],
      // ... and walks each selection's fragment spreads transitively
      ["fragment chain", `{ ${rep(99, (i) => `p${i}: products(first: 0) { ...G0 }`)} } ${rep(100, (i) => `fragment G${i} on Product { ${i < 99 ? `...G${i + 1}` : "id"} }`)}`, /defines more than 50 fragments/],
      ["deep nesting", `{ ${"products { seller { ".repeat(300)}id${" } }".repeat(300)} }`, /depth of 601, which exceeds the limit of 10/],
      ["fragment cycle", `{ products { ...A } } fragment A on Product { seller { ...B } } fragment B on Account { products { ...A } }`, /Cannot spread fragment "A" within itself/],
      ["many tokens", `{ ${rep(2000, (i) => `a${i}: id`)} }`, /contains more tha[nt] 5000 tokens/], // graphql-js spells it "more that"
    ];
    for (const [name, query, message] of cases) {
      const r = await timed(query);
      expect(r.result.errors?.[0].message, name).toMatch(message);
      expect(r.ms, name).toBeLessThan(50);
    }
  });

  it("costs the bomb in linear time even with the field and alias budgets lifted", async () => {
    const e = engine({ maxFields: Infinity, maxAliases: Infinity, maxFieldMerges: Infinity });
    for (const k of [5, 10]) {
      // the fastest of three runs: one run can be delayed by other work on a busy machine, an
      // exponential walk cannot be fast three times (k = 10 took minutes before the fix)
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const r = await e.run({ query: fragmentBomb(k) });
        times.push(performance.now() - t0);
        expect(r).toEqual({ data: { products: [] } }); // cost 0, as before
      }
      expect(Math.min(...times)).toBeLessThan(100);
    }
  });

  it("still answers the standard introspection query and fragment reuse", async () => {
    const intro = await server.engine.run({ query: getIntrospectionQuery() });
    expect(intro.errors).toBeUndefined();
    expect((intro.data as any).__schema.queryType.name).toBe("Query");
    const r = await gql(`{
      a: products(first: 2) { ...P } b: products(first: 2, skip: 2) { ...P }
      accounts(first: 2) { products(first: 2) { ...P } }
    }
    fragment P on Product { id title seller { id productsPublished } policy { id version } agreements(first: 5) { id consumer { id } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data.a.map((p: { id: string }) => p.id)).toEqual(["1", "10"]);
    expect(r.data.b.map((p: { id: string }) => p.id)).toEqual(["11", "2"]);
  });
});

describe("HTTP abuse", () => {
  it("answers a per-IP rate limit with 429 and retry-after, a body over maxBody with 413 and malformed JSON with 400, as GraphQL errors; then answers normally", async () => {
    const outcomes: string[] = [];
    const small = await startGraphqlServer({ store, port: 0, maxBody: 1024, rateLimits: { readsPerIp: { max: 4, windowMs: 1000 } }, onQuery: (o) => void outcomes.push(o) });
    try {
      const post = (body: string) => fetch(small.url, { method: "POST", headers: { "content-type": "application/json" }, body });
      const big = await post(JSON.stringify({ query: `{ products(first: 1) { id } } # ${"x".repeat(2000)}` }));
      expect({ status: big.status, body: await big.json() }).toEqual({ status: 413, body: { errors: [{ message: "request body larger than 1024 bytes" }] } });
      const bad = await post("{nope");
      expect({ status: bad.status, body: await bad.json() }).toEqual({ status: 400, body: { errors: [{ message: "The request body is not valid JSON" }] } });
      expect((await post(JSON.stringify({ query: "{ products(first: 1) { id } }" }))).status).toBe(200);
      expect((await fetch(`${small.url}?query=${encodeURIComponent("{ products(first: 1) { id } }")}`)).status).toBe(200);
      const over = await fetch(`${small.url}?query=${encodeURIComponent("{ products(first: 1) { id } }")}`, { headers: { origin: "http://localhost:5173" } });
      expect(over.status).toBe(429);
      expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(over.headers.get("access-control-allow-origin")).toBe("*");
      expect((await over.json()).errors[0].message).toMatch(/^too many requests from 127\.0\.0\.1; try again in \d+ s$/);
      expect(outcomes).toEqual(["refused", "refused", "ok", "ok", "refused"]);

      await new Promise((r) => setTimeout(r, 1100));
      const again = await post(JSON.stringify({ query: "{ products(first: 1) { id } }" }));
      expect(again.status).toBe(200);
      expect((await again.json()).data.products).toHaveLength(1);
    } finally {
      await small.stop();
    }
  });
});

describe("field and alias budgets", () => {
  it("limits fields per selection set, fragments expanded and repeated fields merged", async () => {
    const e = engine({ maxFieldsPerSelection: 4 });
    expect((await e.run({ query: `{ products { id title price active } }` })).errors).toBeUndefined();
    const r = await e.run({ query: `{ products { id title ...P } } fragment P on Product { price active seller { id } }` });
    expect(r.errors?.[0].message).toBe("A selection set of the query has more than 4 fields (fragments expanded)");
    // two copies of `seller` merge into one selection of 5 fields
    const merged = await e.run({ query: `{ products { seller { id revenue spent } seller { salesCount purchasesCount } } }` });
    expect(merged.errors?.[0].message).toBe("A selection set of the query has more than 4 fields (fragments expanded)");
  });

  it("limits fields along every path, aliases, repeated fields and fragments", async () => {
    const e = engine({ maxFields: 6, maxAliases: 2, maxFieldMerges: 2, maxFragments: 2 });
    const ok = `{ products { id ...S } } fragment S on Product { seller { id } x: title }`;
    expect((await e.run({ query: ok })).errors).toBeUndefined(); // 5 fields, 1 alias
    // the fragment counts once per place it is spread
    const twice = `{ products { id ...S } more: products { ...S } } fragment S on Product { seller { id } title }`;
    expect((await e.run({ query: twice })).errors?.[0].message).toMatch(/^The query selects more than 6 fields/);
    const aliased = `{ a: products { b: id c: title } }`;
    expect((await e.run({ query: aliased })).errors?.[0].message).toMatch(/^The query uses more than 2 aliases/);
    // a field selected again pairs with each earlier copy: 3 copies, 3 pairs
    expect((await e.run({ query: `{ products { id id } }` })).errors).toBeUndefined();
    expect((await e.run({ query: `{ products { id id id } }` })).errors?.[0].message).toMatch(/^The query repeats fields too often: more than 2 pairs/);
    const frags = `{ products { ...A ...B ...C } } fragment A on Product { id } fragment B on Product { title } fragment C on Product { price }`;
    expect((await e.run({ query: frags })).errors?.[0].message).toBe("The query defines more than 2 fragments");
  });
});

describe("cost estimate (entities a query may return)", () => {
  it("is the same as along every path, also when a fragment's selection recurs", async () => {
    // 10 accounts + 10·10 products, 5 accounts + 5·10 products = 165
    const q = `{ accounts(first: 10) { ...A } x: accounts(first: 5) { ...A } } fragment A on Account { products(first: 10) { id } }`;
    expect((await engine({ maxComplexity: 165 }).run({ query: q })).errors).toBeUndefined();
    const r = await engine({ maxComplexity: 164 }).run({ query: q });
    expect(r.errors?.map((e) => e.message)).toEqual([
      "The query is too expensive: it may return 165 or more entities, more than the limit of 164; lower `first` on nested fields",
    ]);
    // 10 + 10·10 + 10 + 10·10 + 10·10·10 = 1220
    const q2 = `{ products(first: 10) { ...P } accounts(first: 10) { products(first: 10) { ...P } } }
      fragment P on Product { agreements(first: 10) { id } }`;
    expect((await engine({ maxComplexity: 1220 }).run({ query: q2 })).errors).toBeUndefined();
    expect((await engine({ maxComplexity: 1219 }).run({ query: q2 })).errors?.[0].message).toMatch(/1220 or more entities/);
  });

  it("stops at the limit and reports first/skip errors once per field", async () => {
    const r = await server.engine.run({
      query: `{ a: accounts { ...A } b: accounts { ...A } } fragment A on Account { products(first: 5000) { id } }`,
    });
    expect(r.errors?.map((e) => e.message)).toEqual(["The `first` argument must be between 0 and 1000, but is 5000"]);
  });
});

/** Records the statements the engine runs (and what they return) on the shared store. */
function spySql(sql: SqlClient, replace?: (text: string) => Promise<{ rows: unknown[] }> | undefined) {
  const calls: { sql: string; rows: number; opts?: QueryOptions }[] = [];
  const original = sql.query;
  sql.query = (async (text: string, params?: unknown[], opts?: QueryOptions) => {
    const res = (await replace?.(text)) ?? (await original.call(sql, text, params, opts));
    calls.push({ sql: text, rows: res.rows.length, opts });
    return res;
  }) as SqlClient["query"];
  return { calls, restore: () => (sql.query = original) };
}

describe.each(BACKENDS)("SQL work per query on %s", (name) => {
  let db: Backend;
  let sqlStore: PgStore;
  let sqlServer: GraphqlServer;
  const sqlEngine = (limits: Partial<QueryLimits>) => new QueryEngine(sqlStore, meta, limits);
  beforeAll(async () => {
    db = await openBackend(name);
    ({ store: sqlStore } = await seed(await db.fresh()));
    sqlServer = await startGraphqlServer({ store: sqlStore, port: 0 });
  });
  afterAll(async () => {
    await sqlServer?.stop();
    await sqlStore?.close();
    await db?.stop();
  });

  it("stops loading rows once maxRows is passed, without loading the rest", async () => {
    const spy = spySql(sqlStore.sql);
    try {
      const r = await sqlEngine({ maxRows: 3 }).run({ query: `{ products(first: 100) { id } }` });
      expect(r.errors?.[0].message).toBe("The query loads more than 3 entities; narrow it with where / first");
      expect(spy.calls.map((c) => c.rows)).toEqual([4]);
      spy.calls.length = 0;
      // nested: 2 products, then their agreements capped at what is left (1 + 1)
      const nested = await sqlEngine({ maxRows: 3 }).run({ query: `{ products(first: 2, orderBy: createdAt) { agreements { id } } }` });
      expect(nested.errors?.[0].message).toMatch(/loads more than 3 entities/);
      expect(spy.calls.map((c) => c.rows)).toEqual([2, 2]);
      expect(spy.calls[1].sql).toMatch(/ LIMIT 2$/);
      spy.calls.length = 0;
      // exactly maxRows is fine
      const exact = await sqlEngine({ maxRows: 3 }).run({ query: `{ products(first: 3) { id } }` });
      expect(exact.errors).toBeUndefined();
      expect(exact.data?.products).toHaveLength(3);
    } finally {
      spy.restore();
    }
  });

  it("asks for a statement timeout and reports a cancelled statement as a GraphQL error", async () => {
    const spy = spySql(sqlStore.sql, async () => {
      throw Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" });
    });
    try {
      const r = await sqlEngine({ statementTimeoutMs: 250 }).run({ query: `{ products { id } }` });
      expect(r.errors?.[0].message).toBe("A database statement of the query took longer than 250 ms and was stopped");
    } finally {
      spy.restore();
    }
    const spy2 = spySql(sqlStore.sql);
    try {
      await sqlEngine({ statementTimeoutMs: 250 }).run({ query: `{ products { id agreements { id } } }` });
      expect(spy2.calls.map((c) => c.opts?.timeoutMs)).toEqual([250, 250]);
    } finally {
      spy2.restore();
    }
  });

  it("reads a page's single references (seller, policy) in the page's own statement, with the same answer", async () => {
    const query = `{ products(first: 5, orderBy: id) { id seller { id products(first: 2) { id } } policy { id version } again: seller { id } } }`;
    const spy = spySql(sqlStore.sql);
    let joined;
    try {
      joined = await sqlEngine({}).run({ query });
      // the page with seller and policy, then the sellers' products: 2 statements, not 4
      expect(spy.calls).toHaveLength(2);
    } finally {
      spy.restore();
    }
    expect(joined.errors).toBeUndefined();
    // the same references asked one level down are read by id, as before: the answers must agree
    const nested = await sqlEngine({}).run({ query: `{ products(first: 5, orderBy: id) { id seller { products(first: 5, orderBy: id) { id seller { id } policy { id version } } } } }` });
    const byId = new Map((joined.data!.products as { id: string }[]).map((p) => [p.id, p]));
    for (const p of (nested.data!.products as { seller: { products: { id: string; seller: unknown; policy: unknown }[] } }[]).flatMap((x) => x.seller.products)) {
      const j = byId.get(p.id) as { seller: { id: string }; policy: unknown; again: unknown } | undefined;
      if (!j) continue;
      expect({ seller: { id: j.seller.id }, policy: j.policy }).toEqual({ seller: p.seller, policy: p.policy });
      expect(j.again).toEqual({ id: j.seller.id });
    }
    expect(byId.size).toBeGreaterThan(0);
  });

  it("lets other work run between the statements of one query", async () => {
    // PGlite never yields while it runs statements; the engine does between them
    let fired = false;
    setTimeout(() => (fired = true), 0);
    const r = await sqlServer.engine.run({ query: `{ products(first: 3) { seller { id } policy { id } agreements { id } } }` });
    expect(r.errors).toBeUndefined();
    expect(fired).toBe(true);
  });

  // PGlite cannot interrupt a statement (below); a server can, and does.
  if (name === "PostgreSQL") {
    it("the server cancels a statement past its timeout with 57014, which the engine reports as above", async () => {
      const t0 = performance.now();
      const err = await sqlStore.sql.query("SELECT pg_sleep(2)", [], { timeoutMs: 100 }).then(() => undefined, (e: { code?: string }) => e);
      expect(err).toMatchObject({ code: "57014" });
      expect(performance.now() - t0).toBeLessThan(1500);
      expect((await sqlStore.sql.query<{ ok: number }>("SELECT 1 AS ok")).rows).toEqual([{ ok: 1 }]); // and keeps serving
    });
  }
});

describe("PGlite", () => {
  it("PGlite does not enforce statement_timeout (if this fails, it does now: use it)", async () => {
    const t0 = performance.now();
    const r = await store.sql.transaction(async (tx) => {
      await tx.exec("SET LOCAL statement_timeout = 20");
      return tx.query<{ ok: number }>("SELECT 1 AS ok FROM pg_sleep(0.2)");
    });
    expect(r.rows).toEqual([{ ok: 1 }]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
  });
});
