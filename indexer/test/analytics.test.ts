// The Analytics data source on the local subgraph runtime: a dataset commitment, query jobs that
// complete (two result receipts), are refused (two refusals) or are refunded after their
// deadline, read back through GraphQL as the dApp's product page and "My queries" ask for them.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestClient, http, keccak256, parseEther, toHex, type Hex } from "viem";
import { analyticsAbi, dataTokenAbi, policiesAbi, Purpose, RefusalReason } from "@kraken/sdk";
import { PRODUCTS } from "../../contracts/scripts/demo.ts";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { buildSubgraph } from "../../subgraph/scripts/build.ts";
import { startIndexer, type RunningIndexer } from "../src/index.ts";

let s: Stack;
let indexer: RunningIndexer;
const productId = BigInt(PRODUCTS.findIndex((p) => p.key === "readmission-analytics") + 1);
const HOSPITAL = 2;
const INSTITUTE = 4;
const NODES = [23, 24, 25];

async function query(q: string) {
  await indexer.waitFor(await s.clients(0).publicClient.getBlockNumber());
  const res = await fetch(indexer.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: q }) });
  const body = (await res.json()) as { data: Record<string, unknown>; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

async function send(account: number, functionName: string, args: readonly unknown[], address = s.deployment.contracts.Analytics!.address, abi: readonly unknown[] = analyticsAbi) {
  const c = s.clients(account);
  const hash = await c.wallet.writeContract({ address, abi, functionName, args } as never);
  const receipt = await c.publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe("success");
  return receipt;
}

let manifestHash: Hex;
async function requestJob(label: string): Promise<bigint> {
  const policy = await s.clients(INSTITUTE).publicClient.readContract({ address: s.deployment.contracts.Policies.address, abi: policiesAbi, functionName: "policyOf", args: [productId] });
  await send(INSTITUTE, "approve", [s.deployment.contracts.Analytics!.address, parseEther("100")], s.deployment.contracts.DataToken.address, dataTokenAbi);
  await send(INSTITUTE, "requestQuery", [productId, Purpose.Statistics, policy.version, manifestHash, keccak256(toHex(label)), parseEther("100")]);
  return s.clients(0).publicClient.readContract({ address: s.deployment.contracts.Analytics!.address, abi: analyticsAbi, functionName: "jobCount" });
}

beforeAll(async () => {
  s = await startStack({ seed: true });
  indexer = await startIndexer({ rpcUrl: s.rpcUrl, manifestFile: buildSubgraph(s.deployment), dataDir: join(s.dir, "indexer"), port: 0, log: () => {} });
  manifestHash = keccak256(toHex("manifest v1"));
  await send(HOSPITAL, "commitDataset", [productId, {
    manifestHash, manifestURI: "ipfs://bafkreimanifest", bundleHashes: [1, 2, 3].map((i) => keccak256(toHex(`bundle ${i}`))),
    rows: 10_000, minCohort: 10, epsilonPerQuery: 500, epsilonBudget: 2_000, jobTimeout: 600,
  }]);
});

afterAll(async () => {
  await indexer?.stop().catch(() => {});
  await s?.stop();
});

describe("Analytics data source", () => {
  it("a commitment becomes the product's dataset", async () => {
    const data = await query(`{ product(id: "${productId}") { productType modality dataset { version manifestURI rows minCohort epsilonPerQuery epsilonBudget epsilonSpent jobTimeout queryCount bundleHashes } } }`);
    expect(data.product).toMatchObject({ productType: "ANALYTICS", modality: "SMPC", dataset: { version: 1, manifestURI: "ipfs://bafkreimanifest", rows: 10_000, minCohort: 10, epsilonPerQuery: 500, epsilonBudget: 2_000, epsilonSpent: 0, jobTimeout: 600, queryCount: 0 } });
    expect((data.product as { dataset: { bundleHashes: string[] } }).dataset.bundleHashes).toHaveLength(3);
  });

  it("jobs: completed by two receipts (the seller's revenue counts), refused by two refusals, refunded after the deadline (ε back)", async () => {
    const completed = await requestJob("completed");
    await send(NODES[0], "recordResult", [completed, keccak256(toHex("share 1"))]);
    await send(NODES[1], "recordResult", [completed, keccak256(toHex("share 2"))]);
    const refused = await requestJob("refused");
    await send(NODES[0], "recordRefusal", [refused, RefusalReason.Differencing]);
    await send(NODES[2], "recordRefusal", [refused, RefusalReason.Differencing]);
    const timedOut = await requestJob("timed out");
    await createTestClient({ mode: "anvil", transport: http(s.rpcUrl) }).increaseTime({ seconds: 601 });
    await send(HOSPITAL, "refund", [timedOut]);

    const data = await query(`{
      queryJobs(orderBy: jobId) { jobId status results refusals amount epsilonCharged purpose consumer { id } receipts(orderBy: at) { node resultHash refusal } }
      analyticsDataset(id: "${productId}") { epsilonSpent queryCount }
      product(id: "${productId}") { salesCount revenue }
      account(id: "${s.clients(INSTITUTE).account.address.toLowerCase()}") { queries { jobId } }
    }`) as { queryJobs: { jobId: string; status: string; results: number; refusals: number; receipts: { refusal: string | null; resultHash: string | null }[] }[]; analyticsDataset: unknown; product: unknown; account: { queries: unknown[] } };
    const byId = new Map(data.queryJobs.map((j) => [j.jobId, j]));
    expect(byId.get(String(completed))).toMatchObject({ status: "COMPLETED", results: 2, refusals: 0, amount: parseEther("100").toString(), epsilonCharged: 500, purpose: "STATISTICS" });
    expect(byId.get(String(refused))).toMatchObject({ status: "REFUSED", results: 0, refusals: 2 });
    expect(byId.get(String(refused))!.receipts.map((r) => r.refusal)).toEqual(["DIFFERENCING", "DIFFERENCING"]);
    expect(byId.get(String(timedOut))).toMatchObject({ status: "REFUNDED", results: 0, refusals: 0 });
    // ε: 3 × 0.5 charged, the timed-out job's given back; the refusal keeps its ε spent.
    expect(data.analyticsDataset).toEqual({ epsilonSpent: 1_000, queryCount: 3 });
    expect(data.product).toEqual({ salesCount: 1, revenue: parseEther("100").toString() });
    expect(data.account.queries).toHaveLength(3);
  });
});
