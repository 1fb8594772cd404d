// A seller ends a running agreement early, in the browser at 360 px with the Demo wallet: the
// hospital terminates the research institute's paid subscription to "Real-time ward occupancy"
// from Manage products (approving the refund first: its allowance is short), the chain says
// Terminated and the consumer got exactly the refund the page reported; the consumer's dashboard then
// shows "Ended by the seller" with the refund, and its product page says what a purchase makes
// public.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, parseEther, parseEventLogs, type Address } from "viem";
import { agreementsAbi, AgreementStatus, dataTokenAbi } from "@kraken/sdk";
import { data } from "../../dapp/src/lib/words.ts";
import { launchBrowser, type RunningBrowser } from "./harness/browser.ts";
import { alerts, choosePersona, go, open } from "./harness/dapp.ts";
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

const chain = () => createPublicClient({ transport: http(stack.urls.rpc) });
const c = () => stack.deployment.contracts;
const getAgreement = (id: bigint) => chain().readContract({ address: c().Agreements.address, abi: agreementsAbi, functionName: "getAgreement", args: [id] });
const balanceOf = (who: Address) => chain().readContract({ address: c().DataToken.address, abi: dataTokenAbi, functionName: "balanceOf", args: [who] });
const allowanceOf = (who: Address) => chain().readContract({ address: c().DataToken.address, abi: dataTokenAbi, functionName: "allowance", args: [who, c().Agreements.address] });
const titleRe = (title: string) => new RegExp(title.replace(/[()[\]+?.*^$|\\]/g, "."), "i");

/** Waits for a success status matching `success`, or fails with the page's alerts. */
async function outcome(page: import("playwright-core").Page, success: RegExp, timeout = 90_000) {
  const ok = page.getByRole("status").filter({ hasText: success });
  const bad = page.getByRole("alert").filter({ hasText: "That did not work" });
  await Promise.race([ok.first().waitFor({ timeout }), bad.first().waitFor({ timeout })]).catch(() => {});
  expect(await bad.count(), `alerts on the page:\n${await alerts(page)}`).toBe(0);
  await ok.first().waitFor({ timeout: 1000 });
}

describe("terminating an agreement", () => {
  it("the seller terminates a running subscription at 360 px: Terminated on chain, the consumer refunded, the dashboard says so", async () => {
    const seeded = stack.demo.agreements.find((a) => a.label === "research-ward");
    expect(seeded, "the demo seeds research-ward").toBeDefined();
    const id = BigInt(seeded!.id);
    const product = stack.demo.products.find((p) => p.key === "ward-occupancy")!;
    const hospital = stack.demo.personas.hospital.address;
    const consumer = stack.demo.personas.researchInstitute.address;
    const before = await getAgreement(id);
    expect(before.status).toBe(AgreementStatus.Active);
    expect(before.endsAt * 1000).toBeGreaterThan(Date.now());
    expect(await allowanceOf(hospital), "the refund needs an approval first").toBe(0n);
    const consumerBefore = await balanceOf(consumer);
    const sellerBefore = await balanceOf(hospital);

    const s = await browser.newPage(stack.origins, { width: 360, height: 780 });
    const { page } = s;
    await open(page, stack.urls.dapp, `/manage/${product.id}`);
    await choosePersona(page, "Santa Lucia", hospital);
    const row = page.getByTestId("running-agreement").filter({ hasText: `Agreement ${id}` });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.innerText()).toContain(consumer.toLowerCase());
    // Retraction is described as it now works: future requests only.
    expect(await page.getByText(/Retracting consent refuses one buyer's new requests and renewals/).count()).toBe(1);

    await row.getByRole("button", { name: `Terminate and refund agreement ${id}` }).click();
    const panel = page.getByRole("region", { name: `Terminate agreement ${id}?` });
    await panel.waitFor();
    // The estimate: pro rata to the time left of the 96 DATA paid for 48 hours.
    const text = await panel.innerText();
    const estimate = Number(/refund about ([\d.,]+) DATA/.exec(text)?.[1]?.replace(/,/g, ""));
    expect(estimate, text).toBeGreaterThan(90);
    expect(estimate).toBeLessThanOrEqual(96);
    await s.screenshot("manage-terminate-confirm-360px");
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, "no horizontal scrolling at 360 px").toBeLessThanOrEqual(360);

    await panel.getByRole("button", { name: /^Terminate and refund about [\d.,]+ DATA$/ }).click();
    await outcome(page, new RegExp(`Terminated agreement ${id}: [\\d.,]+ DATA refunded to ${consumer}`, "i"));
    const progress = panel.getByRole("list", { name: "Termination progress" });
    expect(await progress.getByRole("listitem").first().innerText()).toMatch(/Approve the refund[\s\S]*mined in block \d+/);
    await s.screenshot("manage-terminated-360px");

    // The chain: Terminated, and the consumer got exactly the refund of the event, from the seller.
    const after = await getAgreement(id);
    expect(after.status).toBe(AgreementStatus.Terminated);
    const logs = await chain().getContractEvents({ address: c().Agreements.address, abi: agreementsAbi, eventName: "AgreementTerminated", args: { agreementId: id }, fromBlock: 0n });
    const [event] = parseEventLogs({ abi: agreementsAbi, logs, eventName: "AgreementTerminated" });
    const refunded = event.args.refunded;
    expect(refunded).toBeGreaterThan(0n);
    expect(Number(refunded) / 1e18).toBeLessThanOrEqual(estimate + 0.0001); // the page's "about" is an upper bound
    expect(after.amount).toBe(before.amount - refunded);
    expect((await balanceOf(consumer)) - consumerBefore).toBe(refunded);
    expect(sellerBefore - (await balanceOf(hospital))).toBe(refunded);
    // The approval was the refund at the chain's last block; it shrank a little until mined.
    expect(await allowanceOf(hospital), "about the refund was approved, nothing more").toBeLessThan(parseEther("0.05"));
    expect(await panel.getByRole("status").innerText()).toContain(`${data(refunded)} refunded`);
    // Once indexed, it is no longer listed as running.
    await expect.poll(() => page.getByTestId("running-agreement").filter({ hasText: `Agreement ${id}` }).count(), { timeout: 30_000 }).toBe(0);

    // The consumer's dashboard: ended by the seller, with the refund.
    const b = await browser.newPage(stack.origins, { width: 360, height: 780 });
    await open(b.page, stack.urls.dapp, "/dashboard");
    await choosePersona(b.page, "Nordic Institute", consumer);
    const mine = b.page.getByRole("row", { name: titleRe(product.title) });
    await mine.first().waitFor({ timeout: 30_000 });
    await expect.poll(() => mine.first().innerText(), { timeout: 30_000 }).toMatch(/Ended by the seller/);
    expect(await mine.first().innerText()).toContain(`${data(refunded)} refunded by the seller`);
    await b.screenshot("dashboard-terminated-360px");
    // Buying again: the page says what the purchase makes public, and what it does not.
    await go(b.page, `/product/${product.id}`);
    await b.page.getByText("This purchase (your address, the product and the purpose) is recorded publicly on the consortium chain; your credential's personal data is not.").waitFor({ timeout: 15_000 });
    expect([...s.outside(), ...b.outside()]).toEqual([]);
  }, 240_000);
});
