// UnixFS import/export with Kubo's defaults, so the CIDs equal what `ipfs add` computes.
import { once } from "node:events";
import type { Readable } from "node:stream";
import type { ServerResponse } from "node:http";
import { exporter, type UnixFSEntry } from "ipfs-unixfs-exporter";
import { importer, type ImportCandidate, type ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { CID } from "multiformats/cid";
import type { Helia } from "helia";
import { badRequest, toHttpError, tooLarge } from "./errors.ts";

/** Kubo's default chunker (size-262144) and balanced layout with 174 links per node. */
export const KUBO_CHUNK_SIZE = 262_144;

export interface AddOptions {
  cidVersion: 0 | 1;
  rawLeaves: boolean;
  chunkSize: number;
  wrapWithDirectory: boolean;
}

/**
 * Parses the options of `/api/v0/add` the way Kubo does: cid-version 0 by default, raw-leaves
 * defaults to true when cid-version is 1. Options that would change the CID and that this node
 * does not implement are refused rather than silently ignored.
 */
export function parseAddOptions(q: URLSearchParams): AddOptions & { pin: boolean; onlyHash: boolean } {
  const cv = q.get("cid-version") ?? "0";
  if (cv !== "0" && cv !== "1") throw badRequest(`cid-version must be 0 or 1, got ${JSON.stringify(cv)}`);
  const cidVersion = Number(cv) as 0 | 1;
  const rl = flag(q, "raw-leaves");
  const hash = q.get("hash");
  if (hash != null && hash !== "sha2-256") throw badRequest(`hash ${hash} is not supported by the embedded node (only sha2-256)`);
  if (flag(q, "trickle")) throw badRequest("trickle layout is not supported by the embedded node");
  if (flag(q, "inline")) throw badRequest("inline CIDs are not supported by the embedded node");
  let chunkSize = KUBO_CHUNK_SIZE;
  const chunker = q.get("chunker");
  if (chunker != null && chunker !== "") {
    const m = /^size-(\d+)$/.exec(chunker);
    if (!m) throw badRequest(`chunker ${chunker} is not supported by the embedded node (only size-<bytes>)`);
    chunkSize = Number(m[1]);
    if (chunkSize < 1 || chunkSize > 1_048_576) throw badRequest("chunker size must be between 1 and 1048576 bytes");
  }
  return {
    cidVersion,
    rawLeaves: rl ?? cidVersion === 1,
    chunkSize,
    wrapWithDirectory: flag(q, "wrap-with-directory") ?? flag(q, "w") ?? false,
    pin: flag(q, "pin") ?? true,
    onlyHash: flag(q, "only-hash") ?? flag(q, "n") ?? false,
  };
}

/** Kubo's boolean query options: absent → undefined, "" / "true" / "1" → true. */
export function flag(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v == null) return undefined;
  if (v === "" || v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw badRequest(`option ${name} must be a boolean, got ${JSON.stringify(v)}`);
}

export function importerOptions(o: AddOptions): Partial<ImporterOptions> {
  return {
    profile: "unixfs-v0-2015", // Kubo's default import profile: 256 KiB chunks, 174 links, balanced
    cidVersion: o.cidVersion,
    rawLeaves: o.rawLeaves,
    chunker: fixedSize({ chunkSize: o.chunkSize }),
    reduceSingleLeafToSelf: true,
    wrapWithDirectory: o.wrapWithDirectory,
    fileImportConcurrency: 1, // files arrive one after the other in the multipart body
  };
}

export interface Added {
  name: string;
  cid: CID;
  size: bigint;
}

/** Runs the importer over candidates and returns one result per file and directory. */
export async function importAll(
  candidates: AsyncIterable<ImportCandidate>,
  blockstore: Parameters<typeof importer>[1],
  o: AddOptions,
): Promise<Added[]> {
  const out: Added[] = [];
  for await (const entry of importer(candidates, blockstore, importerOptions(o))) {
    out.push({ name: entry.path ?? entry.cid.toString(), cid: entry.cid, size: entry.size });
  }
  return out;
}

/** A blockstore that only computes CIDs (`only-hash`). */
export const nullBlockstore = {
  async put(cid: CID) {
    return cid;
  },
  async has() {
    return false;
  },
  async *get(): AsyncGenerator<Uint8Array> {
    throw new Error("only-hash blockstore holds nothing");
  },
} as unknown as Parameters<typeof importer>[1];

/** Counts bytes of a part and fails once the request total passes the limit. */
export async function* limited(stream: Readable, counter: { bytes: number }, max: number): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    counter.bytes += chunk.byteLength;
    if (counter.bytes > max) throw tooLarge(`upload exceeds the limit of ${max} bytes`);
    yield chunk;
  }
}

/** Parses `<cid>`, `/ipfs/<cid>`, `<cid>/a/b` into the CID and the path below it. */
export function parseIpfsPath(arg: string | null | undefined): { cid: CID; rest: string } {
  if (arg == null || arg === "") throw badRequest("argument \"ipfs-path\" is required");
  let p = arg.trim();
  if (p.startsWith("ipfs://")) p = p.slice(7);
  else if (p.startsWith("/ipfs/")) p = p.slice(6);
  else if (p.startsWith("/ipns/") || p.startsWith("ipns://")) throw badRequest(`IPNS is not supported by the embedded node: ${arg}`);
  const [first, ...rest] = p.split("/");
  let cid: CID;
  try {
    cid = CID.parse(first!);
  } catch (err) {
    throw badRequest(`invalid path ${JSON.stringify(arg)}: invalid CID: ${(err as Error).message}`);
  }
  return { cid, rest: rest.filter((s) => s !== "").join("/") };
}

/** Resolves a path without touching the network. */
export async function resolveEntry(helia: Helia, cid: CID, rest: string, signal?: AbortSignal): Promise<UnixFSEntry> {
  try {
    return await exporter(rest ? `${cid}/${rest}` : cid.toString(), helia.blockstore, { offline: true, signal });
  } catch (err) {
    throw toHttpError(err, rest ? `${cid}/${rest}` : cid.toString());
  }
}

export type FileEntry = Extract<UnixFSEntry, { content: unknown }>;

export function asFile(entry: UnixFSEntry): FileEntry {
  if (entry.type === "directory") throw badRequest("this dag node is a directory");
  if (entry.type === "object") throw badRequest(`${entry.cid} is not a UnixFS file (codec 0x${entry.cid.code.toString(16)})`);
  return entry;
}

/**
 * Streams `entry` content to `res` with backpressure. The first chunk is read before the
 * headers are written, so a missing block at the start still gets a proper error status.
 */
export async function streamContent(
  entry: FileEntry,
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  range: { offset?: number; length?: number },
  signal: AbortSignal,
  head = false,
): Promise<void> {
  if (head) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const it = entry.content({ ...range, offline: true, signal })[Symbol.asyncIterator]();
  let first: IteratorResult<Uint8Array>;
  try {
    first = await it.next();
  } catch (err) {
    throw toHttpError(err, entry.cid.toString());
  }
  res.writeHead(status, headers);
  try {
    for (let r = first; !r.done; r = await it.next()) {
      if (!res.write(r.value)) await once(res, "drain", { signal });
    }
    res.end();
  } catch (err) {
    res.destroy(err as Error);
  }
}
