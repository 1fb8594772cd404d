// `kraken query` and `kraken publish --type analytics` as users run them (child processes under
// the machine's Node), against the whole marketplace as `npm start` runs it: chain, IPFS,
// Streamr, the three SMPC nodes holding the demo's readmission table. Results are compared with
// a plaintext recount of the same deterministic table; refusals must cost the buyer nothing.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, createTestClient, http, keccak256, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { analyticsAbi, clientsFor, dataTokenAbi, marketplaceChain, policiesAbi, Purpose, requestQuery } from "@kraken/sdk";
import { evaluatePlaintext, parseQuery, parseSchema, type QueryResult } from "@kraken/sdk/analytics";
import { readmissionCsv, READMISSION_SCHEMA } from "../../smpc/src/demo-dataset.ts";
import { startMarketplace, type Marketplace } from "../../test/browser/harness/stack.ts";
import { EXIT } from "../src/errors.ts";
import { kraken } from "./run.ts";

let m: Marketplace;
const schema = parseSchema(READMISSION_SCHEMA);
const table = (() => {
  const [header, ...lines] = [...readmissionCsv()].map((l) => l.trimEnd().split(","));
  return lines.map((l) => Object.fromEntries(header.map((h, i) => [h, l[i]])));
})();
const plain = (q: unknown, minCohort = 10) => evaluatePlaintext(parseQuery(q), schema, table as never, { minCohort });
const productId = () => String(m.demo.products.find((p) => p.key === "readmission-analytics")!.id);
const keyOf = (persona: string) => (m.demo.personas as Record<string, { privateKey: string; address: Address }>)[persona];
const env = (persona?: string) => ({
  KRAKEN_RPC_URL: m.urls.rpc,
  KRAKEN_DEPLOYMENT: join(m.dir, "deployments", "localhost.json"),
  KRAKEN_IPFS_GATEWAY_URL: m.urls.ipfsGateway,
  KRAKEN_IPFS_API_URL: m.urls.ipfsApi,
  KRAKEN_STREAMR_PORT: m.urls.streamr.split(":").pop()!,
  ...(persona && { PRIVATE_KEY: keyOf(persona).privateKey }),
});
const balance = (persona: string) =>
  createPublicClient({ transport: http(m.urls.rpc) }).readContract({ address: m.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "balanceOf", args: [keyOf(persona).address] });
const query = async (args: string[], persona = "researchInstitute") => kraken(["query", productId(), ...args, "--purpose", "statistics", "--json"], env(persona));
const cellsOf = (r: QueryResult) => r.cells.map((c) => ({ key: c.key, suppressed: c.suppressed, count: c.count, mean: c.mean === undefined ? undefined : Number(c.mean.toFixed(9)) }));

beforeAll(async () => {
  m = await startMarketplace();
}, 240_000);
afterAll(async () => {
  await m?.stop();
});

describe("kraken query", () => {
  it("--describe shows what may be asked and the privacy rules", async () => {
    const r = await kraken(["query", productId(), "--describe", "--json"], env());
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({ rows: 10_000, minCohort: 10, epsilonPerQuery: 0, threshold: 2 });
    expect(d.allowed.groupBy).toEqual(["sex", "region", "diagnosis"]);
    expect(d.nodes).toHaveLength(3);
  });

  it("a mean with a filter and a group-by equals the plaintext recount; the three shares agree; 100 DATA paid", async () => {
    const before = await balance("researchInstitute");
    const r = await query(["--op", "mean", "--column", "length_of_stay", "--where", "sex=F", "--group-by", "region"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = JSON.parse(r.stdout) as { jobId: string; result: QueryResult };
    const expected = plain({ v: 1, op: "mean", column: "length_of_stay", where: [{ column: "sex", in: ["F"] }], groupBy: "region" });
    expect(cellsOf(out.result)).toEqual(cellsOf(expected));
    expect(out.result.consistent).toBe(true);
    expect(before - (await balance("researchInstitute"))).toBe(100n * 10n ** 18n);
  });

  it("cells of fewer than 10 people are withheld, the others exact", async () => {
    // A young cohort of one region and sex, per diagnosis: some diagnoses have fewer than 10 people.
    let pick: { region: string; sex: string } | undefined;
    for (const region of ["islands", "centre", "south", "north"]) {
      for (const sex of ["M", "F"]) {
        const cells = plain({ v: 1, op: "count", where: [{ column: "region", in: [region] }, { column: "sex", in: [sex] }, { column: "age", from: 18, to: 40 }], groupBy: "diagnosis" }).cells;
        if (!pick && cells.some((c) => c.suppressed) && cells.some((c) => !c.suppressed)) pick = { region, sex };
      }
    }
    expect(pick, "the demo table has small and large cells there").toBeDefined();
    const expected = plain({ v: 1, op: "count", where: [{ column: "region", in: [pick!.region] }, { column: "sex", in: [pick!.sex] }, { column: "age", from: 18, to: 40 }], groupBy: "diagnosis" });
    const r = await query(["--op", "count", "--where", `region=${pick!.region}`, "--where", `sex=${pick!.sex}`, "--where", "age=18..40", "--group-by", "diagnosis"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const got = (JSON.parse(r.stdout) as { result: QueryResult }).result;
    expect(cellsOf(got)).toEqual(cellsOf(expected));
    for (const c of got.cells.filter((x) => x.suppressed)) expect(c.count).toBeUndefined();
  });

  it("a query whose cohort differs from an earlier one by fewer than 10 people is refused, and refunded", async () => {
    // Find a cohort whose people aged 80+ number 1–9: asking for it with and without them would single them out.
    let pick: { where: string[] } | undefined;
    for (const region of ["north", "centre", "south", "islands"]) {
      for (const diagnosis of ["cardiac", "respiratory", "orthopaedic", "oncology", "neurology", "digestive", "other"]) {
        for (const sex of ["F", "M"]) {
          const old = plain({ v: 1, op: "count", where: [{ column: "region", in: [region] }, { column: "diagnosis", in: [diagnosis] }, { column: "sex", in: [sex] }, { column: "age", from: 80, to: 106 }] }, 0).cells[0].count!;
          if (!pick && old >= 1 && old <= 9) pick = { where: [`region=${region}`, `diagnosis=${diagnosis}`, `sex=${sex}`] };
        }
      }
    }
    expect(pick, "the demo table has such a cohort").toBeDefined();
    const first = await query(["--op", "count", ...pick!.where.flatMap((w) => ["--where", w])]);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const before = await balance("researchInstitute");
    const second = await query(["--op", "count", ...pick!.where.flatMap((w) => ["--where", w]), "--where", "age=18..80"]);
    expect(second.code, second.stderr + second.stdout).toBe(EXIT.notEligible);
    expect(JSON.parse(second.stdout)).toMatchObject({ error: "refused", message: expect.stringContaining("differs from one of your earlier queries") });
    expect(await balance("researchInstitute")).toBe(before); // refunded in the refusal transaction
  });

  it("bad queries and ineligible buyers are refused before anything is paid", async () => {
    const before = await balance("researchInstitute");
    const bad = await query(["--op", "median", "--column", "age"]);
    expect(bad.code).toBe(EXIT.usage);
    const unknown = await query(["--op", "count", "--where", "sex=X"]);
    expect(unknown.code).toBe(EXIT.usage);
    expect(JSON.parse(unknown.stdout).message).toMatch(/sex/);
    const noColumn = await query(["--op", "mean"]);
    expect(noColumn.code).toBe(EXIT.usage);
    expect(await balance("researchInstitute")).toBe(before);

    const insurer = await kraken(["query", productId(), "--op", "count", "--purpose", "insurance", "--json"], env("insurer"));
    expect(insurer.code).toBe(EXIT.notEligible);
    expect(JSON.parse(insurer.stdout).message).toMatch(/not eligible/);
  });

  it("--refund of a job the nodes answered is refused with a reason", async () => {
    const r = await kraken(["query", productId(), "--refund", "1", "--json"], env("researchInstitute"));
    expect(r.code).toBe(EXIT.conflict);
    expect(JSON.parse(r.stdout).message).toMatch(/closed already|still within its deadline/);
  });
});

describe("a job the nodes never answer", () => {
  it("is refunded with kraken query --refund once its deadline passed, not before", async () => {
    // Paid on chain without posting the query text: the nodes wait for it and never compute.
    const buyer = privateKeyToAccount(keyOf("researchInstitute").privateKey as Hex);
    const chain = marketplaceChain(m.urls.rpc, m.deployment.chainId);
    const { publicClient, wallet } = clientsFor(chain, buyer);
    const analytics = m.deployment.contracts.Analytics!.address;
    const dataset = await publicClient.readContract({ address: analytics, abi: analyticsAbi, functionName: "datasetOf", args: [BigInt(productId())] });
    const policy = await publicClient.readContract({ address: m.deployment.contracts.Policies.address, abi: policiesAbi, functionName: "policyOf", args: [BigInt(productId())] });
    const before = await balance("researchInstitute");
    const job = await requestQuery({
      publicClient, wallet, account: buyer, contracts: { analytics, token: m.deployment.contracts.DataToken.address }, productId: BigInt(productId()), purpose: Purpose.Statistics,
      policyVersion: policy.version, manifestHash: dataset.manifestHash, queryHash: keccak256(toHex("a query nobody posted")), price: 100n * 10n ** 18n, method: "approve",
    });
    const early = await kraken(["query", productId(), "--refund", String(job.jobId), "--json"], env("researchInstitute"));
    expect(early.code).toBe(EXIT.conflict);
    expect(JSON.parse(early.stdout)).toMatchObject({ error: "JobNotExpired" });

    const testClient = createTestClient({ mode: "anvil", transport: http(m.urls.rpc) });
    await testClient.increaseTime({ seconds: dataset.jobTimeout + 1 });
    await testClient.mine({ blocks: 1 });
    const r = await kraken(["query", productId(), "--refund", String(job.jobId), "--json"], env("researchInstitute"));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ jobId: String(job.jobId), refunded: String(100n * 10n ** 18n) });
    expect(await balance("researchInstitute")).toBe(before);
  });
});

describe("kraken publish --type analytics", () => {
  it("a seller publishes a CSV as an analytics product; a buyer's count equals the file's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kraken-analytics-"));
    const rows = ["ward,age,stay_days", ...Array.from({ length: 240 }, (_, i) => `${["a", "b", "c"][i % 3]},${20 + (i % 60)},${(1 + (i % 9) * 0.5).toFixed(1)}`)];
    writeFileSync(join(dir, "stays.csv"), rows.join("\n") + "\n");
    writeFileSync(join(dir, "schema.json"), JSON.stringify({ columns: [
      { name: "ward", kind: "categorical", values: ["a", "b", "c"] },
      { name: "age", kind: "numeric", min: 0, max: 100, decimals: 0, bins: [0, 50, 101] },
      { name: "stay_days", kind: "numeric", min: 0, max: 30, decimals: 1 },
    ] }));
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ purposes: ["statistics", "research"], consumers: ["organisation"], organisationTypes: ["research-university"], jurisdictions: "target", requiresApproval: false }));
    const p = await kraken(["publish", "--type", "analytics", "--csv", join(dir, "stays.csv"), "--schema", join(dir, "schema.json"), "--policy", join(dir, "policy.json"),
      "--title", "Ward stays (SMPC)", "--price", "1", "--k", "5", "--epsilon", "1", "--budget", "2", "--json"], env("hospital"));
    expect(p.code, p.stderr + p.stdout).toBe(0);
    const published = JSON.parse(p.stdout);
    expect(published).toMatchObject({ type: "Analytics", rows: 240, datasetVersion: 1 });

    const r = await kraken(["query", published.productId, "--op", "mean", "--column", "stay_days", "--where", "ward=a,b", "--purpose", "research", "--json"], env("researchInstitute"));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // ε 1 per query: the nodes add noise, so the answer is near the file's, not equal.
    const got = (JSON.parse(r.stdout) as { result: QueryResult }).result;
    const ab = rows.slice(1).map((l) => l.split(",")).filter((f) => f[0] !== "c");
    expect(got.epsilon).toBe(1);
    expect(Math.abs(got.cells[0].count! - ab.length)).toBeLessThan(40);
    expect(Math.abs(got.cells[0].mean! - ab.reduce((s, f) => s + Number(f[2]), 0) / ab.length)).toBeLessThan(3);

    // The budget (ε 2) allows one more query, then refuses before anything is paid.
    const second = await kraken(["query", published.productId, "--op", "count", "--purpose", "research", "--json"], env("researchInstitute"));
    expect(second.code, second.stderr + second.stdout).toBe(0);
    const before = await balance("researchInstitute");
    const third = await kraken(["query", published.productId, "--op", "count", "--purpose", "research", "--json"], env("researchInstitute"));
    expect(third.code).toBe(EXIT.conflict);
    expect(JSON.parse(third.stdout)).toMatchObject({ error: "PrivacyBudgetExhausted", message: expect.stringContaining("privacy budget is spent") });
    expect(await balance("researchInstitute")).toBe(before);
  });

  it("a CSV that does not match its schema is refused with the row, and nothing is committed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kraken-analytics-"));
    writeFileSync(join(dir, "bad.csv"), "ward,age\na,30\nb,300\n");
    writeFileSync(join(dir, "schema.json"), JSON.stringify({ columns: [{ name: "ward", kind: "categorical", values: ["a", "b"] }, { name: "age", kind: "numeric", min: 0, max: 100, decimals: 0 }] }));
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ purposes: ["statistics"], consumers: ["organisation"], organisationTypes: ["research-university"] }));
    const p = await kraken(["publish", "--type", "analytics", "--csv", join(dir, "bad.csv"), "--schema", join(dir, "schema.json"), "--policy", join(dir, "policy.json"), "--title", "Bad", "--json"], env("hospital"));
    expect(p.code).toBe(EXIT.usage);
    expect(JSON.parse(p.stdout).message).toMatch(/row 2.*age|age.*row 2/);
  });
});
