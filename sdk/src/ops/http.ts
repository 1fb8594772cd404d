// What every service's HTTP server (Fastify) shares (Node only): its options (body limit,
// timeouts), per-IP rate limits (@fastify/rate-limit), JSON body parsing, the operations
// endpoints, and one way of refusing abuse, each answered in the service's own error shape:
//   429  over a per-IP rate limit, with retry-after (seconds)
//   413  a body over the service's limit (the connection is closed after the answer)
//   400  a body that is not JSON
// The client's address is the socket's peer: no forwarded header is trusted, so behind a
// reverse proxy every client shares the proxy's address (and its limit).
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Ops } from "./index.ts";

/** At most `max` requests per client IP in a window of `windowMs`. */
export interface RateLimit {
  max: number;
  windowMs: number;
}

/** Per-IP defaults: generous for reads; writes (that sign, store or reach the chain) get fewer. */
export const DEFAULT_READS_PER_IP: RateLimit = { max: 600, windowMs: 10_000 };
export const DEFAULT_WRITES_PER_IP: RateLimit = { max: 200, windowMs: 10_000 };

/** Time to receive a whole request (headers and body). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** A connection silent this long is closed. */
export const IDLE_TIMEOUT_MS = 60_000;
/** An idle keep-alive connection is closed after this long (Node's default). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export interface ServerLimits {
  /** Largest body a parser reads into memory (bytes). */
  bodyLimit: number;
  /** default REQUEST_TIMEOUT_MS; 0: none (streamed uploads bound themselves) */
  requestTimeoutMs?: number;
  /** default IDLE_TIMEOUT_MS */
  idleTimeoutMs?: number;
}

/** Options for `Fastify(…)`. */
export function serverOptions(o: ServerLimits) {
  return {
    logger: false,
    bodyLimit: o.bodyLimit,
    requestTimeout: o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    connectionTimeout: o.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    forceCloseConnections: true,
    trustProxy: false,
  } as const;
}

export type RefusalKind = "rate-limited" | "too-large" | "malformed";

/** A request refused before any route saw it. `message` is a default wording in English. */
export interface Refusal {
  kind: RefusalKind;
  status: 429 | 413 | 400;
  message: string;
  /** with rate-limited: seconds until the client may try again (also sent as retry-after) */
  retryAfterSeconds?: number;
}

/** Thrown by the shared plumbing; `refusalHandler` answers it in the service's shape. */
export class HttpRefusal extends Error {
  override name = "HttpRefusal";
  readonly statusCode: number;

  constructor(readonly refusal: Refusal) {
    super(refusal.message);
    this.statusCode = refusal.status;
  }
}

const hidden = { "x-ratelimit-limit": false, "x-ratelimit-remaining": false, "x-ratelimit-reset": false };

/**
 * Options for `app.register(rateLimit, …)`: `limit` per client IP over every route that has no
 * limit of its own (see routeRateLimit). Only a refusal carries a header (retry-after); answers
 * under the limit are unchanged.
 */
export function rateLimitOptions(limit: RateLimit) {
  return {
    max: limit.max,
    timeWindow: limit.windowMs,
    keyGenerator: (req: FastifyRequest) => req.ip,
    addHeadersOnExceeding: hidden,
    addHeaders: { ...hidden, "retry-after": true },
    errorResponseBuilder(req: FastifyRequest, ctx: { ttl: number }) {
      const s = Math.max(1, Math.ceil(ctx.ttl / 1000));
      return new HttpRefusal({ kind: "rate-limited", status: 429, message: `too many requests from ${req.ip}; try again in ${s} s`, retryAfterSeconds: s });
    },
  };
}

/** A route's own per-IP limit (its `config`); counted apart from the other routes. */
export function routeRateLimit(limit: RateLimit): { rateLimit: { max: number; timeWindow: number } } {
  return { rateLimit: { max: limit.max, timeWindow: limit.windowMs } };
}

/** The refusal for an error Fastify or the plumbing raised before a handler ran; undefined for others. */
export function refusalOf(err: unknown, bodyLimit: number): Refusal | undefined {
  if (err instanceof HttpRefusal) return err.refusal;
  const e = err as { code?: unknown; name?: unknown; statusCode?: unknown };
  if (e?.code === "FST_ERR_CTP_BODY_TOO_LARGE") return { kind: "too-large", status: 413, message: `the request body is larger than ${bodyLimit} bytes` };
  if (e?.code === "FST_ERR_CTP_EMPTY_JSON_BODY" || e?.code === "FST_ERR_CTP_INVALID_JSON_BODY" || e?.code === "FST_ERR_CTP_INVALID_CONTENT_LENGTH" || (e?.name === "SyntaxError" && e?.statusCode === 400)) {
    return { kind: "malformed", status: 400, message: "the request body is not JSON" };
  }
  return undefined;
}

export interface RefusalHandlerOptions {
  bodyLimit: number;
  /** The body of a refusal in the service's error shape (a string is sent as text/plain). */
  shape(r: Refusal, req: FastifyRequest): unknown;
  /** Counts or logs a refusal. */
  onRefusal?(r: Refusal, req: FastifyRequest, reply: FastifyReply): void;
  /** Every other error. */
  fallback(err: Error, req: FastifyRequest, reply: FastifyReply): unknown;
}

/** An error handler (`app.setErrorHandler`): refusals in the service's shape, the rest to `fallback`. */
export function refusalHandler(o: RefusalHandlerOptions) {
  return (err: Error, req: FastifyRequest, reply: FastifyReply): unknown => {
    const r = refusalOf(err, o.bodyLimit);
    if (!r) return o.fallback(err, req, reply);
    o.onRefusal?.(r, req, reply);
    if (r.retryAfterSeconds !== undefined) reply.header("retry-after", String(r.retryAfterSeconds));
    const body = o.shape(r, req);
    reply.code(r.status);
    if (typeof body === "string") reply.header("content-type", "text/plain; charset=utf-8");
    return reply.send(body);
  };
}

type Done = (err: Error | null, body?: unknown) => void;

/**
 * A body parser (`app.addContentTypeParser(type, { parseAs: "string" }, …)`) that reads the body
 * as JSON whatever its content type; an empty body is `empty()`, or malformed without it.
 */
export function jsonParser(o: { empty?: () => unknown } = {}) {
  return (_req: unknown, body: string | Buffer, done: Done): void => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (!text.trim() && o.empty) return done(null, o.empty());
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new HttpRefusal({ kind: "malformed", status: 400, message: "the request body is not JSON" }));
    }
  };
}

export interface GuardOptions extends RefusalHandlerOptions {
  /** over every route without a limit of its own (routeRateLimit) */
  perIp: RateLimit;
  /** every body is JSON whatever its content type says; `empty` answers an empty one */
  json?: { empty?: () => unknown };
}

/**
 * Registers the per-IP rate limit, the JSON parser (with `json`) and the error handler that
 * answers 429/413/400 in the service's shape. Register CORS before it, so that refusals carry
 * the CORS headers too.
 */
export async function guardHttp(app: FastifyInstance, o: GuardOptions): Promise<void> {
  await app.register(rateLimit, rateLimitOptions(o.perIp));
  if (o.json) {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "string" }, jsonParser(o.json));
  }
  app.setErrorHandler(refusalHandler(o));
}

export interface MountOpsOptions {
  /** which endpoints (default all three) */
  paths?: readonly ("/health" | "/ready" | "/metrics")[];
  /** runs before a scrape (gauges set from the service's state) */
  refresh?: () => void | Promise<void>;
}

/**
 * GET (and HEAD) /health, /ready and /metrics, answered as `Ops.handle` does: JSON with
 * cache-control no-store and access-control-allow-origin * for /health and /ready (503 when
 * not ready), Prometheus text for /metrics.
 */
export function mountOps(app: FastifyInstance, ops: Ops, o: MountOpsOptions = {}): void {
  const paths = o.paths ?? ["/health", "/ready", "/metrics"];
  const json = (reply: FastifyReply, status: number, body: unknown) =>
    reply.code(status).header("cache-control", "no-store").header("access-control-allow-origin", "*").send(body);
  if (paths.includes("/health")) app.get("/health", async (_req, reply) => json(reply, 200, ops.health()));
  if (paths.includes("/ready")) {
    app.get("/ready", async (_req, reply) => {
      const r = await ops.ready();
      return json(reply, r.ready ? 200 : 503, r);
    });
  }
  if (paths.includes("/metrics")) {
    app.get("/metrics", async (_req, reply) => {
      await o.refresh?.();
      const text = await ops.registry.metrics();
      return reply.code(200).header("content-type", ops.registry.contentType).header("cache-control", "no-store").send(text);
    });
  }
}
