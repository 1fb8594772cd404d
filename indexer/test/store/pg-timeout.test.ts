// Statement timeouts on a real Postgres (the `pg` path of PgStore). Needs the optional `pg`
// package and a server: KRAKEN_INDEXER_TEST_DATABASE_URL=postgres://… (skipped otherwise).
import { afterAll, describe, expect, it } from "vitest";
import { QueryEngine } from "../../src/graphql/execute.ts";
import { PgStore } from "../../src/store/pg-store.ts";
import { SCHEMA_FILE } from "../graphql/fixture.ts";

const url = process.env.KRAKEN_INDEXER_TEST_DATABASE_URL;

describe.skipIf(!url)("PgStore on Postgres: statement timeout", () => {
  let store: PgStore | undefined;
  afterAll(async () => {
    await store?.close();
  });

  it("cancels a statement that runs past timeoutMs, and only that statement", async () => {
    store = await PgStore.open({ schema: SCHEMA_FILE, connectionString: url, log: () => {} });
    const t0 = performance.now();
    const err = await store.sql.query("SELECT pg_sleep(3)", [], { timeoutMs: 200 }).catch((e) => e);
    expect((err as { code?: string }).code).toBe("57014");
    expect(performance.now() - t0).toBeLessThan(2000);
    // statements without a timeout (indexing writes) are not affected
    expect((await store.sql.query("SELECT 1 AS ok FROM pg_sleep(0.4)")).rows).toEqual([{ ok: 1 }]);
    await store.applyBlock({ number: 1, hash: "0x01" }, []);
    expect((await store.checkpoint()).block?.number).toBe(1);
  });

  it("runs GraphQL statements with the timeout", async () => {
    const engine = new QueryEngine(store!, async () => ({ block: { number: 1, hash: "0x01" }, hasIndexingErrors: false }), { statementTimeoutMs: 1000 });
    const r = await engine.run({ query: `{ products(first: 5, where: { title_contains: "x" }) { id seller { id } } }` });
    expect(r).toEqual({ data: { products: [] } });
  });
});
