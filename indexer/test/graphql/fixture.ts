// A realistic marketplace dataset, written the way the subgraph mappings write it
// (subgraph/src/*.ts): through the EntityCache, one block at a time, then PgStore.applyBlock.
import { fileURLToPath } from "node:url";
import type { StoreLocation } from "../backends.ts";
import { EntityCache } from "../../src/store/cache.ts";
import { PgStore } from "../../src/store/pg-store.ts";
import type { EntityData } from "../../src/store/types.ts";

export const SCHEMA_FILE = fileURLToPath(new URL("../../../subgraph/schema.graphql", import.meta.url));

export const addr = (n: number) => "0x" + n.toString(16).padStart(40, "0");
export const bytes = (hex: string) => new Uint8Array(Buffer.from(hex.replace(/^0x/, ""), "hex"));
export const SELLER_A = addr(0xa1);
export const SELLER_B = addr(0xb2);
export const CONSUMER_C = addr(0xc3);
export const CONSUMER_D = addr(0xd4);
export const ISSUER = addr(0x15);

interface ProductSpec {
  id: number;
  seller: string;
  productType: string;
  modality: string;
  title: string;
  summary: string;
  category: string;
  tags: string[];
  price: bigint;
  pricingUnit: string;
}

export const PRODUCTS: ProductSpec[] = [
  { id: 1, seller: SELLER_A, productType: "STREAM", modality: "ENCRYPTED", title: "Heart rate stream", summary: "Live wearable heart rate, one sample per second", category: "Health", tags: ["wearable", "cardio"], price: 5n * 10n ** 18n, pricingUnit: "MONTH" },
  { id: 2, seller: SELLER_A, productType: "BATCH", modality: "ANONYMISED", title: "Sleep diary 2024", summary: "A year of anonymised sleep records", category: "Health", tags: ["sleep", "wearable"], price: 20n * 10n ** 18n, pricingUnit: "ONE_TIME" },
  { id: 3, seller: SELLER_B, productType: "DATA_UNION", modality: "ANONYMISED", title: "Commuter mobility union", summary: "Pooled GPS traces of 2,000 commuters", category: "Mobility", tags: ["gps", "traffic"], price: 150n * 10n ** 18n, pricingUnit: "ONE_TIME" },
  { id: 4, seller: SELLER_B, productType: "ANALYTICS", modality: "SMPC", title: "Diabetes cohort analytics", summary: "Secure multi-party statistics over glucose readings", category: "Research", tags: ["glucose", "cardio", "diabetes"], price: 1000n * 10n ** 18n, pricingUnit: "WEEK" },
  { id: 5, seller: SELLER_A, productType: "STREAM", modality: "ENCRYPTED", title: "Smart meter readings", summary: "Household energy usage every 15 minutes", category: "Energy", tags: ["energy", "home", "stream"], price: 1n * 10n ** 17n, pricingUnit: "DAY" },
  { id: 6, seller: SELLER_B, productType: "BATCH", modality: "ENCRYPTED", title: "Fitness app exports", summary: "Running and cycling workouts with heart rate zones", category: "Sport", tags: ["running", "heart"], price: 3n * 10n ** 18n, pricingUnit: "HOUR" },
  { id: 10, seller: SELLER_A, productType: "ANALYTICS", modality: "ANONYMISED", title: "Step counts by region", summary: "Aggregated daily steps per region", category: "Health", tags: ["steps", "wearable"], price: 42n, pricingUnit: "ONE_TIME" },
  { id: 11, seller: SELLER_B, productType: "BATCH", modality: "ANONYMISED", title: "Survey answers", summary: "Lifestyle questionnaire; mentions cardio habits", category: "Research", tags: ["survey", "lifestyle"], price: 7n * 10n ** 18n, pricingUnit: "ONE_TIME" },
];

function account(cache: EntityCache, id: string): EntityData {
  let a = cache.get("Account", id);
  if (!a) {
    a = { id: bytes(id), productsPublished: 0, salesCount: 0, revenue: 0n, purchasesCount: 0, spent: 0n };
    cache.set("Account", id, a);
  }
  return a;
}

function stats(cache: EntityCache): EntityData {
  let s = cache.get("MarketStats", "global");
  if (!s) {
    s = { id: "global", products: 0, activeProducts: 0, agreements: 0, volume: 0n, sellers: 0, consumers: 0, buyers: 0 };
    cache.set("MarketStats", "global", s);
  }
  return s;
}

export function publish(cache: EntityCache, p: ProductSpec, timestamp: bigint) {
  cache.set("Product", String(p.id), {
    id: String(p.id), productId: BigInt(p.id), seller: bytes(p.seller), productType: p.productType, modality: p.modality,
    title: p.title, summary: p.summary, category: p.category, tags: p.tags, tagsText: p.tags.join(" "),
    metadataURI: `ipfs://meta-${p.id}`, price: p.price, pricingUnit: p.pricingUnit, active: true,
    deliveryAgents: [], threshold: 0, streams: [], createdAt: timestamp, updatedAt: timestamp, salesCount: 0, revenue: 0n,
    purposes: [], consumerCategories: [], organisationTypes: [], jurisdictions: [], requiresApproval: false,
  });
  const seller = account(cache, p.seller);
  const s = stats(cache);
  if (seller.productsPublished === 0) s.sellers = (s.sellers as number) + 1;
  cache.set("Account", p.seller, { productsPublished: (seller.productsPublished as number) + 1 });
  cache.set("MarketStats", "global", { products: (s.products as number) + 1, activeProducts: (s.activeProducts as number) + 1, sellers: s.sellers });
}

export function setPolicy(
  cache: EntityCache,
  productId: number,
  version: number,
  policy: { purposes: string[]; categories: string[]; orgTypes: string[]; jurisdictions: string[]; requiresApproval: boolean; retentionDays: number },
  timestamp: bigint,
) {
  const id = `${productId}-${version}`;
  const v: EntityData = {
    id, product: String(productId), version, purposes: policy.purposes, consumerCategories: policy.categories,
    organisationTypes: policy.orgTypes, jurisdictions: policy.jurisdictions, requiresApproval: policy.requiresApproval,
    retentionDays: policy.retentionDays, createdAt: timestamp,
  };
  cache.set("PolicyVersion", id, v);
  cache.set("Product", String(productId), {
    policy: id, purposes: policy.purposes, consumerCategories: policy.categories, organisationTypes: policy.orgTypes,
    jurisdictions: policy.jurisdictions, requiresApproval: policy.requiresApproval, updatedAt: timestamp,
  });
}

export function buy(cache: EntityCache, agreementId: number, productId: number, consumer: string, purpose: string, amount: bigint, status: string, timestamp: bigint) {
  const product = cache.get("Product", String(productId))!;
  const seller = product.seller as Uint8Array;
  account(cache, consumer);
  cache.set("Agreement", String(agreementId), {
    id: String(agreementId), agreementId: BigInt(agreementId), product: String(productId), consumer: bytes(consumer), seller,
    purpose, status, policyVersion: product.policy as string, amountPaid: amount, startsAt: status === "ACTIVE" ? timestamp : 0n,
    endsAt: 0n, renewals: 0, refunded: 0n, createdAt: timestamp, updatedAt: timestamp,
  });
  const s = stats(cache);
  cache.set("MarketStats", "global", { agreements: (s.agreements as number) + 1 });
  if (status === "ACTIVE") {
    cache.set("Product", String(productId), { salesCount: (product.salesCount as number) + 1, revenue: (product.revenue as bigint) + amount });
    const sellerHex = "0x" + Buffer.from(seller).toString("hex");
    const sa = cache.get("Account", sellerHex)!;
    cache.set("Account", sellerHex, { salesCount: (sa.salesCount as number) + 1, revenue: (sa.revenue as bigint) + amount });
    const ca = cache.get("Account", consumer)!;
    const s2 = stats(cache);
    cache.set("MarketStats", "global", { consumers: (s2.consumers as number) + ((ca.purchasesCount as number) === 0 ? 1 : 0), buyers: (s2.buyers as number) + ((ca.purchasesCount as number) === 0 ? 1 : 0), volume: (s2.volume as bigint) + amount });
    cache.set("Account", consumer, { purchasesCount: (ca.purchasesCount as number) + 1, spent: (ca.spent as bigint) + amount });
  }
}

export const T0 = 1_700_000_000n;

/** The hash the fixture gives block `n`. */
export const blockHash = (n: number) => "0x" + n.toString(16).padStart(64, "0");

/** Creates a store (in memory unless given where) and indexes the dataset over a few blocks
 * (`onBlock` after each is written); returns the store and cache. */
export async function seed(at: StoreLocation = { dataDir: "memory://" }, onBlock?: (block: number, store: PgStore) => Promise<void>): Promise<{ store: PgStore; cache: EntityCache }> {
  const store = await PgStore.open({ schema: SCHEMA_FILE, ...at, log: () => {} });
  const cache = await EntityCache.load(store);
  let block = 1;
  const flush = async () => {
    await store.applyBlock({ number: block, hash: blockHash(block), timestamp: Number(T0) + block }, cache.takeChanges());
    await onBlock?.(block, store);
    block++;
  };
  // block 1: issuer + credentials
  cache.set("Issuer", ISSUER, { id: bytes(ISSUER), trusted: true, updatedAt: T0 });
  for (const [who, category, org, country] of [
    [CONSUMER_C, "ORGANISATION", "HOSPITAL", "DE"],
    [CONSUMER_D, "INDIVIDUAL", "NONE", "FR"],
  ] as const) {
    account(cache, who);
    cache.set("Credential", who, {
      id: bytes(who), subject: bytes(who), issuer: bytes(ISSUER), category, organisationType: org, country,
      credentialHash: bytes("ab".repeat(32)), encryptionKey: bytes("cd".repeat(32)), issuedAt: T0, expiresAt: T0 + 86400n * 365n,
      revoked: false, registeredAt: T0,
    });
    cache.set("Account", who, { credential: bytes(who) });
  }
  await flush();
  // blocks 2..: products, one per block, createdAt increasing
  for (const p of PRODUCTS) {
    publish(cache, p, T0 + BigInt(p.id) * 100n);
    await flush();
  }
  // policies: product 1 has two versions; 2, 3, 4 one each
  const research = { purposes: ["RESEARCH", "PUBLIC_HEALTH"], categories: ["ORGANISATION"], orgTypes: ["HOSPITAL", "RESEARCH_UNIVERSITY"], jurisdictions: ["DE", "FR"], requiresApproval: false, retentionDays: 365 };
  setPolicy(cache, 1, 1, { ...research, purposes: ["RESEARCH"] }, T0 + 2000n);
  await flush();
  setPolicy(cache, 1, 2, research, T0 + 2100n);
  setPolicy(cache, 2, 1, { purposes: ["MARKETING", "STATISTICS"], categories: ["INDIVIDUAL", "ORGANISATION"], orgTypes: [], jurisdictions: ["GB"], requiresApproval: true, retentionDays: 0 }, T0 + 2100n);
  setPolicy(cache, 3, 1, { purposes: ["PUBLIC_HEALTH"], categories: ["ORGANISATION"], orgTypes: ["PUBLIC_AUTHORITY"], jurisdictions: ["DE"], requiresApproval: true, retentionDays: 30 }, T0 + 2100n);
  setPolicy(cache, 4, 1, { purposes: ["RESEARCH", "CLINICAL_TRIALS", "AI_TRAINING"], categories: ["ORGANISATION"], orgTypes: ["PHARMA"], jurisdictions: ["DE", "NL"], requiresApproval: false, retentionDays: 90 }, T0 + 2100n);
  await flush();
  // agreements
  buy(cache, 1, 1, CONSUMER_C, "RESEARCH", 5n * 10n ** 18n, "ACTIVE", T0 + 3000n);
  buy(cache, 2, 1, CONSUMER_D, "PUBLIC_HEALTH", 5n * 10n ** 18n, "ACTIVE", T0 + 3001n);
  buy(cache, 3, 2, CONSUMER_C, "MARKETING", 20n * 10n ** 18n, "PENDING", T0 + 3002n);
  await flush();
  buy(cache, 4, 4, CONSUMER_C, "CLINICAL_TRIALS", 1000n * 10n ** 18n, "ACTIVE", T0 + 3100n);
  // deliveries
  cache.set("Delivery", "0x" + "11".repeat(32) + "00000001", { id: bytes("11".repeat(32) + "00000001"), agreement: "1", agent: bytes(addr(0xde1)), envelopeHash: bytes("ee".repeat(32)), timestamp: T0 + 3200n });
  cache.set("Delivery", "0x" + "22".repeat(32) + "00000002", { id: bytes("22".repeat(32) + "00000002"), agreement: "1", agent: bytes(addr(0xde2)), envelopeHash: bytes("ff".repeat(32)), timestamp: T0 + 3300n });
  // delivery agents on product 1, deactivate product 5, retraction
  cache.set("Product", "1", { deliveryAgents: [bytes(addr(0xde1)), bytes(addr(0xde2))], threshold: 2 });
  cache.set("Product", "5", { active: false });
  cache.set("MarketStats", "global", { activeProducts: (cache.get("MarketStats", "global")!.activeProducts as number) - 1 });
  cache.set("Retraction", `1-${CONSUMER_D}`, { id: `1-${CONSUMER_D}`, product: "1", consumer: bytes(CONSUMER_D), retracted: true, updatedAt: T0 + 3400n });
  await flush();
  return { store, cache };
}
