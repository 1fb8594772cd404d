// The subset of Kubo's RPC API (/api/v0) the project uses, so kubo-rpc-client works unchanged.
import type { IncomingMessage, ServerResponse } from "node:http";
import { arch, platform } from "node:os";
import busboy from "busboy";
import type { ImportCandidate } from "ipfs-unixfs-importer";
import type { CID } from "multiformats/cid";
import { badRequest, IpfsHttpError, notFound, sendError, toHttpError, tooLarge } from "./errors.ts";
import { pin, type LocalNode } from "./node.ts";
import { asFile, flag, importAll, limited, nullBlockstore, parseAddOptions, parseIpfsPath, resolveEntry, streamContent } from "./unixfs.ts";

export const AGENT = "kraken-ipfs/0.1.0";

export interface ApiContext {
  node: LocalNode;
  maxUploadBytes: number;
  /** Origins allowed to call the API from a browser (Kubo's API.HTTPHeaders). */
  corsOrigin(origin: string): boolean;
  log(line: string): void;
}

type Handler = (req: IncomingMessage, res: ServerResponse, q: URLSearchParams, ctx: ApiContext, signal: AbortSignal) => Promise<void>;

const routes: Record<string, Handler> = {
  add,
  cat,
  "block/get": blockGet,
  "block/stat": blockStat,
  "pin/add": pinAdd,
  "pin/ls": pinLs,
  "pin/rm": pinRm,
  version,
  id,
};

/**
 * Kubo's CORS for the API (API.HTTPHeaders): a cross-origin call from an origin not allowed is
 * refused (CSRF protection); an allowed one gets its origin back. True when it has answered
 * the request (403, or a preflight).
 */
export function apiCors(req: IncomingMessage, res: ServerResponse, ctx: ApiContext): boolean {
  const origin = req.headers.origin;
  const cors: Record<string, string> = {};
  if (origin) {
    if (!ctx.corsOrigin(origin)) {
      req.resume();
      sendError(res, new IpfsHttpError(403, `origin ${origin} is not allowed to use the IPFS API`, 1));
      return true;
    }
    cors["Access-Control-Allow-Origin"] = origin;
    cors["Vary"] = "Origin";
    cors["Access-Control-Expose-Headers"] = "X-Stream-Output, X-Chunked-Output, X-Content-Length";
  }
  if (req.method === "OPTIONS") {
    res.writeHead(204, { ...cors, "Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] ?? "Content-Type", "Access-Control-Max-Age": "600" });
    res.end();
    return true;
  }
  for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
  return false;
}

/** The command a request names (`/api/v0/<name>`), "" for none. */
export function commandOf(url: string | undefined): string {
  return new URL(url ?? "/", "http://localhost").pathname.replace(/^\/api\/v0\//, "").replace(/\/$/, "");
}

/** Answers a request past apiCors; its body is unread (add streams it). */
export async function handleApi(req: IncomingMessage, res: ServerResponse, ctx: ApiContext): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const name = commandOf(req.url);
  const handler = Object.hasOwn(routes, name) ? routes[name] : undefined;
  if (!handler) {
    req.resume();
    return sendError(res, new IpfsHttpError(404, `${url.pathname}: command not implemented by the embedded IPFS node (supported: ${Object.keys(routes).join(", ")})`, 0));
  }
  if (req.method !== "POST") {
    req.resume();
    return sendError(res, new IpfsHttpError(405, `405 - Method Not Allowed: use POST for ${url.pathname}`, 1), { Allow: "POST" });
  }
  const ac = new AbortController();
  res.once("close", () => ac.abort());
  try {
    await handler(req, res, url.searchParams, ctx, ac.signal);
  } catch (err) {
    const e = toHttpError(err);
    if (e.status >= 500) ctx.log(`error: ${name}: ${e.message}`);
    sendError(res, e);
  }
}

function ndjson(res: ServerResponse, lines: unknown[]): void {
  const body = lines.map((l) => JSON.stringify(l) + "\n").join("");
  res.writeHead(200, { "Content-Type": "application/json", "X-Chunked-Output": "1", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function json(res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value) + "\n";
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function args(q: URLSearchParams): string[] {
  return q.getAll("arg");
}

/** Multipart upload, streamed: no file is ever held in memory as a whole. */
async function add(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, ctx: ApiContext): Promise<void> {
  const opts = parseAddOptions(q);
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("multipart/form-data")) {
    req.resume();
    throw badRequest("add expects a multipart/form-data body with the file(s) (Content-Type multipart/form-data)");
  }
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > ctx.maxUploadBytes + 1_048_576) return refuseUpload(req, res, tooLarge(`upload of ${declared} bytes exceeds the limit of ${ctx.maxUploadBytes} bytes`));

  const counter = { bytes: 0 };
  const queue = new AsyncQueue<ImportCandidate>();
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, preservePath: true });
  } catch (err) {
    req.resume();
    throw badRequest(`bad multipart body: ${(err as Error).message}`);
  }
  let current: import("node:stream").Readable | undefined;
  bb.on("file", (_field, stream, info) => {
    current = stream;
    let path = info.filename ?? "";
    try {
      path = decodeURIComponent(path);
    } catch {
      /* keep as sent */
    }
    path = path.replace(/^\/+/, "");
    if (info.mimeType === "application/x-directory") {
      stream.resume();
      queue.push({ path });
    } else {
      queue.push({ path: path || undefined, content: limited(stream, counter, ctx.maxUploadBytes) });
    }
  });
  bb.on("close", () => queue.end());
  bb.on("error", (err) => queue.fail(badRequest(`bad multipart body: ${(err as Error).message}`)));
  req.once("close", () => {
    if (req.complete) return;
    const err = badRequest("upload aborted by the client");
    current?.destroy(err);
    queue.fail(err);
  });
  req.pipe(bb);

  const blockstore = opts.onlyHash ? nullBlockstore : ctx.node.helia.blockstore;
  let added;
  try {
    added = await importAll(queue, blockstore, opts);
  } catch (err) {
    const e = toHttpError(err);
    if (e.status === 413) return refuseUpload(req, res, e, bb);
    req.unpipe(bb);
    req.resume();
    throw e;
  }
  if (added.length === 0) throw badRequest("file argument 'path' is required (no file in the multipart body)");
  if (opts.pin && !opts.onlyHash) {
    const roots = opts.wrapWithDirectory ? [added.at(-1)!] : added.filter((a) => !a.name.includes("/"));
    for (const r of roots) await pin(ctx.node.helia, r.cid);
  }
  ndjson(res, added.map((a) => ({ Name: a.name, Hash: a.cid.toString(), Size: a.size.toString() })));
}

/** Answers 413 without reading the rest of a huge body, then closes the connection. */
function refuseUpload(req: IncomingMessage, res: ServerResponse, err: IpfsHttpError, bb?: busboy.Busboy): void {
  if (bb) req.unpipe(bb);
  req.pause();
  res.setHeader("Connection", "close");
  sendError(res, err);
  res.once("finish", () => setTimeout(() => req.socket.destroy(), 200).unref());
}

async function cat(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, ctx: ApiContext, signal: AbortSignal): Promise<void> {
  req.resume();
  const { cid, rest } = parseIpfsPath(args(q)[0]);
  const offset = intParam(q, "offset");
  const length = intParam(q, "length");
  const entry = asFile(await resolveEntry(ctx.node.helia, cid, rest, signal));
  const size = Number(entry.size);
  await streamContent(entry, res, 200, {
    "Content-Type": "text/plain",
    "X-Stream-Output": "1",
    "X-Content-Length": String(Math.max(0, Math.min(length ?? Infinity, size - (offset ?? 0)))),
  }, { offset, length }, signal);
}

async function blockGet(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, ctx: ApiContext, signal: AbortSignal): Promise<void> {
  req.resume();
  const cid = parseCidArg(q);
  const bytes = await readBlock(ctx, cid, signal);
  res.writeHead(200, { "Content-Type": "text/plain", "X-Stream-Output": "1", "Content-Length": bytes.byteLength });
  res.end(bytes);
}

async function blockStat(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, ctx: ApiContext, signal: AbortSignal): Promise<void> {
  req.resume();
  const cid = parseCidArg(q);
  const bytes = await readBlock(ctx, cid, signal);
  json(res, { Key: cid.toString(), Size: bytes.byteLength });
}

async function readBlock(ctx: ApiContext, cid: CID, signal: AbortSignal): Promise<Uint8Array> {
  try {
    const parts: Uint8Array[] = [];
    for await (const p of ctx.node.helia.blockstore.get(cid, { offline: true, signal }) as AsyncIterable<Uint8Array>) parts.push(p);
    return Buffer.concat(parts);
  } catch (err) {
    throw toHttpError(err, `block ${cid}`);
  }
}

async function pinAdd(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, ctx: ApiContext): Promise<void> {
  req.resume();
  const list = args(q);
  if (list.length === 0) throw badRequest('argument "ipfs-path" is required');
  const recursive = flag(q, "recursive") ?? true;
  const pins: string[] = [];
  for (const a of list) {
    const { cid, rest } = parseIpfsPath(a);
    const target = rest ? (await resolveEntry(ctx.node.helia, cid, rest)).cid : cid;
    try {
      await pin(ctx.node.helia, target, recursive);
    } catch (err) {
      throw toHttpError(err, `pin: ${a} (or a block below it)`);
    }
    pins.push(target.toString());
  }
  json(res, { Pins: pins });
}

async function pinRm(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, ctx: ApiContext): Promise<void> {
  req.resume();
  const list = args(q);
  if (list.length === 0) throw badRequest('argument "ipfs-path" is required');
  const pins: string[] = [];
  for (const a of list) {
    const { cid } = parseIpfsPath(a);
    try {
      for await (const _ of ctx.node.helia.pins.rm(cid)) {
        /* unpinning walks the DAG */
      }
    } catch (err) {
      if ((err as Error).name === "NotFoundError") throw badRequest(`${a} is not pinned`);
      throw err;
    }
    pins.push(cid.toString());
  }
  json(res, { Pins: pins });
}

async function pinLs(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, ctx: ApiContext): Promise<void> {
  req.resume();
  const type = q.get("type") ?? "all";
  if (!["all", "recursive", "direct", "indirect"].includes(type)) throw badRequest(`invalid type ${JSON.stringify(type)}, must be one of {direct, indirect, recursive, all}`);
  const stream = flag(q, "stream") ?? false;
  const helia = ctx.node.helia;
  const found: { cid: string; type: string; name?: string }[] = [];
  const list = args(q);
  if (list.length > 0) {
    for (const a of list) {
      const { cid } = parseIpfsPath(a);
      let pinType: string | undefined;
      try {
        const p = await helia.pins.get(cid);
        pinType = p.depth === Infinity ? "recursive" : "direct";
      } catch {
        if (await helia.pins.isPinned(cid)) pinType = "indirect";
      }
      if (!pinType || (type !== "all" && type !== pinType)) throw notFound(`path '${a}' is not pinned`);
      found.push({ cid: cid.toString(), type: pinType });
    }
  } else {
    for await (const p of helia.pins.ls()) {
      const pinType = p.depth === Infinity ? "recursive" : "direct";
      if (type === "all" || type === pinType) found.push({ cid: p.cid.toString(), type: pinType, name: (p.metadata?.name as string | undefined) ?? "" });
    }
  }
  if (stream) return ndjson(res, found.map((p) => ({ Cid: p.cid, Type: p.type, Name: p.name ?? "" })));
  json(res, { Keys: Object.fromEntries(found.map((p) => [p.cid, { Type: p.type, Name: p.name ?? "" }])) });
}

async function version(req: IncomingMessage, res: ServerResponse, _q: URLSearchParams, ctx: ApiContext): Promise<void> {
  req.resume();
  json(res, { Version: `0.0.0-helia-${ctx.node.heliaVersion}`, Commit: "", Repo: "helia", System: `${arch()}/${platform()}`, Golang: "", Agent: AGENT });
}

async function id(req: IncomingMessage, res: ServerResponse, _q: URLSearchParams, ctx: ApiContext): Promise<void> {
  req.resume();
  json(res, {
    ID: ctx.node.peerId,
    PublicKey: ctx.node.publicKey,
    Addresses: [], // no libp2p listeners: the node is not on any network
    AgentVersion: `${AGENT} helia/${ctx.node.heliaVersion}`,
    Protocols: [],
  });
}

function parseCidArg(q: URLSearchParams): CID {
  const { cid, rest } = parseIpfsPath(args(q)[0]);
  if (rest) throw badRequest("expected a CID, not a path");
  return cid;
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v == null || v === "") return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** A single-consumer async queue fed by busboy events. */
class AsyncQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #done = false;
  #error: unknown;
  #wake?: () => void;
  push(item: T) {
    this.#items.push(item);
    this.#wake?.();
  }
  end() {
    this.#done = true;
    this.#wake?.();
  }
  fail(err: unknown) {
    this.#error ??= err;
    this.#wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.#error) throw this.#error;
      if (this.#items.length) {
        yield this.#items.shift()!;
        continue;
      }
      if (this.#done) return;
      await new Promise<void>((ok) => (this.#wake = ok));
      this.#wake = undefined;
    }
  }
}
