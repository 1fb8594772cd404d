// Embedded IPFS for the local stack: a Helia node that never touches the network, the Kubo RPC
// subset the project uses at /api/v0 and a read gateway at /ipfs/<cid>. Code talks to it with
// kubo-rpc-client, so pointing KRAKEN_IPFS_API_URL at a real Kubo node is all it takes to switch.
// Both servers are Fastify: per-IP rate limits, timeouts, and refusals in Kubo's error shape
// ({"Message", "Code", "Type": "error"}). Their handlers write the response themselves (Kubo's
// streaming and errors), after Fastify has routed, limited and checked the request.
import cors from "@fastify/cors";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { resolve } from "node:path";
import { create } from "kubo-rpc-client";
import { DEFAULT_PORTS } from "@kraken/sdk/config";
import {
  DEFAULT_READS_PER_IP, DEFAULT_WRITES_PER_IP, guardHttp, jsonParser, mountOps, routeRateLimit, serverOptions,
  type RateLimit, type Refusal,
} from "@kraken/sdk/ops";
import { apiCors, commandOf, handleApi } from "./api.ts";
import { GATEWAY_CORS, handleGateway } from "./gateway.ts";
import { openNode } from "./node.ts";
import { ipfsOps } from "./ops.ts";

export { IpfsHttpError } from "./errors.ts";
export { sniff } from "./gateway.ts";
export { KUBO_CHUNK_SIZE } from "./unixfs.ts";

export const DEFAULT_API_PORT = DEFAULT_PORTS.ipfsApi;
export const DEFAULT_GATEWAY_PORT = DEFAULT_PORTS.ipfsGateway;
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3; // 2 GiB per add request
/** Largest JSON body (no command takes one; they are parsed, and refused when malformed). */
const MAX_JSON_BYTES = 64 * 1024;

export interface IpfsOptions {
  /** API port (0 = any free port). Default 5001. */
  apiPort?: number;
  /** Gateway port (0 = any free port). Default 8080. */
  gatewayPort?: number;
  host?: string;
  /** Where blocks, pins and the node identity live, e.g. .data/ipfs. Survives restarts. */
  dataDir: string;
  /** Largest accepted `add` request body, in bytes (streamed, never buffered). Default 2 GiB. */
  maxUploadBytes?: number;
  /**
   * Browser origins allowed to call the API (Kubo's API.HTTPHeaders.Access-Control-Allow-Origin).
   * Default: loopback origins (http://localhost:*, http://127.0.0.1:*). "*" allows any.
   */
  apiCorsOrigins?: string[];
  /** Requests per client IP: reads (every request but add, on either port) and adds (defaults in @kraken/sdk/ops). */
  rateLimits?: { readsPerIp?: RateLimit; writesPerIp?: RateLimit };
  log?: (line: string) => void;
}

export interface RunningIpfs {
  /** Kubo RPC base URL without /api/v0, e.g. http://127.0.0.1:5001 (what kubo-rpc-client `create({ url })` takes). */
  apiUrl: string;
  /** Gateway base URL, e.g. http://127.0.0.1:8080 (content at `${gatewayUrl}/ipfs/<cid>`). */
  gatewayUrl: string;
  /** Peer id of the node (persisted in dataDir; the node joins no network). */
  peerId: string;
  stop(): Promise<void>;
}

export async function startIpfs(opts: IpfsOptions): Promise<RunningIpfs> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`[ipfs] ${l}\n`));
  const host = opts.host ?? "127.0.0.1";
  const dataDir = resolve(opts.dataDir);
  const node = await openNode(dataDir);
  const origins = opts.apiCorsOrigins;
  const corsOrigin = (origin: string) =>
    origins ? origins.includes("*") || origins.includes(origin) : /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(origin);
  const ctx = { node, maxUploadBytes: opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES, corsOrigin, log };

  const reads = opts.rateLimits?.readsPerIp ?? DEFAULT_READS_PER_IP;
  const writes = opts.rateLimits?.writesPerIp ?? DEFAULT_WRITES_PER_IP;
  const metrics = ipfsOps(node, dataDir, log);
  // Uploads (up to maxUploadBytes, streamed) take as long as they take: no request timeout on
  // the API port; a connection silent for a minute is closed. Gateway requests have no body.
  const api = Fastify(serverOptions({ bodyLimit: MAX_JSON_BYTES, requestTimeoutMs: 0 }));
  const opsPaths = new Set(["/health", "/ready", "/metrics"]);
  api.addHook("onRequest", async (req, reply) => {
    if ((req.method === "GET" || req.method === "HEAD") && opsPaths.has(req.url.split("?")[0])) return; // any origin may read them
    metrics.trackApi(req.raw, reply.raw);
    if (apiCors(req.raw, reply.raw, ctx)) reply.hijack();
  });
  await guard(api, reads, log);
  api.addContentTypeParser("application/json", { parseAs: "string" }, jsonParser({ empty: () => undefined }));
  // GET /health, /ready (store) and /metrics on the API port (Kubo's API is POST only)
  mountOps(api, metrics.ops, { refresh: metrics.refresh });
  const limiters = { reads: api.rateLimit(routeRateLimit(reads).rateLimit), add: api.rateLimit(routeRateLimit(writes).rateLimit) };
  api.route({
    method: ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"],
    url: "*",
    config: { rateLimit: false }, // adds have their own limit, whatever path names the command
    onRequest: (req, reply) => (commandOf(req.url) === "add" ? limiters.add : limiters.reads).call(api, req, reply),
    handler: (req, reply) => handleApi(req.raw, raw(req, reply), ctx),
  });

  const gateway = Fastify(serverOptions({ bodyLimit: MAX_JSON_BYTES }));
  gateway.addHook("onRequest", async (req, reply) => metrics.trackGateway(req.raw, reply.raw));
  await gateway.register(cors, GATEWAY_CORS);
  await guard(gateway, reads, log);
  mountOps(gateway, metrics.ops, { paths: ["/health"] });
  gateway.route({
    method: ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"],
    url: "*",
    handler: (req, reply) => handleGateway(req.raw, raw(req, reply), node, log),
  });

  let apiPort: number, gatewayPort: number;
  try {
    apiPort = await listen(api, opts.apiPort ?? DEFAULT_API_PORT, host, "API");
    try {
      gatewayPort = await listen(gateway, opts.gatewayPort ?? DEFAULT_GATEWAY_PORT, host, "gateway");
    } catch (err) {
      await api.close();
      throw err;
    }
  } catch (err) {
    await node.stop();
    throw err;
  }
  const apiUrl = `http://${host}:${apiPort}`;
  const gatewayUrl = `http://${host}:${gatewayPort}`;
  log(`Helia ${node.heliaVersion} (offline, no libp2p) peer ${node.peerId}; blocks in ${dataDir}; API ${apiUrl}/api/v0, gateway ${gatewayUrl}/ipfs/<cid>`);
  let stopping: Promise<void> | undefined;
  return {
    apiUrl,
    gatewayUrl,
    peerId: node.peerId,
    stop() {
      stopping ??= (async () => {
        await Promise.all([api.close(), gateway.close()]);
        await node.stop();
      })();
      return stopping;
    },
  };
}

async function listen(app: FastifyInstance, port: number, host: string, what: string): Promise<number> {
  await app.listen({ port, host }).catch((err: NodeJS.ErrnoException) => {
    throw err.code === "EADDRINUSE" ? new Error(`ipfs: ${what} port ${port} on ${host} is in use (is a Kubo daemon running? then set KRAKEN_IPFS_API_URL instead)`) : err;
  });
  const addr = app.server.address();
  return typeof addr === "object" && addr ? addr.port : port;
}

const REFUSALS: Record<Refusal["kind"], (r: Refusal) => string> = {
  "rate-limited": (r) => r.message,
  "too-large": (r) => r.message,
  malformed: () => "failed to parse the request body: not JSON",
};

/** Rate limit and refusals in Kubo's shape; every body is left unread for the handlers, but JSON. */
async function guard(app: FastifyInstance, perIp: RateLimit, log: (l: string) => void): Promise<void> {
  await guardHttp(app, {
    bodyLimit: MAX_JSON_BYTES,
    perIp,
    shape: (r) => ({ Message: REFUSALS[r.kind](r), Code: 1, Type: "error" }),
    fallback: (err, req, reply) => {
      log(`error on ${req.method} ${req.url.split("?")[0]}: ${err.message}`);
      return reply.code(500).send({ Message: err.message, Code: 0, Type: "error" });
    },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_req, _payload, done) => done(null));
}

/** The raw response, for a handler that writes it itself, with the headers set so far (CORS). */
function raw(_req: FastifyRequest, reply: FastifyReply): ServerResponse {
  reply.hijack();
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined && !reply.raw.hasHeader(k)) reply.raw.setHeader(k, v);
  return reply.raw;
}

export interface DemoFileLike {
  products: { id: number; key?: string; title?: string; metadataURI: string; metadata: unknown }[];
}

/**
 * Adds every seeded product's metadata document to the IPFS node at `apiUrl` (embedded or a real
 * Kubo) with the options that reproduce its on-chain CID (CIDv1, raw leaves: the raw sha256 of
 * the JSON bytes for documents under 256 KiB, as `metadataCid` in the SDK), checks the CID
 * equals the product's metadataURI, and pins it. Returns the pinned CIDs.
 */
export async function pinDemoMetadata(apiUrl: string, demoFile: string | DemoFileLike): Promise<string[]> {
  const demo: DemoFileLike = typeof demoFile === "string" ? JSON.parse(readFileSync(demoFile, "utf8")) : demoFile;
  const client = create({ url: apiUrl });
  const pinned: string[] = [];
  for (const p of demo.products) {
    const expected = p.metadataURI.replace(/^ipfs:\/\//, "");
    // the exact bytes of sdk/src/metadata.ts encodeMetadata
    const bytes = new TextEncoder().encode(JSON.stringify(p.metadata));
    const { cid } = await client.add(bytes, { cidVersion: 1, rawLeaves: true, pin: true });
    if (cid.toString() !== expected)
      throw new Error(`product ${p.id} (${p.key ?? p.title ?? ""}): metadata added as ${cid}, but its metadataURI is ipfs://${expected}`);
    await client.pin.add(cid);
    pinned.push(expected);
  }
  return pinned;
}
