// The demo's analytics product, made real at `npm start`: the hospital shares its synthetic
// admissions table (demo-dataset.ts) to the three SMPC nodes and commits it on chain, then the
// research institute pays for one query, so a fresh marketplace has a completed query job.
// Idempotent: a committed dataset is not shared again, and the query runs while no job exists
// (the chain and the nodes' state persist under .data/).
import { privateKeyToAccount } from "viem/accounts";
import type { Address, Hex } from "viem";
import {
  analyticsAbi, catalogueAbi, clientsFor, commitDataset, JobStatus, marketplaceChain, policiesAbi, Purpose, relayEncryptionKeys, requestQuery, type Deployment, type RelayEndpoint,
} from "@kraken/sdk";
import {
  gatewayFetchJson, manifestHash, nodeEndpointsFor, parseManifest, parseSchema, queryHash, shareAndUpload, submitQuery, toDatasetInput, validateQuery, waitForActiveDataset,
  type AnalyticsManifest, type Query,
} from "@kraken/sdk/analytics";
import { ipfsAdd, nodeSha256 } from "@kraken/sdk/delivery/node";
import { READMISSION_ROWS, READMISSION_RULES, READMISSION_SCHEMA, readmissionCsv } from "./demo-dataset.ts";

/** The part of deployments/<network>.demo.json this needs. */
export interface DemoFileLike {
  personas: Record<string, { address: Address; privateKey: Hex }>;
  products: { id: number; key: string; seller: string }[];
}

export const DEMO_ANALYTICS_PRODUCT = "readmission-analytics";
/** The seeded buyer's query: mean length of stay of patients aged 65+ per diagnosis group. */
export const DEMO_QUERY: Query = { v: 1, op: "mean", column: "length_of_stay", where: [{ column: "age", from: 65, to: 106 }], groupBy: "diagnosis" };

export async function seedDemoAnalytics(o: {
  rpcUrl: string;
  deployment: Deployment;
  demo: DemoFileLike;
  /** the SMPC node directory (address + HTTP URL) */
  nodes: RelayEndpoint[];
  ipfsApiUrl: string;
  ipfsGatewayUrl: string;
  rows?: number;
  log?: (line: string) => void;
}): Promise<{ productId: bigint; seeded: boolean; jobId?: bigint }> {
  const log = o.log ?? (() => {});
  const analytics = o.deployment.contracts.Analytics?.address;
  const product = o.demo.products.find((p) => p.key === DEMO_ANALYTICS_PRODUCT);
  if (!analytics || !product) throw new Error("the demo's analytics product needs the Analytics contract and the seeded product");
  const productId = BigInt(product.id);
  const chain = marketplaceChain(o.rpcUrl, o.deployment.chainId);
  const seller = clientsFor(chain, privateKeyToAccount(o.demo.personas[product.seller].privateKey));
  const dataset = await seller.publicClient.readContract({ address: analytics, abi: analyticsAbi, functionName: "datasetOf", args: [productId] });
  const agents = (await seller.publicClient.readContract({ address: o.deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [productId] })).deliveryAgents;
  const nodes = nodeEndpointsFor(o.nodes, agents);
  let manifest: AnalyticsManifest;
  let seeded = false;
  if (dataset.version === 0) {
    const schema = parseSchema(READMISSION_SCHEMA);
    const rows = o.rows ?? READMISSION_ROWS;
    const nodeKeys = await relayEncryptionKeys(seller.publicClient, o.deployment, agents);
    const t0 = performance.now();
    const shared = await shareAndUpload({
      csv: () => readmissionCsv(rows), schema, productId, nodes, nodeKeys, createHash: nodeSha256,
      rules: { allowed: { ...READMISSION_RULES.allowed, columns: [...READMISSION_RULES.allowed.columns], operations: [...READMISSION_RULES.allowed.operations], groupBy: [...READMISSION_RULES.allowed.groupBy] }, privacy: { ...READMISSION_RULES.privacy }, jobTimeout: READMISSION_RULES.jobTimeoutSeconds },
      signMessage: (message) => seller.wallet.account.signMessage!({ message }),
    });
    const manifestURI = `ipfs://${await ipfsAdd(o.ipfsApiUrl, (async function* () { yield new TextEncoder().encode(JSON.stringify(shared.manifest)); })(), "manifest.json")}`;
    const input = toDatasetInput(shared.manifest, manifestURI);
    await commitDataset({ publicClient: seller.publicClient, wallet: seller.wallet, account: seller.wallet.account, analytics, productId, input });
    log(`${shared.rows.toLocaleString("en")} admissions shared to ${nodes.length} SMPC nodes in ${((performance.now() - t0) / 1000).toFixed(1)} s and committed (${manifestURI})`);
    manifest = shared.manifest;
    seeded = true;
  } else {
    manifest = parseManifest(await gatewayFetchJson(o.ipfsGatewayUrl)(dataset.manifestURI));
  }
  if ((await seller.publicClient.readContract({ address: analytics, abi: analyticsAbi, functionName: "jobCount" })) > 0n) return { productId, seeded };
  await waitForActiveDataset(nodes, productId, { manifestHash: manifestHash(manifest) });

  // The research institute's query: paid, computed, receipts recorded (nobody listens to its
  // inbox at seed time; the job is complete on chain all the same).
  const buyer = clientsFor(chain, privateKeyToAccount(o.demo.personas.researchInstitute.privateKey));
  const query = validateQuery(DEMO_QUERY, manifest);
  await submitQuery(nodes, productId, query, 2);
  const policy = await buyer.publicClient.readContract({ address: o.deployment.contracts.Policies.address, abi: policiesAbi, functionName: "policyOf", args: [productId] });
  const price = (await buyer.publicClient.readContract({ address: o.deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [productId] })).price;
  const job = await requestQuery({
    publicClient: buyer.publicClient, wallet: buyer.wallet, account: buyer.wallet.account, contracts: { analytics, token: o.deployment.contracts.DataToken.address },
    productId, purpose: Purpose.Statistics, policyVersion: policy.version, manifestHash: manifestHash(manifest), queryHash: queryHash(query), price, method: "approve",
  });
  const until = Date.now() + 60_000;
  for (;;) {
    const j = await buyer.publicClient.readContract({ address: analytics, abi: analyticsAbi, functionName: "getJob", args: [job.jobId] });
    if (j.status === JobStatus.Completed) break;
    if (j.status !== JobStatus.Open || Date.now() > until) {
      log(`the seeded query job ${job.jobId} did not complete (status ${j.status}): see the SMPC nodes' lines above`);
      return { productId, seeded, jobId: job.jobId };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  log(`query job ${job.jobId} by the research institute computed and paid (mean length of stay, age 65+, per diagnosis)`);
  return { productId, seeded, jobId: job.jobId };
}
