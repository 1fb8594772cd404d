// MKT-FUN-14: no personal data on chain. Runs the whole demo seed plus new personas registered
// through the issuer (CLI and SDK, with legal names, registration numbers and emails), logs in,
// revokes, and then scans every event log, every transaction input and every contract storage
// slot of the chain, the issuer's persisted data and its log for the personas' names,
// registration numbers and emails (UTF-8 and hex, any case). None may appear.
// The running services (indexer, relays, IPFS, logs) are scanned in services.test.ts.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loginWithPresentation, registerWithIssuer } from "@kraken/sdk/ssi";
import { postJson } from "@kraken/sdk/ssi";
import { PERSONAS } from "../../contracts/scripts/demo.ts";
import { startStack, type Stack } from "../helpers/stack.ts";
import { chainLogs, chainStorage, chainTransactions, files, logLines, scan, type ScanSource } from "./scan.ts";

// New personas with the details a real issuer checks. Fictional.
const NEW_PERSONAS = [
  { account: 15, via: "cli", claims: { category: "Organisation", organisationType: "PublicAuthority", country: "DK", legalName: "Statens Sundhedsdatastyrelse Demo", registrationNumber: "DK-CVR-33257872", email: "privacy-officer@sundhed-demo.test" } },
  { account: 16, via: "sdk", claims: { category: "Individual", organisationType: "None", country: "FI", legalName: "Aino Virtanen-Lindqvist", email: "aino.virtanen@example.test" } },
  { account: 17, via: "sdk", claims: { category: "Organisation", organisationType: "HealthTech", country: "NL", legalName: "Zorgdata Innovaties B.V.", registrationNumber: "KVK-81234567", email: "contact@zorgdata-demo.test" } },
] as const;

// Demo persona names that are role labels, not personal data.
const NOT_PERSONAL = new Set(["Consortium admin", "Relay 1", "Relay 2", "Relay 3", "Unregistered visitor"]);

let s: Stack;
const heldFiles: string[] = [];

beforeAll(async () => {
  s = await startStack({ seed: true });
  for (const p of NEW_PERSONAS) {
    const c = s.clients(p.account);
    if (p.via === "cli") {
      const out = join(s.dir, `held-${p.account}.json`);
      const args = ["register", "--category", p.claims.category, "--organisation-type", p.claims.organisationType, "--country", p.claims.country,
        "--legal-name", p.claims.legalName, "--registration-number", p.claims.registrationNumber, "--email", p.claims.email,
        "--rpc", s.rpcUrl, "--deployment", s.deploymentFile, "--issuer", s.issuer.url, "--out", out, "--json"];
      const code = await new Promise<number>((done) => {
        const child = spawn(process.execPath, [join(import.meta.dirname, "..", "..", "cli", "bin", "kraken.mjs"), ...args], { env: { ...process.env, PRIVATE_KEY: c.privateKey }, stdio: "ignore" });
        child.on("exit", (code) => done(code ?? 1));
      });
      expect(code).toBe(0);
      heldFiles.push(out);
      const { heldCredentialFromJson } = await import("@kraken/sdk/ssi");
      const { readFileSync } = await import("node:fs");
      await loginWithPresentation({ serviceUrl: s.issuer.url, wallet: c.wallet, chainId: 31337, held: heldCredentialFromJson(readFileSync(out, "utf8")) });
    } else {
      const r = await registerWithIssuer({ issuerUrl: s.issuer.url, wallet: c.wallet, publicClient: c.publicClient, deployment: s.deployment, claims: p.claims });
      await loginWithPresentation({ serviceUrl: s.issuer.url, wallet: c.wallet, chainId: 31337, held: r.held });
      const { writeFileSync } = await import("node:fs");
      const { heldCredentialToJson } = await import("@kraken/sdk/ssi");
      const out = join(s.dir, `held-${p.account}.json`);
      writeFileSync(out, heldCredentialToJson(r.held));
      heldFiles.push(out);
    }
  }
  // Revocation goes on chain too.
  await postJson(`${s.issuer.url}/credentials/revoke`, { subject: s.clients(17).account.address }, { authorization: `Bearer ${s.adminToken}` });
}, 300_000);

afterAll(async () => {
  await s?.stop();
});

function needles(): string[] {
  const out: string[] = [];
  for (const p of NEW_PERSONAS) {
    out.push(p.claims.legalName, p.claims.email);
    if ("registrationNumber" in p.claims) out.push(p.claims.registrationNumber);
  }
  for (const p of PERSONAS) if (!NOT_PERSONAL.has(p.name)) out.push(p.name);
  return out;
}

describe("privacy scan", () => {
  it("finds no name, registration number or email on chain, in the issuer's data or in its log", async () => {
    const SOURCES: ScanSource[] = [
      chainLogs(s.rpcUrl),
      chainTransactions(s.rpcUrl),
      chainStorage(s.rpcUrl),
      files("issuer data directory", s.issuerDataDir),
      logLines("issuer log", s.logs.filter((l) => l.startsWith("issuer: "))),
      // the indexer database, relay storage, IPFS and the services' logs: services.test.ts
    ];
    const { findings, scanned } = await scan(SOURCES, needles());
    expect(findings).toEqual([]);
    // The scan really covered something.
    expect(scanned["chain event logs"].items).toBeGreaterThan(80);
    expect(scanned["chain transaction inputs"].items).toBeGreaterThan(80);
    expect(scanned["chain contract storage"].bytes).toBeGreaterThan(10_000);
    expect(scanned["issuer data directory"].items).toBeGreaterThanOrEqual(2);
    expect(s.logs.some((l) => l.includes("issued urn:uuid:"))).toBe(true);
  });

  it("the scanner does find the details where they belong: in the credentials the holders keep", async () => {
    const { findings } = await scan([files("held credentials", join(s.dir))].map((src) => ({ ...src, items: async function* () {
      for await (const item of src.items()) if (heldFiles.includes(item.where)) yield item;
    } })), needles());
    for (const p of NEW_PERSONAS) {
      expect(findings.map((f) => f.needle)).toContain(p.claims.legalName);
      expect(findings.map((f) => f.needle)).toContain(p.claims.email);
    }
    // Hex and case folding work too.
    const hexed = await scan([{ name: "t", items: async function* () { yield { where: "x", bytes: Buffer.from("0x" + Buffer.from("AINO virtanen-LINDQVIST").toString("hex")) }; } }], ["Aino Virtanen-Lindqvist"]);
    expect(hexed.findings).toEqual([{ source: "t", where: "x", needle: "Aino Virtanen-Lindqvist", form: "hex" }]);
  });
});
