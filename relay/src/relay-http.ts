// The relay's HTTP API (JSON, CORS open: the dApp calls it from the browser):
//   GET  /health                         address, status, checkpoint, chain head, counters
//   GET  /products/<id>/share            the share this relay holds: version and envelope hash (no secret)
//   POST /agreements/<id>/redeliver      consumer-signed request to publish the delivery again
//   GET  /ready, /metrics                operations (@kraken/sdk/ops): readiness checks → 200/503,
//                                        Prometheus text (bounded labels only)
// The client's address (the socket's peer; no proxy header is trusted) is handed to the API so
// it can rate-limit per source before the body is even read.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KrakenError } from "@kraken/sdk";

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
  /** `body` reads the request body (call it after the source's rate limit); `source` is the client's IP. */
  redeliver(agreementId: string, body: () => Promise<unknown>, source: string): Promise<unknown>;
  /** Answers GET /ready and /metrics (the relay's own `createOps`); false for any other request. */
  operations?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

const MAX_BODY = 16 * 1024;

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts: Buffer[] = [];
    req.on("data", (b: Buffer) => {
      size += b.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, "request body too large"));
        req.destroy();
      } else parts.push(b);
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString("utf8")));
      } catch {
        reject(new HttpError(400, "the body is not JSON"));
      }
    });
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "content-type",
    "access-control-expose-headers": "retry-after",
    "cache-control": "no-store",
  });
  res.end(JSON.stringify(body));
}

async function handle(api: RelayApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://relay");
  if (req.method === "OPTIONS") return send(res, 204, null);
  let m: RegExpMatchArray | null;
  if (req.method === "GET" && url.pathname === "/health") return send(res, 200, await api.health());
  if ((url.pathname === "/ready" || url.pathname === "/metrics") && api.operations && (await api.operations(req, res))) return;
  if (req.method === "GET" && (m = url.pathname.match(/^\/products\/(\d+)\/share$/))) {
    const s = api.share(m[1]);
    return s ? send(res, 200, s) : send(res, 404, { error: `this relay holds no key share for product ${m[1]}` });
  }
  if (req.method === "POST" && (m = url.pathname.match(/^\/agreements\/(\d+)\/redeliver$/))) {
    return send(res, 200, await api.redeliver(m[1], () => readJson(req), req.socket.remoteAddress ?? "unknown"));
  }
  throw new HttpError(404, `no such endpoint: ${req.method} ${url.pathname}`);
}

export async function startHttp(api: RelayApi, port: number, host: string, onError: (err: Error) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handle(api, req, res).catch((err: Error) => {
      if (err instanceof HttpError) return send(res, err.status, { error: err.message }, err.headers);
      onError(err);
      send(res, 500, { error: "internal error" });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new Error(`port ${port} is in use: another relay (or something else) runs there`) : err));
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return { server, url: `http://${host}:${bound}` };
}
