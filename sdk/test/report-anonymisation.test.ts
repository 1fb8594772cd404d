// The SDK's reportAnonymisation / readAnonymisation on the chain `npm start` runs (anvil, the
// marketplace deployed by the same code): the flow the CLI, the dApp and the demo run after
// anonymising a file (issue 16), its progress steps, the refusals decoded in the simulation
// before anything is signed, and the gas the transaction costs.
// (On the in-process Hardhat network of marketplaceFixture, EDR returns the onlySeller reverts
// of this function — NotSeller, ProductNotFound — as "unrecognized custom error" without revert
// data, so viem cannot decode them there; anvil returns the data, as a consortium node does.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther, sha256, toHex, type Address, type Hex } from "viem";
import {
  catalogueAbi,
  decodeMarketError,
  Modality,
  PricingUnit,
  ProductType,
  readAnonymisation,
  reportAnonymisation,
  type ActionStep,
  type ProgressDetail,
} from "@kraken/sdk";
import { startStack, type Stack } from "../../test/helpers/stack.ts";

const SELLER = 7;
const OTHER = 8;

describe("SDK anonymisation report actions", () => {
  let s: Stack;
  let catalogue: Address;
  let batch: bigint;

  async function publish(productType: ProductType, modality: Modality) {
    const c = s.clients(SELLER);
    const timeBased = productType === ProductType.Stream;
    const hash = await c.wallet.writeContract({
      address: catalogue, abi: catalogueAbi, functionName: "publish",
      args: [productType, modality, parseEther("10"), timeBased ? PricingUnit.Day : PricingUnit.OneTime, timeBased ? [] : [s.clients(11).account.address], timeBased ? 0 : 1,
        { metadataURI: "ipfs://bafkreitest", title: "ICU vital signs, anonymised", summary: "s", category: "health", tags: [] }, []],
    });
    const receipt = await c.publicClient.waitForTransactionReceipt({ hash });
    return BigInt(receipt.logs[0].topics[1]!);
  }

  function clients(who: number) {
    const steps: [ActionStep, ProgressDetail][] = [];
    const { publicClient, wallet, account } = s.clients(who);
    return { steps, c: { publicClient, wallet, account, contracts: { catalogue }, onProgress: (st: ActionStep, d: ProgressDetail) => steps.push([st, d]) } };
  }
  const names = (steps: [ActionStep, ProgressDetail][]) => steps.map(([st, d]) => (d.tx ? `${st}:${d.tx}` : st));
  const refusal = (p: Promise<unknown>) => p.then(() => expect.unreachable("should have been refused"), (e: unknown) => decodeMarketError(e));
  const read = (id: bigint) => readAnonymisation(s.clients(0).publicClient, catalogue, id);

  beforeAll(async () => {
    s = await startStack();
    catalogue = s.deployment.contracts.Catalogue.address;
    batch = await publish(ProductType.Batch, Modality.Anonymised);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("binds a report, reads it back, and replaces it with the next one", async () => {
    expect(await read(batch)).toBeUndefined();
    expect(await read(999n)).toBeUndefined();

    const { steps, c } = clients(SELLER);
    const v1: Hex = sha256(toHex("report v1"));
    const first = await reportAnonymisation(c, { productId: batch, reportHash: v1, k: 10, l: 3, reportURI: "ipfs://bafkreireportv1" });
    expect(names(steps)).toEqual(["simulate:reportAnonymisation", "confirm:reportAnonymisation", "submit:reportAnonymisation", "mined:reportAnonymisation"]);
    expect(steps[2][1].hash).toBe(first.hash);
    const receipt = await c.publicClient.getTransactionReceipt({ hash: first.hash });
    expect(receipt.blockNumber).toBe(first.blockNumber);
    const block = await c.publicClient.getBlock({ blockNumber: first.blockNumber });
    expect(await read(batch)).toEqual({ reportHash: v1, k: 10, l: 3, reportedAt: Number(block.timestamp) });

    const v2: Hex = sha256(toHex("report v2"));
    const second = await reportAnonymisation(clients(SELLER).c, { productId: batch, reportHash: v2, k: 5, l: 5, reportURI: "https://data.example.org/report-v2.json" });
    const replaced = await c.publicClient.getTransactionReceipt({ hash: second.hash });
    expect(await read(batch)).toMatchObject({ reportHash: v2, k: 5, l: 5 });
    console.log(`reportAnonymisation gas: first report ${receipt.gasUsed}, replacing it ${replaced.gasUsed}`);
    expect(receipt.gasUsed).toBeLessThan(100_000n);
    expect(replaced.gasUsed).toBeLessThan(receipt.gasUsed);
  });

  it("refusals are decoded in the simulation, before the wallet is asked, and change nothing", async () => {
    const hash: Hex = sha256(toHex("another report"));
    const ok = { productId: batch, reportHash: hash, k: 10, l: 3, reportURI: "ipfs://bafkreianother" };
    const asOther = clients(OTHER);
    expect(await refusal(reportAnonymisation(asOther.c, ok))).toMatchObject({ kind: "not-allowed", name: "NotSeller", args: [batch, s.clients(OTHER).account.address] });
    expect(names(asOther.steps)).toEqual(["simulate:reportAnonymisation"]); // the wallet was never asked

    const { c } = clients(SELLER);
    expect(await refusal(reportAnonymisation(c, { ...ok, productId: 999n }))).toMatchObject({ kind: "not-found", name: "ProductNotFound", args: [999n] });
    const encrypted = await publish(ProductType.Batch, Modality.Encrypted);
    const stream = await publish(ProductType.Stream, Modality.Anonymised);
    for (const id of [encrypted, stream]) {
      expect(await refusal(reportAnonymisation(c, { ...ok, productId: id }))).toMatchObject({ kind: "invalid-input", name: "NotAnonymisedBatch", args: [id] });
    }
    for (const bad of [{ k: 0, l: 0 }, { k: 10, l: 0 }, { k: 3, l: 4 }, { reportHash: `0x${"0".repeat(64)}` as Hex }]) {
      expect(await refusal(reportAnonymisation(c, { ...ok, ...bad }))).toMatchObject({ kind: "invalid-input", name: "InvalidAnonymisation" });
    }
    expect(await refusal(reportAnonymisation(c, { ...ok, reportURI: "http://insecure.example.org/r.json" }))).toMatchObject({ kind: "invalid-input", name: "InvalidMetadataURI" });
    expect((await read(batch))?.reportHash).toBe(sha256(toHex("report v2")));
  });
});
