// The dApp server's operations endpoints (@kraken/sdk/ops): /health, /ready (the built bundle is
// there) and /metrics (requests by outcome). The label is a fixed word, never the path asked for.
import { existsSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { createOps, type Check, type Ops } from "@kraken/sdk/ops";

export const REQUEST_OUTCOMES = ["ok", "not-found", "refused", "error", "aborted"] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

export interface DappOps {
  ops: Ops;
  /** Counts a request to the static server once its answer is over. */
  track(res: ServerResponse): void;
}

export function dappOps(distDir: string, dataDir: string): DappOps {
  const ops = createOps({ service: "dapp", dataDir, checks: () => ({ bundle: bundleCheck(distDir) }) });
  const requests = ops.counter("requests_total", "requests to the static server (bundle, config.json, SPA fallback), by outcome", ["outcome"] as const);
  const outcome = (res: ServerResponse): RequestOutcome => {
    if (!res.writableFinished) return "aborted";
    const s = res.statusCode;
    return s < 400 ? "ok" : s === 404 ? "not-found" : s < 500 ? "refused" : "error";
  };
  return { ops, track: (res) => void res.once("close", () => requests.inc({ outcome: outcome(res) })) };
}

/** index.html and the assets directory of the build are there. */
function bundleCheck(distDir: string): Check {
  const missing = ["index.html", "assets"].filter((f) => {
    try {
      return !existsSync(join(distDir, f)) || (f === "assets" ? !statSync(join(distDir, f)).isDirectory() : !statSync(join(distDir, f)).isFile());
    } catch {
      return true;
    }
  });
  return missing.length ? { ok: false, detail: `the built dApp is incomplete: ${missing.join(" and ")} missing from its dist directory` } : { ok: true };
}

/** /health, /ready and /metrics answered by `ops`, or false to let the static server answer. */
export function isOpsRequest(req: IncomingMessage): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  let path: string;
  try {
    path = new URL(req.url ?? "/", "http://localhost").pathname; // as ops.handle reads it
  } catch {
    return false;
  }
  return path === "/health" || path === "/ready" || path === "/metrics";
}
