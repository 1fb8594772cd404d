// `npm start`'s promise for batch products: on the seeded demo, the seeded batch products get
// real encrypted files with key shares at the relays, and a consumer persona can fetch a seeded
// agreement — and buy and fetch another product — byte for byte with the CLI. The anonymised
// products' files are the anonymiser's output of raw exports with identifiers, and their reports
// are on IPFS and bound on chain.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialsAbi, metadataCid, readAnonymisation } from "@kraken/sdk";
import { parseReport, reportHash } from "@kraken/sdk/anonymise";
import { kraken } from "../../cli/test/run.ts";
import { demoBatchFile, demoRelease, seedDemoBatchFiles, type DemoFileLike } from "../src/index.ts";
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
    expect(first.anonymised.sort()).toEqual(["anna-nutrition", "chest-xray", "course-certificates", "icu-vitals"]);
    for (const r of k.directory) {
      const key = await k.s.clients(0).publicClient.readContract({ address: k.s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "encryptionKeyOf", args: [r.address] });
      expect(key).not.toBe(`0x${"0".repeat(64)}`);
    }
    expect(readFileSync(join(k.dir, "demo-files", "anna-sleep.csv"))).toEqual(Buffer.from(demoBatchFile("anna-sleep")));
    const second = await seed();
    expect(second).toMatchObject({ seeded: [], anonymised: [], skipped: expect.arrayContaining(["icu-vitals", "anna-sleep"]) });
  });

  it("the anonymised products: raw exports with identifiers in, the anonymiser's output published, the report on IPFS and on chain", async () => {
    const files = join(k.dir, "demo-files");
    for (const p of demo.products.filter((x) => x.anonymise)) {
      const settings = p.anonymise!;
      const raw = readFileSync(join(files, `${p.key}.raw.csv`), "utf8");
      const released = readFileSync(join(files, `${p.key}.csv`), "utf8");
      // deterministic: the seller's key and the product key give the same bytes again
      const again = await demoRelease(p.key, settings, demo.personas[p.seller].privateKey);
      expect(Buffer.compare(Buffer.from(again.released), Buffer.from(released, "utf8")), p.key).toBe(0);
      expect(raw.trim().split("\n")).toHaveLength(settings.rows + 1);
      // direct identifiers are in the raw export and nowhere in the released file
      const rawHeader = raw.slice(0, raw.indexOf("\n")).split(",");
      const header = released.slice(0, released.indexOf("\n")).split(",");
      for (const id of ["email", "phone", "patient_name", "student_name", "user_name", "address", "fiscal_code", "personal_code", "monitor_id", "station_serial", "device_id", "referring_physician", "certificate_number"])
        if (rawHeader.includes(id)) expect(header, `${p.key}: ${id}`).not.toContain(id);
      const firstRaw = raw.split("\n")[1].split(",");
      for (const col of ["email", "phone"]) if (rawHeader.includes(col)) expect(released).not.toContain(firstRaw[rawHeader.indexOf(col)]);
      // the report: on IPFS, its hash, k and ℓ on chain; its figures are the settings' or better
      const bound = await readAnonymisation(k.s.clients(0).publicClient, k.s.deployment.contracts.Catalogue.address, BigInt(p.id));
      expect(bound, p.key).toBeDefined();
      const published = new Uint8Array(await (await fetch(`${k.ipfs.gatewayUrl}/ipfs/${await metadataCid(again.reportBytes)}`)).arrayBuffer());
      const report = parseReport(published, bound!.reportHash); // throws unless the bytes hash to what is on chain
      expect(reportHash(again.reportBytes)).toBe(bound!.reportHash);
      expect(report).toEqual(JSON.parse(readFileSync(join(files, `${p.key}.report.json`), "utf8")));
      expect([bound!.k, bound!.l]).toEqual([report.k, report.l]);
      expect(report.k).toBeGreaterThanOrEqual(settings.k);
      expect(report.l).toBeGreaterThanOrEqual(settings.l ?? 1);
      expect(report.settings).toMatchObject({ k: settings.k, l: settings.l ?? 1, preset: settings.preset ?? "none", sensitive: settings.sensitive ?? null });
      expect(report.rows.input).toBe(settings.rows);
      expect(report.rows.output).toBe(released.trim().split("\n").length - 1);
      expect(report.output.bytes).toBe(Buffer.byteLength(released));
    }
  });

  it("the research institute fetches its seeded agreement on the ICU data byte for byte", async () => {
    const agreement = demo.agreements.find((a) => a.label === "research-icu")!;
    const out = join(k.dir, "icu.csv");
    const r = await kraken(["fetch", String(agreement.id), "--out", out, "--rpc", k.s.rpcUrl, "--deployment", k.s.deploymentFile], { ...env, PRIVATE_KEY: demo.personas.researchInstitute.privateKey });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(Buffer.compare(readFileSync(out), readFileSync(join(k.dir, "demo-files", "icu-vitals.csv")))).toBe(0);
    const icu = demo.products.find((p) => p.key === "icu-vitals")!;
    expect(Buffer.compare(readFileSync(out), Buffer.from((await demoRelease(icu.key, icu.anonymise!, demo.personas.hospital.privateKey)).released))).toBe(0);
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
