// What every service exposes for operations, besides its own API (Node only):
//   GET /health   alive: the process answers (200, always, while it runs)
//   GET /ready    ready to serve: its checks (chain reachable, caught up, keys loaded…) → 200 or 503
//   GET /metrics  Prometheus text: the service's counters, gauges and histograms, and Node's
//                 process metrics, all labelled service="<component>"; every service also has
//                 kraken_ready (1/0, its checks at scrape time), kraken_log_entries_total{level}
//                 (this process's log) and, given its data directory, kraken_disk_free_ratio
// Metric labels are bounded by construction: only fixed words (an outcome, a reason code, a
// method) — never an address, a product id, a DID or anything a caller chooses.
import { statfsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { LOG_LEVELS, logCounts } from "../config/index.ts";

export { Counter, Gauge, Histogram, Registry };
export * from "./http.ts";
export * from "./service.ts";

/** One readiness check: ok, and a short reason when not (never a secret). */
export interface Check {
  ok: boolean;
  detail?: string;
}
export type Checks = Record<string, Check>;

export interface Health {
  status: "ok";
  service: string;
  uptimeSeconds: number;
}

export interface Readiness {
  ready: boolean;
  service: string;
  checks: Checks;
}

export interface Ops {
  readonly service: string;
  readonly registry: Registry;
  health(): Health;
  ready(): Promise<Readiness>;
  /** Answers /health, /ready and /metrics on a node:http request; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  counter<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  gauge<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  histogram<L extends string = never>(name: string, help: string, buckets: number[], labelNames?: readonly L[]): Histogram<L>;
}

export interface OpsOptions {
  /** the component, as in logs: "indexer", "issuer", "relay", … */
  service: string;
  /** readiness checks; a check that throws counts as not ok with its message */
  checks?: () => Promise<Checks> | Checks;
  /** include Node's process metrics (memory, event loop lag, GC); default true */
  processMetrics?: boolean;
  /** the service's data directory: exported as kraken_disk_free_ratio of its file system */
  dataDir?: string;
  /** how long one run of the checks answers /ready and kraken_ready (default READY_CACHE_MS) */
  readyCacheMs?: number;
}

const started = Date.now();
/** How long one run of the readiness checks answers /ready and kraken_ready. */
export const READY_CACHE_MS = 1000;
/** Seconds in the buckets of request durations: 1 ms … 10 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** How long a readiness check waits for the chain. */
export const CHAIN_CHECK_TIMEOUT_MS = 2000;

export function createOps(o: OpsOptions): Ops {
  const registry = new Registry();
  registry.setDefaultLabels({ service: o.service });
  if (o.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "kraken_" });
  const name = (n: string) => `kraken_${o.service.replace(/[^a-z0-9_]/gi, "_")}_${n}`;
  // Checks may ask the chain: one run serves every /ready and scrape within READY_CACHE_MS, so a
  // flood of /ready requests cannot turn into a flood of RPC calls.
  let last: { at: number; result: Promise<Readiness> } | undefined;
  const cachedReadiness = (): Promise<Readiness> => {
    if (!last || Date.now() - last.at >= (o.readyCacheMs ?? READY_CACHE_MS)) last = { at: Date.now(), result: readiness(o.service, o.checks) };
    return last.result;
  };
  new Gauge({
    name: "kraken_ready", help: "1 when every readiness check passes (run at scrape time), else 0", registers: [registry],
    async collect() {
      this.set((await cachedReadiness()).ready ? 1 : 0);
    },
  });
  new Counter({
    name: "kraken_log_entries_total", help: "entries written to this process's log, by level", labelNames: ["level"], registers: [registry],
    collect() {
      this.reset();
      for (const level of LOG_LEVELS) this.inc({ level }, logCounts[level]);
    },
  });
  const dataDir = o.dataDir;
  if (dataDir) {
    new Gauge({
      name: "kraken_disk_free_ratio", help: "free space on the file system of the service's data directory (0–1)", registers: [registry],
      collect() {
        try {
          const st = statfsSync(dataDir);
          this.set(st.blocks ? st.bavail / st.blocks : 0);
        } catch {
          this.set(0); // unreadable counts as full: an alert is better than silence
        }
      },
    });
  }
  const ops: Ops = {
    service: o.service,
    registry,
    health: () => ({ status: "ok", service: o.service, uptimeSeconds: Math.round((Date.now() - started) / 1000) }),
    ready: cachedReadiness,
    async handle(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (path === "/health") return json(res, 200, ops.health());
      if (path === "/ready") {
        const r = await ops.ready();
        return json(res, r.ready ? 200 : 503, r);
      }
      if (path === "/metrics") {
        const text = await registry.metrics();
        res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
        res.end(text);
        return true;
      }
      return false;
    },
    counter: (n, help, labelNames = []) => new Counter({ name: name(n), help, labelNames: [...labelNames], registers: [registry] }),
    gauge: (n, help, labelNames = []) => new Gauge({ name: name(n), help, labelNames: [...labelNames], registers: [registry] }),
    histogram: (n, help, buckets, labelNames = []) => new Histogram({ name: name(n), help, buckets, labelNames: [...labelNames], registers: [registry] }),
  };
  return ops;
}

/** The RPC answers eth_chainId within the timeout, with the expected chain id. */
export async function chainCheck(rpcUrl: string, chainId: number, timeoutMs = CHAIN_CHECK_TIMEOUT_MS): Promise<Check> {
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

async function readiness(service: string, run: OpsOptions["checks"]): Promise<Readiness> {
  let checks: Checks;
  try {
    checks = (await run?.()) ?? {};
  } catch (e) {
    checks = { checks: { ok: false, detail: e instanceof Error ? e.message : String(e) } };
  }
  return { ready: Object.values(checks).every((c) => c.ok), service, checks };
}

function json(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "access-control-allow-origin": "*" });
  res.end(JSON.stringify(body));
  return true;
}
