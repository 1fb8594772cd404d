// Data unions in the browser, with the Demo wallet:
// 1. the seeded "Wearables Data Union": Tomás Ribeiro (individual, PT, not a member) opens the
//    union page, joins, sees himself as a member and publishes a data point into the union's
//    stream from the browser; the research institute subscribes to the
//    union's product on its product page (the ordinary purchase UI); Tomás sees his earnings on
//    the dashboard's "My data unions" tab and withdraws them — the chain pays him exactly that.
// 2. the insurer, subscribed to the seeded union, opens its live view: the members' devices'
//    data points arrive in the browser (each member publishes with their own key);
// 3. a union created in the browser: the data union admin goes through the create-union wizard
//    (one transaction), lands on the union page, and sees it in "Unions I run"; then the same
//    join → subscribe → withdraw as above on the new union.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, parseEventLogs, type Address } from "viem";
import { dataTokenAbi, dataUnionAbi, MemberStatus } from "@kraken/sdk";
import type { Page } from "playwright-core";
import { data } from "../../dapp/src/lib/words.ts";
import { launchBrowser, type RunningBrowser, type RecordedPage } from "./harness/browser.ts";
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

/** The demo file's unions (seed: `unions: { key, address, productId, streamId }[]`). */
type SeededUnion = { key: string; address: Address; productId: number | string; streamId: string };
const seededUnions = () => ((stack.demo as unknown as { unions?: SeededUnion[] }).unions ?? []);

const chain = () => createPublicClient({ transport: http(stack.urls.rpc) });
const balanceOf = (who: Address) => chain().readContract({ address: stack.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "balanceOf", args: [who] });
const memberOf = (union: Address, who: Address) => chain().readContract({ address: union, abi: dataUnionAbi, functionName: "memberOf", args: [who] });

/** Waits for a status matching `success`; fails with the page's alerts if one shows up first. */
async function outcome(page: Page, scope: ReturnType<Page["locator"]> | Page, success: RegExp, timeout = 90_000) {
  const ok = scope.getByRole("status").filter({ hasText: success });
  const bad = scope.getByRole("alert");
  await Promise.race([ok.first().waitFor({ timeout }), bad.first().waitFor({ timeout })]).catch(() => {});
  expect(await ok.count(), `no "${success}" on the page; alerts:\n${await alerts(page)}`).toBeGreaterThan(0);
}

/** Tomás joins `union` on its page, the institute subscribes to its product, Tomás withdraws his earnings from the dashboard. */
async function joinSubscribeWithdraw(o: { union: Address; productId: string; title: RegExp; shot: string; filtered?: RegExp }) {
  const tomas = stack.demo.personas.tomas.address;
  const institute = stack.demo.personas.researchInstitute.address;
  expect((await memberOf(o.union, tomas)).status, "Tomás is not a member yet").toBe(MemberStatus.None);

  // Tomás: the union page says he may join; he joins and is a member.
  const t = await browser.newPage(stack.origins, { width: 1200, height: 900 });
  await open(t.page, stack.urls.dapp, `/unions/${o.union}`);
  await choosePersona(t.page, "Tomás", tomas);
  await t.page.getByRole("heading", { level: 1, name: o.title }).waitFor({ timeout: 30_000 });
  const panel = t.page.getByRole("complementary", { name: "Membership" });
  await panel.getByText("You may join.").waitFor({ timeout: 30_000 });
  await t.screenshot(`${o.shot}-union-page-before-join`);
  await panel.getByRole("button", { name: "Join", exact: true }).click();
  await outcome(t.page, panel, /You joined/);
  await expect.poll(() => panel.getByTestId("member-status").innerText(), { timeout: 30_000 }).toMatch(/^Member since/);
  expect((await memberOf(o.union, tomas)).status).toBe(MemberStatus.Active);
  await t.screenshot(`${o.shot}-union-page-member`);
  // As a member he publishes a data point into the union's stream, signed by his wallet.
  const share = panel.getByRole("region", { name: "Share data" });
  await share.getByLabel("Data point (JSON)").fill('{"heartRate": 77, "steps": 4321}');
  // An anonymised union product's stream filter is applied in the page, and said so.
  if (o.filtered) await share.getByLabel("Stream filter").filter({ hasText: o.filtered }).waitFor({ timeout: 30_000 });
  await share.getByRole("button", { name: "Publish to the union's stream" }).click();
  await share.getByRole("status").filter({ hasText: /Published 1 data point/ }).waitFor({ timeout: 60_000 }).catch(async (err) => {
    await t.screenshot(`${o.shot}-publish-failed`);
    throw new Error(`publishing failed: ${(err as Error).message}\n${await alerts(t.page)}`);
  });

  // The institute subscribes to the union's product with the ordinary purchase UI.
  const r = await browser.newPage(stack.origins, { width: 1200, height: 900 });
  await open(r.page, stack.urls.dapp, `/product/${o.productId}`);
  await choosePersona(r.page, "Nordic Institute", institute);
  await r.page.getByRole("heading", { name: "Data union", exact: true }).waitFor({ timeout: 30_000 });
  await r.page.getByRole("link", { name: "Open the union page" }).waitFor();
  const buy = r.page.getByRole("button", { name: /^Subscribe for [\d.,]+ DATA$/ });
  await expect.poll(() => buy.isEnabled(), { timeout: 30_000 }).toBe(true);
  await buy.click();
  await outcome(r.page, r.page, /Done: agreement #\d+ is active/);
  await r.screenshot(`${o.shot}-institute-subscribed`);

  // Tomás: his earnings on the dashboard, then Withdraw; the chain pays exactly that.
  await go(t.page, "/dashboard?view=unions");
  const card = t.page.getByRole("region", { name: o.title });
  await card.waitFor({ timeout: 30_000 });
  const withdrawable = card.getByTestId("withdrawable");
  // The page refreshes its reads when the indexer moves: wait for the purchase to show.
  await expect.poll(() => withdrawable.innerText(), { timeout: 30_000 }).toMatch(/^(?!0 DATA$)[\d.,]+ DATA$/);
  expect(await card.getByRole("img", { name: /My earnings from/ }).count()).toBe(1);
  await t.screenshot(`${o.shot}-dashboard-earnings`);
  const before = await balanceOf(tomas);
  const shown = await withdrawable.innerText();
  await card.getByRole("button", { name: /^Withdraw [\d.,]+ DATA$/ }).click();
  await outcome(t.page, card, new RegExp(`Withdrew [\\d.,]+ DATA to ${tomas}`, "i"));
  const paid = (await balanceOf(tomas)) - before;
  expect(paid).toBeGreaterThan(0n);
  expect(await card.getByRole("status").innerText()).toContain(`Withdrew ${data(paid)}`);
  expect(data(paid)).toBe(shown);
  const logs = await chain().getContractEvents({ address: o.union, abi: dataUnionAbi, eventName: "EarningsWithdrawn", args: { member: tomas }, fromBlock: 0n });
  const [event] = parseEventLogs({ abi: dataUnionAbi, logs, eventName: "EarningsWithdrawn" });
  expect(event.args.amount).toBe(paid);
  await expect.poll(() => withdrawable.innerText(), { timeout: 30_000 }).toBe("0 DATA");
  await t.screenshot(`${o.shot}-dashboard-withdrawn`);
  expect([...t.outside(), ...r.outside()]).toEqual([]);
  return { t, r };
}

describe("data unions in the dApp", () => {
  it("the insurer's live view of the seeded union shows the members' data arriving", async () => {
    const union = seededUnions().find((u) => u.key === "wearables-union")!;
    const s = await browser.newPage(stack.origins);
    await open(s.page, stack.urls.dapp, "/dashboard");
    const insurer = (stack.demo.personas as Record<string, { address: Address }>).insurer.address;
    await choosePersona(s.page, "Alpina Health Insurance", insurer);
    await s.page.getByRole("row", { name: /Wearables Data Union/i }).getByRole("button", { name: /Live view/i }).click();
    const live = s.page.getByRole("region", { name: /Live view of Wearables Data Union/i });
    await live.waitFor({ timeout: 60_000 }).catch(async (err) => {
      await s.screenshot("union-live-missing");
      throw new Error(`no live view of the union ${union.address}: ${(err as Error).message}\n${await alerts(s.page)}`);
    });
    const count = async () => Number(/(\d+) data points?/.exec(await live.innerText())?.[1] ?? 0);
    await expect.poll(count, { timeout: 60_000, interval: 500 }).toBeGreaterThanOrEqual(1);
    const first = await count();
    await expect.poll(count, { timeout: 30_000, interval: 500 }).toBeGreaterThan(first); // still arriving
    await s.screenshot("union-live-view");
  }, 240_000);

  it("the seeded Wearables Data Union: Tomás joins, the institute subscribes, Tomás withdraws his earnings", async () => {
    const wearables = seededUnions().find((u) => u.key === "wearables-union");
    expect(wearables, "the demo seeds the wearables-union (deployments/localhost.demo.json: unions)").toBeDefined();
    // Before Tomás: five members (Pieter joined and left), on sale.
    const p = await browser.newPage(stack.origins, { width: 360, height: 780 });
    await open(p.page, stack.urls.dapp, `/unions/${wearables!.address}`);
    await p.page.getByRole("heading", { level: 1, name: /Wearables Data Union/i }).waitFor({ timeout: 30_000 });
    const facts = p.page.getByRole("definition").filter({ hasText: /\(minimum 5\)/ });
    await expect.poll(() => facts.innerText(), { timeout: 30_000 }).toMatch(/^5 \(minimum 5\) — On sale/);
    expect(await p.page.getByText(/^10 %/).count()).toBeGreaterThan(0);
    expect(await p.page.getByText(wearables!.streamId).count()).toBe(1);
    await p.screenshot("union-wearables-360px");
    expect(await p.page.evaluate(() => document.documentElement.scrollWidth), "no horizontal scrolling at 360 px").toBeLessThanOrEqual(360);

    await joinSubscribeWithdraw({ union: wearables!.address, productId: String(wearables!.productId), title: /Wearables Data Union/i, shot: "union-wearables", filtered: /pseudonyms the buyer cannot reverse: deviceId/ });
    expect(p.outside()).toEqual([]);
  }, 360_000);

  it("the admin creates a union in the wizard; it lists under Unions I run; members join, a buyer subscribes, earnings are withdrawn", async () => {
    const admin = stack.demo.personas.dataUnion.address;
    const title = `Sleep diaries union ${Date.now().toString(36)}`;
    const a: RecordedPage = await browser.newPage(stack.origins, { width: 1200, height: 900 });
    const { page } = a;
    await open(page, stack.urls.dapp, "/create");
    await choosePersona(page, "Pulse Wearables", admin);
    // The product wizard sends data unions to their own wizard.
    await page.getByRole("radio", { name: /Data union/ }).check({ timeout: 60_000 });
    await page.getByRole("link", { name: "Create a data union" }).click();
    await page.getByRole("heading", { level: 1, name: "Create a data union" }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill(title);
    await page.getByLabel("Summary", { exact: true }).fill("Nightly sleep diaries from people who share them, pooled.");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Category", { exact: true }).fill("Wellbeing / Sleep");
    await page.getByLabel(/^Tags/).fill("sleep, diary");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Admin fee (%)", { exact: true }).fill("10");
    await page.getByLabel("Minimum members", { exact: true }).fill("1");
    await page.getByLabel(/I approve each join/).waitFor();
    await page.getByLabel("Stream path", { exact: true }).fill("/sleep-diaries");
    await page.getByRole("button", { name: "Next" }).click();
    // the consumers' consent policy: the defaults (research, hospitals and research universities, pilot countries)
    await page.getByRole("group", { name: "Purposes buyers may use the data for" }).waitFor();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Price in DATA (0 = free)", { exact: true }).fill("12");
    await page.getByRole("button", { name: "Next" }).click();
    const review = page.getByRole("definition").filter({ hasText: /^Individuals registered in the 13 pilot countries/ });
    expect(await review.count()).toBe(1);
    await a.screenshot("union-create-review");
    await page.getByRole("button", { name: "Sign and create the union" }).click();
    await outcome(page, page, /Data union created: product \d+/);
    await a.screenshot("union-created");
    const link = page.getByRole("link", { name: "Open the union page" });
    const address = /#\/unions\/(0x[0-9a-fA-F]{40})/.exec((await link.getAttribute("href")) ?? "")?.[1] as Address | undefined;
    expect(address, "the outcome links to the union page").toBeDefined();
    const productId = /product (\d+)/.exec(await page.getByRole("status").filter({ hasText: "Data union created" }).innerText())![1];
    await link.click();
    await page.getByRole("heading", { level: 1, name: title }).waitFor({ timeout: 30_000 });
    expect(await page.getByText(`${address!.toLowerCase()}/sleep-diaries`).count()).toBe(1);
    await expect.poll(() => page.getByTestId("union-sale").innerText(), { timeout: 30_000 }).toBe("Needs 1 more member to go on sale");

    // The admin's tab lists it, with no members yet.
    await go(page, "/dashboard?view=admin");
    const mine = page.getByRole("region", { name: title });
    await mine.waitFor({ timeout: 30_000 });
    expect(await mine.getByText("Nobody has joined yet.").count()).toBe(1);
    await a.screenshot("union-admin-dashboard-empty");

    await joinSubscribeWithdraw({ union: address!, productId, title: new RegExp(title), shot: "union-created" });

    // The admin sees the member and the fees (10 % of the 12 DATA subscription).
    await go(page, "/dashboard?view=unions");
    await go(page, "/dashboard?view=admin");
    const members = mine.getByRole("table", { name: `Members of ${title}` });
    await members.waitFor({ timeout: 30_000 });
    const tomas = stack.demo.personas.tomas.address.toLowerCase();
    await expect.poll(() => members.innerText(), { timeout: 30_000 }).toContain(tomas.slice(0, 6));
    await expect.poll(() => mine.getByRole("button", { name: /^Withdraw fees/ }).innerText(), { timeout: 30_000 }).toBe("Withdraw fees (1.2 DATA)");
    await a.screenshot("union-admin-dashboard");
    expect(a.outside()).toEqual([]);
  }, 360_000);
});
