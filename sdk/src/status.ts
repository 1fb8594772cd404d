// The marketplace's services at a glance (`kraken status`; usable from a browser too): for each
// endpoint, whether it is alive (/health answers) and ready to serve (/ready: 200, or 503 with
// the checks that fail), and for the chain whether its JSON-RPC answers with a block number.

/** A service to ask: its name as shown (e.g. "relay 2") and its base URL. */
export interface ServiceEndpoint {
  name: string;
  url: string;
  /** "rpc": an Ethereum JSON-RPC endpoint (asked eth_blockNumber), else an HTTP service of ours */
  kind?: "rpc" | "service";
}

export interface ServiceStatus extends ServiceEndpoint {
  alive: boolean;
  /** null: the service has no /ready endpoint */
  ready: boolean | null;
  /** what is wrong (failing checks, the error), or a short fact when all is well */
  detail: string;
  ms: number;
}

const FAILING = (checks: Record<string, { ok: boolean; detail?: string }> | undefined) =>
  Object.entries(checks ?? {}).filter(([, c]) => !c.ok).map(([n, c]) => (c.detail ? `${n}: ${c.detail}` : n)).join("; ");

async function get(url: string, timeoutMs: number): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
}

const reason = (e: unknown) => (e instanceof Error ? (e.name === "TimeoutError" ? "no answer in time" : (e.cause as Error | undefined)?.message ?? e.message) : String(e));

async function one(e: ServiceEndpoint, timeoutMs: number): Promise<ServiceStatus> {
  const t0 = Date.now();
  const done = (alive: boolean, ready: boolean | null, detail: string): ServiceStatus => ({ ...e, alive, ready, detail, ms: Date.now() - t0 });
  const base = e.url.replace(/\/+$/, "");
  if (e.kind === "rpc") {
    try {
      const r = await fetch(base, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }), signal: AbortSignal.timeout(timeoutMs) });
      const body = (await r.json()) as { result?: string };
      return body.result ? done(true, true, `block ${BigInt(body.result)}`) : done(true, false, `HTTP ${r.status}, no block number`);
    } catch (err) {
      return done(false, false, reason(err));
    }
  }
  try {
    const h = await get(`${base}/health`, timeoutMs);
    if (!h.ok) return done(false, false, `/health answered HTTP ${h.status}`);
  } catch (err) {
    return done(false, false, reason(err));
  }
  try {
    const r = await get(`${base}/ready`, timeoutMs);
    if (r.status === 404) return done(true, null, "alive (no /ready)");
    const body = (await r.json().catch(() => ({}))) as { ready?: boolean; checks?: Record<string, { ok: boolean; detail?: string }> };
    if (r.ok && body.ready !== false) return done(true, true, Object.keys(body.checks ?? {}).join(", ") || "ready");
    return done(true, false, FAILING(body.checks) || `/ready answered HTTP ${r.status}`);
  } catch (err) {
    return done(true, false, `/ready: ${reason(err)}`);
  }
}

/** Asks every endpoint at once; each within `timeoutMs` (default 3 s). */
export function serviceStatus(endpoints: readonly ServiceEndpoint[], o: { timeoutMs?: number } = {}): Promise<ServiceStatus[]> {
  return Promise.all(endpoints.map((e) => one(e, o.timeoutMs ?? 3000)));
}
