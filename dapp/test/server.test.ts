// The dApp's build and server: the production bundle has no Demo wallet while the demo bundle
// does, the initial JS stays within budget, builds are cached by input hash, and the static
// server serves the bundle, /config.json, the SPA fallback and nothing outside dist/.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address, Hex } from "viem";
import type { Deployment } from "@kraken/sdk";
import { buildDapp, startDapp, type DappConfig, type RunningDapp } from "../server/index.ts";
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
