// Embedded IPFS for the local stack: a Helia node that never touches the network, the Kubo RPC
// subset the project uses at /api/v0 and a read gateway at /ipfs/<cid>. Code talks to it with
// kubo-rpc-client, so pointing KRAKEN_IPFS_API_URL at a real Kubo node is all it takes to switch.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { create } from "kubo-rpc-client";
import { DEFAULT_PORTS } from "@kraken/sdk/config";
import { handleApi } from "./api.ts";
import { handleGateway } from "./gateway.ts";
import { openNode } from "./node.ts";
import { ipfsOps } from "./ops.ts";

export { IpfsHttpError } from "./errors.ts";
export { sniff } from "./gateway.ts";
export { KUBO_CHUNK_SIZE } from "./unixfs.ts";

export const DEFAULT_API_PORT = DEFAULT_PORTS.ipfsApi;
export const DEFAULT_GATEWAY_PORT = DEFAULT_PORTS.ipfsGateway;
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3; // 2 GiB per add request

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

  // GET /health, /ready (store) and /metrics on the API port (Kubo's API is POST only); /health on the gateway
  const metrics = ipfsOps(node, dataDir, log);
  const api = createServer((req, res) => {
    if (metrics.api(req, res)) return;
    metrics.trackApi(req, res);
    void handleApi(req, res, ctx);
  });
  const gateway = createServer((req, res) => {
    if (metrics.gateway(req, res)) return;
    metrics.trackGateway(req, res);
    void handleGateway(req, res, node, log);
  });
  // Large uploads and downloads may take a while: no request timeout on loopback.
  api.requestTimeout = 0;
  gateway.requestTimeout = 0;
  let apiPort: number, gatewayPort: number;
  try {
    apiPort = await listen(api, opts.apiPort ?? DEFAULT_API_PORT, host, "API");
    try {
      gatewayPort = await listen(gateway, opts.gatewayPort ?? DEFAULT_GATEWAY_PORT, host, "gateway");
    } catch (err) {
      await close(api);
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
        await Promise.all([close(api), close(gateway)]);
        await node.stop();
      })();
      return stopping;
    },
  };
}

function listen(server: Server, port: number, host: string, what: string): Promise<number> {
  return new Promise((ok, fail) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      fail(err.code === "EADDRINUSE" ? new Error(`ipfs: ${what} port ${port} on ${host} is in use (is a Kubo daemon running? then set KRAKEN_IPFS_API_URL instead)`) : err));
    server.listen(port, host, () => ok((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((ok) => {
    server.close(() => ok());
    server.closeAllConnections();
  });
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
