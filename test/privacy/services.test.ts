// Privacy of the running services (MKT-FUN-13/14): on the real `npm start` stack, a
// new user registers with personal details (legal name, registration number, email), buys a
// batch product and fetches it through the relays. Then neither the indexer's database, nor the
// relays' storage, nor the IPFS blockstore, nor anything the stack logged holds those details,
// and no relay or IPFS byte holds the batch file's plaintext: only ciphertext left the seller.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PERSONAS } from "../../contracts/scripts/demo.ts";
import { kraken } from "../../cli/test/run.ts";
import { startMarketplace, type Marketplace } from "../browser/harness/stack.ts";
import { files, logLines, scan } from "./scan.ts";

// Fictional, but shaped like what a real issuer checks.
const CLAIMS = { legalName: "Helmi Korhonen-Saarinen", email: "helmi.korhonen@example.test" };
const NOT_PERSONAL = new Set(["Consortium admin", "Relay 1", "Relay 2", "Relay 3", "Unregistered visitor"]);
const ACCOUNT_KEY = "0x" + "5d".repeat(32); // a fresh key, funded below

let m: Marketplace;
let plaintextLines: string[] = [];

beforeAll(async () => {
  m = await startMarketplace();
  const env = {
    PRIVATE_KEY: ACCOUNT_KEY,
    KRAKEN_DEPLOYMENT: join(m.dir, "deployments", "localhost.json"),
    KRAKEN_RPC_URL: m.urls.rpc,
    KRAKEN_IPFS_GATEWAY_URL: m.urls.ipfsGateway,
    KRAKEN_STREAMR_PORT: new URL(m.urls.streamr).port,
    XDG_DATA_HOME: join(m.dir, "xdg-cli"),
  };
  // Gas for the new account, from the dev chain's first account.
  await fetch(m.urls.rpc, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "anvil_setBalance", params: [await address(), "0x56BC75E2D63100000"] }) });
  const reg = await kraken(["register", "--category", "individual", "--country", "FI", "--legal-name", CLAIMS.legalName, "--email", CLAIMS.email, "--issuer", m.urls.issuer, "--out", join(m.dir, "held.json")], env);
  expect(reg.code, reg.stderr).toBe(0);
  // "Nutrition and activity log (free)": free, open to individuals for research.
  const product = m.demo.products.find((p) => p.key === "anna-nutrition")!;
  const buy = await kraken(["buy", String(product.id), "--purpose", "research", "--json"], env);
  expect(buy.code, buy.stderr).toBe(0);
  const agreementId = JSON.parse(buy.stdout).agreementId;
  const fetched = await kraken(["fetch", String(agreementId), "--out", join(m.dir, "bought.csv")], env);
  expect(fetched.code, fetched.stderr).toBe(0);
  // Distinctive plaintext: whole CSV lines of every demo batch file (the sellers' copies).
  const demoFiles = join(m.dir, "data", "demo-files");
  plaintextLines = readdirSync(demoFiles).flatMap((f) => readFileSync(join(demoFiles, f), "utf8").split("\n").slice(1, 4)).filter((l) => l.length > 20);
  await new Promise((r) => setTimeout(r, 2000)); // let the indexer and relays settle and flush
}, 300_000);

afterAll(async () => {
  await m?.stop();
});

async function address(): Promise<string> {
  const { privateKeyToAccount } = await import("viem/accounts");
  return privateKeyToAccount(ACCOUNT_KEY as `0x${string}`).address;
}

describe("privacy of the running services", () => {
  it("the indexer, the relays, IPFS and the logs hold no name or email of any user", async () => {
    const needles = [CLAIMS.legalName, CLAIMS.email, ...PERSONAS.filter((p) => !NOT_PERSONAL.has(p.name)).map((p) => p.name)];
    const data = join(m.dir, "data");
    const { findings, scanned } = await scan([
      files("indexer database", join(data, "indexer")),
      files("relay storage", join(data, "relays")),
      files("IPFS blockstore", join(data, "ipfs")),
      logLines("npm start output", m.output().split("\n")),
    ], needles);
    expect(findings).toEqual([]);
    expect(scanned["indexer database"].bytes).toBeGreaterThan(100_000);
    expect(scanned["relay storage"].items).toBeGreaterThan(3);
    expect(m.output()).toContain("relay");
    // Control: the details are where they belong, in the credential the user keeps.
    const held = await scan([{ name: "held", items: async function* () { yield { where: "held.json", bytes: readFileSync(join(m.dir, "held.json")) }; } }], needles);
    expect(held.findings.map((f) => f.needle)).toEqual(expect.arrayContaining([CLAIMS.legalName, CLAIMS.email]));
  });

  it("no relay or IPFS byte holds batch plaintext (only ciphertext leaves the seller)", async () => {
    expect(plaintextLines.length).toBeGreaterThan(10);
    const data = join(m.dir, "data");
    const { findings } = await scan([files("relay storage", join(data, "relays")), files("IPFS blockstore", join(data, "ipfs"))], plaintextLines);
    expect(findings).toEqual([]);
    // Control: the bought file itself holds the lines of its product.
    const bought = readFileSync(join(m.dir, "bought.csv"), "utf8");
    expect(plaintextLines.some((l) => bought.includes(l))).toBe(true);
  });
});
