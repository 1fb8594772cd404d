// The wire formats around the SMPC nodes of analytics products (docs/analytics.md, "SMPC node"):
// the node's HTTP API (requests, answers, typed errors), the seller-signed upload request and the
// Streamr message a node publishes to a buyer's inbox. Browser-safe. Every parser validates every
// field, so a malformed request or message fails here with a reason, before anything else looks
// at it. (Node-to-node round messages are the nodes' own business: smpc/src/peers.ts.)
import { getAddress, isAddress, isHex, keccak256, type Address, type Hex } from "viem";
import { KrakenError } from "../errors.ts";

export const ANALYTICS_PROTOCOL_VERSION = 1;

/** Largest part of an upload (PUT /uploads/:id/parts/:n). */
export const MAX_UPLOAD_PART_BYTES = 8 * 2 ** 20;
/** Default largest bundle (ciphertext) a node accepts; a node may be configured otherwise. */
export const DEFAULT_MAX_BUNDLE_BYTES = 2 ** 30;
/** How far an upload request's timestamp may be from the node's clock (s). */
export const UPLOAD_REQUEST_WINDOW_SECONDS = 300;
/** Largest sealed key accepted (a sealed 32-byte key is 104 bytes). */
export const MAX_SEALED_KEY_BYTES = 256;
/** Largest query text (bytes of JSON) a node accepts. */
export const MAX_QUERY_BYTES = 4096;
/** Largest result envelope in an inbox message (bytes). */
export const MAX_RESULT_ENVELOPE_BYTES = 2 ** 20;

/**
 * Error codes of the node's HTTP API (`{ error: { code, message } }`). Query validation errors
 * keep the code of the SDK's QueryError (`malformed`, `unknown-column`, `not-allowed`, …).
 */
export type NodeApiErrorCode =
  | "malformed" // the request does not parse (also a query that does not)
  | "bad-signature" // the upload request's signature does not recover
  | "not-seller" // signed by someone who is not the product's seller
  | "unknown-product"
  | "not-analytics" // the product is not an analytics product
  | "not-agent" // this node is not one of the product's computation agents
  | "wrong-node" // the request names another node
  | "stale-request" // timestamp outside the window
  | "too-large" // a bundle, part or body over the limit
  | "too-many-uploads" // the seller has too many uploads in progress
  | "unknown-upload"
  | "out-of-order" // a part that is not the next one
  | "incomplete" // completing an upload whose size is not reached
  | "bad-bundle" // decryption or the bundle header failed
  | "no-manifest" // a query for a product whose dataset is not committed (yet)
  | "unknown-peer" // a peer message from a node that is not one of the job's agents
  | "replayed" // a peer message already received
  | "unsupported-media-type"
  | "rate-limited"
  | "not-found"
  | "unavailable" // the node is starting or stopping
  | "internal"
  | (string & {});

/** A refusal from a node's HTTP API (thrown by the client in node-client.ts). */
export class NodeApiError extends KrakenError<NodeApiErrorCode> {
  override name = "NodeApiError";

  constructor(
    code: NodeApiErrorCode,
    message: string,
    /** The HTTP status (0 when the node could not be reached). */
    readonly status: number,
    /** Seconds to wait, from Retry-After (429). */
    readonly retryAfter?: number,
  ) {
    super(code, message);
  }
}

/** A malformed request or message (the parsers below). */
export class AnalyticsProtocolError extends KrakenError<"malformed"> {
  override name = "AnalyticsProtocolError";

  constructor(message: string) {
    super("malformed", message);
  }
}

const bad = (what: string): never => {
  throw new AnalyticsProtocolError(`malformed: ${what}`);
};
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const obj = (x: unknown, what: string): Record<string, unknown> => (isObj(x) ? x : bad(`${what} is not an object`));
const only = (c: Record<string, unknown>, keys: readonly string[], what: string) => {
  for (const k of Object.keys(c)) if (!keys.includes(k)) bad(`${what} has an unknown field "${k.slice(0, 40)}"`);
};
export const parseId = (x: unknown, what: string): string => (typeof x === "string" && /^[1-9][0-9]{0,30}$/.test(x) ? x : bad(`${what} is not an id (a decimal string)`));
const hash32 = (x: unknown, what: string): Hex => (typeof x === "string" && /^0x[0-9a-fA-F]{64}$/.test(x) ? (x.toLowerCase() as Hex) : bad(`${what} is not a 32-byte hex hash`));
const int = (x: unknown, what: string, min: number, max: number): number => (Number.isSafeInteger(x) && (x as number) >= min && (x as number) <= max ? (x as number) : bad(`${what} must be an integer from ${min} to ${max}`));
const address = (x: unknown, what: string): Address => (typeof x === "string" && isAddress(x, { strict: false }) ? getAddress(x) : bad(`${what} is not an address`));
const hexBytes = (x: unknown, what: string, min: number, max: number): Hex => {
  if (typeof x !== "string" || !isHex(x) || x.length % 2 !== 0) return bad(`${what} is not hex bytes`);
  const n = (x.length - 2) / 2;
  return n >= min && n <= max ? (x.toLowerCase() as Hex) : bad(`${what} must have ${min} to ${max} bytes`);
};
const signature = (x: unknown): Hex => hexBytes(x, "signature", 64, 65);

// --- uploads ---

/** What a seller signs (EIP-191) to upload one node's bundle of a product. */
export interface UploadRequest {
  productId: string; // decimal
  node: Address; // the node it is for
  size: number; // bytes of the bundle's ciphertext
  sealedKey: Hex; // the 32-byte file key sealed to the node's X25519 key (sealEnvelope)
  timestamp: number; // unix s
}

export type SignedUploadRequest = UploadRequest & { signature: Hex };

/** The text a seller signs: product, node, size, hash of the sealed key and time. */
export function uploadRequestMessage(r: UploadRequest): string {
  return [
    "Kraken marketplace: upload my analytics dataset share to this computation node.",
    `product: ${r.productId}`,
    `node: ${r.node.toLowerCase()}`,
    `size: ${r.size}`,
    `sealed key: ${keccak256(r.sealedKey)}`,
    `timestamp: ${r.timestamp}`,
  ].join("\n");
}

/** Builds and signs an upload request with the seller's wallet (`signMessage` of viem or a wallet). */
export async function signUploadRequest(
  signMessage: (message: string) => Promise<Hex>,
  r: Omit<UploadRequest, "timestamp">,
  now = Date.now(),
): Promise<SignedUploadRequest> {
  const request: UploadRequest = { productId: String(r.productId), node: getAddress(r.node), size: r.size, sealedKey: r.sealedKey, timestamp: Math.floor(now / 1000) };
  return { ...request, signature: await signMessage(uploadRequestMessage(request)) };
}

export function parseUploadRequest(json: unknown, productId?: string): SignedUploadRequest {
  const c = obj(json, "upload request");
  only(c, ["productId", "node", "size", "sealedKey", "timestamp", "signature"], "upload request");
  const r: SignedUploadRequest = {
    productId: parseId(c.productId ?? productId, "productId"),
    node: address(c.node, "node"),
    size: int(c.size, "size", 1, Number.MAX_SAFE_INTEGER),
    sealedKey: hexBytes(c.sealedKey, "sealedKey", 32, MAX_SEALED_KEY_BYTES),
    timestamp: int(c.timestamp, "timestamp", 0, 2 ** 40),
    signature: signature(c.signature),
  };
  if (productId !== undefined && r.productId !== productId) bad(`the signed request is for product ${r.productId}, the path names ${productId}`);
  return r;
}

/** POST /datasets/:productId/uploads → */
export interface UploadStarted {
  uploadId: string;
  /** Largest part the node takes. */
  maxPartBytes: number;
}

/** POST /uploads/:uploadId/complete → */
export interface UploadCompleted {
  productId: string;
  bundleHash: Hex; // SHA-256 of the ciphertext, 0x…
  size: number;
  rows: number;
  columns: number;
  index: number;
}

/** PUT /uploads/:uploadId/parts/:n → */
export interface PartAccepted {
  uploadId: string;
  part: number;
  received: number; // bytes so far
}

const uploadId = (x: unknown, what = "uploadId"): string => (typeof x === "string" && /^[0-9a-f]{32}$/.test(x) ? x : bad(`${what} is not an upload id`));
export const isUploadId = (x: string) => /^[0-9a-f]{32}$/.test(x);

export function parseUploadStarted(json: unknown): UploadStarted {
  const c = obj(json, "answer");
  return { uploadId: uploadId(c.uploadId), maxPartBytes: int(c.maxPartBytes, "maxPartBytes", 1, MAX_UPLOAD_PART_BYTES) };
}

export function parsePartAccepted(json: unknown): PartAccepted {
  const c = obj(json, "answer");
  return { uploadId: uploadId(c.uploadId), part: int(c.part, "part", 0, 2 ** 31), received: int(c.received, "received", 0, Number.MAX_SAFE_INTEGER) };
}

export function parseUploadCompleted(json: unknown): UploadCompleted {
  const c = obj(json, "answer");
  return {
    productId: parseId(c.productId, "productId"),
    bundleHash: hash32(c.bundleHash, "bundleHash"),
    size: int(c.size, "size", 1, Number.MAX_SAFE_INTEGER),
    rows: int(c.rows, "rows", 0, 2 ** 40),
    columns: int(c.columns, "columns", 1, 1 << 16),
    index: int(c.index, "index", 0, 255),
  };
}

// --- datasets ---

/** A bundle a node holds (still encrypted) for a product. */
export interface StoredBundleInfo {
  bundleHash: Hex;
  size: number;
  rows: number;
  columns: number;
  index: number;
  storedAt: string; // ISO time
}

/** GET /datasets/:productId → what the node holds for the product. */
export interface DatasetStatus {
  productId: string;
  node: Address;
  /** none: nothing held; stored: bundle(s) held, none committed on chain yet; active: answering queries. */
  status: "none" | "stored" | "active";
  bundles: StoredBundleInfo[];
  /** The committed version this node answers with (status active). */
  active?: { version: number; manifestHash: Hex; bundleHash: Hex; rows: number };
}

export function parseDatasetStatus(json: unknown): DatasetStatus {
  const c = obj(json, "answer");
  const status = c.status === "none" || c.status === "stored" || c.status === "active" ? c.status : bad("status");
  const bundles = Array.isArray(c.bundles) ? c.bundles : bad("bundles is not an array");
  const out: DatasetStatus = {
    productId: parseId(c.productId, "productId"),
    node: address(c.node, "node"),
    status,
    bundles: bundles.slice(0, 64).map((b, i) => {
      const x = obj(b, `bundles[${i}]`);
      return {
        bundleHash: hash32(x.bundleHash, "bundleHash"), size: int(x.size, "size", 1, Number.MAX_SAFE_INTEGER), rows: int(x.rows, "rows", 0, 2 ** 40),
        columns: int(x.columns, "columns", 1, 1 << 16), index: int(x.index, "index", 0, 255), storedAt: typeof x.storedAt === "string" ? x.storedAt.slice(0, 40) : bad("storedAt"),
      };
    }),
  };
  if (c.active !== undefined) {
    const a = obj(c.active, "active");
    out.active = { version: int(a.version, "version", 0, 2 ** 40), manifestHash: hash32(a.manifestHash, "manifestHash"), bundleHash: hash32(a.bundleHash, "bundleHash"), rows: int(a.rows, "rows", 0, 2 ** 40) };
  }
  return out;
}

// --- queries ---

/** POST /queries: the query text a buyer will pay for (validated against the product's manifest). */
export interface QuerySubmission {
  productId: string;
  query: unknown; // the query (docs/analytics.md "Query language"); the node validates it
}

/** POST /queries → */
export interface QueryAccepted {
  productId: string;
  queryHash: Hex; // keccak256 of the canonical JSON of the validated query: what requestQuery names
  /** Unix ms until which the node keeps it (a job naming it must arrive before). */
  expiresAt: number;
}

export function parseQuerySubmission(json: unknown): QuerySubmission {
  const c = obj(json, "query submission");
  only(c, ["productId", "query"], "query submission");
  if (!isObj(c.query)) bad("query is not an object");
  return { productId: parseId(c.productId, "productId"), query: c.query };
}

export function parseQueryAccepted(json: unknown): QueryAccepted {
  const c = obj(json, "answer");
  return { productId: parseId(c.productId, "productId"), queryHash: hash32(c.queryHash, "queryHash"), expiresAt: int(c.expiresAt, "expiresAt", 0, Number.MAX_SAFE_INTEGER) };
}

// --- health ---

/** GET /health → */
export interface NodeHealth {
  address: Address;
  status: "ok" | "degraded";
  checkpointBlock: number;
  head: number | null;
  /** Products with a bundle held, with an active dataset, with a share table in memory. */
  datasets: { stored: number; active: number; loaded: number };
  /** Jobs since the node's state began: in progress, answered, refused (and failed: neither, e.g. peers missing). */
  jobs: { running: number; done: number; refused: number; failed: number };
}

export function parseNodeHealth(json: unknown): NodeHealth {
  const c = obj(json, "health");
  const d = obj(c.datasets, "datasets");
  const j = obj(c.jobs, "jobs");
  const n = (x: unknown, w: string) => int(x, w, 0, Number.MAX_SAFE_INTEGER);
  return {
    address: address(c.address, "address"),
    status: c.status === "ok" || c.status === "degraded" ? c.status : bad("status"),
    checkpointBlock: n(c.checkpointBlock, "checkpointBlock"),
    head: c.head === null ? null : n(c.head, "head"),
    datasets: { stored: n(d.stored, "stored"), active: n(d.active, "active"), loaded: n(d.loaded, "loaded") },
    jobs: { running: n(j.running, "running"), done: n(j.done, "done"), refused: n(j.refused, "refused"), failed: n(j.failed ?? 0, "failed") },
  };
}

// --- errors ---

/** The error body of every refusal: `{ error: { code, message } }`. */
export interface NodeErrorBody {
  error: { code: NodeApiErrorCode; message: string };
}

/** The error of a refusal's body, or undefined when it is not one. */
export function parseNodeErrorBody(json: unknown): NodeErrorBody["error"] | undefined {
  if (!isObj(json) || !isObj(json.error)) return undefined;
  const { code, message } = json.error;
  if (typeof code !== "string" || typeof message !== "string") return undefined;
  return { code: code.slice(0, 64), message: message.slice(0, 2000) };
}

// --- results (Streamr) ---

// The inbox stream a node delivers to is the relays' one: inboxStreamId(node, buyer) from
// ../delivery/protocol.ts, `<node>/kraken/inbox/<buyer>` (node-owned, SUBSCRIBE for the buyer).

export const ANALYTICS_RESULT_TYPE = "kraken.analytics-result";

/** Streamr message content a node publishes to the buyer's inbox for one job. */
export interface AnalyticsResultMessage {
  type: typeof ANALYTICS_RESULT_TYPE;
  v: number;
  jobId: string;
  /** The node's ResultPayload sealed to the buyer's registered key; keccak256(envelope) is recorded on chain. */
  envelope: Hex;
}

export function parseAnalyticsResultMessage(content: unknown): AnalyticsResultMessage {
  if (!isObj(content) || content.type !== ANALYTICS_RESULT_TYPE) return bad("not an analytics result message");
  if (content.v !== ANALYTICS_PROTOCOL_VERSION) bad(`unsupported version ${String(content.v).slice(0, 20)}`);
  return { type: ANALYTICS_RESULT_TYPE, v: ANALYTICS_PROTOCOL_VERSION, jobId: parseId(content.jobId, "jobId"), envelope: hexBytes(content.envelope, "envelope", 72, MAX_RESULT_ENVELOPE_BYTES) };
}

// --- re-publishing a result ---

/** What a buyer signs (EIP-191) to have a node publish its sealed result share of a job again (e.g. it missed it). */
export interface RepublishRequest {
  jobId: string;
  node: Address;
  timestamp: number; // unix s
  nonce: Hex; // 16 random bytes
}

export function republishMessage(r: RepublishRequest): string {
  return [
    "Kraken marketplace: publish my analytics result share again.",
    `job: ${r.jobId}`,
    `node: ${r.node.toLowerCase()}`,
    `timestamp: ${r.timestamp}`,
    `nonce: ${r.nonce.toLowerCase()}`,
  ].join("\n");
}

export async function signRepublishRequest(
  signMessage: (message: string) => Promise<Hex>,
  jobId: bigint | string,
  node: Address,
  now = Date.now(),
): Promise<RepublishRequest & { signature: Hex }> {
  const nonce = new Uint8Array(16);
  crypto.getRandomValues(nonce);
  const r: RepublishRequest = { jobId: String(jobId), node: getAddress(node), timestamp: Math.floor(now / 1000), nonce: `0x${Array.from(nonce, (b) => b.toString(16).padStart(2, "0")).join("")}` };
  return { ...r, signature: await signMessage(republishMessage(r)) };
}

export function parseRepublishRequest(json: unknown): RepublishRequest & { signature: Hex } {
  const c = obj(json, "re-publish request");
  only(c, ["jobId", "node", "timestamp", "nonce", "signature"], "re-publish request");
  return {
    jobId: parseId(c.jobId, "jobId"),
    node: address(c.node, "node"),
    timestamp: int(c.timestamp, "timestamp", 0, 2 ** 40),
    nonce: typeof c.nonce === "string" && /^0x[0-9a-fA-F]{32}$/.test(c.nonce) ? (c.nonce.toLowerCase() as Hex) : bad("nonce must be 16 bytes of hex"),
    signature: signature(c.signature),
  };
}

/** POST /jobs/:jobId/republish → */
export interface RepublishAnswer {
  jobId: string;
  node: Address;
  status: "published";
  inbox: string;
}

export function parseRepublishAnswer(json: unknown): RepublishAnswer {
  const c = obj(json, "answer");
  if (c.status !== "published") bad("status");
  return { jobId: parseId(c.jobId, "jobId"), node: address(c.node, "node"), status: "published", inbox: typeof c.inbox === "string" ? c.inbox.slice(0, 200) : bad("inbox") };
}

/** The SMPC node directory `deployments/<network>.smpc.json`: `[{ address, url }]` (same shape as the relays'). */
export interface SmpcNodeEndpoint {
  address: Address;
  url: string;
}
