// The faucet's operations endpoints (@kraken/sdk/ops): /health (its FaucetInfo plus status,
// service and uptime), /ready (chain reachable) and /metrics. Labels are fixed words only: a
// refusal reason from REFUSAL_REASONS, never an address.
import type { FastifyInstance } from "fastify";
import type { FaucetErrorCode, FaucetInfo } from "@kraken/sdk";
import { chainCheck, createOps, type Ops } from "@kraken/sdk/ops";

/** Refusal reasons: the faucet's error codes, and bad-request for bodies the schema refuses. */
export const REFUSAL_REASONS = ["bad-address", "rate-limited", "busy", "failed", "bad-request"] as const satisfies readonly (FaucetErrorCode | "bad-request")[];
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

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
