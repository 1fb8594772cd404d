// A client of one SMPC node's HTTP API (docs/analytics.md, "SMPC node"), browser-safe (fetch
// only). Every answer is parsed strictly (protocol.ts); every refusal becomes a NodeApiError
// with the node's code and message, its HTTP status and Retry-After.
import {
  MAX_UPLOAD_PART_BYTES, NodeApiError, parseDatasetStatus, parseNodeErrorBody, parseNodeHealth, parsePartAccepted, parseQueryAccepted,
  parseRepublishAnswer, parseUploadCompleted, parseUploadStarted, type DatasetStatus, type NodeHealth, type PartAccepted, type QueryAccepted,
  type RepublishAnswer, type RepublishRequest, type SignedUploadRequest, type UploadCompleted, type UploadStarted,
} from "./protocol.ts";

export interface NodeClientOptions {
  /** fetch to use (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Per request (default 30 s; parts and completion 5 min). */
  timeoutMs?: number;
}

export interface NodeClient {
  readonly url: string;
  health(): Promise<NodeHealth>;
  datasetStatus(productId: bigint | string): Promise<DatasetStatus>;
  /** Starts an upload with a seller-signed request (signUploadRequest). */
  startUpload(request: SignedUploadRequest): Promise<UploadStarted>;
  /** Sends part `n` (0-based, in order, at most 8 MiB). */
  putPart(uploadId: string, n: number, bytes: Uint8Array): Promise<PartAccepted>;
  /** Sends a whole ciphertext as parts of `partBytes` (default the node's maximum). */
  putParts(uploadId: string, source: AsyncIterable<Uint8Array> | Uint8Array, partBytes?: number): Promise<number>;
  completeUpload(uploadId: string): Promise<UploadCompleted>;
  /** Posts the query text a requestQuery transaction will name by hash. */
  submitQuery(productId: bigint | string, query: unknown): Promise<QueryAccepted>;
  /** Asks the node to publish its sealed result share of a job again (buyer-signed: signRepublishRequest). */
  republish(request: RepublishRequest & { signature: `0x${string}` }): Promise<RepublishAnswer>;
}

export function createNodeClient(url: string, o: NodeClientOptions = {}): NodeClient {
  const base = url.replace(/\/+$/, "");
  const f = o.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
  const timeout = o.timeoutMs ?? 30_000;

  async function call<T>(method: string, path: string, parse: (json: unknown) => T, body?: { json?: unknown; bytes?: Uint8Array }, ms = timeout): Promise<T> {
    let res: Response;
    try {
      res = await f(`${base}${path}`, {
        method,
        headers: body?.bytes ? { "content-type": "application/octet-stream" } : body ? { "content-type": "application/json" } : {},
        body: body?.bytes ? (body.bytes as BodyInit) : body ? JSON.stringify(body.json) : undefined,
        signal: AbortSignal.timeout(ms),
      });
    } catch (err) {
      throw new NodeApiError("unavailable", `the computation node at ${base} cannot be reached: ${(err as Error).message}`, 0);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = parseNodeErrorBody(json);
      const retry = Number(res.headers.get("retry-after"));
      throw new NodeApiError(e?.code ?? (res.status === 429 ? "rate-limited" : "internal"), e?.message ?? `the node at ${base} answered HTTP ${res.status}`, res.status, Number.isFinite(retry) && retry > 0 ? retry : undefined);
    }
    return parse(json);
  }

  const client: NodeClient = {
    url: base,
    health: () => call("GET", "/health", parseNodeHealth),
    datasetStatus: (productId) => call("GET", `/datasets/${String(productId)}`, parseDatasetStatus),
    startUpload: (request) => call("POST", `/datasets/${request.productId}/uploads`, parseUploadStarted, { json: request }),
    putPart(uploadId, n, bytes) {
      if (bytes.length > MAX_UPLOAD_PART_BYTES) throw new NodeApiError("too-large", `a part has at most ${MAX_UPLOAD_PART_BYTES} bytes, not ${bytes.length}`, 0);
      return call("PUT", `/uploads/${uploadId}/parts/${n}`, parsePartAccepted, { bytes }, 300_000);
    },
    async putParts(uploadId, source, partBytes = MAX_UPLOAD_PART_BYTES) {
      const size = Math.min(partBytes, MAX_UPLOAD_PART_BYTES);
      let n = 0;
      let sent = 0;
      let buf = new Uint8Array(size);
      let fill = 0;
      const flush = async () => {
        await client.putPart(uploadId, n++, buf.subarray(0, fill));
        sent += fill;
        buf = new Uint8Array(size);
        fill = 0;
      };
      const pieces: AsyncIterable<Uint8Array> | Uint8Array[] = source instanceof Uint8Array ? [source] : source;
      for await (const piece of pieces) {
        let off = 0;
        while (off < piece.length) {
          const k = Math.min(size - fill, piece.length - off);
          buf.set(piece.subarray(off, off + k), fill);
          fill += k;
          off += k;
          if (fill === size) await flush();
        }
      }
      if (fill > 0) await flush();
      return sent;
    },
    completeUpload: (uploadId) => call("POST", `/uploads/${uploadId}/complete`, parseUploadCompleted, { json: {} }, 300_000),
    submitQuery: (productId, query) => call("POST", "/queries", parseQueryAccepted, { json: { productId: String(productId), query } }),
    republish: (request) => call("POST", `/jobs/${request.jobId}/republish`, parseRepublishAnswer, { json: request }),
  };
  return client;
}
