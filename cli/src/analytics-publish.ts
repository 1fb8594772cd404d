// `kraken publish --type analytics`: publishes an analytics product computed by the SMPC nodes.
// The CSV is checked against the schema, encoded, Shamir-shared and each node's bundle encrypted
// and uploaded to it here, streamed (the plaintext never leaves this machine); then the manifest
// goes to IPFS and its commitment on chain (docs/analytics.md).
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseEventLogs, type Address, type Hex, type PublicClient, type WalletClient, type Account } from "viem";
import {
  catalogueAbi, commitDataset, encodeMetadata, Modality, PricingUnit, ProductType, relayEncryptionKeys, toPolicyArgs, policiesAbi,
  type Deployment, type Policy, type ProductMetadata,
} from "@kraken/sdk";
import {
  checkDataset, DatasetError, epsilonThousandths, ManifestError, OPERATIONS, parseSchema, SchemaError, shareAndUpload, toDatasetInput, waitForActiveDataset,
  type AnalyticsRules, type Operation, type Schema,
} from "@kraken/sdk/analytics";
import { fileChunks, ipfsAdd, loadSmpcDirectory, nodeSha256 } from "@kraken/sdk/delivery/node";
import { ipfsApiUrl, toCliError } from "./delivery.ts";
import { CliError, EXIT } from "./errors.ts";
import { explainRevert } from "./market.ts";
import type { Output } from "./main.ts";

export interface AnalyticsPublishInput {
  csv: string;
  schemaFile: string;
  title: string;
  summary: string;
  description: string;
  category: string;
  tags: string[];
  price: bigint;
  policy: Policy;
  /** comma lists; default: every schema column, every operation, every categorical column */
  allowColumns?: string;
  allowOps?: string;
  groupBy?: string;
  k: number;
  epsilon: number;
  budget: number;
  jobTimeout: number;
}

const list = (s: string | undefined) => (s ?? "").split(",").map((x) => x.trim()).filter(Boolean);

export function analyticsRules(schema: Schema, i: Pick<AnalyticsPublishInput, "allowColumns" | "allowOps" | "groupBy" | "k" | "epsilon" | "budget" | "jobTimeout">): AnalyticsRules {
  const names = schema.columns.map((c) => c.name);
  const columns = i.allowColumns ? list(i.allowColumns) : names;
  for (const c of columns) if (!names.includes(c)) throw new CliError(EXIT.usage, `--allow-columns: "${c}" is not a column of the schema (${names.join(", ")})`);
  const operations = (i.allowOps ? list(i.allowOps) : [...OPERATIONS]) as Operation[];
  for (const o of operations) if (!OPERATIONS.includes(o)) throw new CliError(EXIT.usage, `--allow-ops: "${o}" is not an operation (${OPERATIONS.join(", ")})`);
  const categorical = schema.columns.filter((c) => c.kind === "categorical").map((c) => c.name);
  const groupBy = i.groupBy !== undefined ? list(i.groupBy) : categorical.filter((c) => columns.includes(c));
  for (const g of groupBy) if (!categorical.includes(g) || !columns.includes(g)) throw new CliError(EXIT.usage, `--group-by: "${g}" must be an allowed categorical column`);
  if (!Number.isInteger(i.k) || i.k < 2) throw new CliError(EXIT.usage, "--k must be a whole number ≥ 2 (results for fewer people are withheld)");
  try {
    epsilonThousandths(i.epsilon);
    epsilonThousandths(i.budget);
  } catch (err) {
    throw new CliError(EXIT.usage, `--epsilon / --budget: ${(err as Error).message}`);
  }
  if (i.epsilon > 0 && i.budget < i.epsilon) throw new CliError(EXIT.usage, "--budget must be at least --epsilon (the ε of one query)");
  return { allowed: { columns, operations, groupBy }, privacy: { minCohort: i.k, epsilonPerQuery: i.epsilon, epsilonBudget: i.epsilon > 0 ? i.budget : 0 }, jobTimeout: i.jobTimeout };
}

export async function publishAnalytics(
  i: AnalyticsPublishInput,
  c: { deployment: Deployment; deploymentFile: string; publicClient: PublicClient; wallet: WalletClient; account: Account; out: Output; send: (label: string, hash: Promise<Hex>) => Promise<{ logs: unknown[]; transactionHash: Hex }> },
): Promise<void> {
  const { deployment, publicClient, wallet, account, out } = c;
  const analytics = deployment.contracts.Analytics?.address;
  if (!analytics) throw new CliError(EXIT.config, "this deployment has no Analytics contract: analytics products cannot be published here");
  let schema: Schema;
  try {
    schema = parseSchema(JSON.parse(readFileSync(i.schemaFile, "utf8")));
  } catch (err) {
    if (err instanceof SchemaError) throw new CliError(EXIT.usage, `schema ${i.schemaFile}: ${err.message}`, err.code);
    throw new CliError(EXIT.config, `cannot read the schema ${i.schemaFile}: ${(err as Error).message}`);
  }
  const rules = analyticsRules(schema, i);
  // The whole file is checked against the schema before anything is published or uploaded.
  let checked;
  try {
    checked = await checkDataset(fileChunks(i.csv), schema);
  } catch (err) {
    if (err instanceof DatasetError) throw new CliError(EXIT.usage, `${i.csv}: ${err.message}; nothing was published`, err.code);
    throw err;
  }
  out.progress(`${i.csv}: ${checked.rows.toLocaleString("en")} rows match the schema${checked.extraColumns.length ? ` (ignored columns: ${checked.extraColumns.join(", ")})` : ""}`);
  let nodes;
  try {
    nodes = loadSmpcDirectory({ network: deployment.network, deploymentsDir: dirname(c.deploymentFile) });
  } catch (err) {
    throw toCliError(err);
  }
  if (nodes.length !== 3) throw new CliError(EXIT.config, `an analytics product is computed by 3 SMPC nodes; the directory lists ${nodes.length}`);
  const agents: Address[] = nodes.map((n) => n.address);
  const nodeKeys = await relayEncryptionKeys(publicClient, deployment, agents).catch((e) => { throw toCliError(e); });

  const metadata: ProductMetadata = { schema: "kraken.product/v1", title: i.title, summary: i.summary, description: i.description, category: i.category, tags: i.tags };
  const metadataURI = `ipfs://${await ipfsAdd(ipfsApiUrl(), (async function* () { yield encodeMetadata(metadata); })(), "metadata.json").catch((e) => { throw toCliError(e); })}`;
  out.progress(`publishing "${i.title}" on chain (computed by ${agents.length} SMPC nodes, 2 needed)`);
  const receipt = await c.send("publish", wallet.writeContract({
    chain: wallet.chain, account,
    address: deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "publish",
    args: [ProductType.Analytics, Modality.Smpc, i.price, PricingUnit.OneTime, agents, 2, { metadataURI, title: i.title, summary: i.summary, category: i.category, tags: i.tags }, []],
  }));
  const [event] = parseEventLogs({ abi: catalogueAbi, logs: receipt.logs as never, eventName: "ProductPublished" });
  const productId = event.args.productId;
  await c.send("setPolicy", wallet.writeContract({ chain: wallet.chain, account, address: deployment.contracts.Policies.address, abi: policiesAbi, functionName: "setPolicy", args: toPolicyArgs(productId, i.policy) }));

  out.progress(`sharing ${i.csv} to the nodes (encoded, Shamir-shared, each node's bundle encrypted to it; nothing else leaves this machine)`);
  const t0 = performance.now();
  let lastPct = -1;
  let shared;
  try {
    shared = await shareAndUpload({
      csv: () => fileChunks(i.csv), checked, schema, rules, productId, nodes, nodeKeys, createHash: nodeSha256,
      signMessage: (message) => account.signMessage!({ message }),
      onProgress: (p) => {
        if (p.phase !== "share") return;
        const pct = Math.floor((100 * p.rows) / p.totalRows);
        if (pct >= lastPct + 10) {
          lastPct = pct;
          out.progress(`  ${pct}% (${p.rows.toLocaleString("en")} of ${p.totalRows.toLocaleString("en")} rows, ${(p.sent.reduce((a, b) => a + b, 0) / 1e6).toFixed(1)} MB uploaded)`);
        }
      },
    });
  } catch (err) {
    if (err instanceof DatasetError) throw new CliError(EXIT.delivery, `${i.csv}: ${err.message} (product ${productId} is published without a dataset)`, err.code);
    throw toCliError(err);
  }
  const s = (performance.now() - t0) / 1000;
  out.progress(`  ${shared.rows.toLocaleString("en")} rows shared in ${s.toFixed(1)} s (${Math.round(shared.rows / s).toLocaleString("en")} rows/s)${shared.extraColumns.length ? `; ignored CSV columns: ${shared.extraColumns.join(", ")}` : ""}`);

  const manifestURI = `ipfs://${await ipfsAdd(ipfsApiUrl(), (async function* () { yield new TextEncoder().encode(JSON.stringify(shared.manifest)); })(), "manifest.json").catch((e) => { throw toCliError(e); })}`;
  let version;
  try {
    const input = toDatasetInput(shared.manifest, manifestURI);
    ({ version } = await commitDataset({ publicClient, wallet, account, analytics, productId, input }));
    await waitForActiveDataset(nodes, productId, { manifestHash: input.manifestHash });
  } catch (err) {
    if (err instanceof ManifestError || err instanceof DatasetError) throw new CliError(err instanceof DatasetError ? EXIT.delivery : EXIT.usage, err.message, err.code);
    throw await explainRevert(err, { client: publicClient, deployment, productId, consumer: account.address, purpose: 0 });
  }
  const result = { productId: productId.toString(), seller: account.address, type: "Analytics", title: i.title, metadataURI, manifestURI, rows: shared.rows, datasetVersion: version, nodes: agents, bundleHashes: shared.manifest.bundleHashes, transactionHash: receipt.transactionHash };
  out.result(result, (r) => [
    `Published analytics product ${r.productId}: "${r.title}" (${r.rows.toLocaleString("en")} rows shared to ${agents.length} computation nodes, dataset version ${r.datasetVersion}).`,
    `  manifest    ${manifestURI}`,
    `  privacy     results for fewer than ${rules.privacy.minCohort} people withheld; ${rules.privacy.epsilonPerQuery > 0 ? `noise ε ${rules.privacy.epsilonPerQuery} per query, budget ε ${rules.privacy.epsilonBudget}` : "no noise"}`,
    `  buyers run  kraken query ${r.productId} --describe, then kraken query ${r.productId} --op … --purpose …`,
  ].join("\n"));
}
