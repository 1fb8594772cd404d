// An SMPC computation node for analytics products (docs/analytics.md, "SMPC node"), one per
// Ethereum key:
//   1. identity: the key (receipts, Streamr) and the X25519 key derived from it, registered in
//      Credentials (sellers seal bundle keys to it, peers box round messages with it);
//   2. HTTP API (node-http.ts): seller-signed chunked uploads of its bundle of a product,
//      buyers' query texts, peer round messages, health;
//   3. chain (node-chain.ts): watches Analytics from a persisted checkpoint: DatasetCommitted
//      activates a dataset (its bundle held, its manifest fetched and checked against the hash
//      on chain), QueryRequested queues a job. Before computing, a node checks on chain on its
//      own: job open and before its deadline, the buyer eligible now, the job's dataset version
//      the one it holds, the query text known and allowed — any failure is a refusal on chain
//      with its reason and a log line (no personal data). Then a hello round fixes who takes
//      part, the engine computes with the peers (peers.ts), and the result share is sealed to
//      the buyer, saved, published to the buyer's inbox and its hash recorded on chain
//      (recordResult; signed and saved before sent, node-chain.ts).
// Jobs run concurrently (bounded); a failing job never stops the node; job outcomes and the
// engine's cohort histories are persisted, so a restart neither loses history nor answers twice.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, rmSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import {
  BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, getAddress, getContract, http, recoverMessageAddress,
  stringToBytes, bytesToHex, zeroHash, type Address, type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { StreamrClientConfig } from "@streamr/sdk";
import {
  agreementsAbi, analyticsAbi, catalogueAbi, credentialsAbi, decryptStream, deriveEncryptionKeyPair, JobStatus, JobStatusNames, marketplaceChain,
  openEnvelope, ProductType, RefusalReason, RefusalReasonNames, sealEnvelope, Verdict, VerdictNames, type DeployedContract, type Deployment,
} from "@kraken/sdk";
import { fileChunks } from "@kraken/sdk/delivery/node";
import { createLogger, levelFromEnv, type Logger, type LogLevel } from "@kraken/sdk/config";
import { createOps, type Check } from "@kraken/sdk/ops";
export { createLogger, levelFromEnv, type Logger, type LogLevel };
import {
  BundleReader, canonicalHash, encodedColumns, isLinear, MAX_UPLOAD_PART_BYTES, parseManifest, parseQuerySubmission, parseRepublishRequest, parseUploadRequest, republishMessage,
  QueryError, queryHash, schemaHash, UPLOAD_REQUEST_WINDOW_SECONDS, DEFAULT_MAX_BUNDLE_BYTES, uploadRequestMessage, validateQuery,
  type AnalyticsManifest, type DatasetStatus, type NodeHealth, type Query, type SmpcNodeEndpoint,
} from "@kraken/sdk/analytics";
import { localClientConfig, type LocalNetworkSettings } from "@kraken/streamr";
import { LogWatcher, revertName, TxSender, type CommittedArgs, type RequestedArgs } from "./node-chain.ts";
import { InboxPublisher } from "./node-delivery.ts";
import { ApiError, RateLimiter, startHttp, type HttpLimits, type NodeApi } from "./node-http.ts";
import { NodeStore, type BundleMeta, type CommitRecord, type JobRecord, type QueryBounds } from "./node-store.ts";
import { PeerError, PeerNetwork, type PeerEndpoint, type PeerLimits } from "./peers.ts";
import { ShareTable } from "./share-table.ts";
import { ON_CHAIN_REFUSAL, recordCohort, runJob, type CohortRecord } from "./engine.ts";

// --- options ---

export interface SmpcNodeLimits {
  /** Largest bundle (ciphertext bytes). */
  maxBundleBytes: number;
  /** Uploads in progress per seller. */
  uploadsPerSeller: number;
  /** Uploads in progress in all. */
  uploadsTotal: number;
  /** An upload with no part for this long is abandoned (ms). */
  uploadIdleMs: number;
  /** Jobs computed at once. */
  concurrentJobs: number;
  /** Memory for share tables; beyond it the least recently used ones are unloaded (bytes). */
  tableMemoryBytes: number;
  queries: QueryBounds;
  http: Partial<HttpLimits>;
  peers: Partial<PeerLimits>;
}

export const DEFAULT_NODE_LIMITS: Omit<SmpcNodeLimits, "queries" | "http" | "peers"> = {
  maxBundleBytes: DEFAULT_MAX_BUNDLE_BYTES,
  uploadsPerSeller: 4,
  uploadsTotal: 32,
  uploadIdleMs: 10 * 60_000,
  concurrentJobs: 4,
  tableMemoryBytes: 1024 * 2 ** 20,
};

export interface SmpcNodeOptions {
  /** The node's Ethereum key: its computation-agent identity on chain and on Streamr. */
  key: Hex;
  rpcUrl: string;
  /** Must include the optional Analytics contract. */
  deployment: Deployment;
  /** The local network (the node runs a websocket server on `port`) or a full client config. */
  streamr: { network: LocalNetworkSettings; port?: number; host?: string } | { config: StreamrClientConfig };
  /** Where manifests are fetched from (ipfs://…): an HTTP gateway or a Kubo RPC API. */
  ipfs?: { gatewayUrl?: string; apiUrl?: string };
  /** HTTP API port (0 = any free port). */
  port: number;
  host?: string;
  dataDir: string;
  /** The other nodes' HTTP endpoints (a node learns more from `directoryFile` or `setDirectory`). */
  directory?: SmpcNodeEndpoint[];
  /** `<network>.smpc.json`, re-read when a peer is missing (at most every 2 s). */
  directoryFile?: string;
  log?: (line: string) => void;
  logLevel?: LogLevel;
  /** How often the chain is polled (ms). */
  pollMs?: number;
  limits?: Partial<Omit<SmpcNodeLimits, "queries" | "http" | "peers">> & { queries?: Partial<QueryBounds>; http?: Partial<HttpLimits>; peers?: Partial<PeerLimits> };
  /** How long the hello round waits for every agent before it goes on with enough of them (ms, default 5 s). */
  helloMs?: number;
  /** The most the hello round waits for enough agents (ms, default 60 s). */
  helloMaxMs?: number;
  /** A job waits for its query text until this many seconds before its deadline (default 30). */
  queryWaitMarginSeconds?: number;
  /** Test hook: SIGKILL this process at that point of a job (crash tests only). */
  crashAt?: "after-seal" | "after-publish" | "after-sign";
}

export interface RunningSmpcNode {
  address: Address;
  url: string;
  health(): Promise<NodeHealth>;
  /** Replaces the directory of the other nodes' endpoints. */
  setDirectory(directory: SmpcNodeEndpoint[]): void;
  stop(): Promise<void>;
}

/** The deployment has no Analytics contract: nothing to compute for. */
export class SmpcConfigError extends Error {
  override name = "SmpcConfigError";
}

interface Upload {
  id: string;
  productId: string;
  seller: Address;
  index: number;
  size: number;
  sealedKey: Hex;
  fileKey: Uint8Array;
  file: string;
  out: WriteStream;
  hash: ReturnType<typeof createHash>;
  received: number;
  nextPart: number;
  busy: boolean;
  touched: number;
}

const MAX_MANIFEST_BYTES = 1 << 20;
/** Uploaded bundles no commitment names yet, kept per product (the oldest go first). */
const MAX_LOOSE_BUNDLES = 4;
/** /ready: the checkpoint may trail the chain head by this many blocks. */
const CAUGHT_UP_BLOCKS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const short = (err: unknown) => ((err as Error)?.message ?? String(err)).split("\n")[0].slice(0, 300);

export async function startSmpcNode(o: SmpcNodeOptions): Promise<RunningSmpcNode> {
  const account = privateKeyToAccount(o.key);
  const me = account.address;
  const log = createLogger(`smpc ${me.slice(0, 10)}`, o.log, o.logLevel);
  // Operations (/ready, /metrics): one registry per node (`npm start` runs three in one process).
  // Labels are fixed words only: never an address, a product, job or upload id.
  const ops = createOps({ service: "smpc", checks: () => readiness() });
  const metrics = {
    jobs: ops.counter("jobs_total", "jobs finished, by outcome", ["outcome"] as const),
    jobsRunning: ops.gauge("jobs_running", "jobs queued, computing or sealed and not yet delivered (as /health's jobs.running)"),
    datasetsActive: ops.gauge("datasets_active", "products with an active dataset version on this node"),
    uploads: ops.counter("uploads_total", "bundle uploads, by outcome", ["outcome"] as const),
    head: ops.gauge("chain_head_block", "the chain head at the node's last poll"),
    checkpoint: ops.gauge("checkpoint_block", "the last block whose Analytics events the node has handled"),
  };
  const c = o.deployment.contracts as Deployment["contracts"] & { Analytics?: DeployedContract };
  if (!c.Analytics) throw new SmpcConfigError(`the deployment of ${o.deployment.network} (chain ${o.deployment.chainId}) has no Analytics contract: deploy it (npm run deploy) before starting SMPC nodes`);
  const analytics = c.Analytics.address;
  const chain = marketplaceChain(o.rpcUrl, o.deployment.chainId);
  const publicClient = createPublicClient({ chain, transport: http(o.rpcUrl), pollingInterval: 100 });
  const wallet = createWalletClient({ chain, transport: http(o.rpcUrl), account, pollingInterval: 100 });
  const read = {
    credentials: getContract({ address: c.Credentials.address, abi: credentialsAbi, client: publicClient }).read,
    catalogue: getContract({ address: c.Catalogue.address, abi: catalogueAbi, client: publicClient }).read,
    agreements: getContract({ address: c.Agreements.address, abi: agreementsAbi, client: publicClient }).read,
    analytics: getContract({ address: analytics, abi: analyticsAbi, client: publicClient }).read,
  };
  const limits = {
    ...DEFAULT_NODE_LIMITS, ...o.limits,
    queries: { maxCount: 10_000, maxBytes: 16 * 2 ** 20, ttlMs: 24 * 3600_000, ...o.limits?.queries },
  };
  const store = new NodeStore(o.dataDir, Math.max(0, (c.Analytics.blockNumber ?? o.deployment.deploymentBlock) - 1), `${o.deployment.chainId}:${analytics.toLowerCase()}`, limits.queries,
    (aside) => log.warn(`state of another deployment found in ${o.dataDir}: moved to ${aside}, starting afresh`));

  const { secretKey, publicKey } = await deriveEncryptionKeyPair({ address: me, chainId: o.deployment.chainId, signTypedData: (t) => account.signTypedData(t) });
  const registered = await read.credentials.encryptionKeyOf([me]);
  let keyOnChain = { key: registered as Hex, at: Date.now() }; // re-read for /ready while it is not this node's key
  if (registered === zeroHash) log.warn("no encryption key registered in Credentials for this node: sellers cannot seal bundle keys to it and peers cannot reach it");
  else if (registered.toLowerCase() !== publicKey.toLowerCase()) log.warn("the encryption key registered in Credentials is not this node's derived key: bundles and peer messages sealed to it cannot be opened");

  const crash = (point: SmpcNodeOptions["crashAt"]) => {
    if (o.crashAt === point) {
      log.warn(`crash test: killing the process ${point}`);
      process.kill(process.pid, "SIGKILL");
    }
  };

  // --- directory of peers (endpoint from the directory, key from Credentials) ---
  let directory = new Map<string, SmpcNodeEndpoint>((o.directory ?? []).map((e) => [e.address.toLowerCase(), e]));
  let directoryReadAt = 0;
  const keyCache = new Map<string, { key: Hex; at: number }>();
  async function resolvePeer(address: Address): Promise<PeerEndpoint | undefined> {
    const a = address.toLowerCase();
    if (a === me.toLowerCase()) return undefined;
    if (!directory.has(a) && o.directoryFile && Date.now() - directoryReadAt > 2000) {
      directoryReadAt = Date.now();
      try {
        const { readFileSync } = await import("node:fs");
        const { parseRelayDirectory } = await import("@kraken/sdk");
        for (const e of parseRelayDirectory(JSON.parse(readFileSync(o.directoryFile, "utf8")), o.directoryFile)) directory.set(e.address.toLowerCase(), e);
      } catch (err) {
        log.debug(`could not read ${o.directoryFile}: ${short(err)}`);
      }
    }
    const e = directory.get(a);
    if (!e) return undefined;
    let k = keyCache.get(a);
    if (!k || Date.now() - k.at > 60_000) {
      const key = await read.credentials.encryptionKeyOf([getAddress(address)]);
      if (key === zeroHash) return undefined;
      k = { key, at: Date.now() };
      keyCache.set(a, k);
    }
    return { address: getAddress(address), url: e.url, publicKey: k.key };
  }
  const peers = new PeerNetwork({ me, secretKey, resolve: resolvePeer, limits: o.limits?.peers, log });

  // --- Streamr ---
  const streamrConfig = "config" in o.streamr ? o.streamr.config : localClientConfig(o.streamr.network, o.key, { port: o.streamr.port, host: o.streamr.host, id: `smpc-${me.slice(2, 10)}` });
  const inbox = new InboxPublisher(me, streamrConfig, log);

  // --- products (who sells, which agents; read at most once a second per product) ---
  type Product = Awaited<ReturnType<typeof read.catalogue.getProduct>>;
  const productReads = new Map<string, { at: number; value: Promise<Product | null> }>();
  function productOf(productId: string): Promise<Product | null> {
    const hit = productReads.get(productId);
    if (hit && Date.now() - hit.at < 1000) return hit.value;
    const value = read.catalogue.getProduct([BigInt(productId)]).catch((err: unknown) => {
      if (err instanceof BaseError && err.walk((e) => e instanceof ContractFunctionRevertedError)) return null; // ProductNotFound
      productReads.delete(productId);
      throw err;
    });
    productReads.set(productId, { at: Date.now(), value });
    return value;
  }
  const indexIn = (agents: readonly Address[]) => agents.findIndex((a) => a.toLowerCase() === me.toLowerCase());

  // --- manifests (public; cached on disk by hash) ---
  const manifests = new Map<string, AnalyticsManifest>();
  async function fetchText(uri: string): Promise<string> {
    let url: string;
    let init: RequestInit = {};
    if (uri.startsWith("ipfs://")) {
      const path = uri.slice(7);
      if (o.ipfs?.gatewayUrl) url = `${o.ipfs.gatewayUrl.replace(/\/+$/, "")}/ipfs/${path}`;
      else if (o.ipfs?.apiUrl) {
        url = `${o.ipfs.apiUrl.replace(/\/+$/, "")}/api/v0/cat?arg=${encodeURIComponent(path)}`;
        init = { method: "POST" };
      } else throw new Error("no IPFS gateway or API configured to fetch an ipfs:// manifest");
    } else if (uri.startsWith("https://")) url = uri;
    else throw new Error("the manifest URI is neither ipfs:// nor https://");
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000), redirect: "error" });
    if (!res.ok) throw new Error(`HTTP ${res.status} fetching the manifest`);
    const declared = Number(res.headers.get("content-length") ?? 0);
    if (declared > MAX_MANIFEST_BYTES) throw new Error("the manifest is too large");
    const buf = new Uint8Array(await res.arrayBuffer());
    if (buf.length > MAX_MANIFEST_BYTES) throw new Error("the manifest is too large");
    return new TextDecoder("utf-8", { fatal: true }).decode(buf);
  }
  /** The manifest with this hash (fetched from `uri` once, checked against the hash). */
  async function manifestFor(hash: Hex, uri: string): Promise<AnalyticsManifest> {
    const hit = manifests.get(hash);
    if (hit) return hit;
    let text = store.manifestText(hash);
    const fresh = !text;
    if (!text) text = await fetchText(uri);
    const m = parseManifest(JSON.parse(text));
    const got = canonicalHash(m);
    if (got !== hash.toLowerCase()) throw new Error(`the manifest at ${uri} hashes to ${got}, the chain says ${hash}`);
    if (fresh) store.putManifestText(hash, text);
    manifests.set(hash, m);
    return m;
  }

  // --- datasets: activation of committed versions ---
  async function activate(rec: CommitRecord): Promise<CommitRecord> {
    const bundle = store.bundle(rec.productId, rec.bundleHash);
    const next: CommitRecord = { ...rec };
    try {
      if (!bundle) {
        next.status = "waiting";
        next.reason = "the bundle committed for this node was not uploaded here (yet)";
      } else {
        const m = await manifestFor(rec.manifestHash, rec.manifestURI);
        const problems: string[] = [];
        if (m.productId !== rec.productId) problems.push(`the manifest is for product ${m.productId}`);
        if (m.nodes[rec.index]?.toLowerCase() !== me.toLowerCase()) problems.push(`the manifest names ${m.nodes[rec.index]} as node ${rec.index}`);
        if (m.bundleHashes[rec.index] !== rec.bundleHash) problems.push("the manifest's bundle hash differs from the chain's");
        if (m.rows !== rec.rows || bundle.rows !== rec.rows) problems.push(`rows differ (chain ${rec.rows}, manifest ${m.rows}, bundle ${bundle.rows})`);
        if (bundle.columns !== encodedColumns(m.schema).length) problems.push(`the bundle has ${bundle.columns} encoded columns, the schema ${encodedColumns(m.schema).length}`);
        if (bundle.schemaHash !== schemaHash(m.schema)) problems.push("the bundle's schema hash is not the manifest's");
        if (bundle.index !== rec.index) problems.push(`the bundle is for node index ${bundle.index}, this node is ${rec.index}`);
        if (m.privacy.minCohort !== rec.minCohort) problems.push(`minCohort differs (chain ${rec.minCohort}, manifest ${m.privacy.minCohort})`);
        if (Math.round(m.privacy.epsilonPerQuery * 1000) !== rec.epsilonPerQuery) problems.push("ε per query differs between the chain and the manifest");
        if (problems.length) {
          next.status = "invalid";
          next.reason = problems.join("; ");
        } else {
          next.status = "active";
          delete next.reason;
          next.activatedAt = new Date().toISOString();
        }
      }
    } catch (err) {
      next.status = "waiting";
      next.reason = `manifest: ${short(err)}`;
    }
    if (next.status !== rec.status || next.reason !== rec.reason) {
      store.putCommit(next);
      await store.commit();
      if (next.status === "active") {
        log.info(`product ${rec.productId}: dataset version ${rec.version} active (${rec.rows} rows, node index ${rec.index})`);
        // Decrypt the share table now, in the background, so the first buyer does not wait for it.
        void tableFor(next).catch((err) => log.warn(`product ${rec.productId}: share table not loaded: ${short(err)}`));
      }
      else if (next.status === "invalid") log.warn(`product ${rec.productId}: dataset version ${rec.version} cannot be served: ${next.reason}`);
      else log.info(`product ${rec.productId}: dataset version ${rec.version} waiting: ${next.reason}`);
    }
    return next;
  }
  /** Retries waiting commitments (all, or one product's). */
  async function retryWaiting(productId?: string): Promise<void> {
    for (const [p, list] of Object.entries(store.state.commits)) {
      if (productId && p !== productId) continue;
      for (const rec of list) if (rec.status === "waiting") await activate(rec).catch((err) => log.warn(`product ${p}: activation failed: ${short(err)}`));
    }
  }

  // --- share tables (decrypted into memory on first use; least recently used unloaded) ---
  const tables = new Map<string, { loaded: Promise<ShareTable>; bytes: number; used: number }>();
  async function tableFor(rec: CommitRecord): Promise<ShareTable> {
    const key = rec.bundleHash;
    let t = tables.get(key);
    if (!t) {
      const meta = store.bundle(rec.productId, rec.bundleHash)!;
      const fileKey = openEnvelope(meta.sealedKey, secretKey);
      const loaded = (async () => {
        const reader = await BundleReader.open(decryptStream(fileChunks(store.bundleFile(rec.productId, rec.bundleHash)), fileKey), { productId: rec.productId, node: me, index: rec.index, rows: rec.rows });
        return ShareTable.fromBundle(reader);
      })();
      t = { loaded, bytes: meta.rows * meta.columns * 16, used: Date.now() };
      tables.set(key, t);
      loaded.then((l) => { t!.bytes = l.byteLength; }, () => tables.delete(key));
      // Unload the least recently used tables beyond the budget (not the one just asked for).
      let total = [...tables.values()].reduce((s, x) => s + x.bytes, 0);
      for (const [k, x] of [...tables.entries()].sort((a, b) => a[1].used - b[1].used)) {
        if (total <= limits.tableMemoryBytes || k === key) continue;
        tables.delete(k);
        total -= x.bytes;
        log.debug(`unloaded the share table of bundle ${k.slice(0, 10)} (memory budget)`);
      }
    }
    t.used = Date.now();
    return t.loaded;
  }

  // --- uploads ---
  const uploads = new Map<string, Upload>();
  const usedSignatures = new Map<string, number>(); // keccak(signature) -> expiry (ms)
  function dropUpload(u: Upload, why?: string): void {
    uploads.delete(u.id);
    u.out.destroy();
    rmSync(u.file, { force: true });
    if (why) {
      metrics.uploads.inc({ outcome: "abandoned" });
      log.info(`upload ${u.id.slice(0, 8)} for product ${u.productId} abandoned: ${why}`);
    }
  }
  const reject = (status: number, code: string, message: string): never => {
    store.state.counters.uploadsRejected++;
    metrics.uploads.inc({ outcome: "rejected" });
    throw new ApiError(status, code, message);
  };

  async function startUpload(productId: string, body: unknown) {
    let r;
    try {
      r = parseUploadRequest(body, productId);
    } catch (err) {
      return reject(400, "malformed", short(err));
    }
    if (r.node.toLowerCase() !== me.toLowerCase()) reject(400, "wrong-node", `the signed request is for node ${r.node}, not this node ${me}`);
    const now = Math.floor(Date.now() / 1000);
    if (Math.abs(now - r.timestamp) > UPLOAD_REQUEST_WINDOW_SECONDS) reject(401, "stale-request", `the request was signed at ${r.timestamp}, more than ${UPLOAD_REQUEST_WINDOW_SECONDS} s from this node's clock (${now}); check your clock and sign a new one`);
    if (r.size > limits.maxBundleBytes) reject(413, "too-large", `a bundle has at most ${limits.maxBundleBytes} bytes; this one announces ${r.size}`);
    let signer: Address;
    try {
      signer = await recoverMessageAddress({ message: uploadRequestMessage(r), signature: r.signature });
    } catch {
      return reject(401, "bad-signature", "the signature cannot be verified");
    }
    const sigKey = createHash("sha256").update(r.signature).digest("hex");
    for (const [k, exp] of usedSignatures) if (exp < Date.now()) usedSignatures.delete(k);
    if (usedSignatures.has(sigKey)) reject(409, "replayed", "this signed upload request was already used; sign a new one");
    const product = await productOf(productId);
    if (!product) return reject(404, "unknown-product", `product ${productId} does not exist`);
    if (signer.toLowerCase() !== product.seller.toLowerCase()) reject(403, "not-seller", `signed by ${signer}, who is not the seller of product ${productId}`);
    if (product.productType !== ProductType.Analytics) reject(400, "not-analytics", `product ${productId} is not an analytics product: there is nothing to compute on`);
    const index = indexIn(product.deliveryAgents);
    if (index < 0) reject(403, "not-agent", `this node (${me}) is not one of the computation agents of product ${productId}`);
    let fileKey: Uint8Array;
    try {
      fileKey = openEnvelope(r.sealedKey, secretKey);
    } catch {
      return reject(400, "bad-bundle", "the sealed key cannot be opened by this node: seal the file key to this node's registered encryption key");
    }
    if (fileKey.length !== 32) reject(400, "bad-bundle", "the sealed key is not a 32-byte file key");
    const mine = [...uploads.values()].filter((u) => u.seller.toLowerCase() === signer.toLowerCase()).length;
    if (mine >= limits.uploadsPerSeller) reject(429, "too-many-uploads", `at most ${limits.uploadsPerSeller} uploads in progress per seller; finish one first`);
    if (uploads.size >= limits.uploadsTotal) reject(503, "unavailable", "this node has too many uploads in progress; try again later");
    usedSignatures.set(sigKey, Date.now() + 2 * UPLOAD_REQUEST_WINDOW_SECONDS * 1000);
    const id = randomBytes(16).toString("hex");
    const file = join(store.uploadDir, `${id}.part`);
    const u: Upload = {
      id, productId, seller: signer, index, size: r.size, sealedKey: r.sealedKey, fileKey, file, out: createWriteStream(file, { mode: 0o600 }),
      hash: createHash("sha256"), received: 0, nextPart: 0, busy: false, touched: Date.now(),
    };
    uploads.set(id, u);
    log.info(`upload ${id.slice(0, 8)} started for product ${productId} (${r.size} bytes, node index ${index})`);
    return { uploadId: id, maxPartBytes: MAX_UPLOAD_PART_BYTES };
  }

  function uploadOf(id: string): Upload {
    const u = /^[0-9a-f]{32}$/.test(id) ? uploads.get(id) : undefined;
    if (!u) throw new ApiError(404, "unknown-upload", `no upload ${id.slice(0, 40)} in progress here (finished, abandoned after inactivity or a restart: start again)`);
    if (u.busy) throw new ApiError(409, "out-of-order", "another request of this upload is in progress; send parts one after the other");
    return u;
  }

  // A refused part is answered without reading its body; the connection is closed after the answer.
  const closing = (err: ApiError) => new ApiError(err.status, err.code, err.message, { ...err.headers, connection: "close" });
  async function putPart(id: string, n: number, body: Readable) {
    let u: Upload;
    try {
      u = uploadOf(id);
    } catch (err) {
      throw err instanceof ApiError ? closing(err) : err;
    }
    if (n !== u.nextPart) throw closing(new ApiError(409, "out-of-order", `expected part ${u.nextPart}, got part ${n}`));
    u.busy = true;
    try {
      let partBytes = 0;
      for await (const chunk of body) {
        const b = chunk as Buffer;
        partBytes += b.length;
        if (partBytes > MAX_UPLOAD_PART_BYTES) throw new ApiError(413, "too-large", `a part has at most ${MAX_UPLOAD_PART_BYTES} bytes`);
        if (u.received + b.length > u.size) throw new ApiError(413, "too-large", `more bytes than the ${u.size} the signed request announced`);
        u.hash.update(b);
        u.received += b.length;
        if (!u.out.write(b)) await new Promise<void>((r) => u.out.once("drain", () => r()));
      }
      if (partBytes === 0) throw new ApiError(400, "malformed", "an empty part");
      u.nextPart++;
      u.touched = Date.now();
      return { uploadId: id, part: n, received: u.received };
    } catch (err) {
      dropUpload(u, short(err));
      throw err instanceof ApiError ? closing(new ApiError(err.status, err.code, `${err.message}; the upload is abandoned: start again`)) : err;
    } finally {
      u.busy = false;
    }
  }

  async function completeUpload(id: string) {
    const u = uploadOf(id);
    if (u.received !== u.size) throw new ApiError(409, "incomplete", `received ${u.received} of the ${u.size} bytes announced`);
    u.busy = true;
    try {
      await new Promise<void>((resolve, reject) => u.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      const bundleHash = `0x${u.hash.digest("hex")}` as Hex;
      // Decrypt and read it through: header (product, node, index) and every row (count,
      // elements below p, nothing after the last row). The plaintext is never written.
      const active = store.active(u.productId);
      const manifest = active && active.bundleHash === bundleHash ? manifests.get(active.manifestHash) : undefined;
      let header;
      try {
        const reader = await BundleReader.open(decryptStream(fileChunks(u.file), u.fileKey), { productId: u.productId, node: me, index: u.index });
        header = reader.header;
        if (manifest) {
          if (header.schemaHash !== schemaHash(manifest.schema)) throw new Error("the bundle's schema hash is not the committed manifest's");
          if (header.columns !== encodedColumns(manifest.schema).length) throw new Error("the bundle's column count does not fit the committed schema");
          if (header.rows !== manifest.rows) throw new Error("the bundle's row count is not the committed manifest's");
        }
        for await (const _ of reader.batches(8192)) { /* checks rows and elements */ }
      } catch (err) {
        dropUpload(u);
        return reject(400, "bad-bundle", `the bundle is not valid: ${short(err)}`);
      }
      const meta: BundleMeta = {
        productId: u.productId, bundleHash, size: u.size, sealedKey: u.sealedKey, seller: u.seller, index: header.index, rows: header.rows,
        columns: header.columns, schemaHash: header.schemaHash, storedAt: new Date().toISOString(),
      };
      uploads.delete(u.id);
      store.putBundle(meta, u.file);
      // Bundles no commitment names (uploaded, never committed) are bounded per product.
      const loose = store.unreferencedBundles(u.productId);
      for (const b of loose.slice(0, Math.max(0, loose.length - MAX_LOOSE_BUNDLES))) store.dropBundle(u.productId, b.bundleHash);
      store.state.counters.uploadsStored++;
      metrics.uploads.inc({ outcome: "stored" });
      await store.commit();
      log.info(`product ${u.productId}: bundle ${bundleHash.slice(0, 10)} stored (${header.rows} rows × ${header.columns} columns)`);
      void retryWaiting(u.productId);
      return { productId: u.productId, bundleHash, size: u.size, rows: header.rows, columns: header.columns, index: header.index };
    } finally {
      u.busy = false;
    }
  }

  function datasetStatus(productId: string): DatasetStatus {
    const bundles = store.bundlesOf(productId).map((b) => ({ bundleHash: b.bundleHash, size: b.size, rows: b.rows, columns: b.columns, index: b.index, storedAt: b.storedAt }));
    const a = store.active(productId);
    const out: DatasetStatus = { productId, node: me, status: a ? "active" : bundles.length ? "stored" : "none", bundles };
    if (a) out.active = { version: a.version, manifestHash: a.manifestHash, bundleHash: a.bundleHash, rows: a.rows };
    return out;
  }

  // --- queries ---
  async function submitQuery(body: unknown) {
    let s;
    try {
      s = parseQuerySubmission(body);
    } catch (err) {
      store.state.counters.queriesRejected++;
      throw new ApiError(400, "malformed", short(err));
    }
    const a = store.active(s.productId);
    if (!a) {
      store.state.counters.queriesRejected++;
      throw new ApiError(409, "no-manifest", `this node serves no committed dataset of product ${s.productId} (yet): try again once the seller's commitment is on chain`);
    }
    const manifest = await manifestFor(a.manifestHash, a.manifestURI);
    let q: Query;
    try {
      q = validateQuery(s.query as Query, manifest);
    } catch (err) {
      store.state.counters.queriesRejected++;
      if (err instanceof QueryError) throw new ApiError(400, err.code, err.message);
      throw err;
    }
    const hash = queryHash(q);
    const stored = store.putQuery({ queryHash: hash, productId: s.productId, query: q });
    store.state.counters.queriesStored++;
    queryArrived(hash);
    return { productId: s.productId, queryHash: hash, expiresAt: stored.expiresAt };
  }
  // Jobs whose query text has not arrived yet are parked (they hold no job slot) and queued
  // again when it arrives, or when their wait is over (then they are refused).
  const parked = new Map<string, { hash: string; timer: ReturnType<typeof setTimeout> }>();
  function park(jobId: string, hash: Hex, until: number) {
    if (parked.has(jobId)) return;
    const timer = setTimeout(() => {
      parked.delete(jobId);
      enqueue(jobId);
    }, Math.max(0, until - Date.now()) + 50);
    timer.unref?.();
    parked.set(jobId, { hash: hash.toLowerCase(), timer });
    log.debug(`job ${jobId}: waiting for its query text`);
  }
  function queryArrived(hash: string) {
    for (const [jobId, p] of parked) {
      if (p.hash !== hash.toLowerCase()) continue;
      clearTimeout(p.timer);
      parked.delete(jobId);
      enqueue(jobId);
    }
  }

  // --- jobs ---
  const running = new Set<string>();
  const queue: string[] = [];
  let active = 0;
  function enqueue(jobId: string) {
    if (running.has(jobId) || queue.includes(jobId)) return;
    queue.push(jobId);
    pump();
  }
  function pump() {
    while (!stopped && active < limits.concurrentJobs && queue.length) {
      const id = queue.shift()!;
      active++;
      running.add(id);
      void processJob(id)
        .catch((err) => {
          if (stopped) return log.debug(`job ${id}: interrupted by the stop: ${short(err)}`);
          log.error(`job ${id} failed: ${short(err)}`);
          const rec = store.state.jobs[id];
          if (rec && rec.status === "queued" && !stopped) {
            store.setJob({ ...rec, status: "failed", reason: short(err) });
            store.state.counters.jobsFailed++;
            metrics.jobs.inc({ outcome: "failed" });
            void store.commit().catch(() => {});
          }
        })
        .finally(() => {
          active--;
          running.delete(id);
          if (store.state.jobs[id]?.status !== "queued") peers.closeJob(id); // a parked job's peers may still say hello
          pump();
        });
    }
  }

  async function finishJob(rec: JobRecord, status: JobRecord["status"], reason?: string, extra: Partial<JobRecord> = {}) {
    store.setJob({ ...rec, ...extra, status, reason });
    if (status === "done") store.state.counters.jobsDone++;
    if (status === "refused") store.state.counters.jobsRefused++;
    if (status === "failed") store.state.counters.jobsFailed++;
    if (status === "done" || status === "refused" || status === "skipped" || status === "failed") metrics.jobs.inc({ outcome: status });
    await store.commit();
  }

  async function refuse(rec: JobRecord, reason: RefusalReason, why: string): Promise<void> {
    const name = RefusalReasonNames[reason];
    if (stopped) {
      // Stopping interrupts jobs (their rounds fail): leave them queued for the next start.
      log.debug(`job ${rec.jobId}: interrupted by the stop (${name}: ${why}); checked again at the next start`);
      return;
    }
    const out = await tx.recordRefusal(BigInt(rec.jobId), reason);
    if (out.ok) log.info(`job ${rec.jobId} (product ${rec.productId}): refused (${name}): ${why}`);
    else if (out.reason === "JobNotOpen") log.info(`job ${rec.jobId} (product ${rec.productId}): refused (${name}): ${why} — not recorded: the other agents' answers closed the job first`);
    else log.warn(`job ${rec.jobId} (product ${rec.productId}): refused (${name}): ${why} — the refusal was NOT recorded (${out.reason})`);
    await finishJob(rec, "refused", `${name}: ${why}`);
  }

  /**
   * Participants of a job and the buyer's cohort history they compute with: a hello round to the
   * other agents (each sends the query hash and its history of this buyer on this dataset), then
   * the lowest-index agent heard from decides: it sends the roster (the agents it heard from) and
   * the union of their histories, which every participant then uses and keeps — so a node that
   * missed a job (down) catches up, and the participants' differencing checks stay identical.
   */
  async function agreeParticipants(jobId: string, agents: readonly Address[], myIndex: number, needed: number, queryHashOfJob: Hex, own: CohortRecord[], capAt: number): Promise<{ participants: number[]; history: CohortRecord[] } | "excluded" | undefined> {
    const others = agents.map((a, i) => ({ a, i })).filter((x) => x.i !== myIndex);
    const helloMs = o.helloMs ?? 5000;
    peers.openJob(jobId, agents);
    const hello = { queryHash: queryHashOfJob, history: own };
    for (const p of others) void peers.post(p.a, jobId, "hello", hello, helloMs).catch((err) => log.debug(`job ${jobId}: hello to ${p.a} not delivered: ${short(err)}`));
    const heard = new Map<number, CohortRecord[]>([[myIndex, own]]);
    const start = Date.now();
    const waits = others.map((p) =>
      peers.receive(jobId, "hello", p.a, Math.max(0, capAt - Date.now())).then(
        (v) => {
          const h = v as { queryHash?: unknown; history?: unknown };
          if (h?.queryHash !== queryHashOfJob) log.warn(`job ${jobId}: agent ${p.i} says hello for another query; leaving it out`);
          else heard.set(p.i, parseHistory(h.history) ?? []);
        },
        () => {},
      ),
    );
    const all = Promise.all(waits);
    // Wait for every agent for helloMs; then go on as soon as enough answered (until capAt).
    await Promise.race([all, sleep(helloMs)]);
    while (heard.size < needed && Date.now() < capAt && heard.size < agents.length) await Promise.race([all, sleep(100)]);
    const members = [...heard.keys()].sort((x, y) => x - y);
    const leader = members[0];
    if (leader === myIndex) {
      const roster = heard.size >= needed ? { participants: members, history: mergeHistories(members.map((i) => heard.get(i)!)) } : { participants: [], history: [] };
      // Members must have it before the engine's first round; the others are told in passing.
      for (const p of others.filter((x) => !heard.has(x.i))) void peers.post(p.a, jobId, "roster", roster, 1000).catch(() => {});
      await Promise.all(others.filter((x) => heard.has(x.i)).map((p) => peers.post(p.a, jobId, "roster", roster, 10_000).catch((err) => log.warn(`job ${jobId}: roster to agent ${p.i} not delivered: ${short(err)}`))));
      log.debug(`job ${jobId}: participants ${roster.participants.join(", ") || "none"} (waited ${Date.now() - start} ms)`);
      return roster.participants.length ? roster : undefined;
    }
    let got: { participants?: unknown; history?: unknown };
    try {
      got = (await peers.receive(jobId, "roster", agents[leader], Math.max(1000, capAt - Date.now()))) as typeof got;
    } catch (err) {
      log.warn(`job ${jobId}: no participant list from agent ${leader}: ${short(err)}`);
      return undefined;
    }
    const participants = got?.participants;
    const history = parseHistory(got?.history);
    if (!Array.isArray(participants) || !history || participants.some((i, k) => !Number.isInteger(i) || i < 0 || i >= agents.length || (k > 0 && i <= participants[k - 1]))) {
      log.warn(`job ${jobId}: agent ${leader} sent a malformed participant list`);
      return undefined;
    }
    if (participants.length === 0) return undefined;
    return participants.includes(myIndex) ? { participants: participants as number[], history } : "excluded";
  }

  async function processJob(jobId: string): Promise<void> {
    const rec = store.state.jobs[jobId];
    if (!rec || (rec.status !== "queued" && rec.status !== "sealed")) return;
    const id = BigInt(jobId);
    const [job, answered, [agents, threshold]] = await Promise.all([read.analytics.getJob([id]), read.analytics.answered([id, me]), read.catalogue.agentsOf([BigInt(rec.productId)])]);
    const consumer = job.consumer;
    if (rec.status === "sealed") return deliver(rec, consumer);
    if (answered) {
      const refusal = await read.analytics.refusalOf([id, me]);
      return finishJob(rec, refusal[0] ? "refused" : "done", "answered before (found on chain)");
    }
    if (job.status !== JobStatus.Open) return finishJob(rec, "skipped", `the job is ${JobStatusNames[job.status]}`);
    const deadlineMs = Number(job.deadline) * 1000;
    if (Date.now() > deadlineMs) return finishJob(rec, "skipped", "past its deadline");
    const started = Date.now();
    log.debug(`job ${jobId} (product ${rec.productId}): checking`);
    const myIndex = indexIn(agents);
    if (myIndex < 0) return finishJob(rec, "skipped", "this node is no longer a computation agent of the product");

    // The dataset version the job pinned: held here, manifest checked.
    let commit = store.commitOf(rec.productId, job.datasetVersion);
    if (commit?.status === "waiting") commit = await activate(commit);
    if (!commit || commit.status !== "active") return refuse(rec, RefusalReason.DatasetMismatch, `this node does not hold dataset version ${job.datasetVersion}${commit?.reason ? ` (${commit.reason})` : ""}`);
    if (commit.index !== myIndex) return refuse(rec, RefusalReason.DatasetMismatch, `the agents changed since version ${job.datasetVersion} was committed`);
    const manifest = await manifestFor(commit.manifestHash, commit.manifestURI);

    // The query text, posted by the buyer (the job waits for it, parked, until shortly before the deadline).
    const margin = (o.queryWaitMarginSeconds ?? 30) * 1000;
    const text = store.query(job.queryHash)?.query as Query | undefined;
    if (!text) {
      if (Date.now() < deadlineMs - margin) return park(jobId, job.queryHash, deadlineMs - margin);
      return refuse(rec, RefusalReason.QueryMalformed, "the query text with the job's hash never reached this node");
    }
    let query: Query;
    try {
      query = validateQuery(text, manifest);
    } catch (err) {
      // The code only: the message may quote the query's values, which stay out of the logs.
      if (err instanceof QueryError) return refuse(rec, err.code === "malformed" ? RefusalReason.QueryMalformed : RefusalReason.QueryNotAllowed, `the query breaks the dataset version's rules (${err.code})`);
      throw err;
    }
    if (queryHash(query) !== job.queryHash.toLowerCase()) return refuse(rec, RefusalReason.QueryMalformed, "the query text does not hash to the job's query hash");

    // The buyer, right before computing: eligible now (credential valid, consent not retracted,
    // the policy) and reachable (a registered key to seal to).
    const [verdict, consumerKey] = await Promise.all([read.agreements.eligibility([job.productId, consumer, job.purpose]), read.credentials.encryptionKeyOf([consumer])]);
    if (verdict !== Verdict.Eligible) return refuse(rec, RefusalReason.NotEligible, `the buyer is not eligible now (${VerdictNames[verdict]})`);
    if (consumerKey === zeroHash) return refuse(rec, RefusalReason.NotEligible, "the buyer has no encryption key registered");

    // Who takes part: linear queries need the threshold, others every agent.
    const needed = isLinear(query) ? threshold : agents.length;
    const capAt = Math.min(deadlineMs - margin, Date.now() + (o.helloMaxMs ?? 60_000));
    const own = store.cohortHistory(rec.productId, consumer) as CohortRecord[];
    const agreed = await agreeParticipants(jobId, agents, myIndex, needed, job.queryHash.toLowerCase() as Hex, own, capAt);
    if (agreed === "excluded") return finishJob(rec, "skipped", "left out of the participants (answered too late)");
    if (!agreed) return refuse(rec, RefusalReason.ComputeFailed, `fewer than the ${needed} agents this query needs took part`);
    const { participants: roster, history } = agreed;
    peers.narrowJob(jobId, roster.map((i) => agents[i]));

    // Compute with the peers (the engine's parties are the agent indexes).
    const table = await tableFor(commit);
    let outcome;
    try {
      outcome = await runJob({ jobId, query, manifest, table, me: myIndex, participants: roster, history }, peers.channel(jobId, agents));
    } catch (err) {
      return refuse(rec, RefusalReason.ComputeFailed, `the computation with agents ${roster.join(", ")} failed: ${short(err)}`);
    }
    if (outcome.kind === "refused") {
      store.setCohortHistory(rec.productId, consumer, history); // what the participants agreed on (written with the refusal)
      // Query refusals are logged by reason only (their detail may quote the query's values).
      const detail = outcome.reason === "QueryMalformed" || outcome.reason === "QueryNotAllowed" ? "the query breaks the dataset's rules" : outcome.detail;
      return refuse(rec, RefusalReason[ON_CHAIN_REFUSAL[outcome.reason]], `${outcome.reason}: ${detail}`);
    }
    store.setCohortHistory(rec.productId, consumer, recordCohort(history, outcome.cohort));

    // Seal to the buyer, save, publish, record.
    const envelope = bytesToHex(sealEnvelope(stringToBytes(JSON.stringify(outcome.payload)), consumerKey));
    store.putResult(jobId, envelope);
    const sealed = store.setJob({ ...rec, status: "sealed", consumer, deadline: Number(job.deadline), latencyMs: Date.now() - started });
    await store.commit(); // the history and the sealed result survive a crash from here on
    crash("after-seal");
    log.info(`job ${jobId} (product ${rec.productId}): computed with agents ${roster.join(", ")} in ${Date.now() - started} ms (engine ${Math.round(outcome.stats.ms)} ms, ${outcome.stats.rounds} rounds)`);
    return deliver(sealed, consumer);
  }

  /** Publishes a sealed result to the buyer's inbox and records its hash (again after a restart). */
  async function deliver(rec: JobRecord, consumer: Address): Promise<void> {
    const envelope = store.result(rec.jobId);
    if (!envelope) return finishJob(rec, "failed", "the sealed result is missing");
    const recorded = await read.analytics.resultOf([BigInt(rec.jobId), me]);
    if (recorded === zeroHash) {
      const t = Date.now();
      await tx.exclusive(() => inbox.ensureInbox(consumer)); // creating it sends transactions from this node's account
      await inbox.publishResult(consumer, rec.jobId, envelope);
      crash("after-publish");
      log.debug(`job ${rec.jobId}: published to the buyer's inbox in ${Date.now() - t} ms`);
    }
    const out = recorded === zeroHash ? await tx.recordResult(BigInt(rec.jobId), envelope) : { ok: true as const, txHash: zeroHash };
    if (out.ok) log.info(`job ${rec.jobId} (product ${rec.productId}): result delivered, receipt recorded`);
    else if (out.reason === "JobNotOpen") log.info(`job ${rec.jobId} (product ${rec.productId}): result delivered; the job was already completed by the other agents' receipts`);
    else log.warn(`job ${rec.jobId} (product ${rec.productId}): result delivered, receipt NOT recorded (${out.reason})`);
    await finishJob(rec, "done", out.ok ? undefined : `receipt: ${out.reason}`);
  }

  // --- re-publishing on the buyer's request ---
  const republishPerBuyer = new RateLimiter({ max: 20, windowMs: 60_000 });
  const usedNonces = new Map<string, number>(); // nonce -> expiry (ms); in memory: a restart only allows one more copy of the same envelope
  async function republish(jobId: string, body: unknown) {
    let r;
    try {
      r = parseRepublishRequest(body);
    } catch (err) {
      throw new ApiError(400, "malformed", short(err));
    }
    if (r.jobId !== jobId) throw new ApiError(400, "malformed", `the signed request is for job ${r.jobId}, the path names ${jobId}`);
    if (r.node.toLowerCase() !== me.toLowerCase()) throw new ApiError(400, "wrong-node", `the signed request is for node ${r.node}, not this node ${me}`);
    const now = Math.floor(Date.now() / 1000);
    if (Math.abs(now - r.timestamp) > UPLOAD_REQUEST_WINDOW_SECONDS) throw new ApiError(401, "stale-request", `the request was signed at ${r.timestamp}, more than ${UPLOAD_REQUEST_WINDOW_SECONDS} s from this node's clock (${now}); sign a new one`);
    for (const [k, exp] of usedNonces) if (exp < Date.now()) usedNonces.delete(k);
    if (usedNonces.has(r.nonce)) throw new ApiError(409, "replayed", "this signed request was already used; sign a new one");
    let signer: Address;
    try {
      signer = await recoverMessageAddress({ message: republishMessage(r), signature: r.signature });
    } catch {
      throw new ApiError(401, "bad-signature", "the signature cannot be verified");
    }
    const limited = republishPerBuyer.take(signer.toLowerCase());
    if (!limited.ok) throw new ApiError(429, "rate-limited", "too many re-publish requests from this buyer; try again in a minute", { "retry-after": String(Math.ceil(limited.retryAfterMs / 1000)) });
    const rec = store.state.jobs[jobId];
    const envelope = store.result(jobId);
    if (!rec || !envelope || (rec.status !== "done" && rec.status !== "sealed")) throw new ApiError(404, "not-found", `this node holds no result of job ${jobId}`);
    const job = await read.analytics.getJob([BigInt(jobId)]);
    if (signer.toLowerCase() !== job.consumer.toLowerCase()) throw new ApiError(403, "not-buyer", `signed by ${signer}, who is not the buyer of job ${jobId}`);
    const verdict = await read.agreements.eligibility([job.productId, job.consumer, job.purpose]);
    if (verdict !== Verdict.Eligible) throw new ApiError(409, "not-eligible", `the buyer is not eligible now (${VerdictNames[verdict]}): nothing is published`);
    if (usedNonces.has(r.nonce)) throw new ApiError(409, "replayed", "this signed request was already used; sign a new one");
    usedNonces.set(r.nonce, Date.now() + 2 * UPLOAD_REQUEST_WINDOW_SECONDS * 1000);
    await tx.exclusive(() => inbox.ensureInbox(job.consumer));
    const stream = await inbox.publishResult(job.consumer, jobId, envelope);
    log.info(`job ${jobId}: result published again on the buyer's request`);
    return { jobId, node: me, status: "published" as const, inbox: stream };
  }

  // --- chain watcher ---
  const tx = new TxSender({ publicClient, wallet, account, chain, analytics, store, log, afterSign: () => crash("after-sign") });
  const watcher = new LogWatcher(publicClient, analytics, store, {
    async committed(a: CommittedArgs) {
      const productId = a.productId.toString();
      const [agents] = await read.catalogue.agentsOf([a.productId]);
      const index = indexIn(agents);
      if (index < 0 || !a.bundleHashes[index]) return; // not ours
      const rec: CommitRecord = {
        productId, version: Number(a.version), manifestHash: a.manifestHash.toLowerCase() as Hex, manifestURI: a.manifestURI, index,
        bundleHash: a.bundleHashes[index].toLowerCase() as Hex, rows: Number(a.rows), minCohort: Number(a.minCohort), epsilonPerQuery: Number(a.epsilonPerQuery),
        jobTimeout: Number(a.jobTimeout), status: "waiting", seenAt: new Date().toISOString(),
      };
      if (store.commitOf(productId, rec.version)) return;
      store.putCommit(rec);
      await store.commit();
      await activate(rec); // older versions' bundles stay while jobs may pin them (dropped with the version, node-store.ts)
    },
    async requested(a: RequestedArgs) {
      const jobId = a.jobId.toString();
      if (store.state.jobs[jobId]) return;
      const productId = a.productId.toString();
      if (!store.state.commits[productId]) return; // a product this node serves no dataset of
      store.setJob({ jobId, productId, status: "queued", deadline: Number(a.deadline) });
      await store.commit();
      enqueue(jobId);
      // The buyer's inbox now, while the job is checked and computed (it takes a transaction or two).
      void tx.exclusive(() => inbox.ensureInbox(a.consumer)).catch((err) => log.warn(`job ${jobId}: could not create the buyer's inbox yet: ${short(err)}`));
    },
  });

  // --- HTTP ---
  const limitedLog = new Map<string, number>();
  const api: NodeApi = {
    health: async () => health(),
    dataset: datasetStatus,
    startUpload,
    putPart,
    completeUpload,
    submitQuery,
    republish,
    peerMaxBytes: peers.limits.maxMessageBytes,
    async peer(sender, jobId, round, body) {
      try {
        await peers.accept(sender, jobId, round, body);
      } catch (err) {
        store.state.counters.peerRejected++;
        if (err instanceof PeerError) {
          log.debug(`peer message refused (${err.code}): ${err.message}`);
          throw new ApiError(err.status, err.code, err.message);
        }
        throw err;
      }
    },
    onRateLimited(kind, ip) {
      store.state.counters.rateLimited++;
      const last = limitedLog.get(kind) ?? 0;
      if (Date.now() - last >= 60_000) {
        limitedLog.set(kind, Date.now());
        log.warn(`refusing ${kind} requests over the per-IP limit, e.g. from ${ip} (further refusals this minute not logged)`);
      }
    },
  };

  let chainOk = true;
  let stopped = false;
  let streamrUp = false;
  let scannedAt = 0; // the last successful poll of the chain (ms)
  const runningJobs = () => {
    let n = 0;
    for (const j of Object.values(store.state.jobs)) if (j.status === "queued" || j.status === "sealed") n++;
    return n;
  };
  const activeDatasets = () => Object.values(store.state.commits).filter((l) => l.some((x) => x.status === "active")).length;
  const health = (): NodeHealth => {
    const counts = { running: runningJobs(), done: 0, refused: 0, failed: 0 };
    counts.done = store.state.counters.jobsDone;
    counts.refused = store.state.counters.jobsRefused;
    counts.failed = store.state.counters.jobsFailed;
    return {
      address: me,
      status: chainOk ? "ok" : "degraded",
      checkpointBlock: store.state.checkpointBlock,
      head: watcher.head,
      datasets: { stored: store.products().length, active: activeDatasets(), loaded: tables.size },
      jobs: counts,
    };
  };

  // --- operations: /ready and /metrics ---
  const chainStaleMs = Math.max(60_000, 40 * (o.pollMs ?? 250));
  async function readiness(): Promise<Record<string, Check>> {
    const head = watcher.head;
    const behind = head === null ? null : Math.max(0, head - store.state.checkpointBlock);
    if (keyOnChain.key.toLowerCase() !== publicKey.toLowerCase() && Date.now() - keyOnChain.at > 5000) {
      keyOnChain = { key: await read.credentials.encryptionKeyOf([me]).catch(() => keyOnChain.key), at: Date.now() };
    }
    const key = keyOnChain.key;
    return {
      chain: !scannedAt ? { ok: false, detail: chainOk ? "no successful poll yet" : "the last poll failed" }
        : { ok: chainOk && Date.now() - scannedAt < chainStaleMs, detail: chainOk ? `last poll ${Math.round((Date.now() - scannedAt) / 1000)} s ago` : "the last poll failed" },
      caughtUp: behind === null ? { ok: false, detail: "chain head not known yet" } : { ok: behind <= CAUGHT_UP_BLOCKS, detail: `${behind} block(s) behind` },
      keys: key === zeroHash ? { ok: false, detail: "no encryption key registered on chain" }
        : key.toLowerCase() !== publicKey.toLowerCase() ? { ok: false, detail: "the key registered on chain is not this node's" } : { ok: true },
      streamr: streamrUp && !stopped ? { ok: true } : { ok: false, detail: stopped ? "stopped" : "not started" },
    };
  }
  api.ops = {
    ops,
    refresh() {
      metrics.jobsRunning.set(runningJobs());
      metrics.datasetsActive.set(activeDatasets());
      if (watcher.head !== null) metrics.head.set(watcher.head);
      metrics.checkpoint.set(store.state.checkpointBlock);
    },
  };

  // --- start ---
  try {
    await inbox.connect();
    streamrUp = true;
  } catch (err) {
    await inbox.destroy().catch(() => {});
    throw err;
  }
  let server: Awaited<ReturnType<typeof startHttp>>;
  try {
    server = await startHttp(api, { port: o.port, host: o.host ?? "127.0.0.1", limits: o.limits?.http, onError: (err) => log.error(`HTTP handler failed: ${short(err)}`) });
  } catch (err) {
    await inbox.destroy().catch(() => {});
    throw err;
  }
  await tx.resume();
  // Jobs that were under way before a restart: sealed ones are delivered again, queued ones re-checked.
  for (const j of Object.values(store.state.jobs)) if (j.status === "queued" || j.status === "sealed") enqueue(j.jobId);

  let timer: ReturnType<typeof setTimeout> | undefined;
  let scanning: Promise<void> = Promise.resolve();
  let lastRetry = Date.now();
  const loop = () => {
    if (stopped) return;
    scanning = watcher.scan().then(
      () => { if (!chainOk) log.info("chain reachable again"); chainOk = true; scannedAt = Date.now(); },
      (err) => { if (chainOk) log.error(`watching the chain failed (will retry): ${short(err)}`); chainOk = false; },
    ).then(async () => {
      // Housekeeping: idle uploads, expired queries, waiting commitments (every 10 s).
      for (const u of [...uploads.values()]) if (!u.busy && Date.now() - u.touched > limits.uploadIdleMs) dropUpload(u, "no part for too long");
      if (Date.now() - lastRetry > 10_000) {
        lastRetry = Date.now();
        store.pruneQueries();
        await retryWaiting();
      }
    }).finally(() => { if (!stopped) timer = setTimeout(loop, o.pollMs ?? 250); });
  };
  loop();
  log.info(`listening on ${server.url}; Analytics ${analytics}; checkpoint block ${store.state.checkpointBlock}; ${store.products().length} product(s) with bundles`);

  return {
    address: me,
    url: server.url,
    health: async () => health(),
    setDirectory(d) {
      directory = new Map(d.map((e) => [e.address.toLowerCase(), e]));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      streamrUp = false;
      clearTimeout(timer);
      await scanning.catch(() => {});
      queue.length = 0;
      peers.stop();
      for (const p of parked.values()) clearTimeout(p.timer);
      parked.clear();
      const until = Date.now() + 15_000;
      while (active > 0 && Date.now() < until) await sleep(50);
      await tx.idle().catch(() => {});
      for (const u of [...uploads.values()]) dropUpload(u);
      await store.commit().catch(() => {});
      await server.app.close().catch(() => {});
      await inbox.destroy().catch(() => {});
    },
  };
}

/** A cohort history from a peer (JSON): undefined when malformed. */
function parseHistory(x: unknown): CohortRecord[] | undefined {
  if (!Array.isArray(x) || x.length > MAX_HISTORY_IN_MESSAGE) return undefined;
  const ok = x.every((r) => {
    const c = r as Partial<CohortRecord>;
    return c && typeof c === "object" && Number.isSafeInteger(c.size) && (c.size as number) >= 0 && (c.jobId === undefined || (typeof c.jobId === "string" && /^[0-9]{1,78}$/.test(c.jobId)))
      && Array.isArray(c.filter) && c.filter.every((f) => f && typeof f.column === "string" && Array.isArray(f.indexes) && f.indexes.every((i) => Number.isInteger(i) && i >= 0));
  });
  return ok ? (x as CohortRecord[]) : undefined;
}
const MAX_HISTORY_IN_MESSAGE = 256;

/** The union of several nodes' histories of one buyer, in job order, distinct cohorts, at most the engine's bound. */
function mergeHistories(lists: readonly CohortRecord[][]): CohortRecord[] {
  const all = lists.flat();
  const jobOf = (r: CohortRecord) => (r.jobId ? BigInt(r.jobId) : 0n);
  all.sort((a, b) => (jobOf(a) < jobOf(b) ? -1 : jobOf(a) > jobOf(b) ? 1 : 0));
  let out: CohortRecord[] = [];
  const seen = new Set<string>();
  for (const r of all) {
    if (r.jobId) {
      if (seen.has(r.jobId)) continue;
      seen.add(r.jobId);
    }
    out = recordCohort(out, r);
  }
  return out;
}
