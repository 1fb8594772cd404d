// Publishing a product, as a list of tasks the wizard shows one by one: uploads to IPFS, the
// two signatures (Catalogue.publish, then Policies.setPolicy), the key shares to the relays
// for batch products, an anonymised batch product's report (IPFS, then
// Catalogue.reportAnonymisation), and waiting for the indexer. Results are kept, so "Try again" resumes at
// the task that failed instead of publishing a second product.
import { parseEventLogs, type Address, type Hex, type TransactionReceipt } from "viem";
import {
  catalogueAbi,
  confirmShares,
  endpointsFor,
  encodeMetadata,
  policiesAbi,
  ProductType,
  publishShares,
  relayEncryptionKeys,
  sealShares,
  toPolicyArgs,
  type Deployment,
  type RelayEndpoint,
  type StreamPublisher,
  KrakenError,
} from "@kraken/sdk";
import type { DappConfig } from "../../config.ts";
import { prepareDataset, type PreparedDataset } from "./batchDataset.ts";
import { acceptedAnonymisation, datasetFile, deliveryAgents, descriptionArg, metadataDocument, needsAnonymisation, policyTerms, priceWei, type ProductDraft } from "./draft.ts";
import { rulesOf, schemaOf } from "./analytics/analyticsDraft.ts";
import type { AnalyticsManifest } from "../analytics/sdk.ts";
import { addToIpfs } from "./ipfsUpload.ts";

export type TaskKey = "cover" | "dataset" | "check" | "metadata" | "publish" | "policy" | "shares" | "report" | "bind" | "upload" | "manifest" | "commit" | "indexed";
export type TaskStatus = "waiting" | "active" | "done" | "failed";

export interface Task {
  key: TaskKey;
  label: string;
  status: TaskStatus;
  detail?: string;
  /** 0–1 when the task reports progress (uploads) */
  progress?: number;
}

export interface PublishResults {
  coverUri?: string;
  dataset?: PreparedDataset;
  metadataUri?: string;
  productId?: bigint;
  publishTx?: Hex;
  policyTx?: Hex;
  policyBlock?: bigint;
  sharesConfirmed?: number;
  /** anonymised batch products: the anonymisation report on IPFS, then bound on chain */
  reportUri?: string;
  reportTx?: Hex;
  /** analytics: the CSV checked against the schema (rows) */
  checkedRows?: number;
  /** analytics: the manifest, once every node holds its bundle (its bundle hashes in node order) */
  manifest?: AnalyticsManifest;
  manifestUri?: string;
  commitTx?: Hex;
  /** the last transaction's block (what the catalogue must index) */
  lastBlock?: bigint;
  indexed?: boolean;
}

/** What publishing needs from the app: config, the signer, a chain reader and Streamr. */
export interface PublishContext {
  config: DappConfig;
  account: Address;
  /** Simulates (decoding reverts), asks the wallet to sign, waits until mined. */
  write(call: { address: Address; abi: readonly unknown[]; functionName: string; args: readonly unknown[] }, onSigned: (hash: Hex) => void): Promise<TransactionReceipt>;
  readContract: Parameters<typeof relayEncryptionKeys>[0]["readContract"];
  /** A Streamr client signing as the seller (loaded only for batch products). */
  streamPublisher(): Promise<StreamPublisher & { close(): Promise<void> }>;
  /** Signs a text with the seller's wallet (EIP-191): the upload requests to the SMPC nodes. */
  signMessage(message: string): Promise<Hex>;
  /** Resolves once the subgraph has indexed `block`; `onBehind` while it catches up. */
  waitIndexed(block: bigint, onBehind?: (behind: number) => void): Promise<void>;
}

export function tasksFor(d: ProductDraft): Task[] {
  const t: Task[] = [];
  if (d.cover) t.push({ key: "cover", label: "Upload the cover image to IPFS", status: "waiting" });
  const anonymised = needsAnonymisation(d);
  if (d.productType === ProductType.Batch) t.push({ key: "dataset", label: anonymised ? "Encrypt the anonymised dataset in this browser and upload the ciphertext" : "Encrypt the dataset in this browser and upload the ciphertext", status: "waiting" });
  if (d.productType === ProductType.Analytics) t.push({ key: "check", label: "Check every row of the CSV against the schema (in this browser)", status: "waiting" });
  t.push({ key: "metadata", label: "Upload the metadata document to IPFS", status: "waiting" });
  t.push({ key: "publish", label: "Sign: publish the product in the catalogue", status: "waiting" });
  t.push({ key: "policy", label: "Sign: set the consent policy", status: "waiting" });
  if (d.productType === ProductType.Batch) t.push({ key: "shares", label: "Send the key shares to the relays", status: "waiting" });
  if (anonymised) {
    t.push({ key: "report", label: "Upload the anonymisation report to IPFS", status: "waiting" });
    t.push({ key: "bind", label: "Sign: bind the report to the product", status: "waiting" });
  }
  if (d.productType === ProductType.Analytics) {
    t.push({ key: "upload", label: "Split the dataset into secret shares here and upload each node's encrypted bundle", status: "waiting" });
    t.push({ key: "manifest", label: "Publish the dataset's manifest (schema, rules, bundle hashes) on IPFS", status: "waiting" });
    t.push({ key: "commit", label: "Sign: commit the dataset on chain", status: "waiting" });
  }
  t.push({ key: "indexed", label: "Wait until the catalogue lists it", status: "waiting" });
  return t;
}

/** Config addresses in the Deployment shape the delivery SDK reads. */
function deploymentOf(config: DappConfig): Deployment {
  const c = (name: keyof DappConfig["contracts"]) => ({ address: config.contracts[name] as Address });
  return {
    chainId: config.chainId,
    contracts: { DataToken: c("DataToken"), Credentials: c("Credentials"), Catalogue: c("Catalogue"), Policies: c("Policies"), Agreements: c("Agreements") },
  } as unknown as Deployment;
}

export async function runPublish(
  ctx: PublishContext,
  d: ProductDraft,
  r: PublishResults,
  report: (key: TaskKey, patch: Partial<Task>) => void,
): Promise<PublishResults> {
  const step = async (key: TaskKey, needed: boolean, fn: () => Promise<string | void>) => {
    if (!needed) return;
    report(key, { status: "active", detail: undefined });
    try {
      const detail = await fn();
      report(key, { status: "done", detail: detail ?? undefined, progress: undefined });
    } catch (err) {
      report(key, { status: "failed" });
      throw err;
    }
  };
  const relays: RelayEndpoint[] = ctx.config.relays ?? [];
  const { agents, threshold } = deliveryAgents(d, relays.map((x) => x.address), (ctx.config.smpcNodes ?? []).map((x) => x.address));
  const batch = d.productType === ProductType.Batch;
  const analytics = d.productType === ProductType.Analytics;
  // An anonymised batch product publishes the file the seller accepted after anonymising it, never the original.
  const anonymised = needsAnonymisation(d);
  const accepted = anonymised ? acceptedAnonymisation(d) : null;
  if (anonymised && !accepted) throw new AnonymisationMissingError();
  const file = batch ? datasetFile(d) : null;
  // The analytics seller flow (CSV parsing, sharing, uploads) loads only for analytics products.
  const seller = analytics ? await import("./analytics/sellerFlow.ts") : undefined;
  const schema = analytics ? schemaOf(d.analytics) : undefined;

  await step("cover", !!d.cover && !r.coverUri, async () => {
    const added = await addToIpfs(ctx.config.ipfsApiUrl, d.cover!, d.cover!.name, { onProgress: (s, t) => report("cover", { progress: s / Math.max(1, t) }) });
    r.coverUri = added.uri;
    return added.uri;
  });
  await step("dataset", batch && !r.dataset, async () => {
    const ds = await prepareDataset({
      file: file!,
      ipfsApiUrl: ctx.config.ipfsApiUrl,
      onProgress: (p) => report("dataset", { progress: p.fraction, detail: p.phase === "encrypting" ? "encrypting…" : p.phase === "uploading" ? "uploading the ciphertext…" : undefined }),
    });
    // The report names the released file's SHA-256: the file encrypted must be that one, byte for byte.
    if (accepted && ds.hashes.plaintextHash.toLowerCase() !== accepted.report.output.sha256.toLowerCase()) {
      ds.key.fill(0);
      throw new Error("The file being encrypted is not the one the anonymisation report describes (its SHA-256 differs): anonymise the file again.");
    }
    r.dataset = ds;
    return `${formatBytes(ds.hashes.plaintextBytes)}${accepted ? " (anonymised)" : ""} encrypted → ${ds.link}`;
  });
  await step("check", analytics && r.checkedRows === undefined, async () => {
    // Before anything is published: a bad value stops here, naming its row and column.
    const { rows, extraColumns } = await seller!.checkCsv({ file: d.analytics.csv!, schema: schema!, onProgress: (p) => report("check", { progress: p.fraction, detail: `${p.rows.toLocaleString("en")} rows checked…` }) });
    r.checkedRows = rows;
    return `${rows.toLocaleString("en")} rows match the schema${extraColumns.length ? `; left out: ${extraColumns.join(", ")}` : ""}`;
  });
  await step("metadata", !r.metadataUri, async () => {
    const bytes = encodeMetadata(metadataDocument(d, r.coverUri));
    // CIDv1 raw: the same CID metadataCid() computes, so anyone can check the document.
    const added = await addToIpfs(ctx.config.ipfsApiUrl, new Blob([bytes as BlobPart], { type: "application/json" }), "metadata.json", { cidV1: true });
    r.metadataUri = added.uri;
    return added.uri;
  });
  await step("publish", r.productId === undefined, async () => {
    const receipt = await ctx.write(
      {
        address: ctx.config.contracts.Catalogue,
        abi: catalogueAbi,
        functionName: "publish",
        args: [d.productType, d.modality, priceWei(d.price), d.pricingUnit, agents, threshold, descriptionArg(d, r.metadataUri!), d.productType === ProductType.Stream ? d.streams : []],
      },
      (hash) => report("publish", { detail: `signed; waiting to be mined (${hash.slice(0, 10)}…)` }),
    );
    const [event] = parseEventLogs({ abi: catalogueAbi, logs: receipt.logs, eventName: "ProductPublished" });
    if (!event) throw new Error("The publish transaction was mined but emitted no ProductPublished event.");
    r.productId = event.args.productId;
    r.publishTx = receipt.transactionHash;
    return `product ${r.productId} in block ${receipt.blockNumber}`;
  });
  await step("policy", !r.policyTx, async () => {
    const receipt = await ctx.write(
      { address: ctx.config.contracts.Policies, abi: policiesAbi, functionName: "setPolicy", args: toPolicyArgs(r.productId!, policyTerms(d)) },
      (hash) => report("policy", { detail: `signed; waiting to be mined (${hash.slice(0, 10)}…)` }),
    );
    r.policyTx = receipt.transactionHash;
    r.policyBlock = receipt.blockNumber;
    r.lastBlock = receipt.blockNumber;
    return `policy version 1 in block ${receipt.blockNumber}`;
  });
  await step("shares", batch && r.sharesConfirmed === undefined, async () => {
    const ds = r.dataset!;
    report("shares", { detail: "reading the relays' encryption keys…" });
    const agentKeys = await relayEncryptionKeys({ readContract: ctx.readContract }, deploymentOf(ctx.config), agents);
    const sealed = await sealShares({ key: ds.key, productId: r.productId!, agents, agentKeys, threshold, link: ds.link, ciphertextHash: ds.hashes.ciphertextHash, plaintextHash: ds.hashes.plaintextHash });
    report("shares", { detail: "connecting to the Streamr network…" });
    const publisher = await ctx.streamPublisher();
    report("shares", { detail: `sending ${sealed.length} sealed shares…` });
    let confirmed: Address[];
    try {
      await publishShares(publisher, sealed);
      ({ confirmed } = await confirmShares({
        relays: endpointsFor(relays, agents),
        productId: r.productId!,
        sealed,
        minimum: threshold,
        timeoutMs: 30_000,
        onProgress: () => report("shares", { detail: "waiting for the relays to confirm…" }),
      }));
    } finally {
      void publisher.close(); // only after the relays have the shares: destroy drops unsent messages
    }
    ds.key.fill(0); // the relays hold the shares now; the key is not kept anywhere
    r.sharesConfirmed = confirmed.length;
    return `${confirmed.length} of ${agents.length} relays hold a share (any ${threshold} rebuild the key)`;
  });
  await step("report", !!accepted && !r.reportUri, async () => {
    // CIDv1 raw, canonical JSON: anyone can check the document against the hash bound on chain.
    const added = await addToIpfs(ctx.config.ipfsApiUrl, new Blob([accepted!.reportBytes as BlobPart], { type: "application/json" }), "anonymisation-report.json", { cidV1: true });
    r.reportUri = added.uri;
    return added.uri;
  });
  await step("bind", !!accepted && !r.reportTx, async () => {
    const a = accepted!;
    const receipt = await ctx.write(
      { address: ctx.config.contracts.Catalogue, abi: catalogueAbi, functionName: "reportAnonymisation", args: [r.productId!, a.reportHash, a.report.k, a.report.l, r.reportUri!] },
      (hash) => report("bind", { detail: `signed; waiting to be mined (${hash.slice(0, 10)}…)` }),
    );
    r.reportTx = receipt.transactionHash;
    r.lastBlock = receipt.blockNumber;
    return `report ${a.reportHash.slice(0, 10)}… (k = ${a.report.k}, ℓ = ${a.report.l}) bound in block ${receipt.blockNumber}`;
  });
  await step("upload", analytics && !r.manifest, async () => {
    const shared = await seller!.shareAndUpload({
      ctx,
      file: d.analytics.csv!,
      schema: schema!,
      rules: rulesOf(d.analytics),
      productId: r.productId!,
      nodes: agents,
      onProgress: (p) => report("upload", { progress: p.fraction, detail: p.detail }),
    });
    r.manifest = shared.manifest;
    return `${shared.rows.toLocaleString("en")} rows → ${agents.length} encrypted bundles of ${formatBytes(shared.bytes)}, each stored by its node`;
  });
  await step("manifest", analytics && !r.manifestUri, async () => {
    const file = seller!.manifestFile(r.manifest!);
    // CIDv1 raw, canonical JSON: anyone can check the document against the hash on chain.
    const added = await addToIpfs(ctx.config.ipfsApiUrl, new Blob([file.json], { type: "application/json" }), "manifest.json", { cidV1: true });
    r.manifestUri = added.uri;
    return added.uri;
  });
  await step("commit", analytics && !r.commitTx, async () => {
    const receipt = await ctx.write(
      seller!.commitCall({ analytics: ctx.config.contracts.Analytics, productId: r.productId!, manifest: r.manifest!, manifestUri: r.manifestUri! }),
      (hash) => report("commit", { detail: `signed; waiting to be mined (${hash.slice(0, 10)}…)` }),
    );
    r.commitTx = receipt.transactionHash;
    r.lastBlock = receipt.blockNumber;
    return `dataset committed in block ${receipt.blockNumber}; buyers can query it now`;
  });
  await step("indexed", !r.indexed, async () => {
    // The last transaction (policy, or the dataset commitment); once its block is indexed the product is searchable.
    await ctx.waitIndexed(r.lastBlock ?? r.policyBlock!, (behind) => report("indexed", { detail: `the catalogue is ${behind} block${behind === 1 ? "" : "s"} behind…` }));
    r.indexed = true;
  });
  return r;
}

/** An anonymised batch product without an accepted anonymisation: nothing is published. */
export class AnonymisationMissingError extends KrakenError {
  override name = "AnonymisationMissingError";

  constructor() {
    super(
      "anonymisation-missing",
      "This product is sold as anonymised, but its file has not been anonymised: go back to “Data”, run “Anonymise” and choose “Use the anonymised file”. Nothing was published.",
    );
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
