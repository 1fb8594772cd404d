// The faucet's operations endpoints (@kraken/sdk/ops): /health (its FaucetInfo plus status,
// service and uptime), /ready (chain reachable) and /metrics. Labels are fixed words only: a
// refusal reason from REFUSAL_REASONS, never an address.
import type { FastifyInstance } from "fastify";
import type { FaucetErrorCode, FaucetInfo } from "@kraken/sdk";
import { createOps, type Check, type Ops } from "@kraken/sdk/ops";

/** Refusal reasons: the faucet's error codes, and bad-request for bodies the schema refuses. */
export const REFUSAL_REASONS = ["bad-address", "rate-limited", "busy", "failed", "bad-request"] as const satisfies readonly (FaucetErrorCode | "bad-request")[];
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** How long /ready waits for the chain. */
const CHECK_TIMEOUT_MS = 2000;

export interface FaucetOps {
  ops: Ops;
  dripped(): void;
  refused(reason: RefusalReason): void;
}

export function faucetOps(o: { rpcUrl: string; chainId: number; dataDir: string }): FaucetOps {
  const ops = createOps({ service: "faucet", dataDir: o.dataDir, checks: async () => ({ chain: await chainCheck(o.rpcUrl, o.chainId) }) });
  const drips = ops.counter("drips_total", "drips minted");
  const refusals = ops.counter("refusals_total", "drip requests refused, by reason", ["reason"] as const);
  return { ops, dripped: () => drips.inc(), refused: (reason) => refusals.inc({ reason }) };
}

/** GET /health (FaucetInfo kept, status, service and uptime added), GET /ready, GET /metrics. */
export function mountOps(app: FastifyInstance, ops: Ops, info: FaucetInfo): void {
  app.get("/health", async (_req, reply) => {
    reply.header("cache-control", "no-store");
    return { ...info, ...ops.health() };
  });
  app.get("/ready", async (_req, reply) => {
    const r = await ops.ready();
    return reply.code(r.ready ? 200 : 503).header("cache-control", "no-store").send(r);
  });
  app.get("/metrics", async (_req, reply) => {
    const text = await ops.registry.metrics();
    return reply.header("content-type", ops.registry.contentType).header("cache-control", "no-store").send(text);
  });
}

/** The RPC answers eth_chainId within the timeout, with the expected chain id. */
export async function chainCheck(rpcUrl: string, chainId: number, timeoutMs = CHECK_TIMEOUT_MS): Promise<Check> {
  try {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return { ok: false, detail: `the RPC answered HTTP ${res.status}` };
    const body = (await res.json()) as { result?: string };
    const id = Number(body.result);
    if (id !== chainId) return { ok: false, detail: `the RPC is on chain ${body.result === undefined ? "?" : id}, expected ${chainId}` };
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: (err as Error).name === "TimeoutError" ? `the RPC did not answer within ${timeoutMs} ms` : "the RPC is unreachable" };
  }
}
