// Seller pages against the real local stack, with the Demo wallet: publishing through the
// wizard (an analytics product: a small CSV shared to the SMPC nodes; a stream product on a
// stream created in the wizard), then managing it (price, policy, deactivate
// and reactivate); approving a pending request; retracting consent for a consumer, after which
// that consumer is told why and the contract refuses its request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BaseError, ContractFunctionRevertedError, createPublicClient, http, parseEther } from "viem";
import { agreementsAbi, AgreementStatus, catalogueAbi, policiesAbi, ProductType, Purpose, Verdict, fromMask, OrganisationType, streamRegistryAbi, readOffer } from "@kraken/sdk";
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
const persona = (key: keyof Marketplace["demo"]["personas"]) => stack.demo.personas[key];
const c = () => stack.deployment.contracts;

/** Waits for an action's outcome on the page: the success text, or fails with the alert. */
async function outcome(page: import("playwright-core").Page, success: RegExp) {
  const ok = page.getByRole("status").filter({ hasText: success });
  const bad = page.getByRole("alert").filter({ hasText: "That did not work" });
  await Promise.race([ok.first().waitFor({ timeout: 60_000 }), bad.first().waitFor({ timeout: 60_000 })]);
  expect(await bad.count(), await alerts(page)).toBe(0);
}

describe("seller pages", () => {
  it("publishes an analytics product through the wizard, then edits its price and policy and deactivates it", async () => {
    const s = await browser.newPage(stack.origins);
    const { page } = s;
    await open(page, stack.urls.dapp, "/create");
    await choosePersona(page, "Baltic Open University", persona("university").address);
    await page.getByRole("radio", { name: /Analytics/ }).check();
    await page.getByRole("button", { name: "Next" }).click();
    // Keyboard only from here on: labelled fields, Enter submits the step.
    await page.getByLabel("Name").fill("Dropout risk by course (SMPC)");
    await page.getByLabel("Summary").fill("Computed over enrolment records without revealing them.");
    await page.getByLabel("Summary").press("Enter");
    await page.getByLabel("Dataset file (CSV)").setInputFiles({ name: "enrolments.csv", mimeType: "text/csv", buffer: Buffer.from("course,dropout\nmath,1\nart,0\n") });
    await page.getByRole("group", { name: "course", exact: true }).waitFor(); // the schema inferred from the file
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Category").fill("Education / Learning analytics");
    await page.getByRole("textbox", { name: /^Tags/ }).fill("dropout, smpc");
    await page.getByRole("textbox", { name: /^Tags/ }).press("Enter");
    await page.getByRole("checkbox", { name: "Education", exact: true }).check();
    await page.getByRole("checkbox", { name: "Education providers" }).check();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel(/Price in DATA/).fill("40");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Sign and publish" }).click();
    await outcome(page, /Published:/);
    await s.screenshot("create-analytics-published");
    expect(await page.locator('[data-task="publish"]').getAttribute("data-status")).toBe("done");
    const id = BigInt(/\d+/.exec(await page.getByRole("link", { name: /see product \d+/ }).innerText())![0]);
    const p = await chain().readContract({ address: c().Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [id] });
    expect([p.productType, p.price, p.seller]).toEqual([ProductType.Analytics, parseEther("40"), persona("university").address]);
    const pol = await chain().readContract({ address: c().Policies.address, abi: policiesAbi, functionName: "policyOf", args: [id] });
    expect(fromMask(pol.purposes).sort()).toEqual([Purpose.Research, Purpose.Education].sort());

    // Manage it: the list, then the product.
    await go(page, "/manage");
    await page.getByRole("link", { name: "Dropout risk by course (SMPC)" }).click();
    await page.getByRole("heading", { name: /Manage: Dropout risk/ }).waitFor();
    await s.screenshot("manage-product");
    await page.getByLabel(/Price in DATA/).fill("55");
    await page.getByRole("button", { name: "Save price" }).click();
    await outcome(page, /Price changed/);
    expect((await chain().readContract({ address: c().Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [id] })).price).toBe(parseEther("55"));

    await page.getByRole("checkbox", { name: "Public authorities" }).check();
    await page.getByRole("button", { name: "Save policy" }).click();
    await outcome(page, /Policy saved/);
    const pol2 = await chain().readContract({ address: c().Policies.address, abi: policiesAbi, functionName: "policyOf", args: [id] });
    expect(pol2.version).toBe(2);
    expect(fromMask(pol2.organisationTypes)).toContain(OrganisationType.PublicAuthority);

    await page.getByRole("button", { name: "Deactivate" }).click();
    await outcome(page, /Deactivated/);
    expect((await chain().readContract({ address: c().Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [id] })).active).toBe(false);
    await page.getByRole("button", { name: "Reactivate" }).click();
    await outcome(page, /Reactivated/);
    expect((await chain().readContract({ address: c().Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [id] })).active).toBe(true);
    await s.screenshot("manage-product-after");
    expect(s.outside(), "requests outside the configured endpoints").toEqual([]);
  }, 180_000);

  it("publishes a stream product on a new stream created in the wizard (360 px)", async () => {
    const seller = persona("hospital").address;
    const registry = stack.deployment.streamRegistry!;
    expect(registry, "the deployment has a StreamRegistry").toBeTruthy();
    const s = await browser.newPage(stack.origins, { width: 360, height: 780 });
    const { page } = s;
    await open(page, stack.urls.dapp, "/create");
    await choosePersona(page, "Santa Lucia", seller);
    await page.getByRole("radio", { name: /Stream product/ }).check();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Name").fill("Ward 7 bedside monitors, live");
    await page.getByLabel("Summary").fill("Heart rate, SpO2 and blood pressure every second, de-identified.");
    await page.getByLabel("Summary").press("Enter");

    // The data step: a new stream, its path proposed from the name.
    const path = page.getByLabel("Stream path");
    expect(await path.inputValue()).toBe("/kraken/ward-7-bedside-monitors-live");
    const streamId = `${seller.toLowerCase()}/kraken/ward-7-bedside-monitors-live`;
    expect(await chain().readContract({ address: registry, abi: streamRegistryAbi, functionName: "exists", args: [streamId] })).toBe(false);
    await path.press("Enter"); // keyboard: Enter in the path creates the stream (not the next step)
    await outcome(page, /created: added to this product/);
    await s.screenshot("create-stream-created-360px");
    expect(await page.locator('[data-task="create"]').getAttribute("data-status")).toBe("done");
    expect(await page.getByLabel("Stream ids (one per line)").inputValue()).toBe(streamId);
    // Again: it exists and is the seller's, so it is only added (once).
    await page.getByRole("button", { name: "Create stream" }).click();
    await outcome(page, /exists already and is yours/);
    expect(await page.getByLabel("Stream ids (one per line)").inputValue()).toBe(streamId);
    // A path the registry refuses is explained, nothing is sent.
    await path.fill("/kraken/ward 7");
    await page.getByRole("button", { name: "Create stream" }).click();
    expect(await page.getByRole("alert").filter({ hasText: "That did not work" }).innerText()).toMatch(/only letters/);
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByLabel("Category").fill("Health / Vital signs");
    await page.getByRole("textbox", { name: /^Tags/ }).fill("icu, vitals");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Next" }).click(); // the default policy
    await page.getByLabel(/Price in DATA/).fill("3");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Sign and publish" }).click();
    await outcome(page, /Published:/);
    await s.screenshot("create-stream-published-360px");
    const id = BigInt(/\d+/.exec(await page.getByRole("link", { name: /see product \d+/ }).innerText())![0]);
    const p = await chain().readContract({ address: c().Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [id] });
    expect([p.productType, p.seller]).toEqual([ProductType.Stream, seller]);
    expect(await chain().readContract({ address: c().Catalogue.address, abi: catalogueAbi, functionName: "streamsOf", args: [id] })).toEqual([streamId]);
    expect(await chain().readContract({ address: registry, abi: streamRegistryAbi, functionName: "hasPermission", args: [streamId, seller, 4] })).toBe(true);
    expect(s.outside(), "requests outside the configured endpoints").toEqual([]);
  }, 180_000);

  it("approves a pending request: the escrowed payment goes to the seller and access starts", async () => {
    const pending = stack.demo.agreements.find((a) => a.label === "research-diabetes")!;
    const product = stack.demo.products.find((p) => p.key === "diabetes-labs")!;
    const s = await browser.newPage(stack.origins, { width: 360, height: 780 });
    const { page } = s;
    await open(page, stack.urls.dapp, `/manage/${product.id}`);
    await choosePersona(page, "Santa Lucia", persona("hospital").address);
    const request = page.getByTestId("pending-request").filter({ hasText: `Request ${pending.id}` });
    await request.waitFor({ timeout: 30_000 });
    await s.screenshot("manage-pending-360px");
    await request.getByRole("button", { name: `Approve request ${pending.id}` }).click();
    await outcome(page, new RegExp(`Approved request ${pending.id}`));
    const a = await chain().readContract({ address: c().Agreements.address, abi: agreementsAbi, functionName: "getAgreement", args: [BigInt(pending.id)] });
    expect(a.status).toBe(AgreementStatus.Active);
    expect(await page.getByTestId("pending-request").count()).toBe(0);
    expect(s.outside()).toEqual([]);
  }, 120_000);

  it("retracts consent for a consumer: the consumer is told why and its next request is refused", async () => {
    const product = stack.demo.products.find((p) => p.key === "icu-vitals")!;
    const pharma = persona("pharma").address;
    const eligibility = () => chain().readContract({ address: c().Agreements.address, abi: agreementsAbi, functionName: "eligibility", args: [BigInt(product.id), pharma, Purpose.Research] });
    expect(await eligibility()).toBe(Verdict.Eligible);

    const s = await browser.newPage(stack.origins);
    const { page } = s;
    await open(page, stack.urls.dapp, `/manage/${product.id}`);
    await choosePersona(page, "Santa Lucia", persona("hospital").address);
    await page.getByLabel("Buyer address").fill(pharma);
    await page.getByRole("button", { name: "Retract consent" }).click();
    await outcome(page, /Consent retracted/);
    await page.getByRole("button", { name: `Restore consent for ${pharma.toLowerCase()}` }).waitFor({ timeout: 30_000 });
    await s.screenshot("manage-consent-retracted");
    expect(await eligibility()).toBe(Verdict.ConsentRetracted);

    const b = await browser.newPage(stack.origins);
    await open(b.page, stack.urls.dapp, `/product/${product.id}`);
    await choosePersona(b.page, "Medivance Pharma", pharma);
    await b.page.getByLabel("Purpose of use").selectOption({ label: "Research" });
    const region = b.page.getByRole("region", { name: "Eligibility" });
    await expect.poll(() => region.locator("[data-verdict]").getAttribute("data-verdict"), { timeout: 15_000 }).toBe("ConsentRetracted");
    expect(await region.innerText()).toMatch(/^No\./m);
    expect(await b.page.getByRole("button", { name: /^Buy/ }).isDisabled()).toBe(true);
    await b.screenshot("product-consent-retracted");
    // The contract refuses the request itself, whatever a client shows.
    const offer = await readOffer(chain(), { catalogue: c().Catalogue.address, policies: c().Policies.address }, BigInt(product.id));
    const err = await chain()
      .simulateContract({ account: pharma, address: c().Agreements.address, abi: agreementsAbi, functionName: "requestAccess", args: [BigInt(product.id), Purpose.Research, offer.policyVersion, offer.pricingUnit, 1, parseEther("1000")] })
      .catch((e: unknown) => e);
    const revert = (err as BaseError).walk?.((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    expect(revert?.data?.errorName).toBe("ConsentRetracted");
    expect([...s.outside(), ...b.outside()]).toEqual([]);
  }, 120_000);
});
