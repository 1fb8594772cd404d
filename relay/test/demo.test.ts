// `npm start`'s promise for batch products: on the seeded demo, the seeded batch products get
// real encrypted files with key shares at the relays, and a consumer persona can fetch a seeded
// agreement — and buy and fetch another product — byte for byte with the CLI.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialsAbi } from "@kraken/sdk";
import { kraken } from "../../cli/test/run.ts";
import { demoBatchFile, seedDemoBatchFiles, type DemoFileLike } from "../src/index.ts";
import { startDeliveryStack, type DeliveryStack } from "./helpers/delivery-stack.ts";

let k: DeliveryStack;
let demo: DemoFileLike & { agreements: { id: number; label: string }[] };
let env: Record<string, string>;
beforeAll(async () => {
  k = await startDeliveryStack({ seed: true, registerRelays: false });
  demo = JSON.parse(readFileSync(join(dirname(k.s.deploymentFile), "localhost.demo.json"), "utf8"));
  env = {
    KRAKEN_RELAYS: JSON.stringify(k.directory), KRAKEN_IPFS_API_URL: k.ipfs.apiUrl, KRAKEN_IPFS_GATEWAY_URL: k.ipfs.gatewayUrl,
    KRAKEN_STREAMR_REGISTRY: k.registry, KRAKEN_STREAMR_ENTRY_POINTS: JSON.stringify(k.net.settings.entryPoints),
  };
});
afterAll(async () => {
  await k?.stop();
});

describe("demo batch files", () => {
  const seed = () => seedDemoBatchFiles({ rpcUrl: k.s.rpcUrl, deployment: k.s.deployment, demo, relays: k.directory, streamr: k.net.settings, ipfsApiUrl: k.ipfs.apiUrl, outDir: join(k.dir, "demo-files") });

  it("registers the relays' keys, gives every seeded batch product a file and its shares; a second run does nothing", async () => {
    const first = await seed();
    expect(first.seeded.sort()).toEqual(["anna-nutrition", "anna-sleep", "chest-xray", "course-certificates", "diabetes-labs", "graduate-skills", "icu-vitals"]);
    for (const r of k.directory) {
      const key = await k.s.clients(0).publicClient.readContract({ address: k.s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "encryptionKeyOf", args: [r.address] });
      expect(key).not.toBe(`0x${"0".repeat(64)}`);
    }
    expect(readFileSync(join(k.dir, "demo-files", "icu-vitals.csv"))).toEqual(Buffer.from(demoBatchFile("icu-vitals")));
    const second = await seed();
    expect(second).toMatchObject({ seeded: [], skipped: expect.arrayContaining(["icu-vitals"]) });
  });

  it("the research institute fetches its seeded agreement on the ICU data byte for byte", async () => {
    const agreement = demo.agreements.find((a) => a.label === "research-icu")!;
    const out = join(k.dir, "icu.csv");
    const r = await kraken(["fetch", String(agreement.id), "--out", out, "--rpc", k.s.rpcUrl, "--deployment", k.s.deploymentFile], { ...env, PRIVATE_KEY: demo.personas.researchInstitute.privateKey });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(Buffer.compare(readFileSync(out), Buffer.from(demoBatchFile("icu-vitals")))).toBe(0);
  });

  it("Tomás buys Anna's sleep diary with the CLI and fetches it", async () => {
    const product = demo.products.find((p) => p.key === "anna-sleep")!;
    const common = ["--rpc", k.s.rpcUrl, "--deployment", k.s.deploymentFile];
    const as = { ...env, PRIVATE_KEY: demo.personas.tomas.privateKey };
    const b = await kraken(["buy", String(product.id), "--purpose", "research", "--json", ...common], as);
    expect(b.code, b.stderr + b.stdout).toBe(0);
    const out = join(k.dir, "sleep.csv");
    const f = await kraken(["fetch", JSON.parse(b.stdout).agreementId, "--out", out, ...common], as);
    expect(f.code, f.stderr + f.stdout).toBe(0);
    expect(Buffer.compare(readFileSync(out), Buffer.from(demoBatchFile("anna-sleep")))).toBe(0);
  });
});
