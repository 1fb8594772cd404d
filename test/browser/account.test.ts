// A consumer's account in the browser, against the real local stack with the Demo wallet:
// a new user registers through the SSI flow (demo issuer, didkit loaded only when the flow
// starts) and logs in with a presentation; Tomás renews his subscription from the dashboard;
// the research institute cancels its pending request, gets the escrow back and may ask again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, parseEther, type Address } from "viem";
import { agreementsAbi, AgreementStatus, credentialsAbi, CredentialStatus, dataTokenAbi } from "@kraken/sdk";
import { freshPersonas } from "../../dapp/server/config.ts";
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
const agreementId = (label: string) => {
  const a = stack.demo.agreements.find((x) => x.label === label);
  expect(a, `the demo seeds ${label}`).toBeDefined();
  return BigInt(a!.id);
};
const getAgreement = (id: bigint) => chain().readContract({ address: c().Agreements.address, abi: agreementsAbi, functionName: "getAgreement", args: [id] });
const balanceOf = (who: Address) => chain().readContract({ address: c().DataToken.address, abi: dataTokenAbi, functionName: "balanceOf", args: [who] });
const titleRe = (title: string) => new RegExp(title.replace(/[()[\]+?.*^$|\\]/g, "."), "i");

/** Waits for a success status matching `success`, or fails with the page's alerts. */
async function outcome(page: import("playwright-core").Page, success: RegExp, timeout = 90_000) {
  const ok = page.getByRole("status").filter({ hasText: success });
  const bad = page.getByRole("alert");
  await Promise.race([ok.first().waitFor({ timeout }), bad.first().waitFor({ timeout })]).catch(() => {});
  expect(await bad.count(), `alerts on the page:\n${await alerts(page)}`).toBe(0);
  await ok.first().waitFor({ timeout: 1000 });
}

describe("account: registration, renewal, cancellation", () => {
  it("a new user registers with the demo issuer and logs in with a presentation", async () => {
    const newUser = freshPersonas()[0];
    expect(newUser.name).toBe("New user 1");
    const s = await browser.newPage(stack.origins);
    const { page } = s;
    const wasm = () => s.requests.filter((u) => /\.wasm(\?|$)/.test(u));
    await open(page, stack.urls.dapp, "/register");
    await choosePersona(page, "New user 1", newUser.address);
    await expect.poll(() => page.getByRole("status").filter({ hasText: "This address is not registered" }).count(), { timeout: 15_000 }).toBe(1);
    // What the chain learns, said before anything is sent.
    const disclosure = page.getByRole("region", { name: "What is disclosed, and to whom" });
    await expect.poll(() => disclosure.innerText()).toMatch(/nothing personal/i);
    expect(wasm(), "didkit's wasm loads only when a flow starts").toEqual([]);
    await s.screenshot("register-before");

    await page.getByRole("radio", { name: "an individual" }).check();
    await page.getByLabel("Country of registration").selectOption("PT");
    await page.getByLabel(/Full name/).fill("Joana Test");
    await page.getByRole("button", { name: "Get my credential and register" }).click();
    await outcome(page, /You are registered/);
    expect(wasm().length, "didkit's wasm was loaded for the flow").toBeGreaterThan(0);
    const progress = page.getByRole("list", { name: "Registration progress" });
    await expect.poll(() => progress.getByRole("listitem").allInnerTexts().then((t) => t.filter((x) => !/\(done\)/.test(x)))).toEqual([]);
    // The page and the chain agree: registered, with only the policy facts.
    await expect.poll(() => page.getByRole("status").filter({ hasText: /This address is registered: Individual, Portugal/ }).count(), { timeout: 15_000 }).toBe(1);
    const [status, category, , country] = await chain().readContract({ address: c().Credentials.address, abi: credentialsAbi, functionName: "statusOf", args: [newUser.address] });
    expect(status).toBe(CredentialStatus.Valid);
    expect(category).toBe(0); // Individual
    expect(country).toBeGreaterThan(0);

    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await outcome(page, /Logged in as did:/);
    const session = await page.evaluate(() => sessionStorage.getItem("kraken.session"));
    expect(session, "a login session token").toBeTruthy();
    // The holder's DID is the wallet's address.
    expect(await page.getByRole("status").filter({ hasText: /Logged in as/ }).innerText()).toContain(`did:pkh:eip155:${stack.deployment.chainId}:${newUser.address}`);
    await s.screenshot("register-logged-in");
    expect(s.outside(), "requests outside the configured endpoints").toEqual([]);
  }, 240_000);

  it("the new user gets demo DATA from the dashboard (once an hour) and buys with it; gas costs nothing", async () => {
    const newUser = freshPersonas()[0]; // registered by the previous test
    const product = stack.demo.products.find((p) => p.key === "anna-sleep")!;
    const ethBefore = await chain().getBalance({ address: newUser.address });
    expect(await balanceOf(newUser.address)).toBe(0n);
    const s = await browser.newPage(stack.origins);
    const { page } = s;
    await open(page, stack.urls.dapp, "/dashboard");
    await choosePersona(page, "New user 1", newUser.address);
    await page.getByRole("button", { name: "Get demo DATA" }).click();
    await outcome(page, /Received 1000 demo DATA/);
    expect(await balanceOf(newUser.address)).toBe(parseEther("1000"));
    await s.screenshot("dashboard-demo-data");
    await page.getByRole("button", { name: "Get demo DATA" }).click();
    await expect.poll(() => alerts(page), { timeout: 15_000 }).toMatch(/got demo DATA recently; ask again in/);

    await go(page, `/product/${product.id}`);
    await page.getByLabel("Purpose of use").selectOption({ label: "Research" });
    const verdict = page.getByRole("region", { name: "Eligibility" }).locator("[data-verdict]");
    await expect.poll(() => verdict.getAttribute("data-verdict"), { timeout: 15_000 }).toBe("Eligible");
    await page.getByRole("button", { name: /^Buy/ }).click();
    const done = page.getByRole("status").filter({ hasText: /Done: agreement #\d+/ });
    await Promise.race([done.waitFor({ timeout: 60_000 }), page.locator("[data-error-kind]").waitFor({ timeout: 60_000 })]);
    expect(await done.count(), await alerts(page)).toBe(1);
    expect(await balanceOf(newUser.address)).toBe(parseEther("980"));
    expect(await chain().getBalance({ address: newUser.address }), "no ETH spent on gas").toBe(ethBefore);
    expect(s.outside(), "requests outside the configured endpoints").toEqual([]);
  }, 180_000);

  it("Tomás renews his subscription for one more day from the dashboard", async () => {
    const tomas = stack.demo.personas.tomas;
    const product = stack.demo.products.find((p) => p.key === "anna-heart-rate")!;
    const id = agreementId("tomas-heart-rate");
    const before = await getAgreement(id);
    expect(before.status).toBe(AgreementStatus.Active);
    const balanceBefore = await balanceOf(tomas.address);

    const s = await browser.newPage(stack.origins);
    const { page } = s;
    await open(page, stack.urls.dapp, "/dashboard");
    await choosePersona(page, "Tomás Ribeiro", tomas.address);
    const row = page.getByRole("row", { name: titleRe(product.title) });
    await row.waitFor({ timeout: 30_000 });
    const expires = row.locator("time");
    expect(await expires.getAttribute("datetime")).toBe(new Date(before.endsAt * 1000).toISOString());
    // One-time products have nothing to renew.
    const nutrition = stack.demo.products.find((p) => p.key === "anna-nutrition")!;
    await page.getByRole("row", { name: titleRe(nutrition.title) }).waitFor();
    expect(await page.getByRole("row", { name: titleRe(nutrition.title) }).getByRole("button", { name: /Renew/ }).count()).toBe(0);

    await row.getByRole("button", { name: `Renew agreement ${id}` }).click();
    const panel = page.getByRole("region", { name: titleRe(`Renew “${product.title}”`) });
    await panel.waitFor();
    await panel.getByLabel("Number of days to add").fill("1");
    await expect.poll(() => panel.innerText()).toMatch(/Total: 1 DATA/);
    await panel.getByRole("button", { name: "Renew for 1 DATA" }).click();
    await outcome(page, /Renewed: agreement #\d+ now runs until/);
    const progress = panel.getByRole("list", { name: "Renewal progress" });
    await expect.poll(() => progress.getByRole("listitem").filter({ hasText: "Catalogue and dashboard updated" }).innerText(), { timeout: 60_000 }).toMatch(/\(done\)/);

    const after = await getAgreement(id);
    expect(after.endsAt, "one day more").toBe(before.endsAt + 86_400);
    expect(await balanceOf(tomas.address)).toBe(balanceBefore - parseEther("1"));
    const iso = new Date(after.endsAt * 1000).toISOString();
    expect(await panel.getByRole("status").locator("time").getAttribute("datetime")).toBe(iso);
    // The row shows the new expiry once the catalogue has the renewal.
    await expect.poll(() => expires.getAttribute("datetime"), { timeout: 30_000 }).toBe(iso);
    await s.screenshot("dashboard-renewed");
    expect(s.outside(), "requests outside the configured endpoints").toEqual([]);
  }, 240_000);

  it("the research institute cancels its pending request at 360 px and gets the escrow back", async () => {
    const institute = stack.demo.personas.researchInstitute;
    const product = stack.demo.products.find((p) => p.key === "diabetes-labs")!;
    const id = agreementId("research-diabetes");
    const before = await getAgreement(id);
    expect(before.status).toBe(AgreementStatus.Pending);
    const escrow = BigInt(before.amount);
    expect(escrow).toBe(parseEther("500"));
    const balanceBefore = await balanceOf(institute.address);

    const s = await browser.newPage(stack.origins, { width: 360, height: 780 });
    const { page } = s;
    await open(page, stack.urls.dapp, "/dashboard");
    await choosePersona(page, "Nordic Institute", institute.address);
    const row = page.getByRole("row", { name: titleRe(product.title) });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.innerText()).toMatch(/Pending approval/);
    // Only the latest agreement of a subscription offers Renew; the renewed ward stream does.
    const ward = stack.demo.products.find((p) => p.key === "ward-occupancy")!;
    expect(await page.getByRole("row", { name: titleRe(ward.title) }).getByRole("button", { name: /^Renew agreement/ }).count()).toBe(1);
    expect(await row.getByRole("button", { name: /^Renew/ }).count()).toBe(0);

    // Keyboard: Enter on the row's button opens the panel and moves focus to its heading.
    await row.getByRole("button", { name: `Cancel request ${id}` }).press("Enter");
    const panel = page.getByRole("region", { name: titleRe(`Cancel request #${id} for “${product.title}”`) });
    await panel.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent ?? "")).toMatch(/^Cancel request #\d+ for/);
    expect(await panel.innerText()).toMatch(/500 DATA held in escrow come back to you/);
    await panel.getByRole("button", { name: "Cancel the request and refund 500 DATA" }).press("Enter");
    await outcome(page, new RegExp(`Request #${id} cancelled; 500 DATA refunded`));

    const after = await getAgreement(id);
    expect(after.status).toBe(AgreementStatus.Cancelled);
    expect(await balanceOf(institute.address)).toBe(balanceBefore + escrow);
    await expect.poll(() => row.innerText(), { timeout: 30_000 }).toMatch(/Cancelled/);
    expect(await row.getByRole("button", { name: /Cancel request/ }).count()).toBe(0);
    await s.screenshot("dashboard-cancelled-360");

    // With the request withdrawn it may ask again: the product page's purchase flow (permit).
    await go(page, `/product/${product.id}`);
    const buy = page.getByRole("button", { name: "Request access for 500 DATA" });
    await expect.poll(() => buy.isEnabled(), { timeout: 30_000 }).toBe(true);
    await buy.click();
    await outcome(page, /Request sent: agreement #\d+ is waiting for the seller's approval/);
    const again = await chain().readContract({ address: c().Agreements.address, abi: agreementsAbi, functionName: "latestAgreementOf", args: [BigInt(product.id), institute.address] });
    expect(again).toBeGreaterThan(id);
    expect((await getAgreement(again)).status).toBe(AgreementStatus.Pending);
    expect(s.outside(), "requests outside the configured endpoints").toEqual([]);
  }, 240_000);
});
