// Anonymised batch products in the browser (issue 16), against the real local stack (`npm start`),
// one stack for the file:
// 1. the hospital starts an anonymised batch product in the wizard: an empty file and a
//    non-UTF-8 file are explained in words; a CSV with names, e-mails, birth dates, postcodes,
//    sex and diagnoses is inspected in the page (names and e-mails found as identifiers), "Next"
//    is refused before an anonymisation is accepted, the seller anonymises with k = 5 and
//    sensitive = diagnosis (ℓ = 2), the released preview has no name or e-mail, accepts it and
//    publishes: the report goes to IPFS and is bound on chain (Catalogue.anonymisationOf), the
//    uploads never contain a name or an e-mail;
// 2. the product page shows "How anonymous is this data" from the report ("at least 4 other
//    records"), checked against the hash on chain;
// 3. the catalogue's "Minimum k" 5 lists it, 50 does not, and its card says "k ≥ N";
// 4. an anonymised batch product without a report, and one whose report does not match the
//    hash on chain, say so on their pages.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, createWalletClient, http, parseEventLogs, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { catalogueAbi, Modality, PricingUnit, ProductType } from "@kraken/sdk";
import { parseReport, type AnonymisationReport } from "@kraken/sdk/anonymise";
import { launchBrowser, type RunningBrowser } from "./harness/browser.ts";
import { alerts, choosePersona, go, open } from "./harness/dapp.ts";
import { startMarketplace, type Marketplace } from "./harness/stack.ts";

let stack: Marketplace;
let browser: RunningBrowser;
let productId: bigint;
let report: AnonymisationReport;

beforeAll(async () => {
  stack = await startMarketplace();
  browser = await launchBrowser();
}, 360_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const chain = () => createPublicClient({ transport: http(stack.urls.rpc) });
const persona = (key: keyof Marketplace["demo"]["personas"]) => stack.demo.personas[key];
const catalogue = () => stack.deployment.contracts.Catalogue.address;
const TAG = Date.now().toString(36);
const TITLE = `Outpatient diagnoses ${TAG}`;

// 200 patients in 40 groups of 5 sharing birth date, postcode and sex (so k = 5 is reachable
// without generalising them away), each group with at least two diagnoses.
const FIRST = ["Anna", "Marco", "Giulia", "Luca", "Sofia", "Matteo", "Chiara", "Paolo", "Elena", "Davide", "Sara", "Andrea"];
const LAST = ["Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "Costa", "Mancini", "Lombardi"];
const DIAGNOSES = ["E11 diabetes", "I10 hypertension", "J45 asthma", "M54 back pain", "F32 depression"];
const PATIENTS = Array.from({ length: 200 }, (_, i) => {
  const g = Math.floor(i / 5);
  const name = `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}-${i}`;
  return {
    name,
    email: `patient${i}.${TAG}@mail.example`,
    birth_date: `${1940 + ((g * 7) % 60)}-${String(1 + (g % 12)).padStart(2, "0")}-${String(1 + ((g * 11) % 28)).padStart(2, "0")}`,
    postcode: String(20100 + ((g * 37) % 900)),
    sex: g % 2 ? "F" : "M",
    diagnosis: DIAGNOSES[(i + g) % DIAGNOSES.length],
  };
});
const CSV = Buffer.from(["name,email,birth_date,postcode,sex,diagnosis", ...PATIENTS.map((p) => [p.name, p.email, p.birth_date, p.postcode, p.sex, p.diagnosis].join(","))].join("\n") + "\n");
// "Müller" in Latin-1: not UTF-8.
const LATIN1 = Buffer.concat([Buffer.from("name,email,birth_date\nJ"), Buffer.from([0xfc]), Buffer.from("rgen M"), Buffer.from([0xfc]), Buffer.from("ller,jm@mail.example,1960-01-01\n")]);

const sha256 = (b: Uint8Array) => `0x${createHash("sha256").update(b).digest("hex")}`;

async function ipfsAdd(bytes: Uint8Array, name: string): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([bytes as BlobPart]), name);
  const res = await fetch(`${stack.urls.ipfsApi}/api/v0/add?pin=true&cid-version=1&raw-leaves=true`, { method: "POST", body: form });
  expect(res.status).toBe(200);
  const lines = (await res.text()).trim().split("\n");
  return `ipfs://${JSON.parse(lines[lines.length - 1]).Hash}`;
}

async function subgraphProduct(id: bigint): Promise<Record<string, unknown> | null> {
  const res = await fetch(stack.urls.subgraph, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: `{ product(id: "${id}") { anonymisationK anonymisationL anonymisationReportHash anonymisationReportURI } }` }),
  });
  return ((await res.json()) as { data: { product: Record<string, unknown> | null } }).data.product;
}

describe("anonymised batch products in the browser", () => {
  it("the seller anonymises a CSV in the wizard (bad files explained), accepts the result and publishes it with its report", async () => {
    const s = await browser.newPage(stack.origins);
    const { page } = s;
    // Every upload's body, to check neither a name nor an e-mail of the original leaves the page.
    const uploads: Buffer[] = [];
    page.on("request", (r) => {
      if (r.url().startsWith(stack.urls.ipfsApi)) uploads.push(r.postDataBuffer() ?? Buffer.alloc(0));
    });
    // The anonymiser runs off the main thread: one module worker per job.
    const workers: string[] = [];
    page.on("worker", (w) => workers.push(w.url()));
    await open(page, stack.urls.dapp, "/create");
    await choosePersona(page, "Santa Lucia", persona("hospital").address);
    await page.getByRole("radio", { name: /Batch product/ }).check();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Name").fill(TITLE);
    await page.getByLabel("Summary").fill("Diagnoses of 200 outpatients, k-anonymised in the browser.");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByRole("radio", { name: /Anonymised/ }).check();
    const panel = page.getByTestId("anonymise-panel");
    // An empty file and a Latin-1 file: readable errors, not a stack trace.
    const t0 = Date.now();
    await page.getByLabel("Dataset file").setInputFiles({ name: "empty.csv", mimeType: "text/csv", buffer: Buffer.alloc(0) });
    const error = panel.getByTestId("anonymise-error");
    await error.waitFor({ timeout: 30_000 });
    expect(await error.innerText()).toMatch(/The file is empty/);
    expect(await error.getAttribute("role")).toBe("alert");
    await page.getByLabel("Dataset file").setInputFiles({ name: "latin1.csv", mimeType: "text/csv", buffer: LATIN1 });
    await expect.poll(() => error.innerText(), { timeout: 15_000 }).toMatch(/not UTF-8 text/);
    await s.screenshot("anonymise-1-not-utf8");

    await page.getByLabel("Dataset file").setInputFiles({ name: "outpatients.csv", mimeType: "text/csv", buffer: CSV });
    const columns = panel.getByRole("table", { name: "Columns and what happens to them" });
    await columns.waitFor({ timeout: 30_000 });
    const inspectedMs = Date.now() - t0;
    expect(await panel.getByLabel("Role of name").inputValue()).toBe("identifier");
    expect(await panel.getByLabel("Role of email").inputValue()).toBe("identifier");
    expect(await panel.getByLabel("Role of birth_date").inputValue()).toBe("quasi");
    // Not accepted yet: the wizard does not go on.
    await page.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => alerts(page), { timeout: 5_000 }).toMatch(/published only anonymised/);

    await panel.getByLabel("Minimum group size (k)").fill("5");
    await panel.getByLabel("Sensitive column (ℓ-diversity)").selectOption("diagnosis");
    expect(await panel.getByLabel(/\(ℓ\)$/).inputValue()).toBe("2");
    await s.screenshot("anonymise-2-columns");
    const t1 = Date.now();
    await panel.getByRole("button", { name: "Anonymise", exact: true }).click();
    const result = panel.getByRole("region", { name: "Anonymisation result" });
    await Promise.race([result.waitFor({ timeout: 60_000 }), error.waitFor({ timeout: 60_000 })]);
    expect(await error.count(), await alerts(page)).toBe(0);
    const anonymisedMs = Date.now() - t1;
    expect(workers.filter((u) => /anonymiseWorker/.test(u)).length, `workers: ${workers.join(", ")}`).toBeGreaterThanOrEqual(4); // 3 inspections + 1 run
    await s.screenshot("anonymise-3-result");

    // The preview: the original shows names and e-mails, the released rows none of them.
    const original = await result.getByRole("table", { name: /^Original rows/ }).innerText();
    expect(original).toContain(PATIENTS[0].name);
    const released = await result.getByRole("table", { name: /^Released rows/ }).innerText();
    expect(released.split("\n").length).toBeGreaterThanOrEqual(2);
    for (const p of PATIENTS) {
      expect(released).not.toContain(p.name);
      expect(released).not.toContain(p.email);
    }
    expect(released).not.toContain("@");
    expect(released).toMatch(/E11 diabetes|I10 hypertension|J45 asthma|M54 back pain|F32 depression/);
    const words = await result.getByRole("list", { name: "The report in words" }).innerText();
    expect(words).toMatch(/at least \d+ other records? \(k = \d+\)/);
    expect(Number(await result.locator('[data-figure="k"]').getAttribute("data-raw"))).toBeGreaterThanOrEqual(5);
    expect(Number(await result.locator('[data-figure="l"]').getAttribute("data-raw"))).toBeGreaterThanOrEqual(2);

    await result.getByRole("button", { name: "Use the anonymised file" }).click();
    await result.getByTestId("anonymisation-accepted").waitFor();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Category").fill("Health / Clinical");
    await page.getByRole("textbox", { name: /^Tags/ }).fill("diagnoses, anonymised, browser-test");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Next" }).click(); // policy: the defaults
    await page.getByLabel(/Price in DATA/).fill("3");
    await page.getByRole("button", { name: "Next" }).click();
    expect(await page.getByRole("definition").filter({ hasText: "anonymised from outpatients.csv" }).count()).toBe(1);
    await s.screenshot("anonymise-4-review");

    const t2 = Date.now();
    await page.getByRole("button", { name: "Sign and publish" }).click();
    const published = page.locator('[data-task="indexed"][data-status="done"]');
    const failed = page.getByRole("alert").filter({ hasText: "That did not work" });
    await Promise.race([published.waitFor({ timeout: 150_000 }), failed.waitFor({ timeout: 150_000 })]);
    const publishMs = Date.now() - t2;
    await s.screenshot("anonymise-5-published");
    const progress = await page.getByRole("list", { name: "Publishing progress" }).innerText();
    expect(await failed.count(), `publishing failed:\n${progress}\n${await alerts(page)}`).toBe(0);
    for (const task of ["dataset", "shares", "report", "bind"]) expect(await page.locator(`[data-task="${task}"]`).getAttribute("data-status")).toBe("done");
    // The report after the key shares, the binding last.
    expect(progress.indexOf("Upload the anonymisation report to IPFS")).toBeGreaterThan(progress.indexOf("Send the key shares"));
    expect(progress.indexOf("Sign: bind the report to the product")).toBeGreaterThan(progress.indexOf("Upload the anonymisation report to IPFS"));

    productId = BigInt(/\d+/.exec(await page.getByRole("link", { name: /see product \d+/ }).innerText())![0]);
    const product = await chain().readContract({ address: catalogue(), abi: catalogueAbi, functionName: "getProduct", args: [productId] });
    expect([product.productType, product.modality]).toEqual([ProductType.Batch, Modality.Anonymised]);
    const bound = await chain().readContract({ address: catalogue(), abi: catalogueAbi, functionName: "anonymisationOf", args: [productId] });
    const indexed = await subgraphProduct(productId);
    expect(indexed?.anonymisationReportURI).toMatch(/^ipfs:\/\//);
    const bytes = new Uint8Array(await (await fetch(`${stack.urls.ipfsGateway}/ipfs/${String(indexed!.anonymisationReportURI).slice("ipfs://".length)}`)).arrayBuffer());
    expect(sha256(bytes)).toBe(bound.reportHash);
    report = parseReport(bytes, bound.reportHash);
    expect([bound.k, bound.l]).toEqual([report.k, report.l]);
    expect([indexed!.anonymisationK, indexed!.anonymisationL]).toEqual([report.k, report.l]);
    expect(report.settings).toMatchObject({ k: 5, l: 2, sensitive: "diagnosis", method: "mondrian", preset: "none" });
    // Groups of 5 patients share birth date, postcode and sex: Mondrian can split down to them exactly.
    expect(report.k, "the smallest group released").toBe(5);
    expect(report.rows.input).toBe(200);
    expect(report.columns.find((c) => c.name === "name")?.role).toBe("identifier");
    expect(report.columns.find((c) => c.name === "email")?.role).toBe("identifier");

    // Nothing of the original identifiers went to IPFS (the dataset itself is ciphertext; the report and metadata hold no value).
    expect(uploads.length).toBeGreaterThanOrEqual(3); // ciphertext, metadata, report
    const all = Buffer.concat(uploads).toString("latin1");
    for (const p of PATIENTS.slice(0, 20)) {
      expect(all).not.toContain(p.name);
      expect(all).not.toContain(p.email);
    }
    expect(s.outside(), "requests outside the configured endpoints").toEqual([]);
    console.log(`anonymise browser test: inspect (incl. two bad files) ${inspectedMs} ms, anonymise 200 rows ${anonymisedMs} ms, publish ${publishMs} ms`);
  }, 300_000);

  it("the product page says how anonymous the data is, from the report bound on chain", async () => {
    expect(productId, "needs the product published by the previous test").toBeDefined();
    const s = await browser.newPage(stack.origins, { width: 360, height: 780 });
    const { page } = s;
    await open(page, stack.urls.dapp, `/product/${productId}`);
    const section = page.getByRole("region", { name: "How anonymous is this data" });
    await section.locator('[data-report="verified"]').waitFor({ timeout: 30_000 });
    const text = await section.innerText();
    expect(text).toContain("at least 4 other records (k = 5)");
    expect(text).toMatch(/Direct identifiers removed: .*name/);
    expect(text).toContain("Each such group holds at least");
    expect(await section.locator('[data-figure="k"]').getAttribute("data-raw")).toBe(String(report.k));
    expect(await section.locator('[data-figure="suppressed"]').getAttribute("data-raw")).toBe(String(report.rows.suppressed));
    await s.screenshot("anonymise-6-product-page-360px");
    expect(await page.evaluate(() => document.documentElement.scrollWidth), "no horizontal scrolling at 360 px").toBeLessThanOrEqual(360);
    expect(s.outside()).toEqual([]);
  }, 90_000);

  it("the catalogue filters by minimum k", async () => {
    expect(productId, "needs the product published by the previous test").toBeDefined();
    const s = await browser.newPage(stack.origins);
    const { page } = s;
    await open(page, stack.urls.dapp, `/explore?q=${encodeURIComponent(TAG)}`);
    const card = page.getByRole("article", { name: TITLE });
    await card.waitFor({ timeout: 30_000 });
    expect(await card.innerText()).toContain(`k ≥ ${report.k}`);
    await page.getByLabel("Minimum k").selectOption("5");
    await expect.poll(() => page.url()).toContain("k=5");
    await card.waitFor({ timeout: 15_000 });
    await s.screenshot("anonymise-7-catalogue-k5");
    await page.getByLabel("Minimum k").selectOption("50");
    await expect.poll(() => page.getByRole("status").filter({ hasText: /No products/ }).count(), { timeout: 15_000 }).toBe(1);
    expect(await card.count()).toBe(0);
    // Without the text search too: k ≥ 5 lists it among the catalogue's pages.
    await go(page, "/explore?k=5&sort=newest");
    await page.getByRole("article", { name: TITLE }).waitFor({ timeout: 15_000 });
    expect(s.outside()).toEqual([]);
  }, 90_000);

  it("an anonymised product without a report, or with a report that does not match the chain, says so", async () => {
    // Published straight on chain as the hospital: one without a report, one whose report's bytes differ from the hash bound.
    const hospital = privateKeyToAccount(persona("hospital").privateKey);
    const wallet = createWalletClient({ account: hospital, transport: http(stack.urls.rpc) });
    const relays = [persona("relay1").address, persona("relay2").address, persona("relay3").address];
    const metadataURI = await ipfsAdd(new TextEncoder().encode(JSON.stringify({ schema: "kraken.product/v1", title: "x", summary: "x", description: "", category: "Health", tags: [] })), "metadata.json");
    const publish = async (title: string) => {
      const hash = await wallet.writeContract({
        chain: null,
        address: catalogue(),
        abi: catalogueAbi,
        functionName: "publish",
        args: [ProductType.Batch, Modality.Anonymised, 0n, PricingUnit.OneTime, relays, 2, { metadataURI, title, summary: "test", category: "Health", tags: [] }, []],
      });
      const receipt = await chain().waitForTransactionReceipt({ hash });
      expect(receipt.status).toBe("success");
      return parseEventLogs({ abi: catalogueAbi, logs: receipt.logs, eventName: "ProductPublished" })[0].args.productId;
    };
    const bare = await publish(`No report ${TAG}`);
    const tampered = await publish(`Tampered report ${TAG}`);
    // What the seller bound (a report stating k = 5) is not what is at the URI (one stating k = 50).
    const bound = new TextEncoder().encode(JSON.stringify({ schema: "kraken.anonymisation/v1", k: 5 }));
    const served = new TextEncoder().encode(JSON.stringify({ schema: "kraken.anonymisation/v1", k: 50 }));
    const uri = await ipfsAdd(served, "report.json");
    const hash = await wallet.writeContract({ chain: null, address: catalogue(), abi: catalogueAbi, functionName: "reportAnonymisation", args: [tampered, sha256(bound) as Hex, 5, 2, uri] });
    expect((await chain().waitForTransactionReceipt({ hash })).status).toBe("success");
    await expect.poll(async () => (await subgraphProduct(tampered))?.anonymisationReportURI ?? null, { timeout: 60_000, interval: 500 }).toBe(uri);

    const s = await browser.newPage(stack.origins);
    const { page } = s;
    await open(page, stack.urls.dapp, `/product/${bare}`);
    const section = page.getByRole("region", { name: "How anonymous is this data" });
    await section.locator('[data-report="none"]').waitFor({ timeout: 30_000 });
    expect(await section.innerText()).toContain("The seller published no anonymisation report");
    await go(page, `/product/${tampered}`);
    await section.locator('[data-report="mismatch"]').waitFor({ timeout: 30_000 });
    expect(await section.innerText()).toContain("the report does not match what the seller recorded on chain");
    expect(await section.getByRole("list", { name: "The report in words" }).count()).toBe(0);
    await s.screenshot("anonymise-8-report-mismatch");
    expect(s.outside()).toEqual([]);
  }, 120_000);
});
