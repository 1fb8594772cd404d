// The relay's HTTP API (Fastify; JSON; CORS open: the dApp calls it from the browser):
//   GET  /health                         address, status, checkpoint, chain head, counters
//   GET  /products/<id>/share            the share this relay holds: version and envelope hash (no secret)
//   POST /agreements/<id>/redeliver      consumer-signed request to publish the delivery again
//   GET  /ready, /metrics                operations (@kraken/sdk/ops): readiness checks → 200/503,
//                                        Prometheus text (bounded labels only)
// Every refusal is `{ error: <message> }`. Re-delivery requests are limited per client IP by the
// relay's own sliding window (RelayApi.admit), before the body is read; every other request by
// `readsPerIp` (@fastify/rate-limit). The client's address is the socket's peer (no proxy
// header is trusted).
import cors from "@fastify/cors";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { KrakenError } from "@kraken/sdk";
import { guardHttp, mountOps, serverOptions, type Ops, type RateLimit, type Refusal } from "@kraken/sdk/ops";

const CODES: Record<number, string> = { 400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 409: "conflict", 413: "too-large", 429: "rate-limited" };

/** A refusal answered with an HTTP status (and headers such as Retry-After). */
export class HttpError extends KrakenError {
  override name = "HttpError";

  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(CODES[status] ?? "error", message);
  }
}

export interface RelayApi {
  health(): Promise<unknown>;
  share(productId: string): unknown | undefined;
  /** Takes a re-delivery request of `source` (the client's IP) from its limit; throws HttpError 429 over it. */
  admit(source: string): void;
  redeliver(agreementId: string, body: unknown, source: string): Promise<unknown>;
  /** A re-delivery body refused before `redeliver` saw it. */
  refusedBody(reason: "too-large" | "bad-request"): void;
  /** The relay's own `createOps`; `refresh` sets the gauges before a scrape. */
  operations?: { ops: Ops; refresh(): void };
}

export interface HttpOptions {
  port: number;
  host: string;
  /** Requests per client IP other than re-delivery requests. */
  readsPerIp: RateLimit;
  onError(err: Error): void;
}

const MAX_BODY = 16 * 1024;
/** The wording of refusals before a handler runs. */
const REFUSALS: Record<Refusal["kind"], (r: Refusal) => string> = {
  "rate-limited": (r) => r.message,
  "too-large": () => "request body too large",
  malformed: () => "the body is not JSON",
};
const REDELIVER = "/agreements/:agreementId/redeliver";

export async function startHttp(api: RelayApi, o: HttpOptions): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify(serverOptions({ bodyLimit: MAX_BODY }));
  app.addHook("onRequest", async (_req, reply) => {
    reply.header("cache-control", "no-store");
  });
  await app.register(cors, {
    origin: "*", methods: ["GET", "POST", "OPTIONS"], allowedHeaders: ["content-type"], exposedHeaders: ["retry-after"], strictPreflight: false,
  });
  const send = (reply: FastifyReply, err: HttpError) => reply.code(err.status).headers(err.headers).send({ error: err.message });
  await guardHttp(app, {
    bodyLimit: MAX_BODY,
    perIp: o.readsPerIp,
    json: {}, // whatever the content type says
    shape: (r) => ({ error: REFUSALS[r.kind](r) }),
    onRefusal: (r, req) => {
      if (r.kind !== "rate-limited" && req.routeOptions.url === REDELIVER) api.refusedBody(r.kind === "too-large" ? "too-large" : "bad-request");
    },
    fallback: (err, _req, reply) => {
      if (err instanceof HttpError) return send(reply, err);
      o.onError(err);
      return reply.code(500).send({ error: "internal error" });
    },
  });
  const noSuchEndpoint = (req: FastifyRequest) => new HttpError(404, `no such endpoint: ${req.method} ${req.url.split("?")[0]}`);
  app.setNotFoundHandler((req, reply) => send(reply, noSuchEndpoint(req)));

  app.get("/health", () => api.health());
  if (api.operations) {
    const { ops, refresh } = api.operations;
    mountOps(app, ops, { paths: ["/ready", "/metrics"], refresh });
  }
  app.get<{ Params: { productId: string } }>("/products/:productId/share", async (req, reply) => {
    if (!/^\d+$/.test(req.params.productId)) throw noSuchEndpoint(req);
    const s = api.share(req.params.productId);
    return s ?? reply.code(404).send({ error: `this relay holds no key share for product ${req.params.productId}` });
  });
  app.post<{ Params: { agreementId: string } }>(REDELIVER, {
    config: { rateLimit: false },
    onRequest: async (req) => {
      if (!/^\d+$/.test(req.params.agreementId)) throw noSuchEndpoint(req);
      api.admit(req.ip); // before the body is read
    },
  }, (req) => api.redeliver(req.params.agreementId, req.body, req.ip));

  await app.listen({ port: o.port, host: o.host }).catch((err: NodeJS.ErrnoException) => {
    throw err.code === "EADDRINUSE" ? new Error(`port ${o.port} is in use: another relay (or something else) runs there`) : err;
  });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : o.port;
  return { url: `http://${o.host}:${port}`, close: () => app.close() };
}
