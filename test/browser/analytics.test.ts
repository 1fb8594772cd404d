// Analytics products (SMPC) in the browser, against the real local stack (`npm start`: chain,
// indexer, IPFS, Streamr, the three SMPC nodes holding the demo's readmission dataset):
// 1. the research institute opens "30-day readmission statistics (SMPC)", reads its privacy
//    guarantees, builds "mean length_of_stay where sex = F grouped by region", pays, and the
//    result rebuilt in the page equals the plaintext recount of the demo dataset
//    (smpc/src/demo-dataset.ts, evaluatePlaintext);
// 2. an incomplete query is explained before anything is paid, and a query with a small group
//    shows that group as withheld (fewer than 10) while the others match the recount;
// 3. a query whose group differs from an earlier one by fewer than 10 people is refused by the
//    nodes, and the page says so and that the payment came back;
// 4. the hospital publishes a small CSV as an analytics product through the wizard (schema
//    inferred and edited in the page, shares uploaded from the browser, dataset committed), and
//    the institute queries it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, parseEther, type Address } from "viem";
import type { Page } from "playwright-core";
import { analyticsAbi, catalogueAbi, dataTokenAbi, JobStatus, ProductType } from "@kraken/sdk";
import { evaluatePlaintext, parseSchema, validateQuery, type Query, type QueryResult, type Schema } from "@kraken/sdk/analytics";
import { readmissionCsv, READMISSION_SCHEMA } from "../../smpc/src/demo-dataset.ts";
import { launchBrowser, type RecordedPage, type RunningBrowser } from "./harness/browser.ts";
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
const analytics = () => (stack.deployment.contracts as Record<string, { address: Address } | undefined>).Analytics!.address;
const balanceOf = (who: Address) => chain().readContract({ address: stack.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "balanceOf", args: [who] });

// stack.origins includes the SMPC nodes' HTTP and Streamr ports (the page posts queries and uploads to them).
const newPage = (viewport?: { width: number; height: number }) => browser.newPage(stack.origins, viewport);

// The demo dataset as records, for the plaintext recount.
const SCHEMA: Schema = parseSchema(READMISSION_SCHEMA);
const ROWS: Record<string, string>[] = (() => {
  const [header, ...lines] = [...readmissionCsv()].map((l) => l.trimEnd().split(","));
  return lines.map((f) => Object.fromEntries(header.map((h, i) => [h, f[i]])));
})();
const K = 10;
const recount = (q: Query): QueryResult => evaluatePlaintext(q, SCHEMA, ROWS, { minCohort: K });
const count = (where: (r: Record<string, string>) => boolean) => ROWS.filter(where).length;
const DIAGNOSES = (SCHEMA.columns.find((c) => c.name === "diagnosis") as { values: string[] }).values;

const readmissionId = () => stack.demo.products.find((p) => p.key === "readmission-analytics")!.id;

/** Builds a query in the page's query builder. */
async function build(page: Page, q: { op: string; column?: string; where?: ({ column: string; in: string[] } | { column: string; from: number; to: number })[]; groupBy?: string }) {
  const panel = page.getByRole("complementary", { name: "Query the data" });
  await panel.getByLabel("Operation").selectOption(q.op);
  if (q.column) await panel.getByLabel("Column", { exact: true }).selectOption(q.column);
  for (const w of q.where ?? []) {
    await panel.getByLabel("Add a condition on").selectOption(w.column);
    await panel.getByRole("button", { name: "Add condition" }).click();
    if ("in" in w) {
      const group = panel.getByRole("group", { name: `${w.column} is one of` });
      for (const v of w.in) await group.getByRole("checkbox", { name: v, exact: true }).check();
    } else {
      const group = panel.getByRole("group", { name: `${w.column} in the range` });
      await group.getByLabel(/^From/).selectOption(String(w.from));
      await group.getByLabel(/^To/).selectOption(String(w.to));
    }
  }
  await panel.getByLabel("Group by").selectOption(q.groupBy ?? "");
}

/** Removes every condition of the builder. */
async function clearConditions(page: Page) {
  const remove = page.getByRole("button", { name: /^Remove the condition on/ });
  while (await remove.count()) await remove.first().click();
}

/** Runs the built query and waits for its result (or fails with the page's alerts); returns the job id. */
async function run(s: RecordedPage, shot: string): Promise<bigint> {
  const { page } = s;
  const button = page.getByRole("button", { name: /^Run query/ });
  await expect.poll(() => button.isEnabled(), { timeout: 15_000 }).toBe(true);
  await button.click();
  const result = page.getByRole("region", { name: "Query result" });
  await Promise.race([result.waitFor({ timeout: 150_000 }), page.getByRole("alert").first().waitFor({ timeout: 150_000 })]).catch(() => {});
  await s.screenshot(shot);
  expect(await result.count(), `no result; progress:\n${await page.getByRole("list", { name: "Query progress" }).innerText().catch(() => "")}\nalerts:\n${await alerts(page)}`).toBe(1);
  return BigInt((await result.getAttribute("data-job"))!);
}

/** What the result table shows per operation. */
const SHOWN: Record<Query["op"], ("count" | "sum" | "mean" | "variance" | "stddev")[]> = {
  count: ["count"], histogram: ["count"], sum: ["count", "sum"], mean: ["count", "mean"], variance: ["count", "mean", "variance"], stddev: ["count", "mean", "stddev"],
};

/** The page's result cells equal the plaintext recount, cell by cell (noise is off in the demo). */
async function expectResult(page: Page, op: Query["op"], expected: QueryResult) {
  const region = page.getByRole("region", { name: "Query result" });
  for (const cell of expected.cells) {
    const row = region.locator(`tr[data-cell="${cell.key}"]`);
    expect(await row.count(), `row for cell ${cell.key}`).toBe(1);
    if (cell.suppressed) {
      expect(await row.getAttribute("data-suppressed")).toBe("true");
      expect(await row.innerText()).toContain(`withheld (fewer than ${K})`);
      continue;
    }
    for (const k of SHOWN[op]) {
      if (cell[k] === undefined) continue; // a sum alone reveals no count
      const raw = await row.locator(`td[data-value="${k}"]`).getAttribute("data-raw");
      expect(Number(raw), `${k} of cell ${cell.key}`).toBeCloseTo(cell[k]!, 9);
    }
  }
}

describe("analytics products (SMPC) in the browser", () => {
  let s: RecordedPage;

  it("the research institute asks for the mean length of stay of women by region and gets the plaintext recount", async () => {
    const institute = persona("researchInstitute").address;
    s = await newPage();
    const { page } = s;
    await open(page, stack.urls.dapp, `/product/${readmissionId()}`);
    await choosePersona(page, "Nordic Institute", institute);
    await page.getByRole("heading", { level: 1, name: "30-day readmission statistics (SMPC)" }).waitFor({ timeout: 30_000 });

    // What protects the people in the data, in plain words, from the manifest.
    const privacy = page.getByRole("region", { name: "Privacy guarantees" });
    await privacy.waitFor({ timeout: 30_000 });
    const guarantees = await privacy.innerText();
    expect(guarantees).toContain(`Results for groups of fewer than ${K} people are withheld.`);
    expect(guarantees).toContain(`A query that differs from one of your earlier queries by fewer than ${K} people is refused.`);
    expect(guarantees).toContain("No noise is added");
    expect(await page.getByTestId("price-per-query").innerText()).toBe("100 DATA");
    await page.getByLabel("Purpose of use").selectOption({ label: "Statistics" });
    const verdict = page.getByRole("region", { name: "Eligibility" }).locator("[data-verdict]");
    await expect.poll(() => verdict.getAttribute("data-verdict"), { timeout: 15_000 }).toBe("Eligible");
    // No "Buy" for analytics products: they are sold one query at a time.
    expect(await page.getByRole("button", { name: /^Buy/ }).count()).toBe(0);

    const q: Query = { v: 1, op: "mean", column: "length_of_stay", where: [{ column: "sex", in: ["F"] }], groupBy: "region" };
    await build(page, q);
    expect(await page.getByTestId("query-words").innerText()).toBe("mean of length_of_stay where sex is F, grouped by region");
    await s.screenshot("analytics-1-query");
    const before = await balanceOf(institute);
    const jobId = await run(s, "analytics-2-result");

    const expected = recount(validateQuery(q, { schema: SCHEMA, allowed: { columns: SCHEMA.columns.map((c) => c.name), operations: ["mean"], groupBy: ["region"] } }));
    expect(expected.cells.map((c) => c.key).sort()).toEqual(["centre", "islands", "north", "south"]);
    await expectResult(page, q.op, expected);
    const facts = await page.getByRole("region", { name: "Query result" }).innerText();
    expect(facts).toContain("No noise was added");
    expect(facts).toMatch(/Answered by [23] of 3 nodes/);

    // On chain: the job completed (the seller was paid) and the institute paid the price once.
    const job = await chain().readContract({ address: analytics(), abi: analyticsAbi, functionName: "getJob", args: [jobId] });
    expect(job.consumer).toBe(institute);
    expect(job.status).toBe(JobStatus.Completed);
    expect(before - (await balanceOf(institute))).toBe(parseEther("100"));
    expect(s.outside(), "requests outside the configured endpoints").toEqual([]);
  }, 240_000);

  it("explains an incomplete query before paying, and withholds a group of fewer than 10 people", async () => {
    expect(s, "needs the page of the previous test").toBeDefined();
    const { page } = s;
    await clearConditions(page);
    await page.getByLabel("Operation").selectOption("count");
    await page.getByLabel("Add a condition on").selectOption("diagnosis");
    await page.getByRole("button", { name: "Add condition" }).click();
    const problem = page.locator("[data-query-error]");
    await expect.poll(() => problem.innerText()).toContain("Choose at least one value of diagnosis");
    expect(await page.getByRole("button", { name: /^Run query/ }).isDisabled()).toBe(true);
    await s.screenshot("analytics-3-incomplete");
    await clearConditions(page);

    // A cohort with some regions below k and some above (found in the plaintext).
    const ages = [[18, 40], [40, 65], [65, 80], [80, 106]] as const;
    let picked: Query | undefined;
    for (const [from, to] of ages) {
      for (const d of DIAGNOSES) {
        for (const sex of ["F", "M"]) {
          const q: Query = { v: 1, op: "count", where: [{ column: "age", from, to }, { column: "diagnosis", in: [d] }, { column: "sex", in: [sex] }], groupBy: "region" };
          const r = recount(q);
          if (r.cells.some((c) => c.suppressed) && r.cells.some((c) => !c.suppressed)) picked ??= q;
        }
      }
    }
    expect(picked, "the demo dataset has a diagnosis, sex and age band with a region below 10 people").toBeDefined();
    await build(page, { op: "count", where: picked!.where, groupBy: "region" });
    await run(s, "analytics-4-withheld");
    const expected = recount(validateQuery(picked!, { schema: SCHEMA, allowed: { columns: SCHEMA.columns.map((c) => c.name), operations: ["count"], groupBy: ["region"] } }));
    await expectResult(page, "count", expected);
    expect(await page.getByRole("region", { name: "Query result" }).innerText()).toMatch(/withheld: fewer than 10 people/);
    expect(s.outside()).toEqual([]);
  }, 240_000);

  it("refuses a query whose group differs from an earlier one by fewer than 10 people, and says the payment came back", async () => {
    expect(s, "needs the page of the previous tests").toBeDefined();
    const { page } = s;
    // A: count of one diagnosis, sex and region; B: the same within an age range that leaves out 1–9 of them.
    let pair: { a: Query; b: Query } | undefined;
    for (const region of ["islands", "centre", "south", "north"]) {
      for (const d of DIAGNOSES) {
        for (const sex of ["F", "M"]) {
          for (const [from, to] of [[18, 80], [40, 106], [18, 65], [65, 106]] as const) {
            const inA = (r: Record<string, string>) => r.region === region && r.diagnosis === d && r.sex === sex;
            const a = count(inA);
            const b = count((r) => inA(r) && Number(r.age) >= from && Number(r.age) < to);
            if (a - b >= 1 && a - b < K && b >= 3 * K) {
              const where = [{ column: "diagnosis", in: [d] }, { column: "region", in: [region] }, { column: "sex", in: [sex] }];
              pair ??= { a: { v: 1, op: "count", where }, b: { v: 1, op: "count", where: [{ column: "age", from, to }, ...where] } };
            }
          }
        }
      }
    }
    expect(pair, "the demo dataset has a region, diagnosis and sex of which an age range leaves out 1–9 patients").toBeDefined();
    await clearConditions(page);
    await build(page, { op: "count", where: pair!.a.where, groupBy: "" });
    await run(s, "analytics-5-cohort-a");

    const institute = persona("researchInstitute").address;
    const before = await balanceOf(institute);
    await clearConditions(page);
    await build(page, { op: "count", where: pair!.b.where, groupBy: "" });
    await page.getByRole("button", { name: /^Run query/ }).click();
    const refused = page.locator('[data-outcome="refused"]');
    await Promise.race([refused.waitFor({ timeout: 150_000 }), page.getByRole("region", { name: "Query result" }).waitFor({ timeout: 150_000 })]).catch(() => {});
    await s.screenshot("analytics-6-refused");
    expect(await refused.count(), `not refused; alerts:\n${await alerts(page)}`).toBe(1);
    const text = await refused.innerText();
    expect(text).toContain(`differs from one of your earlier queries by fewer than ${K} people`);
    expect(text).toMatch(/refunded in full/);
    expect(await page.locator('[data-refusal="Differencing"]').count()).toBeGreaterThan(0);
    expect(await balanceOf(institute)).toBe(before); // paid, then refunded by the refusal

    // Dashboard → My queries: the jobs with their fate; the texts this browser asked.
    await go(page, "/dashboard?view=queries");
    const table = page.getByRole("table", { name: "My queries" });
    await table.waitFor({ timeout: 30_000 });
    await expect.poll(async () => table.locator('tr[data-status="REFUSED"]').count(), { timeout: 30_000 }).toBe(1);
    expect(await table.locator('tr[data-status="COMPLETED"]').count()).toBe(4); // the seeded query and this page's three
    expect(await table.innerText()).toContain("mean of length_of_stay where sex is F, grouped by region");
    await s.screenshot("analytics-7-my-queries");
    expect(s.outside()).toEqual([]);
  }, 240_000);

  it("the hospital publishes a small CSV as an analytics product through the wizard; the institute queries it", async () => {
    const hospital = persona("hospital").address;
    // 60 admissions: ages 20–79, two sexes, stays with one decimal.
    const lines = ["age,sex,stay,note"];
    for (let i = 0; i < 60; i++) lines.push(`${20 + i},${i % 3 === 0 ? "M" : "F"},${((i * 7) % 30) / 2 + 0.5},free text ${i}`);
    const csv = Buffer.from(lines.join("\n") + "\n");
    const title = `Clinic stays ${Date.now().toString(36)} (SMPC)`;

    const w = await newPage();
    const { page } = w;
    await open(page, stack.urls.dapp, "/create");
    await choosePersona(page, "Santa Lucia", hospital);
    await page.getByRole("radio", { name: /Analytics/ }).check();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Name").fill(title);
    await page.getByLabel("Summary").fill("Length of stay by age and sex, computed by SMPC.");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByLabel("Dataset file (CSV)").setInputFiles({ name: "stays.csv", mimeType: "text/csv", buffer: csv });
    // Inferred: age and stay numeric, sex categorical; "note" has 60 distinct values (categorical) — leave it out.
    const age = page.getByRole("group", { name: "age", exact: true });
    await age.waitFor();
    expect(await age.getByLabel("Kind").inputValue()).toBe("numeric");
    expect(await age.getByLabel("Min").inputValue()).toBe("20");
    expect(await age.getByLabel("Max").inputValue()).toBe("79");
    await age.getByLabel("Max").fill("110");
    await age.getByLabel(/^Bin edges/).fill("0, 40, 65, 111");
    const stay = page.getByRole("group", { name: "stay", exact: true });
    expect(await stay.getByLabel("Decimals").inputValue()).toBe("1");
    expect(await page.getByRole("group", { name: "sex", exact: true }).getByLabel(/^Values/).inputValue()).toBe("F, M");
    await page.getByRole("group", { name: "note", exact: true }).getByRole("checkbox", { name: "Use this column" }).uncheck();
    await page.getByLabel("Smallest group revealed (k)").fill("5");
    await w.screenshot("analytics-wizard-data");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Category").fill("Health / Analytics");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Next" }).click(); // policy: the defaults (research; hospitals and universities)
    await page.getByLabel(/Price in DATA/).fill("5");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Sign and publish" }).click();
    const published = page.locator('[data-task="indexed"][data-status="done"]');
    const failed = page.getByRole("alert").filter({ hasText: "That did not work" });
    await Promise.race([published.waitFor({ timeout: 180_000 }), failed.waitFor({ timeout: 180_000 })]);
    await w.screenshot("analytics-wizard-published");
    const progress = await page.getByRole("list", { name: "Publishing progress" }).innerText();
    expect(await failed.count(), `publishing failed:\n${progress}\n${await alerts(page)}`).toBe(0);
    expect(await page.locator('[data-task="upload"]').getAttribute("data-status")).toBe("done");

    const productId = BigInt(/\d+/.exec(await page.getByRole("link", { name: /see product \d+/ }).innerText())![0]);
    const product = await chain().readContract({ address: stack.deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [productId] });
    expect(product.productType).toBe(ProductType.Analytics);
    expect(product.deliveryAgents).toEqual([persona("smpc1").address, persona("smpc2").address, persona("smpc3").address]);
    expect(product.threshold).toBe(2);
    const dataset = await chain().readContract({ address: analytics(), abi: analyticsAbi, functionName: "datasetOf", args: [productId] });
    expect([dataset.version, dataset.rows, dataset.minCohort]).toEqual([1, 60, 5]);
    // The public manifest names the schema and rules, never a value of the data.
    const manifest = await (await fetch(`${stack.urls.ipfsGateway}/ipfs/${dataset.manifestURI.slice("ipfs://".length)}`)).json();
    expect(manifest.schema.columns.map((c: { name: string }) => c.name)).toEqual(["age", "sex", "stay"]);
    expect(JSON.stringify(manifest)).not.toContain("free text");
    expect(w.outside()).toEqual([]);

    // The institute queries it (on a phone, 360 px): the mean stay of women, checked against the CSV.
    const b = await newPage({ width: 360, height: 780 });
    await open(b.page, stack.urls.dapp, `/product/${productId}`);
    await choosePersona(b.page, "Nordic Institute", persona("researchInstitute").address);
    await b.page.getByRole("region", { name: "Privacy guarantees" }).waitFor({ timeout: 30_000 });
    await build(b.page, { op: "mean", column: "stay", where: [{ column: "sex", in: ["F"] }] });
    await run(b, "analytics-wizard-queried");
    const rows = lines.slice(1).map((l) => l.split(",")).filter((f) => f[1] === "F");
    const mean = rows.reduce((a, f) => a + Number(f[2]), 0) / rows.length;
    const raw = await b.page.getByRole("region", { name: "Query result" }).locator('td[data-value="mean"]').getAttribute("data-raw");
    expect(Number(raw)).toBeCloseTo(mean, 9);

    // A histogram of age by sex: one bar chart per sex, counts as in the CSV.
    await clearConditions(b.page);
    await build(b.page, { op: "histogram", column: "age", groupBy: "sex" });
    await run(b, "analytics-wizard-histogram");
    const result = b.page.getByRole("region", { name: "Query result" });
    const charts = result.getByRole("img");
    expect(await charts.count()).toBe(2);
    for (const [sex, [lo, hi]] of [["F", [0, 40]], ["M", [65, 111]]] as const) {
      const n = lines.slice(1).map((l) => l.split(",")).filter((f) => f[1] === sex && Number(f[0]) >= lo && Number(f[0]) < hi).length;
      expect(await result.locator(`tr[data-cell="${sex}|${lo}–${hi}"] td[data-value="count"]`).getAttribute("data-raw")).toBe(String(n));
      expect(await charts.filter({ hasText: `sex = ${sex}` }).getAttribute("aria-label")).toContain(`${lo} to under ${hi}: ${n}`);
    }
    expect(await b.page.evaluate(() => document.documentElement.scrollWidth), "no horizontal scrolling at 360 px").toBeLessThanOrEqual(360);
    expect(b.outside()).toEqual([]);
  }, 360_000);
});
