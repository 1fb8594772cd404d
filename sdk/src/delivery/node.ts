// Node-only helpers for batch delivery: files in and out, the relay directory on disk, IPFS
// upload over the Kubo RPC API, and SHA-256 from node:crypto (several times faster than the
// pure-JS default). Import as "@kraken/sdk/delivery/node"; the browser never loads this file.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Hex } from "viem";
import { ConfigError, configValue, type Env } from "../config/index.ts";
import { decryptBatch, download } from "./consumer.ts";
import { DeliveryError } from "./errors.ts";
import type { Sha256Factory } from "./hashing.ts";
import { parseRelayDirectory } from "./relays.ts";
import type { RelayEndpoint } from "./transport.ts";

export const nodeSha256: Sha256Factory = () => {
  const h = createHash("sha256");
  return { update: (b) => void h.update(b), digest: () => new Uint8Array(h.digest()) };
};

/** Reads a file as a stream of chunks (1 MiB). */
export function fileChunks(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/**
 * The relays' HTTP endpoints: KRAKEN_RELAYS (JSON) when set, else
 * `<deploymentsDir>/<network>.relays.json`. Throws a DeliveryError saying where it looked.
 */
export function loadRelayDirectory(o: { network?: string; deploymentsDir?: string; env?: Env } = {}): RelayEndpoint[] {
  let relays: unknown;
  try {
    relays = configValue("KRAKEN_RELAYS", o.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new DeliveryError("no-relays", "KRAKEN_RELAYS is not JSON: expected [{ \"address\": \"0x…\", \"url\": \"http://…\" }]");
  }
  if (relays !== undefined) return parseRelayDirectory(relays, "KRAKEN_RELAYS");
  const file = resolve(o.deploymentsDir ?? configValue("KRAKEN_DEPLOYMENTS_DIR", o.env), `${o.network ?? configValue("KRAKEN_NETWORK", o.env) ?? "localhost"}.relays.json`);
  if (!existsSync(file)) throw new DeliveryError("no-relays", `no relay directory: ${file} does not exist (\`npm start\` writes it) and KRAKEN_RELAYS is not set`);
  return parseRelayDirectory(JSON.parse(readFileSync(file, "utf8")), file);
}

/**
 * The SMPC computation nodes' HTTP endpoints: KRAKEN_SMPC_NODES (JSON) when set, else
 * `<deploymentsDir>/<network>.smpc.json` (same shape as the relay directory).
 */
export function loadSmpcDirectory(o: { network?: string; deploymentsDir?: string; env?: Env } = {}): RelayEndpoint[] {
  let nodes: unknown;
  try {
    nodes = configValue("KRAKEN_SMPC_NODES", o.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new DeliveryError("no-relays", "KRAKEN_SMPC_NODES is not JSON: expected [{ \"address\": \"0x…\", \"url\": \"http://…\" }]");
  }
  if (nodes !== undefined) return parseRelayDirectory(nodes, "KRAKEN_SMPC_NODES");
  const file = resolve(o.deploymentsDir ?? configValue("KRAKEN_DEPLOYMENTS_DIR", o.env), `${o.network ?? configValue("KRAKEN_NETWORK", o.env) ?? "localhost"}.smpc.json`);
  if (!existsSync(file)) throw new DeliveryError("no-relays", `no computation node directory: ${file} does not exist (\`npm start\` writes it) and KRAKEN_SMPC_NODES is not set`);
  return parseRelayDirectory(JSON.parse(readFileSync(file, "utf8")), file);
}

/** Default relay directory path for a deployment file (next to it). */
export const relayDirectoryFile = (deploymentsDir: string, network: string) => join(deploymentsDir, `${network}.relays.json`);

/**
 * Adds a stream to IPFS through the Kubo RPC API (`/api/v0/add`, CIDv1, raw leaves, pinned),
 * streaming a multipart body so memory stays bounded. Returns the CID.
 */
export async function ipfsAdd(apiUrl: string, source: AsyncIterable<Uint8Array>, name = "data.krkn"): Promise<string> {
  const boundary = `----kraken${Math.random().toString(16).slice(2)}`;
  const head = new TextEncoder().encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${encodeURIComponent(name)}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
  async function* body() {
    yield head;
    yield* source;
    yield tail;
  }
  const url = new URL(`${apiUrl.replace(/\/+$/, "")}/api/v0/add?cid-version=1&raw-leaves=true&pin=true&progress=false`);
  // node:http with pipeline(): the next chunk is encrypted only when the socket has taken the
  // previous one (fetch with a streamed body read ahead without bound: a 200 MB upload sat in memory).
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "transfer-encoding": "chunked" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      res.on("error", reject);
    });
    pipeline(Readable.from(body(), { objectMode: false, highWaterMark: 1 << 16 }), req).catch(reject);
  }).catch((err: Error) => {
    throw err instanceof DeliveryError ? err : new DeliveryError("download-failed", `cannot upload to the IPFS API at ${apiUrl}: ${err.message} (is \`npm start\` running? or set KRAKEN_IPFS_API_URL)`);
  });
  if (status < 200 || status >= 300) throw new DeliveryError("download-failed", `IPFS add failed: HTTP ${status} ${text.slice(0, 200)}`);
  const last = text.trim().split("\n").pop()!;
  return (JSON.parse(last) as { Hash: string }).Hash;
}

/**
 * Downloads the ciphertext from `link`, decrypts it into `out` (via `out.part`, renamed only
 * when both hashes matched) and returns the number of plaintext bytes.
 */
export async function downloadAndDecrypt(o: {
  link: string;
  gatewayUrl: string;
  key: Uint8Array;
  ciphertextHash: Hex;
  plaintextHash: Hex;
  out: string;
}): Promise<number> {
  const part = `${o.out}.part`;
  let bytes = 0;
  const counted = async function* (src: AsyncIterable<Uint8Array>) {
    for await (const c of src) {
      bytes += c.length;
      yield c;
    }
  };
  try {
    await pipeline(Readable.from(counted(decryptBatch(download(o.link, o.gatewayUrl), o.key, o, nodeSha256))), createWriteStream(part));
    renameSync(part, o.out);
    return bytes;
  } catch (err) {
    rmSync(part, { force: true });
    throw err;
  }
}
