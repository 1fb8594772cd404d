// The embedded node's operations endpoints (@kraken/sdk/ops), on the API port: /health, /ready
// (the blockstore is readable) and /metrics (adds, content reads by outcome, blocks and bytes
// stored); /health also on the gateway port. Labels are fixed words only (an outcome), never a
// CID, a path or a file name.
import { constants } from "node:fs";
import { access, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { CID } from "multiformats/cid";
import { createOps, type Check, type Ops } from "@kraken/sdk/ops";
import type { LocalNode } from "./node.ts";

export const GET_OUTCOMES = ["ok", "not-found", "refused", "error", "aborted"] as const;
export type GetOutcome = (typeof GET_OUTCOMES)[number];

/** API commands that read content (the gateway's GET/HEAD /ipfs/… reads too). */
const API_READS = new Set(["cat", "block/get"]);
/** The blocks and bytes stored are recounted on a scrape after an add, else at most this often. */
const RECOUNT_MS = 60_000;
const CHECK_TIMEOUT_MS = 2000;
/** The empty raw block: a blockstore lookup that touches the disk and nothing else. */
const PROBE = CID.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");

export interface IpfsOps {
  ops: Ops;
  /** Recounts the blocks stored when an add may have changed them, or at most every minute (before a scrape). */
  refresh(): Promise<void>;
  /** Counts an API request once its answer is over (adds; reads by outcome). */
  trackApi(req: IncomingMessage, res: ServerResponse): void;
  /** Counts a gateway read once its answer is over. */
  trackGateway(req: IncomingMessage, res: ServerResponse): void;
}

export function ipfsOps(node: LocalNode, dataDir: string, log: (l: string) => void): IpfsOps {
  const ops = createOps({ service: "ipfs", dataDir, checks: async () => ({ store: await storeCheck(node) }) });
  const adds = ops.counter("adds_total", "add requests answered 200");
  const gets = ops.counter("gets_total", "content reads (API cat and block/get, gateway GET/HEAD /ipfs/…), by outcome", ["outcome"] as const);
  const blocks = ops.gauge("blocks_stored", "blocks in the blockstore");
  const bytes = ops.gauge("stored_bytes", "bytes of the blocks in the blockstore");

  let counted = 0; // when the blockstore was last counted (ms), 0 = must recount
  let counting: Promise<void> | undefined;
  const recount = () =>
    (counting ??= countBlocks(node.blocksDir)
      .then((c) => {
        blocks.set(c.blocks);
        bytes.set(c.bytes);
        counted = Date.now();
      })
      .catch((err: Error) => log(`could not count the blocks stored: ${err.message}`))
      .finally(() => (counting = undefined)));

  const outcome = (res: ServerResponse): GetOutcome => {
    if (!res.writableFinished) return "aborted";
    const s = res.statusCode;
    return s < 400 ? "ok" : s === 404 ? "not-found" : s < 500 ? "refused" : "error";
  };

  return {
    ops,
    async refresh() {
      if (Date.now() - counted > RECOUNT_MS) await recount();
    },
    trackApi(req, res) {
      if (req.method !== "POST") return;
      const name = new URL(req.url ?? "/", "http://localhost").pathname.replace(/^\/api\/v0\//, "").replace(/\/$/, "");
      if (name === "add") {
        res.once("close", () => {
          if (res.writableFinished && res.statusCode === 200) {
            adds.inc();
            counted = 0; // blocks may have been stored
          }
        });
      } else if (API_READS.has(name)) res.once("close", () => gets.inc({ outcome: outcome(res) }));
    },
    trackGateway(req, res) {
      if ((req.method !== "GET" && req.method !== "HEAD") || !(req.url ?? "").startsWith("/ipfs/")) return;
      res.once("close", () => gets.inc({ outcome: outcome(res) }));
    },
  };
}

/** The blocks directory is there and readable, and a lookup in the blockstore answers. */
async function storeCheck(node: LocalNode): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await access(node.blocksDir, constants.R_OK | constants.X_OK);
    await Promise.race([
      node.helia.blockstore.has(PROBE),
      new Promise((_, fail) => (timer = setTimeout(() => fail(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS))),
    ]);
    return { ok: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, detail: `the blockstore is not readable (${e.code ?? e.message})` };
  } finally {
    clearTimeout(timer);
  }
}

/** Blocks (blockstore-fs: one `<key>.data` file each, in shard directories) and their bytes. */
async function countBlocks(dir: string): Promise<{ blocks: number; bytes: number }> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile() && d.name.endsWith(".data"));
  let bytes = 0;
  for (let i = 0; i < files.length; i += 256) {
    const sizes = await Promise.all(files.slice(i, i + 256).map((d) => stat(join(d.parentPath, d.name)).then((s) => s.size, () => 0)));
    for (const s of sizes) bytes += s;
  }
  return { blocks: files.length, bytes };
}
