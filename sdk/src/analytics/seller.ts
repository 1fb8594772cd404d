// The seller's flow for an analytics product, browser and Node: check the CSV against the
// schema, share it (share.ts) and upload each node's encrypted bundle to that node while it is
// produced (chunked parts, bounded memory), then build the public manifest. Publishing the
// manifest (IPFS) and committing it on chain (actions/analytics.ts commitDataset) are the
// caller's next two steps: `toDatasetInput(manifest, uri)` gives the commitment.
import { bytesToHex, getAddress, type Address, type Hex } from "viem";
import { sealEnvelope } from "../delivery/envelope.ts";
import { newFileKey } from "../delivery/file-cipher.ts";
import type { Sha256Factory } from "../delivery/hashing.ts";
import type { CsvSource } from "./csv.ts";
import { DatasetError } from "./errors.ts";
import { MANIFEST_KIND, type AnalyticsManifest, type Operation } from "./manifest.ts";
import { createNodeClient, type NodeClientOptions } from "./node-client.ts";
import { MAX_UPLOAD_PART_BYTES, signUploadRequest, type SmpcNodeEndpoint } from "./protocol.ts";
import { bundleCiphertextSize, checkDataset, SHARE_NODES, shareDataset, type ShareProgress } from "./share.ts";
import { encodedColumns, schemaHash, type Schema } from "./schema.ts";

export interface AnalyticsRules {
  allowed: { columns: string[]; operations: Operation[]; groupBy: string[] };
  privacy: { minCohort: number; epsilonPerQuery: number; epsilonBudget: number };
  jobTimeout?: number;
}

/** Where the seller's flow is: checking the CSV, sharing and uploading (bytes sent per node), done. */
export type UploadProgress =
  | { phase: "check"; rows: number }
  | { phase: "share"; rows: number; totalRows: number; sent: number[]; totalBytes: number[] }
  | { phase: "complete"; node: Address; bundleHash: Hex };

export interface ShareAndUploadOptions {
  /** The CSV: a function opening it anew (read twice: once to check and count, once to share). */
  csv: () => CsvSource;
  /** The row count when the caller checked the CSV already (checkDataset): skips the first pass. */
  checked?: { rows: number; extraColumns: string[] };
  schema: Schema;
  rules: AnalyticsRules;
  productId: bigint;
  /** The product's computation agents in agent order, with their HTTP endpoints. */
  nodes: readonly SmpcNodeEndpoint[];
  /** Each node's X25519 public key (Credentials.encryptionKeyOf), in the same order. */
  nodeKeys: readonly Hex[];
  /** The seller's wallet signs each upload request (EIP-191). */
  signMessage: (message: string) => Promise<Hex>;
  onProgress?: (p: UploadProgress) => void;
  createHash?: Sha256Factory;
  fetch?: NodeClientOptions["fetch"];
}

export interface ShareAndUploadResult {
  manifest: AnalyticsManifest;
  rows: number;
  extraColumns: string[];
  sizes: number[];
}

/**
 * Checks, shares and uploads a dataset; resolves with the manifest to publish. Nothing is
 * uploaded when the CSV does not match the schema (the first pass fails with DatasetError).
 */
export async function shareAndUpload(o: ShareAndUploadOptions): Promise<ShareAndUploadResult> {
  if (o.nodes.length !== SHARE_NODES || o.nodeKeys.length !== SHARE_NODES) {
    throw new DatasetError("bad-csv", `an analytics product is computed by ${SHARE_NODES} nodes; it names ${o.nodes.length}`);
  }
  const { rows, extraColumns } = o.checked ?? (await checkDataset(o.csv(), o.schema, (p) => o.onProgress?.({ phase: "check", rows: p.rows })));
  const columns = encodedColumns(o.schema).length;
  const hash = schemaHash(o.schema);
  const productId = o.productId.toString();
  const nodes = o.nodes.map((n) => ({ ...n, address: getAddress(n.address) }));
  const sizes = nodes.map((n, index) => bundleCiphertextSize({ v: 1, productId, node: n.address, index, rows, columns, schemaHash: hash }));
  const fileKeys = nodes.map(() => newFileKey());
  const clients = nodes.map((n) => createNodeClient(n.url, { fetch: o.fetch }));

  // One upload per node, announced with the exact ciphertext size and the sealed file key.
  const uploads = await Promise.all(nodes.map(async (n, i) => {
    const sealedKey = bytesToHex(sealEnvelope(fileKeys[i], o.nodeKeys[i]));
    const request = await signUploadRequest(o.signMessage, { productId, node: n.address, size: sizes[i], sealedKey });
    return (await clients[i].startUpload(request)).uploadId;
  }));

  // Parts of at most MAX_UPLOAD_PART_BYTES, sent in order as the ciphertext is produced.
  const buffers = nodes.map(() => new Uint8Array(MAX_UPLOAD_PART_BYTES));
  const fill = nodes.map(() => 0);
  const parts = nodes.map(() => 0);
  const sent = nodes.map(() => 0);
  let sharedRows = 0;
  const report = () => o.onProgress?.({ phase: "share", rows: sharedRows, totalRows: rows, sent: [...sent], totalBytes: sizes });
  const flush = async (i: number) => {
    if (fill[i] === 0) return;
    await clients[i].putPart(uploads[i], parts[i]++, buffers[i].subarray(0, fill[i]));
    sent[i] += fill[i];
    fill[i] = 0;
    report();
  };
  const shared = await shareDataset({
    csv: o.csv, rows, schema: o.schema, productId, nodes: nodes.map((n) => n.address), fileKeys, createHash: o.createHash,
    onProgress: (p: ShareProgress) => {
      sharedRows = p.rows;
      report();
    },
    async onChunk(i, chunk) {
      let at = 0;
      while (at < chunk.length) {
        const n = Math.min(chunk.length - at, MAX_UPLOAD_PART_BYTES - fill[i]);
        buffers[i].set(chunk.subarray(at, at + n), fill[i]);
        fill[i] += n;
        at += n;
        if (fill[i] === MAX_UPLOAD_PART_BYTES) await flush(i);
      }
    },
  });
  await Promise.all(nodes.map((_, i) => flush(i)));
  const bundleHashes = await Promise.all(nodes.map(async (n, i) => {
    const done = await clients[i].completeUpload(uploads[i]);
    if (done.bundleHash.toLowerCase() !== shared.bundles[i].bundleHash.toLowerCase()) {
      throw new DatasetError("bad-csv", `node ${n.address} stored a bundle with hash ${done.bundleHash}, not the ${shared.bundles[i].bundleHash} sent: upload again`);
    }
    o.onProgress?.({ phase: "complete", node: n.address, bundleHash: done.bundleHash });
    return done.bundleHash.toLowerCase() as Hex;
  }));

  const manifest: AnalyticsManifest = {
    kind: MANIFEST_KIND,
    v: 1,
    productId,
    schema: o.schema,
    rows,
    allowed: o.rules.allowed,
    privacy: o.rules.privacy,
    nodes: nodes.map((n) => n.address),
    threshold: 2,
    bundleHashes,
    ...(o.rules.jobTimeout ? { jobTimeout: o.rules.jobTimeout } : {}),
  };
  return { manifest, rows, extraColumns, sizes };
}

/** The encoded columns a schema produces (what every row costs each node: 16 bytes each). */
export const bytesPerRow = (schema: Schema): number => encodedColumns(schema).length * 16;


/**
 * Resolves once every node serves the committed dataset of `productId` (they activate it when
 * their chain watcher sees the commitment); throws naming the nodes that did not in time.
 */
export async function waitForActiveDataset(nodes: readonly SmpcNodeEndpoint[], productId: bigint, o: { timeoutMs?: number; manifestHash?: Hex; fetch?: NodeClientOptions["fetch"] } = {}): Promise<void> {
  const until = Date.now() + (o.timeoutMs ?? 60_000);
  const pending = new Set(nodes.map((n) => n.url));
  while (pending.size) {
    for (const n of nodes.filter((x) => pending.has(x.url))) {
      const s = await createNodeClient(n.url, { fetch: o.fetch, timeoutMs: 5_000 }).datasetStatus(productId).catch(() => undefined);
      if (s?.status === "active" && (!o.manifestHash || s.active?.manifestHash.toLowerCase() === o.manifestHash.toLowerCase())) pending.delete(n.url);
    }
    if (!pending.size) return;
    if (Date.now() > until) throw new DatasetError("bad-csv", `the computation node${pending.size > 1 ? "s" : ""} ${[...pending].join(", ")} did not activate the committed dataset of product ${productId} in time`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
