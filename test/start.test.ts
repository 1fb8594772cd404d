// `npm start` end to end: a real local chain, deployment, demo seed, and a restart that keeps
// the chain state (products must not vanish).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPublicClient, http, parseAbiItem } from "viem";
import {
  agreementsAbi,
  AgreementStatus,
  catalogueAbi,
  ModalityNames,
  ProductTypeNames,
  type Deployment,
} from "@kraken/sdk";

const root = join(import.meta.dirname, "..");
const port = 18545 + Math.floor(Math.random() * 1000);
const dataDir = mkdtempSync(join(tmpdir(), "kraken-start-"));
const env = {
  ...process.env,
  KRAKEN_CHAIN_PORT: String(port),
  KRAKEN_ISSUER_PORT: String(port + 1),
  KRAKEN_INDEXER_PORT: String(port + 2),
  KRAKEN_IPFS_API_PORT: String(port + 3),
  KRAKEN_IPFS_GATEWAY_PORT: String(port + 4),
  KRAKEN_DAPP_PORT: String(port + 5),
  KRAKEN_RELAY_PORTS: [port + 6, port + 7, port + 8].join(","),
  KRAKEN_FAUCET_PORT: String(port + 9),
  KRAKEN_STREAMR_PORT: String(port + 10), // relays and the demo publisher use the next ports
  KRAKEN_DATA_DIR: join(dataDir, "data"),
  KRAKEN_DEPLOYMENTS_DIR: join(dataDir, "deployments"),
};
const children: ChildProcess[] = [];

function start(args: string[] = []): { child: ChildProcess; output: () => string; ready: Promise<void>; exit: Promise<number> } {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts", ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let markReady: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  const onData = (b: Buffer) => {
    out += b.toString();
    if (out.includes("Kraken marketplace is up")) markReady();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exit = new Promise<number>((r) => child.on("exit", (code) => r(code ?? 1)));
  return { child, output: () => out, ready, exit };
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("npm start", () => {
  it("deploys and seeds the demo on first start", async () => {
    const run = start(["--once"]);
    const code = await run.exit;
    expect(code, run.output()).toBe(0);
    expect(run.output()).toContain("Kraken marketplace is up");

    const deployment: Deployment = JSON.parse(readFileSync(join(dataDir, "deployments", "localhost.json"), "utf8"));
    expect(deployment.chainId).toBe(31337);
    expect(Object.keys(deployment.contracts).sort()).toEqual(["Agreements", "Analytics", "Catalogue", "Credentials", "DataToken", "DataUnionFactory", "Policies"]);
    expect(deployment.deploymentBlock).toBeGreaterThan(0);

    const demo = JSON.parse(readFileSync(join(dataDir, "deployments", "localhost.demo.json"), "utf8"));
    const roles = Object.values(demo.personas as Record<string, { role: string }>).map((p) => p.role).join("\n");
    for (const needed of ["seller (hospital)", "seller (individual", "buyer (research institute)", "buyer (individual)", "buyer (insurer"]) {
      expect(roles).toContain(needed);
    }
    expect(demo.products.length).toBeGreaterThanOrEqual(12);
    // The data unions are real: their members' devices publish into the union's stream.
    expect(demo.unions.map((u: { key: string; members: string[] }) => [u.key, u.members.length])).toEqual([["wearables-union", 5], ["mood-union", 3]]);
    expect(run.output()).toMatch(/Data union\s+5 member devices publishing to 0x[0-9a-f]{40}\/wearables/);
    // The anonymised batch products' files come from the anonymiser, their reports bound on chain.
    expect(run.output()).toContain("demo files: 4 anonymised products made by the anonymiser, their reports bound on chain");
    expect(demo.products.filter((p: { anonymise?: unknown }) => p.anonymise).map((p: { key: string }) => p.key)).toEqual(["icu-vitals", "chest-xray", "anna-nutrition", "course-certificates"]);
  }, 300_000);

  it("restarts from the persisted chain: same deployment, products and agreements in every status", async () => {
    const run = start();
    await Promise.race([run.ready, run.exit.then((c) => Promise.reject(new Error(`start exited ${c}: ${run.output()}`)))]);
    expect(run.output()).toContain("reusing the deployment");
    // The demo issuer answers and names its DID.
    const issuer = await (await fetch(`http://127.0.0.1:${port + 1}/`)).json();
    expect(JSON.stringify(issuer)).toContain("did:key:");

    const deployment: Deployment = JSON.parse(readFileSync(join(dataDir, "deployments", "localhost.json"), "utf8"));
    const client = createPublicClient({ transport: http(`http://127.0.0.1:${port}`) });
    const c = deployment.contracts;
    const count = await client.readContract({ address: c.Catalogue.address, abi: catalogueAbi, functionName: "productCount" });
    expect(count).toBe(14n);

    // Every product type and modality is represented.
    const published = await client.getLogs({
      address: c.Catalogue.address,
      event: parseAbiItem("event ProductPublished(uint256 indexed productId, address indexed seller, uint8 productType, uint8 modality, uint96 price, uint8 pricingUnit, string metadataURI, string title, string summary, string category, string[] tags)"),
      fromBlock: BigInt(deployment.deploymentBlock),
    });
    expect(published).toHaveLength(14); // history survived the restart, not just state
    expect(new Set(published.map((l) => l.args.productType)).size).toBe(ProductTypeNames.length);
    expect(new Set(published.map((l) => l.args.modality)).size).toBe(ModalityNames.length);

    const total = await client.readContract({ address: c.Agreements.address, abi: agreementsAbi, functionName: "agreementCount" });
    const statuses = new Set<number>();
    for (let id = 1n; id <= total; id++) {
      statuses.add((await client.readContract({ address: c.Agreements.address, abi: agreementsAbi, functionName: "getAgreement", args: [id] })).status);
    }
    expect([...statuses].sort()).toEqual([AgreementStatus.Pending, AgreementStatus.Active, AgreementStatus.Rejected, AgreementStatus.Cancelled].sort());

    // The subgraph serves the seeded catalogue, caught up with the chain.
    const res = await fetch(`http://127.0.0.1:${port + 2}/subgraphs/name/kraken/marketplace`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ marketStats(id: \"global\") { products agreements } _meta { block { number } hasIndexingErrors } }" }),
    });
    const { data } = await res.json();
    expect(data.marketStats).toEqual({ products: 14, agreements: Number(total) });
    expect(data._meta.hasIndexingErrors).toBe(false);
    expect(data._meta.block.number).toBe(Number(await client.getBlockNumber()));

    // Every seeded product's metadata document resolves at the IPFS gateway.
    const demo = JSON.parse(readFileSync(join(dataDir, "deployments", "localhost.demo.json"), "utf8"));
    for (const p of demo.products as { metadataURI: string; title: string }[]) {
      const doc = await (await fetch(`http://127.0.0.1:${port + 4}/ipfs/${p.metadataURI.slice("ipfs://".length)}`)).json();
      expect(doc.title).toBe(p.title);
    }

    run.child.kill("SIGINT");
    expect(await run.exit).toBe(0);
  }, 300_000);
});
