// `kraken search | product | buy | agreements [terminate]` as users run them (child processes), against a
// real seeded chain and the real local indexer serving the compiled subgraph; demo personas'
// keys from the development mnemonic.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agreementsAbi, agreementsWithTokenErrorsAbi, AgreementStatus, dataTokenAbi, Purpose, readOffer } from "@kraken/sdk";
import { PERSONAS, PRODUCTS, type PersonaKey } from "../../contracts/scripts/demo.ts";
import { buildSubgraph } from "../../subgraph/scripts/build.ts";
import { startIndexer, type RunningIndexer } from "../../indexer/src/index.ts";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { EXIT } from "../src/errors.ts";
import { explainRevert } from "../src/market.ts";
import { kraken } from "./run.ts";

let s: Stack;
let indexer: RunningIndexer;

const idOf = (key: string) => String(PRODUCTS.findIndex((p) => p.key === key) + 1);
const persona = (key: PersonaKey) => s.clients(PERSONAS.find((p) => p.key === key)!.accountIndex);
/** The endpoints come from the environment, as a user would configure them. */
const env = (key?: PersonaKey, extra: Record<string, string> = {}) => ({
  KRAKEN_RPC_URL: s.rpcUrl,
  KRAKEN_SUBGRAPH_URL: indexer.url,
  KRAKEN_DEPLOYMENT: s.deploymentFile,
  ...(key && { PRIVATE_KEY: persona(key).privateKey }),
  ...extra,
});
const json = async (args: string[], key?: PersonaKey) => {
  const r = await kraken([...args, "--json"], env(key));
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout);
};
const DOWN = "http://127.0.0.1:9/subgraphs/name/kraken/marketplace";

beforeAll(async () => {
  s = await startStack({ seed: true });
  indexer = await startIndexer({ rpcUrl: s.rpcUrl, manifestFile: buildSubgraph(s.deployment), dataDir: join(s.dir, "indexer"), port: 0, log: () => {} });
  await indexer.waitFor(await s.clients(0).publicClient.getBlockNumber());
});

afterAll(async () => {
  await indexer?.stop().catch(() => {});
  await s?.stop();
});

describe("kraken search", () => {
  it("finds the ICU product by full text and prints a table", async () => {
    const r = await json(["search", "icu"]);
    expect(r.products.map((p: { id: string }) => p.id)).toEqual([idOf("icu-vitals")]);
    expect(r.products[0]).toMatchObject({ title: "Anonymised ICU vital signs 2019–2024", type: "BATCH", priceText: "250 DATA", sales: 1 });
    const human = await kraken(["search", "icu"], env());
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^id\s+title\s+type\s+price\s+seller\s+sales/);
    expect(human.stdout).toMatch(/1\s+Anonymised ICU vital signs 2019–2024\s+batch\s+250 DATA\s+0x3c44…93bc\s+1/);
  });

  it("filters by type, price and purpose, and sorts", async () => {
    const streams = await json(["search", "--type", "stream", "--sort", "price-desc"]);
    expect(streams.products.map((p: { title: string }) => p.title)).toEqual(["Live enrollment status", "Post-discharge medication adherence", "Real-time ward occupancy", "My heart rate and steps, live"]);
    const free = await json(["search", "--free"]);
    expect(free.products.map((p: { id: string }) => p.id).sort()).toEqual([idOf("chest-xray"), idOf("anna-nutrition")].sort());
    expect(free.products.every((p: { price: string }) => p.price === "0")).toBe(true);
    const unions = await json(["search", "--type", "data-union", "--purpose", "insurance"]);
    expect(unions.products.map((p: { id: string }) => p.id)).toEqual([idOf("wearables-union")]);
    const cheap = await json(["search", "--max-price", "5", "--category", "wellbeing"]);
    expect(cheap.products.map((p: { id: string }) => p.id).sort()).toEqual(["anna-heart-rate", "anna-nutrition", "mood-union"].map(idOf).sort());
  });

  it("--eligible keeps what the chain says the caller may buy for the purpose", async () => {
    const r = await json(["search", "--eligible", "--purpose", "insurance"], "insurer");
    expect(r.products.map((p: { id: string }) => p.id)).toEqual([idOf("wearables-union")]);
    const noKey = await kraken(["search", "--eligible", "--purpose", "research"], env());
    expect(noKey.code).toBe(EXIT.config);
    const noPurpose = await kraken(["search", "--eligible"], env("insurer"));
    expect(noPurpose.code).toBe(EXIT.usage);
    expect(noPurpose.stderr).toContain("--eligible needs --purpose");
  });

  it("says when the subgraph is unreachable", async () => {
    const r = await kraken(["search", "icu"], env(undefined, { KRAKEN_SUBGRAPH_URL: DOWN }));
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toContain("cannot reach the subgraph at http://127.0.0.1:9");
  });
});

describe("kraken product", () => {
  it("shows the product and its policy in plain language", async () => {
    const r = await kraken(["product", idOf("anna-heart-rate")], env());
    expect(r.code, r.stderr).toBe(0);
    for (const line of [
      "My heart rate and steps, live",
      "price           1 DATA / day",
      "type            stream, encrypted",
      "purposes        research, public health and wellbeing services",
      "who may buy     individuals; organisations: hospitals, research universities and institutes, insurers and health-tech companies",
      "buyers registered in the 13 target countries",
      "approval        none: access starts when you pay",
      "retention       keep the data at most 30 days",
      "version         1, set 20",
    ]) expect(r.stdout).toContain(line);
    const icu = await json(["product", idOf("icu-vitals")]);
    expect(icu).toMatchObject({ type: "BATCH", threshold: 2, source: "subgraph", policy: { version: 1, requiresApproval: false, retentionDays: 365 } });
    expect(icu.deliveryAgents).toHaveLength(3);
  });

  it("gives the on-chain verdict for the caller and purpose, with the reason", async () => {
    const r = await kraken(["product", idOf("anna-heart-rate"), "--purpose", "insurance"], env("insurer"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("not eligible: purpose insurance is not allowed by this policy");
    const ok = await json(["product", idOf("anna-heart-rate"), "--purpose", "research"], "insurer");
    expect(ok.you.eligibility).toEqual([{ purpose: "research", eligible: true, verdict: "Eligible", reason: "eligible" }]);
    const visitor = await json(["product", idOf("icu-vitals"), "--purpose", "research"], "visitor");
    expect(visitor.you.eligibility[0]).toMatchObject({ eligible: false, verdict: "NotRegistered", reason: expect.stringContaining("register first") });
  });

  it("reads the product from the chain when the subgraph is unreachable; unknown ids exit 7", async () => {
    const fromGraph = await json(["product", idOf("anna-sleep")]);
    const r = await kraken(["product", idOf("anna-sleep"), "--json"], env(undefined, { KRAKEN_SUBGRAPH_URL: DOWN }));
    expect(r.code, r.stderr).toBe(0);
    const fromChain = JSON.parse(r.stdout);
    expect(fromChain.source).toBe("chain");
    const { source: _a, sales: _b, note: _c, ...same } = fromChain;
    const { source: _d, sales: _e, ...expected } = fromGraph;
    expect(same).toEqual(expected);
    expect((await kraken(["product", "999"], env())).code).toBe(EXIT.notFound);
    expect((await kraken(["product", "999"], env(undefined, { KRAKEN_SUBGRAPH_URL: DOWN }))).code).toBe(EXIT.notFound);
  });
});

describe("kraken buy", () => {
  const bought: string[] = [];

  it("the research institute buys a paid product: approve, requestAccess, ACTIVE; again is refused", async () => {
    const product = idOf("course-certificates");
    const r = await kraken(["buy", product, "--purpose", "research"], env("researchInstitute"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`product ${product} for research: 50 DATA`);
    expect(r.stderr).toMatch(/approve: submitted 0x[0-9a-f]{64}/);
    expect(r.stderr).toMatch(/requestAccess: mined in block \d+/);
    const m = r.stdout.match(/^Agreement (\d+) on product \d+ for research: ACTIVE\./);
    expect(m, r.stdout).not.toBeNull();
    bought.push(m![1]);
    expect(r.stdout).toContain("paid           50 DATA");
    expect(r.stdout).toContain("no end (one-time purchase)");

    const again = await kraken(["buy", product, "--purpose", "research", "--json"], env("researchInstitute"));
    expect(again.code).toBe(EXIT.conflict);
    expect(JSON.parse(again.stdout)).toMatchObject({ error: "AlreadyHasAccess", message: expect.stringContaining("already have access"), exitCode: 8 });
  });

  it("the insurer is refused Anna's heart-rate stream for insurance, with the reason and exit code 6", async () => {
    const r = await kraken(["buy", idOf("anna-heart-rate"), "--purpose", "insurance"], env("insurer"));
    expect(r.code).toBe(EXIT.notEligible);
    expect(r.stderr).toContain("not eligible: purpose insurance is not allowed by this policy");
    expect(r.stdout).toBe("");
  });

  it("--permit: one signed transaction, a subscription with its end", async () => {
    const c = persona("researchInstitute");
    const allowanceBefore = await c.publicClient.readContract({ address: s.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "allowance", args: [c.account.address, s.deployment.contracts.Agreements.address] });
    const r = await kraken(["buy", idOf("wearables-union"), "--purpose", "research", "--periods", "2", "--permit", "--json"], env("researchInstitute"));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(a).toMatchObject({ status: "ACTIVE", permit: true, periods: 2, amountPaid: (20n * 10n ** 18n).toString(), amountPaidDATA: "20 DATA" });
    expect(Date.parse(a.endsAt) - Date.parse(a.startsAt)).toBe(2 * 30 * 86400 * 1000);
    bought.push(a.agreementId);
    const receipt = await c.publicClient.getTransactionReceipt({ hash: a.transactionHash });
    expect(receipt.to?.toLowerCase()).toBe(s.deployment.contracts.Agreements.address.toLowerCase()); // no separate approve
    const allowanceAfter = await c.publicClient.readContract({ address: s.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "allowance", args: [c.account.address, s.deployment.contracts.Agreements.address] });
    expect(allowanceAfter).toBe(allowanceBefore); // the permit's allowance was used up exactly
    const human = await kraken(["buy", idOf("mood-union"), "--purpose", "research", "--permit"], env("researchInstitute"));
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toContain("3 DATA / week × 1 = 3 DATA");
    expect(human.stderr).toContain("signing an EIP-2612 permit");
    expect(human.stdout).toMatch(/ACTIVE\.\n[\s\S]*access\s+from .* until .*UTC/);
  });

  it("a policy with approval gives PENDING; a second request is refused while pending", async () => {
    const product = idOf("medication-adherence");
    const r = await json(["buy", product, "--purpose", "clinical-trials", "--periods", "3"], "pharma");
    expect(r).toMatchObject({ status: "PENDING", amountPaidDATA: "12 DATA", startsAt: null, endsAt: null });
    const again = await kraken(["buy", product, "--purpose", "clinical-trials"], env("pharma"));
    expect(again.code).toBe(EXIT.conflict);
    expect(again.stderr).toContain("pending the seller's approval");
  });

  it("refuses what the chain would refuse, before sending anything: price, balance, periods, consent", async () => {
    const price = await kraken(["buy", idOf("icu-vitals"), "--purpose", "research", "--max-price", "100", "--json"], env("pharma"));
    expect(price.code).toBe(EXIT.payment);
    expect(JSON.parse(price.stdout)).toMatchObject({ error: "PriceAboveMax", message: "the price is 250 DATA, above your --max-price of 100 DATA" });
    const balance = await kraken(["buy", idOf("enrollment-feed"), "--purpose", "research", "--periods", "1000"], env("tomas"));
    expect(balance.code).toBe(EXIT.payment);
    expect(balance.stderr).toMatch(/insufficient DATA balance: you have [\d.]+ DATA, the purchase needs 5000 DATA/);
    const periods = await kraken(["buy", idOf("icu-vitals"), "--purpose", "research", "--periods", "2"], env("pharma"));
    expect(periods.code).toBe(EXIT.usage);
    const retracted = await kraken(["buy", idOf("anna-sleep"), "--purpose", "research"], env("pharma"));
    expect(retracted.code).toBe(EXIT.notEligible);
    expect(retracted.stderr).toContain("the seller has retracted consent for your address");
    const visitor = await kraken(["buy", idOf("anna-nutrition"), "--purpose", "research"], env("visitor"));
    expect(visitor.code).toBe(EXIT.notEligible);
    expect(visitor.stderr).toContain("register first");
    expect((await kraken(["buy", "999", "--purpose", "research"], env("pharma"))).code).toBe(EXIT.notFound);
    expect((await kraken(["buy", idOf("icu-vitals"), "--purpose", "gossip"], env("pharma"))).code).toBe(EXIT.usage);
  });

  it("decodes contract reverts (incl. the token's) into messages that say what to do", async () => {
    const d = s.deployment;
    const simulate = async (key: PersonaKey, product: string, purpose: number, periods: number, max: bigint) => {
      const c = persona(key);
      const ctx = { client: c.publicClient, deployment: d, productId: BigInt(product), consumer: c.account.address, purpose };
      try {
        const o = await readOffer(c.publicClient, { catalogue: d.contracts.Catalogue.address, policies: d.contracts.Policies.address }, BigInt(product));
        await c.publicClient.simulateContract({ account: c.account, address: d.contracts.Agreements.address, abi: agreementsWithTokenErrorsAbi, functionName: "requestAccess", args: [BigInt(product), purpose, o.policyVersion, o.pricingUnit, periods, max] });
      } catch (err) {
        return explainRevert(err, ctx);
      }
      throw new Error("did not revert");
    };
    const has = await simulate("researchInstitute", idOf("icu-vitals"), Purpose.Research, 1, 10n ** 21n);
    expect([has.code, has.exitCode]).toEqual(["AlreadyHasAccess", EXIT.conflict]);
    const purpose = await simulate("insurer", idOf("anna-heart-rate"), Purpose.Insurance, 1, 10n ** 21n);
    expect([purpose.code, purpose.exitCode]).toEqual(["PurposeNotAllowed", EXIT.notEligible]);
    expect(purpose.message).toMatch(/^not eligible: purpose insurance is not allowed by this policy/);
    const max = await simulate("pharma", idOf("icu-vitals"), Purpose.Research, 1, 1n);
    expect(max.message).toContain("the price is 250 DATA, above your maximum of 0.000000000000000001 DATA");
    // More than 366 days of access in one purchase (1000 weeks): refused before any payment.
    const long = await simulate("tomas", idOf("enrollment-feed"), Purpose.Research, 1000, 10n ** 30n);
    expect([long.code, long.exitCode]).toEqual(["PeriodsAboveMax", EXIT.usage]);
    expect(long.message).toContain("at most 52 periods of this product per purchase or renewal");
    // Enough allowance, too little balance: the token's ERC20InsufficientBalance bubbles up
    // (anna holds well under the 260 DATA of a year of the weekly feed).
    const anna = persona("anna");
    const hash = await anna.wallet.writeContract({ address: d.contracts.DataToken.address, abi: dataTokenAbi, functionName: "approve", args: [d.contracts.Agreements.address, 10n ** 30n] });
    await anna.publicClient.waitForTransactionReceipt({ hash });
    const poor = await simulate("anna", idOf("enrollment-feed"), Purpose.Research, 52, 10n ** 30n);
    expect([poor.code, poor.exitCode]).toEqual(["ERC20InsufficientBalance", EXIT.payment]);
    expect(poor.message).toMatch(/^insufficient DATA balance: you have [\d.]+ DATA, the purchase needs 260 DATA/);
  });

  describe("kraken agreements", () => {
    it("lists the new purchases from the subgraph", async () => {
      await indexer.waitFor(await s.clients(0).publicClient.getBlockNumber());
      const r = await json(["agreements", "--as", "buyer"], "researchInstitute");
      expect(r.source).toBe("subgraph");
      const ids = r.agreements.map((a: { id: string }) => a.id);
      for (const id of bought) expect(ids).toContain(id);
      expect(r.agreements.find((a: { id: string }) => a.id === bought[0])).toMatchObject({
        role: "buyer", productId: idOf("course-certificates"), productTitle: "Course completion certificates 2024 (anonymised)", purpose: "RESEARCH", status: "ACTIVE", amountPaidDATA: "50 DATA", endsAt: null, accessNow: true,
      });
      const human = await kraken(["agreements"], env("researchInstitute"));
      expect(human.stdout).toContain("(from the subgraph)");
      expect(human.stdout).toMatch(new RegExp(`${bought[0]}\\s+buyer\\s+#${idOf("course-certificates")} Course completion.*research\\s+ACTIVE\\s+50 DATA`));
      expect(human.stdout).toMatch(/PENDING\s+500 DATA/); // the seeded research-diabetes request
    });

    it("falls back to the chain with a wrong subgraph URL, with the same answer", async () => {
      for (const as of ["buyer", "seller"]) {
        const key: PersonaKey = as === "buyer" ? "researchInstitute" : "hospital";
        const graph = await json(["agreements", "--as", as], key);
        const r = await kraken(["agreements", "--as", as, "--json", "--subgraph", DOWN], env(key));
        expect(r.code, r.stderr).toBe(0);
        const chain = JSON.parse(r.stdout);
        expect(chain.source).toBe("chain");
        expect(chain.note).toContain("cannot reach the subgraph");
        expect(chain.agreements).toEqual(graph.agreements);
        expect(chain.agreements.length).toBeGreaterThan(3);
      }
      const human = await kraken(["agreements", "--subgraph", DOWN], env("researchInstitute"));
      expect(human.stderr).toContain("warning: cannot reach the subgraph");
      expect(human.stdout).toContain("from the chain; the subgraph was unreachable");
      const neither = await kraken(["agreements", "--subgraph", DOWN, "--rpc", "http://127.0.0.1:9"], env("researchInstitute"));
      expect(neither.code).toBe(EXIT.chain);
      expect(neither.stderr).toContain("cannot reach the chain");
    });

    it("shows expired subscriptions as expired (chain time)", async () => {
      const admin = s.clients(0);
      await admin.publicClient.request<{ Parameters: [seconds: number]; ReturnType: unknown }>({ method: "evm_increaseTime", params: [3 * 86400] });
      await admin.publicClient.request<{ Parameters: []; ReturnType: unknown }>({ method: "evm_mine", params: [] });
      for (const url of [indexer.url, DOWN]) {
        const r = await json(["agreements", "--as", "buyer", "--subgraph", url], "researchInstitute");
        const ward = r.agreements.find((a: { productId: string }) => a.productId === idOf("ward-occupancy"));
        expect(ward).toMatchObject({ status: "ACTIVE", expired: true, accessNow: false });
        const union = r.agreements.find((a: { id: string }) => a.id === bought[1]);
        expect(union).toMatchObject({ expired: false, accessNow: true });
      }
      const human = await kraken(["agreements"], env("researchInstitute"));
      expect(human.stdout).toMatch(/public health\s+EXPIRED\s+96 DATA.*\(expired\)/);
    });
  });
});

describe("kraken agreements terminate", () => {
  const d = () => s.deployment.contracts;
  const balanceOf = (who: PersonaKey) => persona(who).publicClient.readContract({ address: d().DataToken.address, abi: dataTokenAbi, functionName: "balanceOf", args: [persona(who).account.address] });
  const allowanceOf = (who: PersonaKey) => persona(who).publicClient.readContract({ address: d().DataToken.address, abi: dataTokenAbi, functionName: "allowance", args: [persona(who).account.address, d().Agreements.address] });
  const agreement = (id: string) => persona("admin").publicClient.readContract({ address: d().Agreements.address, abi: agreementsAbi, functionName: "getAgreement", args: [BigInt(id)] });
  /** The seller's running agreement on a product, as `kraken agreements` lists it. */
  const runningOn = async (seller: PersonaKey, product: string) => {
    await indexer.waitFor(await s.clients(0).publicClient.getBlockNumber());
    const r = await json(["agreements", "--as", "seller"], seller);
    const a = r.agreements.find((x: { productId: string; accessNow: boolean }) => x.productId === product && x.accessNow);
    expect(a, `a running agreement on product ${product}`).toBeTruthy();
    return a as { id: string; consumer: string };
  };

  it("a one-time product not delivered yet: approves the refund, terminates, refunds everything; again is refused", async () => {
    const a = await runningOn("hospital", idOf("diabetes-labs"));
    const consumerBefore = await balanceOf("pharma");
    expect(await allowanceOf("hospital")).toBe(0n);
    const r = await kraken(["agreements", "terminate", a.id], env("hospital"));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toContain(`agreement ${a.id} on product ${idOf("diabetes-labs")}`);
    expect(r.stderr).toContain("one-time, not delivered yet): refund about 500 DATA");
    expect(r.stderr).toContain("approving the Agreements contract to take the refund of 500 DATA");
    expect(r.stderr).toMatch(/terminate: mined in block \d+/);
    expect(r.stdout).toContain(`Agreement ${a.id} on product ${idOf("diabetes-labs")} terminated`);
    expect(r.stdout).toMatch(/refunded\s+500 DATA to 0x/);
    expect(r.stdout).toContain("approved       500 DATA for the refund first");
    const after = await agreement(a.id);
    expect([after.status, after.amount]).toEqual([AgreementStatus.Terminated, 0n]);
    expect((await balanceOf("pharma")) - consumerBefore).toBe(500n * 10n ** 18n);
    expect(await allowanceOf("hospital")).toBe(0n); // approved exactly the refund

    const again = await kraken(["agreements", "terminate", a.id, "--json"], env("hospital"));
    expect(again.code).toBe(EXIT.conflict);
    expect(JSON.parse(again.stdout)).toMatchObject({ error: "NotActive", message: expect.stringContaining("is not running (it is terminated)"), exitCode: EXIT.conflict });
    await indexer.waitFor(await s.clients(0).publicClient.getBlockNumber());
    const listed = await json(["agreements", "--as", "buyer"], "pharma");
    expect(listed.agreements.find((x: { id: string }) => x.id === a.id)).toMatchObject({ status: "TERMINATED", accessNow: false, amountPaid: "0" });
  });

  it("a subscription: refunds the paid time left pro rata, exactly as the contract computes it (--json)", async () => {
    const a = await runningOn("anna", idOf("anna-heart-rate"));
    const before = await agreement(a.id);
    const consumerBefore = await balanceOf("tomas");
    const r = await kraken(["agreements", "terminate", `#${a.id}`, "--json"], env("anna"));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ agreementId: a.id, productId: idOf("anna-heart-rate"), consumer: persona("tomas").account.address, status: "TERMINATED" });
    const block = await persona("admin").publicClient.getBlock({ blockNumber: BigInt(out.blockNumber) });
    const expected = (before.amount * (BigInt(before.endsAt) - block.timestamp)) / BigInt(before.endsAt - before.startsAt);
    expect(BigInt(out.refunded)).toBe(expected);
    expect(expected).toBeGreaterThan(0n);
    expect(expected).toBeLessThan(before.amount);
    expect((await balanceOf("tomas")) - consumerBefore).toBe(expected);
    expect(out.refundedDATA).toMatch(/^\d\.\d+ DATA$/);
    // anna's allowance from the revert test above covers it; otherwise exactly the refund is approved
    if (out.approved !== null) expect(BigInt(out.approved)).toBeGreaterThanOrEqual(expected);
    const after = await agreement(a.id);
    expect([after.status, after.amount]).toEqual([AgreementStatus.Terminated, before.amount - expected]);
  });

  it("refuses what is not the caller's, unknown ids and bad arguments", async () => {
    const notMine = await kraken(["agreements", "terminate", "1", "--json"], env("anna")); // the hospital's ICU sale
    expect(notMine.code).toBe(EXIT.notFound);
    expect(JSON.parse(notMine.stdout)).toMatchObject({ error: "NotSeller", message: expect.stringContaining("only its seller can terminate it") });
    const unknown = await kraken(["agreements", "terminate", "999"], env("hospital"));
    expect(unknown.code).toBe(EXIT.notFound);
    expect(unknown.stderr).toContain("agreement 999 does not exist");
    const bad = await kraken(["agreements", "terminate", "abc"], env("hospital"));
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain("an agreement id is required");
    const none = await kraken(["agreements", "terminate"], env("hospital"));
    expect(none.code).toBe(EXIT.usage);
  });
});
