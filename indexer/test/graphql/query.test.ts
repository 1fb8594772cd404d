// Query semantics of the graph-node compatible GraphQL server over a realistic dataset.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGraphqlServer, type GraphqlServer } from "../../src/graphql/server.ts";
import type { PgStore } from "../../src/store/pg-store.ts";
import { BACKENDS, openBackend, type Backend } from "../backends.ts";
import { addr, CONSUMER_C, CONSUMER_D, seed, SELLER_A, SELLER_B } from "./fixture.ts";

let store: PgStore;
let server: GraphqlServer;

async function gql(query: string, variables?: Record<string, unknown>): Promise<{ data?: any; errors?: { message: string }[] }> {
  const res = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  expect(res.status).toBe(200);
  return res.json();
}

async function data(query: string, variables?: Record<string, unknown>) {
  const r = await gql(query, variables);
  expect(r.errors).toBeUndefined();
  return r.data;
}

/** ids of `products(<args>)` */
async function ids(args: string): Promise<string[]> {
  const d = await data(`{ products${args ? `(${args})` : ""} { id } }`);
  return d.products.map((p: { id: string }) => p.id);
}

const E18 = 10n ** 18n;
const w = (filter: string) => `where: { ${filter} }`;

// The whole suite runs on PGlite and on a PostgreSQL server.
describe.each(BACKENDS)("on %s", (name) => {
  let db: Backend;
  beforeAll(async () => {
    db = await openBackend(name);
    ({ store } = await seed(await db.fresh()));
    server = await startGraphqlServer({ store, port: 0 });
  });
  afterAll(async () => {
    await server?.stop();
    await store?.close();
    await db?.stop();
    (server as GraphqlServer | undefined) = undefined; // the next backend's block starts from nothing
    (store as PgStore | undefined) = undefined;
  });

  describe("collections, scalars and serialisation", () => {
    it("orders by id by default (string order, like graph-node) and serialises like graph-node", async () => {
      expect(await ids("")).toEqual(["1", "10", "11", "2", "3", "4", "5", "6"]);
      const d = await data(`{ product(id: "1") { id productId seller { id } productType price threshold active tags deliveryAgents createdAt purposes policy { id } } }`);
      expect(d.product).toEqual({
        id: "1", productId: "1", seller: { id: SELLER_A }, productType: "STREAM", price: (5n * E18).toString(), threshold: 2,
        active: true, tags: ["wearable", "cardio"], deliveryAgents: [addr(0xde1), addr(0xde2)], createdAt: "1700000100",
        purposes: ["RESEARCH", "PUBLIC_HEALTH"], policy: { id: "1-2" },
      });
      expect((await data(`{ product(id: "999") { id } }`)).product).toBeNull();
      const acc = await data(`{ account(id: "${SELLER_A.toUpperCase().replace("0X", "0x")}") { id productsPublished revenue } }`);
      expect(acc.account).toEqual({ id: SELLER_A, productsPublished: 4, revenue: (10n * E18).toString() });
      const stats = await data(`{ marketStats(id: "global") { products activeProducts agreements volume sellers consumers buyers } marketStats_collection { id } }`);
      expect(stats.marketStats).toEqual({ products: 8, activeProducts: 7, agreements: 4, volume: (1010n * E18).toString(), sellers: 2, consumers: 2, buyers: 2 });
      expect(stats.marketStats_collection).toEqual([{ id: "global" }]);
    });

    it("paginates with first and skip", async () => {
      expect(await ids("orderBy: createdAt, first: 3")).toEqual(["1", "2", "3"]);
      expect(await ids("orderBy: createdAt, first: 3, skip: 2")).toEqual(["3", "4", "5"]);
      expect(await ids("orderBy: createdAt, first: 0")).toEqual([]);
      expect(await ids("skip: 100")).toEqual([]);
    });

    it("orders by String, BigInt, Int and nested fields in both directions", async () => {
      expect(await ids("orderBy: title")).toEqual(["3", "4", "6", "1", "2", "5", "10", "11"]);
      expect(await ids("orderBy: title, orderDirection: desc")).toEqual(["11", "10", "5", "2", "1", "6", "4", "3"]);
      expect(await ids("orderBy: price, orderDirection: desc")).toEqual(["4", "3", "2", "11", "1", "6", "5", "10"]);
      expect(await ids("orderBy: price")).toEqual(["10", "5", "6", "1", "11", "2", "3", "4"]);
      expect(await ids("orderBy: createdAt, orderDirection: desc")).toEqual(["11", "10", "6", "5", "4", "3", "2", "1"]);
      expect(await ids("orderBy: threshold, orderDirection: desc")).toEqual(["1", "6", "5", "4", "3", "2", "11", "10"]);
      expect(await ids("orderBy: seller__id")).toEqual(["1", "10", "2", "5", "11", "3", "4", "6"]);
      expect(await ids("orderBy: seller__revenue, orderDirection: desc, first: 4")).toEqual(["6", "4", "3", "11"]);
    });
  });

  describe("where filters", () => {
    it("equality, _not, _in, _not_in on enums, ids, booleans", async () => {
      expect(await ids(w("productType: STREAM"))).toEqual(["1", "5"]);
      expect(await ids(w("productType_not: STREAM"))).toEqual(["10", "11", "2", "3", "4", "6"]);
      expect(await ids(w("productType_in: [ANALYTICS, DATA_UNION]"))).toEqual(["10", "3", "4"]);
      expect(await ids(w("modality_not_in: [ANONYMISED, ENCRYPTED]"))).toEqual(["4"]);
      expect(await ids(w(`id_in: ["1", "3", "nope"]`))).toEqual(["1", "3"]);
      expect(await ids(w(`id_not_in: ["1", "10", "11", "2"]`))).toEqual(["3", "4", "5", "6"]);
      expect(await ids(w(`id_gt: "4"`))).toEqual(["5", "6"]);
      expect(await ids(w("active: false"))).toEqual(["5"]);
      expect(await ids(w("requiresApproval: true"))).toEqual(["2", "3"]);
      expect(await ids(w(`category: "Health", active_not: false`))).toEqual(["1", "10", "2"]);
      expect(await ids(w("policy: null"))).toEqual(["10", "11", "5", "6"]);
      expect(await ids(w("policy_not: null"))).toEqual(["1", "2", "3", "4"]);
    });

    it("_gt, _gte, _lt, _lte on BigInt and Int", async () => {
      expect(await ids(w(`price_gt: "${20n * E18}"`))).toEqual(["3", "4"]);
      expect(await ids(w(`price_gte: "${20n * E18}"`))).toEqual(["2", "3", "4"]);
      expect(await ids(w(`price_lt: "42"`))).toEqual([]);
      expect(await ids(w(`price_lte: 42`))).toEqual(["10"]);
      expect(await ids(w(`price_lt: "${E18}"`))).toEqual(["10", "5"]);
      expect(await ids(w(`price_in: ["42", "${150n * E18}"]`))).toEqual(["10", "3"]);
      expect(await ids(w("salesCount_gte: 1"))).toEqual(["1", "4"]);
      expect(await ids(w("salesCount_gt: 1, threshold_lte: 2"))).toEqual(["1"]);
      expect(await ids(w(`createdAt_gte: "1700000500", createdAt_lt: "1700001000"`))).toEqual(["5", "6"]);
    });

    it("string operators", async () => {
      expect(await ids(w(`title_contains: "rate"`))).toEqual(["1"]);
      expect(await ids(w(`title_contains: "RATE"`))).toEqual([]);
      expect(await ids(w(`title_contains_nocase: "HEART"`))).toEqual(["1"]);
      expect(await ids(w(`title_not_contains: "a"`))).toEqual(["10", "3"]);
      expect(await ids(w(`title_not_contains_nocase: "S"`))).toEqual(["3"]);
      expect(await ids(w(`title_starts_with: "S"`))).toEqual(["10", "11", "2", "5"]);
      expect(await ids(w(`title_starts_with_nocase: "s"`))).toEqual(["10", "11", "2", "5"]);
      expect(await ids(w(`title_not_starts_with: "S"`))).toEqual(["1", "3", "4", "6"]);
      expect(await ids(w(`title_not_starts_with_nocase: "s"`))).toEqual(["1", "3", "4", "6"]);
      expect(await ids(w(`title_ends_with: "stream"`))).toEqual(["1"]);
      expect(await ids(w(`title_ends_with_nocase: "UNION"`))).toEqual(["3"]);
      expect(await ids(w(`title_not_ends_with: "s"`))).toEqual(["1", "10", "2", "3"]);
      expect(await ids(w(`title_not_ends_with_nocase: "S"`))).toEqual(["1", "10", "2", "3"]);
      expect(await ids(w(`category_gt: "Mobility"`))).toEqual(["11", "4", "6"]);
      expect(await ids(w(`title_contains: "100%"`))).toEqual([]); // no LIKE wildcards leak through
    });

    it("list operators: _contains (all given), _not_contains, _contains_nocase, equality", async () => {
      expect(await ids(w(`tags_contains: ["wearable"]`))).toEqual(["1", "10", "2"]);
      expect(await ids(w(`tags_contains: ["wearable", "cardio"]`))).toEqual(["1"]);
      expect(await ids(w(`tags_contains_nocase: ["WEARABLE"]`))).toEqual(["1", "10", "2"]);
      expect(await ids(w(`tags_not_contains: ["wearable"]`))).toEqual(["11", "3", "4", "5", "6"]);
      expect(await ids(w(`tags_not_contains_nocase: ["Wearable"]`))).toEqual(["11", "3", "4", "5", "6"]);
      expect(await ids(w(`tags: ["sleep", "wearable"]`))).toEqual(["2"]);
      expect(await ids(w(`purposes_contains: [RESEARCH]`))).toEqual(["1", "4"]);
      expect(await ids(w(`jurisdictions_contains: ["DE"], purposes_not_contains: [AI_TRAINING]`))).toEqual(["1", "3"]);
      expect(await ids(w(`consumerCategories_contains: [INDIVIDUAL]`))).toEqual(["2"]);
      expect(await ids(w(`deliveryAgents_contains: ["${addr(0xde2)}"]`))).toEqual(["1"]);
    });

    it("Bytes and references to Bytes-id entities", async () => {
      expect(await ids(w(`seller: "${SELLER_A}"`))).toEqual(["1", "10", "2", "5"]);
      expect(await ids(w(`seller_not: "${SELLER_A}"`))).toEqual(["11", "3", "4", "6"]);
      expect(await ids(w(`seller_in: ["${SELLER_B.toUpperCase().replace("0X", "0x")}"]`))).toEqual(["11", "3", "4", "6"]);
      const d = await data(`{ deliveries(where: { agent: "${addr(0xde1)}" }) { agent envelopeHash agreement { id } }
        all: deliveries(where: { envelopeHash_contains: "0xffff" }) { id } }`);
      expect(d.deliveries).toEqual([{ agent: addr(0xde1), envelopeHash: "0x" + "ee".repeat(32), agreement: { id: "1" } }]);
      expect(d.all).toEqual([{ id: "0x" + "22".repeat(32) + "00000002" }]);
    });

    it("nested filters on references and on @derivedFrom lists", async () => {
      expect(await ids(w("policy_: { retentionDays_gte: 90 }"))).toEqual(["1", "4"]);
      expect(await ids(w("seller_: { salesCount: 1 }"))).toEqual(["11", "3", "4", "6"]);
      expect(await ids(w("agreements_: { status: PENDING }"))).toEqual(["2"]);
      expect(await ids(w(`policyVersions_: { version: 2 }`))).toEqual(["1"]);
      const d = await data(`{ agreements(where: { consumer_: { credential_: { country: "DE" } } }, orderBy: createdAt) { id } }`);
      expect(d.agreements.map((a: { id: string }) => a.id)).toEqual(["1", "3", "4"]);
    });

    it("and / or", async () => {
      expect(await ids(w(`or: [{ productType: STREAM }, { category: "Research" }]`))).toEqual(["1", "11", "4", "5"]);
      expect(await ids(w(`and: [{ price_gte: "${E18}" }, { price_lte: "${20n * E18}" }]`))).toEqual(["1", "11", "2", "6"]);
      expect(await ids(w(`active: true, or: [{ tags_contains: ["cardio"] }, { seller_: { salesCount: 2 } }]`))).toEqual(["1", "10", "2", "4"]);
    });

    it("_change_block", async () => {
      // in the last block (13): 1 got delivery agents, 4 a sale, 5 was deactivated
      expect(await ids(w("_change_block: { number_gte: 13 }"))).toEqual(["1", "4", "5"]);
      expect(await ids(w("_change_block: { number_gte: 1 }"))).toHaveLength(8);
    });

    it("takes filters from variables", async () => {
      const d = await data(`query($w: Product_filter, $n: Int) { products(where: $w, first: $n, orderBy: price) { id } }`, {
        w: { price_gt: "1000", modality_in: ["ENCRYPTED"] },
        n: 2,
      });
      expect(d.products).toEqual([{ id: "5" }, { id: "6" }]);
    });
  });

  describe("nested fields and reverse lookups", () => {
    it("resolves references and @derivedFrom lists with their own first/skip/where/orderBy", async () => {
      const d = await data(`{
        account(id: "${SELLER_A}") {
          products(first: 2, orderBy: price, orderDirection: desc, where: { active: true }) { id price }
          more: products(skip: 2, orderBy: createdAt) { id }
          sales(orderBy: createdAt) { id consumer { id credential { country category } } }
        }
        product(id: "1") {
          policyVersions(orderBy: version, orderDirection: desc) { version purposes }
          agreements(where: { purpose: RESEARCH }) { id consumer { id } policyVersion { id product { id } } deliveries(orderBy: timestamp) { agent } }
        }
      }`);
      expect(d.account.products).toEqual([{ id: "2", price: (20n * E18).toString() }, { id: "1", price: (5n * E18).toString() }]);
      expect(d.account.more).toEqual([{ id: "5" }, { id: "10" }]);
      expect(d.account.sales).toEqual([
        { id: "1", consumer: { id: CONSUMER_C, credential: { country: "DE", category: "ORGANISATION" } } },
        { id: "2", consumer: { id: CONSUMER_D, credential: { country: "FR", category: "INDIVIDUAL" } } },
        { id: "3", consumer: { id: CONSUMER_C, credential: { country: "DE", category: "ORGANISATION" } } },
      ]);
      expect(d.product.policyVersions).toEqual([{ version: 2, purposes: ["RESEARCH", "PUBLIC_HEALTH"] }, { version: 1, purposes: ["RESEARCH"] }]);
      expect(d.product.agreements).toEqual([
        { id: "1", consumer: { id: CONSUMER_C }, policyVersion: { id: "1-2", product: { id: "1" } }, deliveries: [{ agent: addr(0xde1) }, { agent: addr(0xde2) }] },
      ]);
    });

    it("paginates reverse lookups per parent", async () => {
      const d = await data(`{ products(where: { policy_not: null }, orderBy: createdAt) { id policyVersions(first: 1, orderBy: version) { id } } }`);
      expect(d.products).toEqual([
        { id: "1", policyVersions: [{ id: "1-1" }] },
        { id: "2", policyVersions: [{ id: "2-1" }] },
        { id: "3", policyVersions: [{ id: "3-1" }] },
        { id: "4", policyVersions: [{ id: "4-1" }] },
      ]);
    });

    it("supports aliases, fragments, inline fragments, @include/@skip and __typename", async () => {
      const d = await data(
        `query Q($withSeller: Boolean!) {
          cheap: products(first: 1, orderBy: price) { ...P }
          dear: products(first: 1, orderBy: price, orderDirection: desc) { ...P ... on Product { seller @include(if: $withSeller) { id } } }
        }
        fragment P on Product { __typename id title price @skip(if: true) }`,
        { withSeller: true },
      );
      expect(d.cheap).toEqual([{ __typename: "Product", id: "10", title: "Step counts by region" }]);
      expect(d.dear).toEqual([{ __typename: "Product", id: "4", title: "Diabetes cohort analytics", seller: { id: SELLER_B } }]);
    });
  });

  describe("full-text search", () => {
    const search = async (text: string, extra = "") =>
      (await data(`{ productSearch(text: ${JSON.stringify(text)}${extra}) { id } }`)).productSearch.map((p: { id: string }) => p.id);

    it("ranks a title match above a tag-only match", async () => {
      expect(await search("stream")).toEqual(["1", "5"]);
      expect((await search("heart"))[0]).toBe("1");
    });

    it("stems English words, ANDs plain words, passes tsquery operators through", async () => {
      expect((await search("reading")).sort()).toEqual(["4", "5"]); // "readings"
      expect(await search("heart rate")).toEqual(["1", "6"]);
      expect(await search("glucose | energy")).toEqual(expect.arrayContaining(["4", "5"]));
      expect(await search("wear:*")).toEqual(expect.arrayContaining(["1", "10", "2"]));
      expect(await search("nothingmatches")).toEqual([]);
      expect(await search("  ")).toEqual([]);
    });

    it("combines with where, first and skip", async () => {
      expect(await search("wearable", `, where: { price_lt: "1000" }`)).toEqual(["10"]);
      const all = await search("wearable");
      expect(all).toHaveLength(3);
      expect(await search("wearable", ", first: 1, skip: 1")).toEqual([all[1]]);
    });

    it("reports a malformed tsquery as a GraphQL error", async () => {
      const r = await gql(`{ productSearch(text: "heart & (") { id } }`);
      expect(r.errors?.[0].message).toMatch(/full-text/i);
    });
  });

  describe("_meta and block arguments", () => {
    it("reports the indexed block", async () => {
      const d = await data(`{ _meta { block { number hash timestamp } deployment hasIndexingErrors } }`);
      expect(d._meta).toEqual({
        block: { number: 13, hash: "0x" + "d".padStart(64, "0"), timestamp: 1700000013 },
        deployment: store.deployment,
        hasIndexingErrors: false,
      });
    });

    it("accepts the latest block and older ones (time-travel.test.ts), refuses blocks not yet indexed", async () => {
      expect((await data(`{ products(block: { number_gte: 13 }, first: 1) { id } }`)).products).toHaveLength(1);
      expect((await data(`{ products(block: { number: 13 }, first: 1) { id } }`)).products).toHaveLength(1);
      expect((await gql(`{ products(block: { number_gte: 14 }) { id } }`)).errors?.[0].message).toMatch(/only indexed up to block number 13/);
      expect((await data(`{ products(block: { number: 3 }) { id } }`)).products).toEqual([{ id: "1" }, { id: "2" }]);
    });

    it("shows a recorded indexing failure", async () => {
      await store.recordFailure({ number: 14, hash: "0x0e" }, "boom");
      try {
        expect((await data(`{ _meta { hasIndexingErrors block { number } } }`))._meta).toEqual({ hasIndexingErrors: true, block: { number: 13 } });
      } finally {
        await store.clearFailure();
      }
    });
  });

  describe("errors never bring the server down", () => {
    it("rejects first and skip out of range", async () => {
      expect((await gql(`{ products(first: 100000) { id } }`)).errors?.[0].message).toBe(
        "The `first` argument must be between 0 and 1000, but is 100000",
      );
      expect((await gql(`{ products(first: -1) { id } }`)).errors?.[0].message).toMatch(/between 0 and 1000, but is -1/);
      expect((await gql(`{ products(skip: 10000) { id } }`)).errors?.[0].message).toBe("The `skip` argument must be between 0 and 5000, but is 10000");
      expect((await gql(`{ products { id agreements(first: 5000) { id } } }`)).errors?.[0].message).toMatch(/first/);
    });

    it("reports unknown fields, arguments and enum values as validation errors", async () => {
      expect((await gql(`{ products { id nope } }`)).errors?.[0].message).toBe('Cannot query field "nope" on type "Product".');
      expect((await gql(`{ products(where: { nope: 1 }) { id } }`)).errors?.[0].message).toMatch(/nope/);
      expect((await gql(`{ products(where: { productType: BOAT }) { id } }`)).errors?.[0].message).toMatch(/BOAT/);
      expect((await gql(`{ products(where: { price_gt: "abc" }) { id } }`)).errors?.[0].message).toMatch(/BigInt/);
      expect((await gql(`{ products(where: { seller: "0xzz" }) { id } }`)).errors?.[0].message).toMatch(/Bytes/);
      expect((await gql(`{ products { id`)).errors?.[0].message).toMatch(/Syntax Error/);
      expect((await gql(`mutation { products { id } }`)).errors).toBeDefined();
    });

    it("limits depth and complexity", async () => {
      let deep = "id";
      for (let i = 0; i < 6; i++) deep = `products { seller { ${deep} } }`;
      const r = await gql(`{ account(id: "${SELLER_A}") { ${deep} } }`);
      expect(r.errors?.[0].message).toMatch(/depth of \d+, which exceeds the limit of 10/);
      const heavy = await gql(`{ products(first: 1000) { agreements(first: 1000) { deliveries(first: 1000) { id } } } }`);
      expect(heavy.errors?.[0].message).toMatch(/too expensive/);
    });

    it("answers malformed HTTP requests with 4xx and supports GET, CORS", async () => {
      const bad = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
      expect(bad.status).toBe(400);
      const noQuery = await fetch(server.url, { method: "POST", body: JSON.stringify({ variables: {} }) });
      expect(noQuery.status).toBe(400);
      const get = await fetch(`${server.url}?query=${encodeURIComponent("{ products(first: 1) { id } }")}`);
      expect(await get.json()).toEqual({ data: { products: [{ id: "1" }] } });
      expect(get.headers.get("access-control-allow-origin")).toBe("*");
      const pre = await fetch(server.url, { method: "OPTIONS" });
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-methods")).toMatch(/POST/);
      const other = await fetch(server.url.replace("marketplace", "other"), { method: "POST", body: "{}" });
      expect(other.status).toBe(404);
      const html = await fetch(server.url, { headers: { accept: "text/html" } });
      const page = await html.text();
      expect(page).toMatch(/Run query/);
      expect(page).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/); // offline: no external assets
    });

    it("is still up and consistent after all of the above", async () => {
      const r = await Promise.all(Array.from({ length: 20 }, () => data(`{ _meta { block { number } } products(first: 2) { id } }`)));
      for (const d of r) expect(d).toEqual({ _meta: { block: { number: 13 } }, products: [{ id: "1" }, { id: "10" }] });
    });
  });
});
