// The SMPC node's HTTP API (fastify; JSON; CORS open: the dApp uploads and posts queries from the
// browser). Wire formats: @kraken/sdk/analytics protocol.ts. Every refusal is
// `{ error: { code, message } }` with a fitting status.
//   GET  /health                              address, status, checkpoint, head, datasets, jobs
//   GET  /ready                               readiness checks (@kraken/sdk/ops) → 200 or 503
//   GET  /metrics                             Prometheus text (bounded labels only)
//   GET  /datasets/:productId                 what the node holds / serves for a product
//   POST /datasets/:productId/uploads         seller-signed upload request → { uploadId }
//   PUT  /uploads/:uploadId/parts/:n          raw ciphertext part (application/octet-stream, ≤ 8 MiB, in order)
//   POST /uploads/:uploadId/complete          checks the bundle, stores it → { bundleHash, … }
//   POST /queries                             { productId, query } → { queryHash }
//   POST /jobs/:jobId/republish               buyer-signed request to publish a result share again
//   POST /peer/:jobId/:round                  node-to-node round message (peers.ts)
// JSON bodies are small (bodyLimit); raw bodies are streamed by the handlers, which enforce
// their own limits. Per-IP sliding-window limits apply before a body is read (the client's
// address is the socket's peer; no proxy header is trusted).
import cors from "@fastify/cors";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Readable } from "node:stream";
import type { Ops } from "@kraken/sdk/ops";
import type { DatasetStatus, NodeHealth, PartAccepted, QueryAccepted, RepublishAnswer, UploadCompleted, UploadStarted } from "@kraken/sdk/analytics";

export class ApiError extends Error {
  override name = "ApiError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface RateLimit {
  max: number;
  windowMs: number;
}

/** A sliding-window log per key (at most `maxKeys` keys; idle ones are forgotten first). */
export class RateLimiter {
  private readonly logs = new Map<string, number[]>();

  constructor(
    readonly limit: RateLimit,
    private readonly maxKeys = 10_000,
  ) {}

  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterMs: number } {
    let times = this.logs.get(key);
    if (!times) {
      if (this.logs.size >= this.maxKeys) {
        for (const [k, t] of this.logs) if (t[t.length - 1] <= now - this.limit.windowMs) this.logs.delete(k);
        while (this.logs.size >= this.maxKeys) this.logs.delete(this.logs.keys().next().value!);
      }
      this.logs.set(key, (times = []));
    }
    if (times.length >= this.limit.max) {
      const oldest = times[times.length - this.limit.max];
      if (oldest > now - this.limit.windowMs) return { ok: false, retryAfterMs: oldest + this.limit.windowMs - now };
      times.splice(0, times.length - this.limit.max + 1);
    }
    times.push(now);
    return { ok: true };
  }
}

export interface HttpLimits {
  /** Upload starts per client IP. */
  uploadsPerIp: RateLimit;
  /** Part and completion requests per client IP. */
  partsPerIp: RateLimit;
  /** Query submissions per client IP. */
  queriesPerIp: RateLimit;
  /** Re-publish requests per client IP. */
  republishPerIp: RateLimit;
  /** Peer messages per client IP. */
  peerPerIp: RateLimit;
  /** GET requests per client IP. */
  readsPerIp: RateLimit;
  /** Largest JSON body (bytes). */
  jsonBodyBytes: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  uploadsPerIp: { max: 30, windowMs: 60_000 },
  partsPerIp: { max: 1200, windowMs: 60_000 },
  queriesPerIp: { max: 60, windowMs: 60_000 },
  republishPerIp: { max: 60, windowMs: 60_000 },
  peerPerIp: { max: 6000, windowMs: 60_000 },
  readsPerIp: { max: 600, windowMs: 60_000 },
  jsonBodyBytes: 16 * 1024,
};

export interface NodeApi {
  health(): Promise<NodeHealth>;
  dataset(productId: string): DatasetStatus;
  startUpload(productId: string, body: unknown): Promise<UploadStarted>;
  /** `body` is the raw request stream; the handler enforces the part limit. */
  putPart(uploadId: string, n: number, body: Readable): Promise<PartAccepted>;
  completeUpload(uploadId: string): Promise<UploadCompleted>;
  submitQuery(body: unknown): Promise<QueryAccepted>;
  republish(jobId: string, body: unknown): Promise<RepublishAnswer>;
  /** Largest peer message, checked before the body is read. */
  peerMaxBytes: number;
  peer(sender: string | undefined, jobId: string, round: string, body: Uint8Array): Promise<void>;
  /** Counted when a rate limit refuses a request. */
  onRateLimited(kind: string, ip: string): void;
  /** The node's operations (/ready, /metrics); `refresh` sets the gauges right before a scrape. */
  ops?: { ops: Ops; refresh(): void };
}

/** Reads a stream into memory, refusing more than `max` bytes (413). */
export async function readLimited(stream: Readable, max: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    n += (chunk as Buffer).length;
    if (n > max) {
      stream.destroy();
      throw new ApiError(413, "too-large", `${what} has more than ${max} bytes`);
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

const ID = "^[1-9][0-9]{0,30}$";

export async function startHttp(api: NodeApi, o: { port: number; host: string; limits?: Partial<HttpLimits>; onError: (err: Error) => void }): Promise<{ app: FastifyInstance; url: string }> {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...o.limits };
  const app = Fastify({ bodyLimit: limits.jsonBodyBytes, logger: false, forceCloseConnections: true });
  await app.register(cors, { origin: true, methods: ["GET", "POST", "PUT"], exposedHeaders: ["retry-after"] });
  // Raw bodies are handed over as the request stream; their routes read (and bound) them.
  app.addContentTypeParser("application/octet-stream", (_req, payload, done) => done(null, payload));

  const limiters = {
    uploads: new RateLimiter(limits.uploadsPerIp),
    parts: new RateLimiter(limits.partsPerIp),
    queries: new RateLimiter(limits.queriesPerIp),
    republish: new RateLimiter(limits.republishPerIp),
    peer: new RateLimiter(limits.peerPerIp),
    reads: new RateLimiter(limits.readsPerIp),
  };
  const kindOf = (req: FastifyRequest): keyof typeof limiters | undefined => {
    const path = req.url.split("?")[0];
    if (req.method === "GET") return "reads";
    if (req.method === "POST" && /^\/datasets\/[^/]+\/uploads$/.test(path)) return "uploads";
    if (/^\/uploads\//.test(path)) return "parts";
    if (path === "/queries") return "queries";
    if (path.startsWith("/jobs/")) return "republish";
    if (path.startsWith("/peer/")) return "peer";
    return undefined;
  };
  app.addHook("onRequest", async (req, reply) => {
    const kind = kindOf(req);
    if (!kind) return;
    const ip = req.socket.remoteAddress ?? "unknown";
    const r = limiters[kind].take(ip);
    if (!r.ok) {
      api.onRateLimited(kind, ip);
      const s = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
      throw new ApiError(429, "rate-limited", `too many ${kind} requests from ${ip}; try again in ${s} s`, { "retry-after": String(s) });
    }
  });

  const send = (reply: FastifyReply, err: ApiError) => {
    void reply.code(err.status).headers(err.headers).header("cache-control", "no-store").send({ error: { code: err.code, message: err.message } });
  };
  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    if (err instanceof ApiError) return send(reply, err);
    const c = (err as { code?: unknown }).code;
    if (c === "FST_ERR_CTP_BODY_TOO_LARGE") return send(reply, new ApiError(413, "too-large", `the request body has more than ${limits.jsonBodyBytes} bytes`));
    if (c === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return send(reply, new ApiError(415, "unsupported-media-type", "unsupported content type (JSON: application/json; parts and peer messages: application/octet-stream)"));
    if (c === "FST_ERR_CTP_EMPTY_JSON_BODY" || (typeof c === "string" && c.startsWith("FST_ERR_CTP")) || err.name === "SyntaxError") {
      return send(reply, new ApiError(400, "malformed", `the body is not valid JSON: ${err.message.slice(0, 200)}`));
    }
    if (err.statusCode && err.statusCode < 500) return send(reply, new ApiError(err.statusCode, "malformed", err.message.slice(0, 300)));
    if (typeof c === "string" && /^[a-z-]+$/.test(c) && "status" in err && typeof (err as { status?: unknown }).status === "number") {
      return send(reply, new ApiError((err as unknown as { status: number }).status, c, err.message));
    }
    o.onError(err);
    send(reply, new ApiError(500, "internal", "internal error"));
  });
  app.setNotFoundHandler((req, reply) => send(reply, new ApiError(404, "not-found", `no such endpoint: ${req.method} ${req.url.split("?")[0]}`)));

  const idParam = (name: string) => ({ type: "object", required: [name], properties: { [name]: { type: "string", pattern: ID } } });
  const octet = (req: FastifyRequest) => {
    const ct = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (ct !== "application/octet-stream") throw new ApiError(415, "unsupported-media-type", "send the bytes as application/octet-stream");
  };

  app.get("/health", () => api.health());
  if (api.ops) {
    const { ops, refresh } = api.ops;
    app.get("/ready", async (_req, reply) => {
      const r = await ops.ready();
      return reply.code(r.ready ? 200 : 503).header("cache-control", "no-store").send(r);
    });
    app.get("/metrics", async (_req, reply) => {
      refresh();
      const text = await ops.registry.metrics();
      return reply.header("content-type", ops.registry.contentType).header("cache-control", "no-store").send(text);
    });
  }
  app.get<{ Params: { productId: string } }>("/datasets/:productId", { schema: { params: idParam("productId") } }, (req) => api.dataset(req.params.productId));
  app.post<{ Params: { productId: string } }>("/datasets/:productId/uploads", { schema: { params: idParam("productId") } }, (req) => api.startUpload(req.params.productId, req.body));
  app.put<{ Params: { uploadId: string; n: string } }>("/uploads/:uploadId/parts/:n", async (req) => {
    octet(req);
    if (!/^\d{1,9}$/.test(req.params.n)) throw new ApiError(400, "malformed", "the part number must be an integer from 0");
    return api.putPart(req.params.uploadId, Number(req.params.n), req.body as Readable);
  });
  app.post<{ Params: { uploadId: string } }>("/uploads/:uploadId/complete", (req) => api.completeUpload(req.params.uploadId));
  app.post("/queries", (req) => api.submitQuery(req.body));
  app.post<{ Params: { jobId: string } }>("/jobs/:jobId/republish", { schema: { params: idParam("jobId") } }, (req) => api.republish(req.params.jobId, req.body));
  app.post<{ Params: { jobId: string; round: string } }>("/peer/:jobId/:round", async (req, reply) => {
    octet(req);
    if (!new RegExp(ID).test(req.params.jobId)) throw new ApiError(400, "malformed", "the job id must be a decimal id");
    if (!/^[A-Za-z0-9:._-]{1,64}$/.test(req.params.round)) throw new ApiError(400, "malformed", "bad round name");
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > api.peerMaxBytes) throw new ApiError(413, "too-large", `a peer message has at most ${api.peerMaxBytes} bytes`);
    const body = await readLimited(req.body as Readable, api.peerMaxBytes, "a peer message");
    await api.peer(req.headers["x-kraken-node"] as string | undefined, req.params.jobId, req.params.round, body);
    return reply.code(202).send({ ok: true });
  });

  await app.listen({ port: o.port, host: o.host }).catch((err: NodeJS.ErrnoException) => {
    throw err.code === "EADDRINUSE" ? new Error(`port ${o.port} is in use: another SMPC node (or something else) runs there`) : err;
  });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : o.port;
  return { app, url: `http://${o.host}:${port}` };
}
