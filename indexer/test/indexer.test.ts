// The local subgraph runtime end to end: a real chain (anvil), the compiled subgraph, contract
// calls → entities, live indexing, restart-resume, and a mapping error stopping indexing.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther } from "viem";
import { catalogueAbi, Modality, PricingUnit, ProductType } from "@kraken/sdk";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { emitMalformedProductPublished } from "./malformed-event.ts";
import { buildSubgraph } from "../../subgraph/scripts/build.ts";
import { startIndexer, type RunningIndexer } from "../src/index.ts";

let s: Stack;
let manifestFile: string;
let indexer: RunningIndexer | undefined;
const dataDir = () => join(s.dir, "indexer");

async function query(url: string, q: string) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: q }) });
  return res.json();
}

async function publish(title: string) {
  const hospital = s.clients(2);
  const hash = await hospital.wallet.writeContract({
    address: s.deployment.contracts.Catalogue.address,
    abi: catalogueAbi,
    functionName: "publish",
    args: [ProductType.Stream, Modality.Encrypted, parseEther("3"), PricingUnit.Day, [], 0, { metadataURI: "ipfs://bafkreitest", title, summary: "Live glucose readings", category: "Health / Diabetes", tags: ["glucose", "cgm"] }, []],
  });
  return hospital.publicClient.waitForTransactionReceipt({ hash });
}

beforeAll(async () => {
  s = await startStack({ seed: true });
  manifestFile = buildSubgraph(s.deployment);
});

afterAll(async () => {
  await indexer?.stop().catch(() => {});
  await s?.stop();
});

describe("local subgraph runtime", () => {
  it("backfills the seeded chain: contract calls become the entities of the public API", async () => {
    indexer = await startIndexer({ rpcUrl: s.rpcUrl, manifestFile, dataDir: dataDir(), port: 0, log: () => {} });
    await indexer.waitFor(await s.clients(0).publicClient.getBlockNumber());
    const { data } = await query(indexer.url, `{
      product(id: "1") { title productType modality price pricingUnit active tags seller { id productsPublished } policy { version purposes requiresApproval } salesCount }
      agreements(orderBy: agreementId) { id status purpose amountPaid policyVersion { id } }
      marketStats(id: "global") { products activeProducts agreements sellers consumers buyers }
      credentials(where: { country: "IT" }) { category organisationType }
    }`);
    expect(data.product).toMatchObject({ title: "Anonymised ICU vital signs 2019–2024", productType: "BATCH", modality: "ANONYMISED", price: parseEther("250").toString(), pricingUnit: "ONE_TIME", active: true, salesCount: 1 });
    expect(data.product.policy).toEqual({ version: 1, purposes: ["RESEARCH", "CLINICAL_TRIALS", "PUBLIC_HEALTH", "AI_TRAINING"], requiresApproval: false });
    expect(data.product.seller.productsPublished).toBe(6);
    expect(new Set(data.agreements.map((a: { status: string }) => a.status))).toEqual(new Set(["ACTIVE", "PENDING", "REJECTED", "CANCELLED"]));
    expect(data.marketStats).toEqual({ products: 14, activeProducts: 14, agreements: 10, sellers: 5, consumers: 4, buyers: 4 }); // sellers: hospital, Anna, university and the two unions (analytics queries are jobs, not agreements)
    // In IT: the hospital, and Giulia (a data union member)
    expect(data.credentials).toEqual(expect.arrayContaining([{ category: "ORGANISATION", organisationType: "HOSPITAL" }, { category: "INDIVIDUAL", organisationType: "NONE" }]));
    expect(data.credentials).toHaveLength(2);
  });

  it("indexes new blocks as they arrive and finds them by full-text search", async () => {
    const receipt = await publish("Continuous glucose monitoring, live");
    await indexer!.waitFor(receipt.blockNumber);
    const { data } = await query(indexer!.url, `{ productSearch(text: "glucose") { title productType } _meta { block { number } } }`);
    expect(data.productSearch[0]).toEqual({ title: "Continuous glucose monitoring, live", productType: "STREAM" });
    expect(data._meta.block.number).toBe(Number(receipt.blockNumber));
  });

  it("resumes where it stopped after a restart, and catches up with blocks mined meanwhile", async () => {
    await indexer!.stop();
    indexer = undefined;
    const receipt = await publish("Insulin pump events");
    const lines: string[] = [];
    indexer = await startIndexer({ rpcUrl: s.rpcUrl, manifestFile, dataDir: dataDir(), port: 0, log: (l) => lines.push(l) });
    expect(lines.join("\n")).toMatch(/resuming after block \d+/);
    await indexer.waitFor(receipt.blockNumber);
    expect(indexer.status().events).toBe(1); // only the new event was processed
    const { data } = await query(indexer.url, `{ marketStats(id: "global") { products } products(where: { title_contains: "Insulin" }) { id } }`);
    expect(data.marketStats.products).toBe(16);
    expect(data.products).toHaveLength(1);
  });

  it("stops at a block whose event the mapping cannot handle, and says so in _meta", async () => {
    const before = indexer!.status().block!;
    const receipt = await emitMalformedProductPublished(s); // the mapping cannot handle it

    await expect(indexer!.waitFor(receipt.blockNumber, 10_000)).rejects.toThrow(/handleProductPublished failed at block/);
    const { data } = await query(indexer!.url, `{ _meta { block { number } hasIndexingErrors } }`);
    expect(data._meta.hasIndexingErrors).toBe(true);
    expect(data._meta.block.number).toBeGreaterThanOrEqual(before);
    expect(data._meta.block.number).toBeLessThan(Number(receipt.blockNumber));
  });
});
