// Publishing a product, as a list of tasks the wizard shows one by one: uploads to IPFS, the
// two signatures (Catalogue.publish, then Policies.setPolicy), the key shares to the relays
// for batch products, and waiting for the indexer. Results are kept, so "Try again" resumes at
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
} from "@kraken/sdk";
import type { DappConfig } from "../../config.ts";
import { prepareDataset, type PreparedDataset } from "./batchDataset.ts";
import { deliveryAgents, descriptionArg, metadataDocument, policyTerms, priceWei, type ProductDraft } from "./draft.ts";
import { addToIpfs } from "./ipfsUpload.ts";

export type TaskKey = "cover" | "dataset" | "metadata" | "publish" | "policy" | "shares" | "indexed";
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
  /** Resolves once the subgraph has indexed `block`; `onBehind` while it catches up. */
  waitIndexed(block: bigint, onBehind?: (behind: number) => void): Promise<void>;
}

export function tasksFor(d: ProductDraft): Task[] {
  const t: Task[] = [];
  if (d.cover) t.push({ key: "cover", label: "Upload the cover image to IPFS", status: "waiting" });
  if (d.productType === ProductType.Batch) t.push({ key: "dataset", label: "Encrypt the dataset in this browser and upload the ciphertext", status: "waiting" });
  t.push({ key: "metadata", label: "Upload the metadata document to IPFS", status: "waiting" });
  t.push({ key: "publish", label: "Sign: publish the product in the catalogue", status: "waiting" });
  t.push({ key: "policy", label: "Sign: set the consent policy", status: "waiting" });
  if (d.productType === ProductType.Batch) t.push({ key: "shares", label: "Send the key shares to the relays", status: "waiting" });
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
  const { agents, threshold } = deliveryAgents(d, relays.map((x) => x.address));
  const batch = d.productType === ProductType.Batch;

  await step("cover", !!d.cover && !r.coverUri, async () => {
    const added = await addToIpfs(ctx.config.ipfsApiUrl, d.cover!, d.cover!.name, { onProgress: (s, t) => report("cover", { progress: s / Math.max(1, t) }) });
    r.coverUri = added.uri;
    return added.uri;
  });
  await step("dataset", batch && !r.dataset, async () => {
    r.dataset = await prepareDataset({
      file: d.file!,
      ipfsApiUrl: ctx.config.ipfsApiUrl,
      onProgress: (p) => report("dataset", { progress: p.fraction, detail: p.phase === "encrypting" ? "encrypting…" : p.phase === "uploading" ? "uploading the ciphertext…" : undefined }),
    });
    return `${formatBytes(r.dataset.hashes.plaintextBytes)} encrypted → ${r.dataset.link}`;
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
  await step("indexed", !r.indexed, async () => {
    // The policy transaction is the last one; once its block is indexed the product is searchable.
    await ctx.waitIndexed(r.policyBlock!, (behind) => report("indexed", { detail: `the catalogue is ${behind} block${behind === 1 ? "" : "s"} behind…` }));
    r.indexed = true;
  });
  return r;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
