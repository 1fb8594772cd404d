// Anonymisation reports (Catalogue.AnonymisationReported, issue 16) through the whole local
// indexer path without a chain: the compiled Catalogue mapping writes through the EntityCache into
// PgStore one block at a time, as `npm start` does, and the product list query the CLI and the
// dApp send (PRODUCT_FIELDS) filters on the new fields through the generated Product_filter.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256, toHex, type Hex } from "viem";
import { PRODUCT_FIELDS, type GraphProduct } from "@kraken/sdk";
import { startGraphqlServer, type GraphqlServer } from "../src/graphql/server.ts";
import { MappingModule } from "../src/runtime/index.ts";
import { EntityCache, PgStore } from "../src/store/index.ts";
import { makeEvent, readAbi, readSchema, readWasm, ROOT } from "./runtime/helpers.ts";

const abi = readAbi("Catalogue");
const SELLER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as Hex;
const T0 = 1_700_000_000n;
const hashOf = (s: string) => sha256(toHex(s));

let store: PgStore;
let cache: EntityCache;
let catalogue: MappingModule;
let server: GraphqlServer;
let block = 0;

/** Runs Catalogue events as one block and stores its changes. */
async function runBlock(events: [name: string, args: Record<string, unknown>][]) {
  block++;
  const timestamp = T0 + BigInt(block) * 10n;
  events.forEach(([name, args], i) => catalogue.runHandler(`handle${name}`, makeEvent(abi, name, args, { blockNumber: BigInt(block), timestamp, logIndex: BigInt(i) })));
  await store.applyBlock({ number: block, hash: toHex(block, { size: 32 }), timestamp: Number(timestamp) }, cache.takeChanges());
  return timestamp;
}

const published = (productId: bigint, productType: number, modality: number, title: string): [string, Record<string, unknown>] => [
  "ProductPublished",
  { productId, seller: SELLER, productType, modality, price: 10n ** 18n, pricingUnit: productType === 0 ? 2 : 0, metadataURI: `ipfs://meta-${productId}`, title, summary: "s", category: "health", tags: ["icu"] },
];
const reported = (productId: bigint, k: number, l: number, what: string, reportURI = `ipfs://report-${what}`): [string, Record<string, unknown>] => [
  "AnonymisationReported",
  { productId, reportHash: hashOf(what), k, l, reportURI },
];

async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data: T; errors?: { message: string }[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

/** The CLI's `kraken search` / the dApp's Explore list query, with a filter. */
const listQuery = `query($where: Product_filter, $first: Int, $skip: Int) { products(where: $where, first: $first, skip: $skip, orderBy: createdAt, orderDirection: asc) { ${PRODUCT_FIELDS} } }`;
const list = async (where: Record<string, unknown>) => (await gql<{ products: GraphProduct[] }>(listQuery, { where, first: 100, skip: 0 })).products;

let reportedAt1: bigint, reportedAt2: bigint;

beforeAll(async () => {
  store = await PgStore.open({ schema: `${ROOT}subgraph/build/schema.graphql`, dataDir: "memory://", log: () => {} });
  cache = await EntityCache.load(store);
  catalogue = await MappingModule.load(readWasm("Catalogue"), { dataSourceName: "Catalogue", address: "0x5fbdb2315678afecb367f032d93f642f64180aa3", network: "localhost", store: cache, schema: readSchema() });
  // ProductType: 0 Stream, 1 Batch, 3 Analytics; Modality: 0 Anonymised, 1 Encrypted, 2 Smpc
  await runBlock([
    published(1n, 1, 0, "ICU vital signs, k=10"),
    published(2n, 1, 0, "Outpatient visits, k=5"),
    published(3n, 1, 0, "Lab results, not reported yet"),
    published(4n, 1, 1, "Encrypted discharge letters"),
    published(5n, 0, 1, "Heart rate stream"),
  ]);
  reportedAt1 = await runBlock([reported(1n, 4, 2, "icu v1"), reported(2n, 5, 2, "outpatient")]);
  // A new version of product 1's file: the report is replaced, as on chain.
  reportedAt2 = await runBlock([reported(1n, 10, 3, "icu v2", "https://data.example.org/icu-v2.json")]);
  server = await startGraphqlServer({ store, port: 0 });
});

afterAll(async () => {
  await server?.stop();
  await store?.close();
});

describe("AnonymisationReported", () => {
  it("sets the product's report fields; the latest report replaces the earlier one and moves updatedAt", async () => {
    const d = await gql<{ product: GraphProduct; other: GraphProduct }>(`{ product(id: "1") { ${PRODUCT_FIELDS} } other: product(id: "2") { ${PRODUCT_FIELDS} } }`);
    expect(d.product).toMatchObject({
      anonymisationK: 10, anonymisationL: 3, anonymisationReportHash: hashOf("icu v2"), anonymisationReportURI: "https://data.example.org/icu-v2.json",
      anonymisedAt: reportedAt2.toString(), updatedAt: reportedAt2.toString(), createdAt: (T0 + 10n).toString(),
    });
    expect(d.other).toMatchObject({ anonymisationK: 5, anonymisationL: 2, anonymisationReportHash: hashOf("outpatient"), anonymisedAt: reportedAt1.toString() });
  });

  it("leaves every field null on products never reported", async () => {
    const d = await gql<{ products: GraphProduct[] }>(`{ products(where: { id_in: ["3", "4", "5"] }) { ${PRODUCT_FIELDS} } }`);
    for (const p of d.products) {
      expect(p).toMatchObject({ anonymisationK: null, anonymisationL: null, anonymisationReportHash: null, anonymisationReportURI: null, anonymisedAt: null });
    }
    expect(d.products).toHaveLength(3);
  });

  it("the product list query filters on k: anonymisationK_gte excludes weaker and un-reported products", async () => {
    expect((await list({ anonymisationK_gte: 10 })).map((p) => p.id)).toEqual(["1"]);
    expect((await list({ anonymisationK_gte: 5 })).map((p) => p.id)).toEqual(["1", "2"]);
    expect((await list({ anonymisationK_gte: 5, anonymisationL_gte: 3 })).map((p) => p.id)).toEqual(["1"]);
    // "reported at all", and its complement, as a catalogue filter would ask
    expect((await list({ anonymisationK_not: null })).map((p) => p.id)).toEqual(["1", "2"]);
    expect((await list({ productType: "BATCH", modality: "ANONYMISED", anonymisationK: null })).map((p) => p.id)).toEqual(["3"]);
    // in a literal query too (graph-node syntax), and ordered by k
    const d = await gql<{ products: { id: string; anonymisationK: number }[] }>(`{ products(where: { anonymisationK_gte: 1 }, orderBy: anonymisationK, orderDirection: desc) { id anonymisationK } }`);
    expect(d.products).toEqual([{ id: "1", anonymisationK: 10 }, { id: "2", anonymisationK: 5 }]);
  });

  it("ignores a report for a product it does not know, and keeps a k above 2^31 − 1 as the largest Int", async () => {
    await runBlock([reported(99n, 10, 3, "nothing")]);
    expect((await gql<{ product: null }>(`{ product(id: "99") { id } }`)).product).toBeNull();
    await runBlock([published(6n, 1, 0, "A claim no file could back"), reported(6n, 4_294_967_295, 2_147_483_648, "huge")]);
    const d = await gql<{ product: GraphProduct }>(`{ product(id: "6") { id anonymisationK anonymisationL } }`);
    expect(d.product).toEqual({ id: "6", anonymisationK: 2_147_483_647, anonymisationL: 2_147_483_647 });
    expect((await list({ anonymisationK_gte: 10 })).map((p) => p.id)).toEqual(["1", "6"]);
  });
});
