// Operations of the running marketplace (issue 17): the real `npm start` stack with JSON logs.
// Every log line is a JSON object a collector can read (time, level, component, message); no
// key or token of the stack — a seeded admin token, the relays', the SMPC nodes', the demo
// personas' keys — ever reaches the log; and `kraken status` shows every service alive and
// ready, and names the one that is not.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  it("shows every service alive and ready: chain, indexer, issuer, faucet, IPFS, dApp, the relays and SMPC nodes", async () => {
    const r = await kraken(["status", "--json"], cliEnv());
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; alive: boolean; ready: boolean | null; detail: string }[];
    expect(rows.map((x) => x.name)).toEqual(["chain", "indexer", "issuer", "faucet", "ipfs", "dapp", "relay 1", "relay 2", "relay 3", "smpc 1", "smpc 2", "smpc 3"]);
    for (const row of rows) expect(row, row.name).toMatchObject({ alive: true, ready: true });
    const text = await kraken(["status"], cliEnv());
    expect(text.stdout).toContain("All 12 services are up.");
  });

  it("names a service that is down and exits 4; a bad --timeout is a usage error", async () => {
    const closed = await freePort();
    const r = await kraken(["status"], { ...cliEnv(), KRAKEN_ISSUER_URL: `http://127.0.0.1:${closed}` });
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/^issuer\s+http:\/\/127\.0\.0\.1:\d+\s+NO\s+NO\s+connect ECONNREFUSED/m);
    expect(r.stdout).toContain("1 of 12 services are down or not ready.");
    expect(r.stderr).toContain("not ready: issuer");
    const bad = await kraken(["status", "--timeout", "soon"], cliEnv());
    expect(bad.code).toBe(2);
  });
});

describe("metrics and alert rules (deploy/prometheus)", () => {
  const services = () => [
    ["indexer", new URL(m.urls.subgraph).origin], ["issuer", m.urls.issuer], ["faucet", m.urls.faucet], ["ipfs", m.urls.ipfsApi], ["dapp", m.urls.dapp],
    ...m.urls.relays.map((u) => ["relay", u]), ...m.urls.smpcNodes.map((u) => ["smpc", u]),
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
