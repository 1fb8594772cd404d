// The batch product journey in a real browser against the real local stack (`npm start`):
// the hospital publishes a dataset through the Create product wizard with the Demo wallet (the
// file is encrypted in the page, the key split between the relays); a research institute finds
// it, sees it may buy, buys and downloads it — the bytes must equal the seller's file; an
// insurer sees why it may not buy. Screenshots of each page go to test-results/screenshots/.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, parseEther } from "viem";
import { catalogueAbi, policiesAbi, ProductType, Verdict, agreementsAbi, Purpose } from "@kraken/sdk";
import { launchBrowser, type RunningBrowser } from "./harness/browser.ts";
import { alerts, choosePersona, go, open } from "./harness/dapp.ts";
import { startMarketplace, type Marketplace } from "./harness/stack.ts";

// 1×1 PNG: a real image for the cover upload.
const COVER = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
// Larger than one encryption chunk (64 KiB) and one IPFS chunk (256 KiB), not a multiple of either.
const DATASET = Buffer.concat([Buffer.from("stay_id,minute,heart_rate,spo2\n"), randomBytes(300_001)]);
const TITLE = `ICU waveforms ${Date.now().toString(36)}`;

let stack: Marketplace;
let browser: RunningBrowser;
let productId: bigint;

beforeAll(async () => {
  stack = await startMarketplace();
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const chain = () => createPublicClient({ transport: http(stack.urls.rpc) });
const persona = (key: keyof Marketplace["demo"]["personas"]) => stack.demo.personas[key];

describe("batch product in the browser", () => {
  it("the seller publishes a batch product through the wizard: encrypted upload, publish, policy, key shares", async () => {
    const s = await browser.newPage(stack.origins);
    const { page } = s;
    await open(page, stack.urls.dapp, "/create");
    await choosePersona(page, "Santa Lucia", persona("hospital").address);
    await s.screenshot("create-1-type");
    await page.getByRole("radio", { name: /Batch product/ }).check();
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByLabel("Name").fill(TITLE);
    await page.getByLabel("Summary").fill("Minute-level ICU waveforms, de-identified.");
    await page.getByLabel("Description").fill("Heart rate and SpO2 per minute for ICU stays, k-anonymised.");
    await page.getByLabel(/Cover image/).setInputFiles({ name: "cover.png", mimeType: "image/png", buffer: COVER });
    await s.screenshot("create-2-description");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByLabel("Dataset file").setInputFiles({ name: "icu-waveforms.csv", mimeType: "text/csv", buffer: DATASET });
    await page.getByRole("radio", { name: /Encrypted/ }).check();
    await s.screenshot("create-3-data");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByLabel("Category").fill("Health / Clinical");
    await page.getByRole("textbox", { name: /^Tags/ }).fill("icu, waveforms, browser-test");
    await page.getByRole("button", { name: "Next" }).click();

    // Policy: research only, research universities and hospitals, the 13 pilot countries (the defaults).
    await expect.poll(() => page.getByRole("checkbox", { name: "Research", exact: true }).isChecked()).toBe(true);
    await s.screenshot("create-5-policy");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByLabel(/Price in DATA/).fill("12.5");
    await page.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => page.getByRole("definition").first().innerText()).toContain("Batch");
    await s.screenshot("create-7-review");

    await page.getByRole("button", { name: "Sign and publish" }).click();
    const published = page.locator('[data-task="indexed"][data-status="done"]');
    const failed = page.getByRole("alert").filter({ hasText: "That did not work" });
    await Promise.race([published.waitFor({ timeout: 120_000 }), failed.waitFor({ timeout: 120_000 })]);
    await s.screenshot("create-8-published");
    const progress = await page.getByRole("list", { name: "Publishing progress" }).innerText();
    expect(await failed.count(), `publishing failed:\n${progress}\n${await alerts(page)}`).toBe(0);

    const link = await page.getByRole("link", { name: /see product \d+/ }).innerText();
    productId = BigInt(/\d+/.exec(link)![0]);
    const c = stack.deployment.contracts;
    const product = await chain().readContract({ address: c.Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [productId] });
    expect(product.seller).toBe(persona("hospital").address);
    expect(product.productType).toBe(ProductType.Batch);
    expect(product.price).toBe(parseEther("12.5"));
    expect(product.deliveryAgents).toEqual([persona("relay1").address, persona("relay2").address, persona("relay3").address]);
    expect(product.threshold).toBe(2);
    const policy = await chain().readContract({ address: c.Policies.address, abi: policiesAbi, functionName: "policyOf", args: [productId] });
    expect(policy.version).toBe(1);
    // The metadata document on IPFS, with the cover image.
    const doc = await (await fetch(`${stack.urls.ipfsGateway}/ipfs/${product.metadataURI.slice("ipfs://".length)}`)).json();
    expect(doc).toMatchObject({ schema: "kraken.product/v1", title: TITLE, category: "Health / Clinical", tags: ["icu", "waveforms", "browser-test"] });
    const cover = await fetch(`${stack.urls.ipfsGateway}/ipfs/${String(doc.coverImage).slice("ipfs://".length)}`);
    expect(Buffer.from(await cover.arrayBuffer())).toEqual(COVER);
    expect(JSON.stringify(doc)).not.toContain("stay_id"); // nothing of the data in public metadata
    expect(s.outside(), "requests outside the configured endpoints").toEqual([]);
  }, 180_000);

  it("a consumer searches, sees it may buy, buys, downloads the file and gets the same bytes", async () => {
    expect(productId, "needs the product published by the previous test").toBeDefined();
    const s = await browser.newPage(stack.origins);
    const { page } = s;
    await open(page, stack.urls.dapp, "/explore");
    await choosePersona(page, "Nordic Institute", persona("researchInstitute").address);
    await page.getByRole("searchbox").fill(TITLE.split(" ").slice(-1)[0]);
    await page.getByRole("button", { name: "Search" }).click();
    const card = page.getByRole("article", { name: TITLE });
    await card.waitFor({ timeout: 30_000 });
    await expect.poll(() => card.innerText(), { timeout: 15_000 }).toContain("You may buy");
    await s.screenshot("explore-search-result");

    await card.getByRole("link", { name: TITLE }).click();
    await page.getByLabel("Purpose of use").selectOption({ label: "Research" });
    const verdict = page.getByRole("region", { name: "Eligibility" }).locator("[data-verdict]");
    await expect.poll(() => verdict.getAttribute("data-verdict"), { timeout: 15_000 }).toBe("Eligible");
    await s.screenshot("product-eligible");
    await page.getByRole("button", { name: /^Buy/ }).click();
    const done = page.getByRole("status").filter({ hasText: /Done: agreement #\d+/ });
    await Promise.race([done.waitFor({ timeout: 60_000 }), page.locator("[data-error-kind]").waitFor({ timeout: 60_000 })]);
    await s.screenshot("product-bought");
    expect(await done.count(), await alerts(page)).toBe(1);

    // The dashboard fetches the key shares from the relays, downloads the ciphertext from IPFS and
    // decrypts it in the page.
    await go(page, "/dashboard");
    const row = page.getByRole("row", { name: new RegExp(TITLE) }).or(page.getByRole("listitem").filter({ hasText: TITLE })).first();
    await row.waitFor({ timeout: 30_000 });
    await s.screenshot("dashboard-consumer");
    const download = page.waitForEvent("download", { timeout: 60_000 });
    await row.getByRole("button", { name: /download/i }).click();
    const file = await (await download).path();
    await s.screenshot("dashboard-downloaded");
    expect(Buffer.from(readFileSync(file)).equals(DATASET), "the downloaded file differs from the seller's").toBe(true);
    expect(s.outside(), "requests outside the configured endpoints").toEqual([]);
  }, 180_000);

  it("an ineligible persona sees why it may not buy", async () => {
    // The seeded ICU dataset when the wizard's product is missing: the insurer is refused either way.
    productId ??= BigInt(stack.demo.products.find((p) => p.key === "icu-vitals")!.id);
    const s = await browser.newPage(stack.origins, { width: 360, height: 780 }); // and it works on a phone
    const { page } = s;
    await open(page, stack.urls.dapp, `/product/${productId}`);
    await choosePersona(page, "Alpina Health Insurance", persona("insurer").address);
    await page.getByLabel("Purpose of use").selectOption({ label: "Research" });
    const region = page.getByRole("region", { name: "Eligibility" });
    await expect.poll(() => region.locator("[data-verdict]").getAttribute("data-verdict"), { timeout: 15_000 }).toBe("OrganisationTypeNotAllowed");
    expect(await region.innerText()).toMatch(/^No\./m);
    expect(await region.innerText()).toMatch(/insurer/i);
    expect(await page.getByRole("button", { name: /^Buy/ }).isDisabled()).toBe(true);
    await s.screenshot("product-not-eligible-360px");
    // The page's answer is the contract's answer.
    const v = await chain().readContract({ address: stack.deployment.contracts.Agreements.address, abi: agreementsAbi, functionName: "eligibility", args: [productId, persona("insurer").address, Purpose.Research] });
    expect(v).toBe(Verdict.OrganisationTypeNotAllowed);
    expect(s.outside()).toEqual([]);
  }, 120_000);
});
