// The dApp's build and server: the production bundle has no Demo wallet while the demo bundle
// does, the initial JS stays within budget, builds are cached by input hash, and the static
// server serves the bundle, /config.json, the SPA fallback and nothing outside dist/, plus the
// operations endpoints /health, /ready (the bundle check) and /metrics, and refuses abuse
// (per-IP rate limit 429, body limit 413, malformed JSON 400) as plain text.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address, Hex } from "viem";
import type { Deployment } from "@kraken/sdk";
import { labelValues, metricsText, readyWhen, value } from "../../test/helpers/metrics.ts";
import { buildDapp, inputsHash, startDapp, type DappConfig, type RunningDapp } from "../server/index.ts";
import { REQUEST_OUTCOMES } from "../server/ops.ts";
import { dappConfigFrom } from "../server/config.ts";
import { bundleSizes } from "../server/bundle.ts";
import { parseConfig } from "../src/config.ts";

const dir = mkdtempSync(join(tmpdir(), "kraken-dapp-"));
const js = (dist: string) =>
  readdirSync(join(dist, "assets"))
    .filter((f) => f.endsWith(".js"))
    .map((f) => readFileSync(join(dist, "assets", f), "utf8"))
    .join("\n");

const A = (n: number): Address => `0x${n.toString(16).padStart(40, "0")}`;
const K = (digit: string): Hex => `0x${digit.repeat(64)}`;
const contract = (n: number) => ({ address: A(n), blockNumber: 1, transactionHash: "0x" as const });
const deployment: Deployment = {
  network: "localhost",
  chainId: 31337,
  rpcUrl: "http://127.0.0.1:1",
  deploymentBlock: 1,
  deployedAt: "",
  contracts: { DataToken: contract(1), Credentials: contract(2), Catalogue: contract(3), Policies: contract(4), Agreements: contract(5) },
};
const demo = {
  personas: {
    admin: { name: "Consortium admin", role: "deploys contracts, trusts issuers, mints DATA", address: A(10), privateKey: K("1") },
    anna: { name: "Anna Keller", role: "seller (individual, wearable data)", address: A(11), privateKey: K("2") },
    relay1: { name: "Relay 1", role: "delivery agent", address: A(12), privateKey: K("3") },
  },
};
const config: DappConfig = dappConfigFrom({
  deployment,
  demo,
  rpcUrl: "http://127.0.0.1:1",
  subgraphUrl: "http://127.0.0.1:2/subgraphs/name/kraken/marketplace",
  ipfsApiUrl: "http://127.0.0.1:3",
  ipfsGatewayUrl: "http://127.0.0.1:4",
  issuerUrl: "http://127.0.0.1:5",
});

let demoDist: string;
let prodDist: string;
let dapp: RunningDapp;

beforeAll(async () => {
  prodDist = await buildDapp({ dataDir: join(dir, "prod"), mode: "production" });
  dapp = await startDapp({ port: 0, config, dataDir: join(dir, "demo"), log: () => {} });
  demoDist = dapp.distDir;
}, 300_000);

afterAll(async () => {
  await dapp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("dApp build", () => {
  it("compiles the Demo wallet and the demo faucet button out of the production bundle and into the demo bundle", () => {
    for (const marker of ["Demo wallet (local demo only)", "kraken.demoPersona", "Get demo DATA"]) {
      expect(js(demoDist), marker).toContain(marker);
      expect(js(prodDist), marker).not.toContain(marker);
    }
  });

  it("keeps the initial JavaScript within 300 KB gzip and loads didkit only lazily", () => {
    const s = bundleSizes(demoDist);
    expect(s.initialJs.gzip).toBeLessThanOrEqual(300 * 1024);
    expect(s.initialJs.files.some((f) => /didkit|wasm/i.test(f.file))).toBe(false);
    expect(readdirSync(join(demoDist, "assets")).some((f) => f.endsWith(".wasm"))).toBe(true);
  });

  it("references no remote host in index.html or CSS (fonts, CDNs)", () => {
    const html = readFileSync(join(demoDist, "index.html"), "utf8");
    const css = readdirSync(join(demoDist, "assets")).filter((f) => f.endsWith(".css")).map((f) => readFileSync(join(demoDist, "assets", f), "utf8")).join("\n");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(css).not.toMatch(/url\(\s*["']?(https?:)?\/\//);
    expect(css).not.toMatch(/@import/);
  });

  it("reuses a build whose inputs did not change", async () => {
    const before = statSync(join(prodDist, "index.html")).mtimeMs;
    const started = Date.now();
    await buildDapp({ dataDir: join(dir, "prod"), mode: "production" });
    expect(statSync(join(prodDist, "index.html")).mtimeMs).toBe(before);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("dApp server", () => {
  const get = (path: string) => fetch(dapp.url + path);

  it("serves config.json from the given configuration, with demo personas but not the admin or relays", async () => {
    const res = await get("/config.json");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const served = parseConfig(await res.json());
    expect(served.contracts.Agreements).toBe(A(5));
    expect(served.subgraphUrl).toBe(config.subgraphUrl);
    const names = served.demo!.personas.map((p) => p.name);
    expect(names).toContain("Anna Keller");
    expect(names).not.toContain("Consortium admin");
    expect(names).not.toContain("Relay 1");
    expect(names.filter((n) => n.startsWith("New user"))).toHaveLength(3);
  });

  it("serves index.html, assets with their content types, the SPA fallback and 404s", async () => {
    const index = await get("/");
    expect(index.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await index.text();
    expect(html).toContain('<div id="root">');
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1];
    const asset = await get("/" + script);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(asset.headers.get("cache-control")).toMatch(/immutable/);
    expect(await (await get("/some/deep/route")).text()).toBe(html);
    expect((await get("/assets/missing.js")).status).toBe(404);
    expect((await get("/..%2f..%2fpackage.json")).status).not.toBe(200);
    expect((await fetch(dapp.url + "/", { method: "POST" })).status).toBe(405);
  });

  it("rejects a config.json with a missing contract address", () => {
    expect(() => parseConfig({ ...config, contracts: { ...config.contracts, Agreements: "nope" } })).toThrow(/contracts.Agreements/);
  });
});

describe("dApp server under abuse", () => {
  it("answers 429 with retry-after over its per-IP limit, 413 for a body over 16 KiB, 400 for malformed JSON, as text; then serves normally", async () => {
    const other = await startDapp({ port: 0, config, dataDir: join(dir, "demo"), log: () => {}, rateLimits: { readsPerIp: { max: 4, windowMs: 1000 } } });
    try {
      const text = async (r: Response) => ({ status: r.status, type: r.headers.get("content-type"), body: await r.text() });
      expect(await text(await fetch(`${other.url}/x`, { method: "POST", body: "x".repeat(20_000) }))).toEqual({ status: 413, type: "text/plain; charset=utf-8", body: "request body too large" });
      expect(await text(await fetch(`${other.url}/x`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" }))).toEqual({ status: 400, type: "text/plain; charset=utf-8", body: "the request body is not JSON" });
      expect((await fetch(`${other.url}/x`, { method: "POST", body: "{}" })).status).toBe(405); // a body is read and dropped
      expect((await fetch(`${other.url}/config.json`)).status).toBe(200);
      const over = await fetch(`${other.url}/config.json`);
      expect(over.status).toBe(429);
      expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await over.text()).toMatch(/^too many requests from 127\.0\.0\.1; try again in \d+ s$/);

      await new Promise((r) => setTimeout(r, 1100));
      const index = await fetch(`${other.url}/`);
      expect(index.status).toBe(200);
      expect(await index.text()).toContain('<div id="root">');
    } finally {
      await other.stop();
    }
  });
});

describe("dApp server operations endpoints", () => {
  const get = (path: string, init?: RequestInit) => fetch(dapp.url + path, init);
  const metrics = () => metricsText(dapp.url);

  it("/health and /ready answer 200 (the bundle check passing), not the SPA fallback", async () => {
    const h = await get("/health");
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: "ok", service: "dapp", uptimeSeconds: expect.any(Number) });
    const r = await get("/ready");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ready: true, service: "dapp", checks: { bundle: { ok: true } } });
  });

  it("/metrics counts requests by outcome with the service label, never the path asked for", async () => {
    const probe = `probe-${Date.now().toString(36)}`;
    const before = await metrics();
    expect(before).toMatch(/^kraken_process_resident_memory_bytes\{service="dapp"\} \d+/m);
    expect(before).toMatch(/^kraken_ready\{service="dapp"\} 1$/m);
    expect(before).toMatch(/^kraken_disk_free_ratio\{service="dapp"\} [\d.e-]+$/m); // of its data directory
    const ok = value(before, "kraken_dapp_requests_total", { outcome: "ok" });
    const missing = value(before, "kraken_dapp_requests_total", { outcome: "not-found" });
    const refused = value(before, "kraken_dapp_requests_total", { outcome: "refused" });
    expect((await get("/config.json")).status).toBe(200);
    expect((await get(`/${probe}/deep`)).status).toBe(200); // SPA fallback
    expect((await get(`/assets/${probe}.js`)).status).toBe(404);
    expect((await get(`/${probe}`, { method: "POST" })).status).toBe(405);

    const after = await metrics();
    expect(value(after, "kraken_dapp_requests_total", { outcome: "ok", service: "dapp" })).toBe(ok + 2);
    expect(value(after, "kraken_dapp_requests_total", { outcome: "not-found", service: "dapp" })).toBe(missing + 1);
    expect(value(after, "kraken_dapp_requests_total", { outcome: "refused", service: "dapp" })).toBe(refused + 1);
    expect(after).not.toContain(probe);
    const allowed = new Set<string>(["dapp", ...REQUEST_OUTCOMES]);
    expect([...labelValues(after, "kraken_dapp_")].filter((v) => !allowed.has(v))).toEqual([]);
  });

  it("/ready is 503 naming the bundle when the build is gone; /health stays 200", async () => {
    // a copy of the demo build, stamped so that startDapp reuses it
    const opsDir = join(dir, "ops");
    cpSync(demoDist, join(opsDir, "dist"), { recursive: true });
    writeFileSync(join(opsDir, "build-inputs-hash"), inputsHash("demo"));
    const other = await startDapp({ port: 0, config, dataDir: opsDir, log: () => {} });
    try {
      expect((await fetch(`${other.url}/ready`)).status).toBe(200);
      rmSync(join(other.distDir, "index.html"));
      const r = await readyWhen(other.url, 503);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ ready: false, service: "dapp", checks: { bundle: { ok: false, detail: expect.stringContaining("index.html") } } });
      expect((await fetch(`${other.url}/health`)).status).toBe(200);
      expect((await fetch(`${other.url}/some/route`)).status).toBe(500); // answered, the server lives on
      expect((await fetch(`${other.url}/health`)).status).toBe(200);
    } finally {
      await other.stop();
    }
  });
});
