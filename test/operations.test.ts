// Operations of the running marketplace (issue 17): the real `npm start` stack with JSON logs.
// Every log line is a JSON object a collector can read (time, level, component, message); no
// key or token of the stack — a seeded admin token, the relays', the SMPC nodes', the demo
// personas' keys — ever reaches the log; and `kraken status` shows every service alive and
// ready, and names the one that is not.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive } from "./helpers/process.ts";
import { parse } from "yaml";
import { devRelayKeys } from "../relay/src/index.ts";
import { devSmpcKeys } from "../smpc/src/index.ts";
import { kraken } from "../cli/test/run.ts";
import { startMarketplace, type Marketplace } from "./browser/harness/stack.ts";
import { freePort } from "../chain/src/index.ts";

const ADMIN_TOKEN = "seeded-admin-token-d41d8cd98f00b204";
let m: Marketplace;

beforeAll(async () => {
  m = await startMarketplace({ env: { KRAKEN_LOG_FORMAT: "json", KRAKEN_ISSUER_ADMIN_TOKEN: ADMIN_TOKEN } });
}, 320_000);
afterAll(async () => {
  await m?.stop();
});

const cliEnv = () => ({
  KRAKEN_RPC_URL: m.urls.rpc,
  KRAKEN_DEPLOYMENT: `${m.dir}/deployments/localhost.json`,
  KRAKEN_SUBGRAPH_URL: m.urls.subgraph,
  KRAKEN_ISSUER_URL: m.urls.issuer,
  KRAKEN_FAUCET_URL: m.urls.faucet,
  KRAKEN_IPFS_API_URL: m.urls.ipfsApi,
  KRAKEN_DAPP_PORT: new URL(m.urls.dapp).port,
  KRAKEN_PUBLISHER_PORT: new URL(m.urls.publisher).port,
  KRAKEN_UNION_DEVICES_PORT: new URL(m.urls.unionDevices).port,
});

describe("logs of npm start (KRAKEN_LOG_FORMAT=json)", () => {
  it("every log line is a JSON object with time, level, component and message", () => {
    const lines = m.output().split("\n").filter((l) => l.startsWith("{"));
    expect(lines.length).toBeGreaterThan(20);
    const entries = lines.map((l) => JSON.parse(l) as { time: string; level: string; component: string; msg: string });
    for (const e of entries) {
      expect(["fatal", "error", "warn", "info"]).toContain(e.level); // debug only when asked
      expect(typeof e.component).toBe("string");
      expect(typeof e.msg).toBe("string");
      expect(Number.isNaN(Date.parse(e.time))).toBe(false);
    }
    const components = new Set(entries.map((e) => e.component.split(" ")[0]));
    for (const c of ["start", "indexer", "relay", "issuer"]) expect(components).toContain(c);
    // what is not a log line is the start banner (stdout), nothing else
    const other = m.output().split("\n").filter((l) => l.trim() && !l.startsWith("{"));
    expect(other[0]).toBe("Kraken marketplace is up.");
  });

  it("no key or token of the stack reaches the log", () => {
    const out = m.output().toLowerCase();
    const secrets = [ADMIN_TOKEN, ...devRelayKeys(), ...devSmpcKeys(), ...Object.values(m.demo.personas).map((p) => p.privateKey)];
    expect(secrets.length).toBeGreaterThan(10);
    for (const s of secrets) {
      expect(out).not.toContain(s.toLowerCase());
      if (s.startsWith("0x")) expect(out).not.toContain(s.slice(2).toLowerCase());
    }
  });
});

describe("kraken status", () => {
  it("shows every service alive and ready: chain, indexer, issuer, faucet, IPFS, dApp, the publishers, the relays and SMPC nodes", async () => {
    const r = await kraken(["status", "--json"], cliEnv());
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; alive: boolean; ready: boolean | null; detail: string }[];
    expect(rows.map((x) => x.name)).toEqual(["chain", "indexer", "issuer", "faucet", "ipfs", "dapp", "publisher", "union devices", "relay 1", "relay 2", "relay 3", "smpc 1", "smpc 2", "smpc 3"]);
    for (const row of rows) expect(row, row.name).toMatchObject({ alive: true, ready: true });
    const text = await kraken(["status"], cliEnv());
    expect(text.stdout).toContain("All 14 services are up.");
  });

  it("names a service that is down and exits 4; a bad --timeout is a usage error", async () => {
    const closed = await freePort();
    const r = await kraken(["status"], { ...cliEnv(), KRAKEN_ISSUER_URL: `http://127.0.0.1:${closed}` });
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/^issuer\s+http:\/\/127\.0\.0\.1:\d+\s+NO\s+NO\s+connect ECONNREFUSED/m);
    expect(r.stdout).toContain("1 of 14 services are down or not ready.");
    expect(r.stderr).toContain("not ready: issuer");
    const bad = await kraken(["status", "--timeout", "soon"], cliEnv());
    expect(bad.code).toBe(2);
  });
});

describe("metrics and alert rules (deploy/prometheus)", () => {
  const services = () => [
    ["indexer", new URL(m.urls.subgraph).origin], ["issuer", m.urls.issuer], ["faucet", m.urls.faucet], ["ipfs", m.urls.ipfsApi], ["dapp", m.urls.dapp],
    ...m.urls.relays.map((u) => ["relay", u]), ...m.urls.smpcNodes.map((u) => ["smpc", u]),
    ["publisher", m.urls.publisher], ["union", m.urls.unionDevices],
  ] as [string, string][];

  it("every service of the stack answers /health, /ready and /metrics, labelled with its name", async () => {
    for (const [service, url] of services()) {
      expect((await fetch(`${url}/health`)).status, `${service} /health`).toBe(200);
      expect((await fetch(`${url}/ready`)).status, `${service} /ready`).toBe(200);
      const text = await (await fetch(`${url}/metrics`)).text();
      expect(text, `${service} /metrics`).toContain(`kraken_ready{service="${service}"} 1`);
    }
  });

  it("every kraken_* metric an alert rule uses is exported by a running service; every rule says what and how bad", async () => {
    const doc = parse(readFileSync(new URL("../deploy/prometheus/alerts.yml", import.meta.url), "utf8")) as { groups: { rules: { alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(8);
    const exported = new Set<string>();
    for (const [, url] of services()) {
      for (const line of (await (await fetch(`${url}/metrics`)).text()).split("\n")) {
        const name = /^(kraken_[a-z0-9_]+?)(_bucket|_sum|_count)?[{ ]/.exec(line)?.[1];
        if (name) exported.add(name);
      }
    }
    for (const r of rules) {
      expect(["critical", "warning"]).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      for (const metric of r.expr.match(/\bkraken_[a-z0-9_]+/g) ?? []) expect(exported, `${r.alert} uses ${metric}`).toContain(metric);
    }
  });
});

// Each service is its own process under npm start's supervisor (scripts/lib/supervisor.ts).
describe("services as separate processes", () => {
  interface State { supervisor: number; services: Record<string, { pid: number | null; restarts: number }> }
  const state = (): State => JSON.parse(readFileSync(`${m.dir}/data/services.json`, "utf8"));
  const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 60_000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await Promise.resolve().then(ok).catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const serving = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(3000) })).status === 200;
  const indexed = async () => {
    const r = await fetch(m.urls.subgraph, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ products(first: 1) { id } }" }), signal: AbortSignal.timeout(3000) });
    return r.status === 200 && ((await r.json()) as { data?: { products: unknown[] } }).data?.products.length === 1;
  };

  it("every service runs in its own process", () => {
    const s = state();
    const names = Object.keys(s.services);
    for (const n of ["ipfs", "issuer", "faucet", "indexer", "streamr", "relay 1", "relay 2", "relay 3", "smpc 1", "smpc 2", "smpc 3", "publisher", "union", "dapp"]) expect(names).toContain(n);
    const pids = Object.values(s.services).map((x) => x.pid!);
    expect(new Set(pids).size).toBe(pids.length);
    for (const pid of pids) {
      expect(pid).not.toBe(s.supervisor);
      expect(alive(pid)).toBe(true);
    }
  });

  it("a SIGKILLed indexer and relay are restarted while the other services keep serving", async () => {
    const before = state().services;
    process.kill(before.indexer.pid!, "SIGKILL");
    process.kill(before["relay 2"].pid!, "SIGKILL");
    // while they are down (or coming back), everything else answers
    expect(await serving(`${m.urls.issuer}/health`)).toBe(true);
    expect(await serving(`${m.urls.relays[0]}/health`)).toBe(true);
    expect(await serving(`${m.urls.relays[2]}/health`)).toBe(true);
    expect(await serving(`${m.urls.dapp}/config.json`)).toBe(true);
    expect(await serving(`${m.urls.smpcNodes[0]}/health`)).toBe(true);
    await until("the indexer and relay 2 to be restarted", () => {
      const now = state().services;
      return now.indexer.restarts === 1 && now["relay 2"].restarts === 1 && now.indexer.pid !== null && now["relay 2"].pid !== null;
    });
    const after = state().services;
    expect(after.indexer.pid).not.toBe(before.indexer.pid);
    expect(after.issuer.pid).toBe(before.issuer.pid); // untouched
    // back on the same URLs, with their state
    await until("the indexer to answer again", indexed);
    await until("relay 2 to be ready again", () => serving(`${m.urls.relays[1]}/ready`));
    expect(m.output()).toMatch(/indexer was killed \(SIGKILL\); restarting it in 1 s/);
    expect(m.output()).toMatch(/relay 2 is back \(restart 1\)/);
  }, 120_000);

  it("when npm start itself is SIGKILLed, no service process is left behind", async () => {
    const s = state();
    process.kill(s.supervisor, "SIGKILL");
    const pids = Object.values(s.services).map((x) => x.pid!).filter(Boolean);
    await until("every service process to end", () => pids.every((p) => !alive(p)), 30_000);
  }, 60_000);
});
