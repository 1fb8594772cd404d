// A subscriber's live view in the browser: Tomás holds an active subscription to Anna's
// "My heart rate and steps, live" (seeded); on his dashboard the live view subscribes to the
// stream over the local Streamr network (the browser's own Streamr client, granted SUBSCRIBE
// until the agreement ends) and new data points must keep arriving while the page is open.
// And a seller's anonymised stream product: the hospital sets its stream filter in the wizard
// (a field in two rules is refused with the SDK's message, "Next" too), publishes it, the
// metadata document on IPFS holds exactly that `streamFilter`, and the product page says it in words.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http } from "viem";
import { catalogueAbi, Modality, ProductType } from "@kraken/sdk";
import { describeStreamFilter, type StreamFilterConfig } from "@kraken/sdk/anonymise";
import { launchBrowser, type RunningBrowser } from "./harness/browser.ts";
import { alerts, choosePersona, go, open } from "./harness/dapp.ts";
import { startMarketplace, type Marketplace } from "./harness/stack.ts";

let stack: Marketplace;
let browser: RunningBrowser;

beforeAll(async () => {
  stack = await startMarketplace();
  browser = await launchBrowser();
}, 360_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("stream subscription in the browser", () => {
  it("a subscriber sees live data points arrive on the dashboard", async () => {
    const product = stack.demo.products.find((p) => p.key === "anna-heart-rate")!;
    expect(product, "the demo has Anna's live heart-rate stream").toBeDefined();
    const s = await browser.newPage(stack.origins);
    const { page } = s;
    await open(page, stack.urls.dapp, "/dashboard");
    await choosePersona(page, "Tomás Ribeiro", stack.demo.personas.tomas.address);
    // Open the live view from the agreement's row.
    const title = new RegExp(product.title.replace(/[()]/g, "."), "i");
    await page.getByRole("row", { name: title }).getByRole("button", { name: /Live view/i }).click();
    // The live view of a subscribed stream: a region named after the product, saying how many
    // data points arrived (the chart draws them).
    const live = page.getByRole("region", { name: new RegExp(`Live.*${product.title.replace(/[()]/g, ".")}`, "i") });
    await live.waitFor({ timeout: 60_000 }).catch(async (err) => {
      await s.screenshot("dashboard-live-missing");
      throw new Error(`no live view for "${product.title}" on the dashboard: ${(err as Error).message}\n${await alerts(page)}`);
    });
    const count = async () => Number(/(\d+) data points?/.exec(await live.innerText())?.[1] ?? 0);
    await expect.poll(count, { timeout: 60_000, interval: 500 }).toBeGreaterThanOrEqual(1);
    const first = await count();
    await expect.poll(count, { timeout: 30_000, interval: 500 }).toBeGreaterThan(first); // still arriving
    await s.screenshot("dashboard-live-stream");
    expect(s.outside(), "requests outside the configured endpoints").toEqual([]);
  }, 240_000);

  it("a seller sets an anonymised stream product's filter in the wizard: it is in the metadata on IPFS and in words on the product page", async () => {
    const seller = stack.demo.personas.hospital.address;
    const tag = Date.now().toString(36);
    const title = `Ward monitors, filtered ${tag}`;
    const expected: StreamFilterConfig = {
      drop: [],
      pseudonymise: ["deviceId"],
      timestamps: { fields: ["ts"], granularity: "minute" },
      locations: { fields: ["lat", "lon"], decimals: 2 },
    };
    const s = await browser.newPage(stack.origins);
    const { page } = s;
    await open(page, stack.urls.dapp, "/create");
    await choosePersona(page, "Santa Lucia", seller);
    await page.getByRole("radio", { name: /Stream product/ }).check();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Name").fill(title);
    await page.getByLabel("Summary").fill("Bedside monitor readings, device ids pseudonymised, times to the minute.");
    await page.getByRole("button", { name: "Next" }).click();

    // The data step: a new stream of the seller's; Anonymised asks for the filter.
    await page.getByRole("button", { name: "Create stream" }).click();
    const created = page.getByRole("status").filter({ hasText: /created: added to this product/ });
    const failed = page.getByRole("alert").filter({ hasText: "That did not work" });
    await Promise.race([created.waitFor({ timeout: 60_000 }), failed.waitFor({ timeout: 60_000 })]);
    expect(await failed.count(), await alerts(page)).toBe(0);
    await page.getByRole("radio", { name: /Anonymised/ }).check();
    const filter = page.getByRole("group", { name: "Stream filter" });
    expect(await filter.locator('[data-filter="none"]').innerText()).toMatch(/nothing will be filtered/);
    // A field in two rules: parseStreamFilter's complaint, live and again when going on.
    await filter.getByLabel("Fields removed").fill("deviceId");
    await filter.getByLabel("Fields pseudonymised").fill("deviceId");
    await expect.poll(() => filter.locator('[data-filter="invalid"]').innerText()).toContain('"deviceId" is in both “Fields removed” and “Fields pseudonymised”');
    await page.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => alerts(page)).toMatch(/The stream filter is not valid: "deviceId" is in both/);
    expect(await page.getByRole("heading", { name: /Step 3 of 7: Data/ }).count(), "still on the data step").toBe(1);
    await s.screenshot("stream-filter-1-invalid");
    await filter.getByLabel("Fields removed").fill("");
    await filter.getByLabel("Timestamp fields").fill("ts");
    await filter.getByLabel("Round timestamps down to the").selectOption("minute");
    await filter.getByLabel("Location fields").fill("lat, lon");
    expect(await filter.getByLabel("Decimals kept").locator("option:checked").innerText()).toBe("2 (about 1 km)");
    const words = filter.getByRole("list", { name: "The stream filter in words" });
    await words.waitFor();
    expect(await filter.locator('[data-filter="preview"]').innerText()).toContain("Every message will be filtered before it leaves the publisher:");
    expect((await words.getByRole("listitem").allInnerTexts()).map((t) => t.trim())).toEqual(describeStreamFilter(expected));
    expect(await alerts(page), "fixing the filter settles the complaint").not.toMatch(/stream filter/);
    await s.screenshot("stream-filter-2-preview");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByLabel("Category").fill("Health / Vital signs");
    await page.getByRole("textbox", { name: /^Tags/ }).fill("icu, vitals, anonymised");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Next" }).click(); // the default policy
    await page.getByLabel(/Price in DATA/).fill("2");
    await page.getByRole("button", { name: "Next" }).click();
    expect(await page.getByRole("list", { name: "Stream filter" }).innerText()).toContain("Times rounded down to the minute: ts.");
    await page.getByRole("button", { name: "Sign and publish" }).click();
    const published = page.getByRole("status").filter({ hasText: /Published:/ });
    await Promise.race([published.waitFor({ timeout: 120_000 }), failed.waitFor({ timeout: 120_000 })]);
    expect(await failed.count(), await alerts(page)).toBe(0);
    const id = BigInt(/\d+/.exec(await page.getByRole("link", { name: /see product \d+/ }).innerText())![0]);

    // On chain an anonymised stream product; its metadata document on IPFS holds exactly the filter.
    const chain = createPublicClient({ transport: http(stack.urls.rpc) });
    const product = await chain.readContract({ address: stack.deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [id] });
    expect([product.productType, product.modality]).toEqual([ProductType.Stream, Modality.Anonymised]);
    expect(product.metadataURI).toMatch(/^ipfs:\/\//);
    const res = await fetch(`${stack.urls.ipfsGateway}/ipfs/${product.metadataURI.slice("ipfs://".length)}`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { title: string; streamFilter?: unknown };
    expect(doc.title).toBe(title);
    expect(doc.streamFilter).toEqual(expected);

    // The product page: "How anonymous is this data", the filter in words.
    await go(page, `/product/${id}`);
    const section = page.getByRole("region", { name: "How anonymous is this data" });
    await section.locator('[data-filter="configured"]').waitFor({ timeout: 30_000 }).catch(async (err) => {
      await s.screenshot("stream-filter-product-page-missing");
      throw new Error(`no stream filter on the product page: ${(err as Error).message}\n${await alerts(page)}`);
    });
    const lines = await section.getByRole("list", { name: "The stream filter in words" }).getByRole("listitem").allInnerTexts();
    expect(lines.map((t) => t.trim())).toEqual(describeStreamFilter(expected));
    expect(lines).toContain("Replaced by pseudonyms the buyer cannot reverse: deviceId.");
    expect(lines).toContain("Locations rounded to 2 decimals (about 1 km): lat and lon.");
    await s.screenshot("stream-filter-3-product-page");
    expect(s.outside(), "requests outside the configured endpoints").toEqual([]);
  }, 240_000);
});
