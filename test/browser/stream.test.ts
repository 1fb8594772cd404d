// A subscriber's live view in the browser: Tomás holds an active subscription to Anna's
// "My heart rate and steps, live" (seeded); on his dashboard the live view subscribes to the
// stream over the local Streamr network (the browser's own Streamr client, granted SUBSCRIBE
// until the agreement ends) and new data points must keep arriving while the page is open.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type RunningBrowser } from "./harness/browser.ts";
import { alerts, choosePersona, open } from "./harness/dapp.ts";
import { startMarketplace, type Marketplace } from "./harness/stack.ts";

let stack: Marketplace;
let browser: RunningBrowser;

beforeAll(async () => {
  stack = await startMarketplace();
  browser = await launchBrowser();
}, 240_000);

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
});
