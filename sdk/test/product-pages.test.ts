// productPages against the real indexer GraphQL server on the test catalogue: keyset pages give
// exactly what one big query gives, in every ordering, past the server's skip limit, and stay at
// the block of the first page while new blocks are written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { productPages, querySubgraph, type ProductOrder } from "../src/index.ts";
import { startGraphqlServer, type GraphqlServer } from "../../indexer/src/graphql/server.ts";
import type { EntityCache } from "../../indexer/src/store/cache.ts";
import type { PgStore } from "../../indexer/src/store/pg-store.ts";
import { blockHash, PRODUCTS, publish, SELLER_B, seed, T0 } from "../../indexer/test/graphql/fixture.ts";

let store: PgStore;
let cache: EntityCache;
let server: GraphqlServer;
beforeAll(async () => {
  ({ store, cache } = await seed());
  // a skip limit of 2: any skip-based paging past the first pages is refused
  server = await startGraphqlServer({ store, port: 0, cache: false, limits: { maxSkip: 2 } });
});
afterAll(async () => {
  await server?.stop();
  await store?.close();
});

const all = async (pages: AsyncGenerator<{ id: string }[]>) => {
  const out: string[] = [];
  for await (const page of pages) out.push(...page.map((p) => p.id));
  return out;
};
const oneQuery = async (orderBy: string, dir: string, where: Record<string, unknown> = {}) =>
  (await querySubgraph<{ products: { id: string }[] }>(server.url, `query($where: Product_filter) { products(first: 1000, where: $where, orderBy: ${orderBy}, orderDirection: ${dir}) { id } }`, { where })).products.map((p) => p.id);

describe("productPages", () => {
  it("pages give what one query gives, in every ordering, with and without a filter", async () => {
    for (const orderBy of ["productId", "price", "createdAt", "salesCount"] as ProductOrder[]) {
      for (const dir of ["asc", "desc"] as const) {
        for (const where of [{}, { active: true }, { seller: SELLER_B }]) {
          const expected = await oneQuery(orderBy, dir, where);
          expect(await all(productPages(server.url, { orderBy, orderDirection: dir, where, pageSize: 2, fields: "id" })), `${orderBy} ${dir} ${JSON.stringify(where)}`).toEqual(expected);
        }
      }
    }
    // salesCount has ties (most products sold nothing): the id breaks them, nothing lost or repeated
    expect(new Set(await oneQuery("salesCount", "desc")).size).toBe(PRODUCTS.length);
  });

  it("goes past the skip limit, where skip paging is refused", async () => {
    await expect(querySubgraph(server.url, `{ products(first: 2, skip: 4) { id } }`)).rejects.toThrow(/skip/);
    expect(await all(productPages(server.url, { pageSize: 1, fields: "id" }))).toHaveLength(PRODUCTS.length);
  });

  it("stays at the first page's block while products are published", async () => {
    const before = await oneQuery("createdAt", "desc");
    const pages = productPages(server.url, { orderBy: "createdAt", orderDirection: "desc", pageSize: 3, fields: "id" });
    const seen: string[] = [];
    const first = await pages.next();
    seen.push(...(first.value as { id: string }[]).map((p) => p.id));
    // a newer product arrives between pages (it would sort first and shift every later page)
    const head = (await store.checkpoint()).block!.number;
    publish(cache, { ...PRODUCTS[0], id: 99, title: "Arrived meanwhile" }, T0 + 99_999n);
    await store.applyBlock({ number: head + 1, hash: blockHash(head + 1), timestamp: Number(T0) + head + 1 }, cache.takeChanges());
    for await (const page of pages) seen.push(...page.map((p) => p.id));
    expect(seen).toEqual(before);
    expect((await oneQuery("createdAt", "desc"))[0]).toBe("99"); // at the head it is there
  });
});
