// Query plans on PGlite: the catalogue queries the dApp (Explore: newest, price, most sold) and the
// CLI (`kraken search`: productId) send, and a filter + sort by price over list fields, use the
// store's indexes (store/ddl.ts) and never read the whole product table.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRODUCT_FIELDS } from "@kraken/sdk";
import { QueryEngine, type MetaInfo } from "../../src/graphql/execute.ts";
import { PgStore } from "../../src/store/pg-store.ts";
import type { EntityChange } from "../../src/store/types.ts";
import { SCHEMA_FILE } from "../graphql/fixture.ts";

const PRODUCTS = 3000;
const PURPOSES = ["RESEARCH", "CLINICAL_TRIALS", "PUBLIC_HEALTH", "PRODUCT_DEVELOPMENT", "INSURANCE", "MARKETING", "EDUCATION"];
const COUNTRIES = ["DE", "GB", "FR", "IT", "ES", "NL", "BE", "PT", "SE", "DK"];
const TYPES = ["STREAM", "BATCH", "DATA_UNION", "ANALYTICS"];

let store: PgStore;
let engine: QueryEngine;

beforeAll(async () => {
  store = await PgStore.open({ schema: SCHEMA_FILE, dataDir: "memory://", log: () => {} });
  const seller = new Uint8Array(20).fill(0xaa);
  const changes: EntityChange[] = [{ entity: "Account", id: "0x" + "aa".repeat(20), data: { id: seller, productsPublished: PRODUCTS, salesCount: 0, revenue: 0n, purchasesCount: 0, spent: 0n } }];
  for (let i = 1; i <= PRODUCTS; i++) {
    const policy = { purposes: [PURPOSES[i % 7], PURPOSES[(i * 3) % 7]], consumerCategories: ["ORGANISATION"], organisationTypes: [], jurisdictions: [COUNTRIES[i % 10], COUNTRIES[(i * 7) % 10]], requiresApproval: false };
    const ts = BigInt(1_700_000_000 + i);
    changes.push({
      entity: "Product", id: String(i), data: {
        id: String(i), productId: BigInt(i), seller, productType: TYPES[i % 4], modality: "ANONYMISED", title: `product ${i}`, summary: "s", category: `c${i % 8}`,
        tags: ["t"], tagsText: "t", metadataURI: "ipfs://x", price: BigInt((i * 7919) % 1000) * 10n ** 16n, pricingUnit: "DAY", active: i % 10 !== 0,
        deliveryAgents: [], threshold: 0, streams: [], createdAt: ts, updatedAt: ts, salesCount: i % 13, revenue: 0n, policy: `${i}-1`, ...policy,
      },
    });
    changes.push({ entity: "PolicyVersion", id: `${i}-1`, data: { id: `${i}-1`, product: String(i), version: 1, ...policy, retentionDays: 365, createdAt: ts } });
  }
  await store.applyBlock({ number: 1, hash: "0x" + "01".padStart(64, "0"), timestamp: 1 }, changes);
  await store.sql.exec("ANALYZE");
  const meta = async (): Promise<MetaInfo> => ({ block: { number: 1, hash: null }, hasIndexingErrors: false });
  engine = new QueryEngine(store, meta);
}, 120_000);
afterAll(async () => {
  await store?.close();
});

/** The plans of the statements a GraphQL query runs. */
async function plans(query: string, variables: Record<string, unknown>): Promise<string[]> {
  const sql = store.sql;
  const seen: [string, unknown[] | undefined][] = [];
  const query0 = sql.query.bind(sql);
  sql.query = ((text: string, params?: unknown[], opts?: never) => {
    seen.push([text, params]);
    return query0(text, params, opts);
  }) as typeof sql.query;
  try {
    const r = await engine.run({ query, variables });
    expect(r.errors).toBeUndefined();
  } finally {
    sql.query = query0;
  }
  const out: string[] = [];
  for (const [text, params] of seen) {
    const r = await query0<{ "QUERY PLAN": string }>(`EXPLAIN ${text}`, params);
    out.push(r.rows.map((x) => x["QUERY PLAN"]).join("\n"));
  }
  return out;
}

const BROWSE = `query Browse($where: Product_filter, $first: Int!, $skip: Int!, $orderBy: Product_orderBy, $dir: OrderDirection) {
  products(where: $where, first: $first, skip: $skip, orderBy: $orderBy, orderDirection: $dir) { ${PRODUCT_FIELDS} } }`;

describe("query plans on PGlite", () => {
  it.each([
    ["dApp: newest first", { where: { active: true }, first: 13, skip: 0, orderBy: "createdAt", dir: "desc" }, "product_createdAt"],
    ["dApp: price ascending", { where: { active: true, productType: "STREAM" }, first: 13, skip: 0, orderBy: "price", dir: "asc" }, "product_price"],
    ["dApp: price descending, a price range", { where: { active: true, price_gte: "100000000000000000" }, first: 13, skip: 12, orderBy: "price", dir: "desc" }, "product_price"],
    ["dApp: most sold", { where: { active: true }, first: 13, skip: 0, orderBy: "salesCount", dir: "desc" }, "product_salesCount"],
    ["CLI: by productId", { where: { active: true }, first: 20, skip: 0, orderBy: "productId", dir: "asc" }, "product_productId"],
    ["filters on lists + sort by price", { where: { productType: "STREAM", jurisdictions_contains: ["DE"], purposes_contains: ["RESEARCH"], price_gte: "10000000000000000" }, first: 20, skip: 40, orderBy: "price", dir: "asc" }, null],
  ])("%s: index scans, no sequential scan of the product table", async (_name, variables, index) => {
    const [products, ...nested] = await plans(BROWSE, variables);
    expect(products).not.toMatch(/Seq Scan on product/);
    expect(products).toMatch(/Index Scan|Bitmap Index Scan|Index Only Scan/);
    if (index) expect(products).toContain(index);
    else expect(products).toMatch(/product_(jurisdictions|purposes)/); // the GIN indexes of the list fields
    // seller { id } and policy { … }: lookups by primary key
    for (const p of nested) expect(p).not.toMatch(/Seq Scan/);
  });
});
