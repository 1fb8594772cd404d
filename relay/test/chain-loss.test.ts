// A chain that loses its latest blocks after the relays recorded their receipts (the local chain
// killed before it saved them; a reorg): the purchase survives, the receipts do not. Each relay
// notices the chain went back, finds its receipt gone, delivers again and records it once more.
// Simulated with evm_snapshot / evm_revert on the local chain: the snapshot is taken in the block
// of the purchase, before any receipt can be mined (automine off meanwhile).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAbiItem, zeroHash, type Address } from "viem";
import { agreementsAbi } from "@kraken/sdk";
import type { RelayState } from "../src/relay-store.ts";
import { ACCOUNTS, startDeliveryStack, type DeliveryStack } from "./helpers/delivery-stack.ts";

let k: DeliveryStack;
beforeAll(async () => {
  k = await startDeliveryStack();
  for (const i of [ACCOUNTS.seller, ACCOUNTS.consumer]) await k.register(i);
}, 180_000);
afterAll(async () => {
  await k?.stop();
});

const rpc = (method: string, params: unknown[] = []) =>
  k.s.clients(0).publicClient.request({ method, params } as never) as Promise<unknown>;
const deliveryOf = (agreementId: bigint, agent: Address) =>
  k.s.clients(0).publicClient.readContract({ address: k.s.deployment.contracts.Agreements.address, abi: agreementsAbi, functionName: "deliveryOf", args: [agreementId, agent] });
const receiptLogs = async (agreementId: bigint) =>
  k.s.clients(0).publicClient.getLogs({ address: k.s.deployment.contracts.Agreements.address, event: getAbiItem({ abi: agreementsAbi, name: "DeliveryRecorded" }), args: { agreementId }, fromBlock: 0n });
async function until(what: string, fn: () => Promise<boolean>, ms = 30_000) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the chain loses the blocks holding the receipts", () => {
  it("every relay records its receipt again, once", async () => {
    const { productId } = await k.publishBatch({ data: new Uint8Array(randomBytes(2000)), publisher: k.streamrClient(ACCOUNTS.seller) });
    const agents = k.directory.map((r) => r.address);

    await rpc("evm_setAutomine", [false]);
    const bought = k.buy(ACCOUNTS.consumer, productId);
    await until("the purchase in the pool", async () => Number(((await rpc("txpool_status")) as { pending: string }).pending) > 0);
    await rpc("evm_mine");
    const { agreementId } = await bought;
    const snapshot = await rpc("evm_snapshot"); // the purchase's block: no receipt yet
    await until("three receipts signed and waiting", async () => Number(((await rpc("txpool_status")) as { pending: string }).pending) >= 3);
    await rpc("evm_setAutomine", [true]);
    await rpc("evm_mine");
    await until("three receipts on chain", async () => (await Promise.all(agents.map((a) => deliveryOf(agreementId, a)))).every((h) => h !== zeroHash));
    // Every relay has settled its receipt and seen a head past it (a fixed wait is not enough
    // on a loaded machine: a relay that had not yet seen it would only re-deliver by its rescan).
    await rpc("evm_mine");
    const past = Number(await k.s.clients(0).publicClient.getBlockNumber());
    const relayState = (i: number): RelayState => JSON.parse(readFileSync(join(k.dir, "relays", String(i + 1), "state.json"), "utf8"));
    await until("every relay saw the head past its receipt", async () => agents.every((_, i) => {
      const st = relayState(i);
      return st.recentReceipts?.[agreementId.toString()] !== undefined && (st.seenHead?.number ?? 0) >= past;
    }));

    expect(await rpc("evm_revert", [snapshot])).toBe(true);
    expect(await Promise.all(agents.map((a) => deliveryOf(agreementId, a))), "the receipts are gone with the blocks").toEqual(agents.map(() => zeroHash));

    await until("every relay recorded its receipt again", async () => (await Promise.all(agents.map((a) => deliveryOf(agreementId, a)))).every((h) => h !== zeroHash));
    const logs = await receiptLogs(agreementId);
    expect(logs.map((l) => l.args.agent!.toLowerCase()).sort()).toEqual(agents.map((a) => a.toLowerCase()).sort()); // one each
    expect(k.logs.filter((l) => l.includes(`agreement ${agreementId}: its receipt was lost with the blocks; delivered`))).toHaveLength(3);
  }, 120_000);
});
