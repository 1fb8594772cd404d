// Batch delivery end to end over the real stack (anvil, Streamr on loopback, embedded IPFS,
// three relays): seller → relays → buyer byte for byte, receipts on chain, /health, and the
// buyer-side failures (not active, tampered ciphertext, a relay down).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEventLogs, zeroHash, type Hex } from "viem";
import {
  agreementsAbi, collectShares, decryptBatch, deriveEncryptionKeyPair, DeliveryError, readDeliveryTerms, requestRedelivery, SharesTimeoutError,
  type StreamSubscriber,
} from "@kraken/sdk";
import { downloadAndDecrypt, ipfsAdd } from "@kraken/sdk/delivery/node";
import { ACCOUNTS, OPEN_POLICY, startDeliveryStack, type DeliveryStack } from "./helpers/delivery-stack.ts";

let k: DeliveryStack;
beforeAll(async () => {
  k = await startDeliveryStack();
  for (const i of [ACCOUNTS.seller, ACCOUNTS.buyer, ACCOUNTS.buyer2, ACCOUNTS.buyer3]) await k.register(i);
});
afterAll(async () => {
  await k?.stop();
});

const agreementsAddress = () => k.s.deployment.contracts.Agreements.address;
async function receiptsOf(agreementId: bigint) {
  const pc = k.s.clients(0).publicClient;
  const logs = await pc.getLogs({ address: agreementsAddress(), event: agreementsAbi.find((x) => x.type === "event" && x.name === "DeliveryRecorded") as never, args: { agreementId } as never, fromBlock: 0n });
  return parseEventLogs({ abi: agreementsAbi, logs, eventName: "DeliveryRecorded" });
}
async function waitFor<T>(fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("batch delivery through the relays", () => {
  const data = new Uint8Array(randomBytes(300_000));
  let product: Awaited<ReturnType<DeliveryStack["publishBatch"]>>;
  let sellerClient: ReturnType<DeliveryStack["streamrClient"]>;

  it("the seller's shares are stored by every relay (sealed, confirmed by envelope hash)", async () => {
    sellerClient = k.streamrClient(ACCOUNTS.seller);
    product = await k.publishBatch({ data, publisher: sellerClient });
    expect(product.confirmed.length).toBe(3);
    for (const [i, r] of k.relays.relays.entries()) {
      const h = await r.health();
      expect(h.counters.sharesStored).toBe(1);
      // stored as received: the file holds the sealed envelope, not the share in the clear
      const stored = JSON.parse(readFileSync(join(k.dir, "relays", String(i + 1), "shares", `${product.productId}.json`), "utf8"));
      expect(stored.envelope).toMatch(/^0x[0-9a-f]+$/);
      expect(Object.keys(stored).sort()).toEqual(["envelope", "envelopeHash", "productId", "seller", "storedAt", "version"]);
    }
  });

  it("a buyer subscribed before buying gets the key, the file byte for byte, and 3 receipts on chain", async () => {
    const b = k.s.clients(ACCOUNTS.buyer);
    const client = k.streamrClient(ACCOUNTS.buyer);
    const { secretKey } = await deriveEncryptionKeyPair((message) => b.account.signMessage({ message }));
    const { agreementId } = await k.buy(ACCOUNTS.buyer, product.productId);
    const terms = await readDeliveryTerms(b.publicClient, k.s.deployment, agreementId, b.account.address);
    expect(terms.threshold).toBe(2);
    const got = await collectShares({
      terms, buyer: b.account.address, relays: k.directory, secretKey, subscriber: client as unknown as StreamSubscriber,
      signMessage: (message) => b.account.signMessage({ message }), timeoutMs: 30_000,
    });
    expect(got.link).toBe(product.link);
    const out = join(k.dir, "out.bin");
    const n = await downloadAndDecrypt({ ...got, gatewayUrl: k.ipfs.gatewayUrl, out });
    expect(n).toBe(data.length);
    expect(Buffer.compare(readFileSync(out), data)).toBe(0);
    // every relay delivered exactly once and recorded it
    await waitFor(async () => (await receiptsOf(agreementId)).length === 3);
    const receipts = await receiptsOf(agreementId);
    expect(new Set(receipts.map((r) => r.args.agent.toLowerCase())).size).toBe(3);
    for (const r of k.relays.relays) {
      const h = await r.health();
      expect(h).toMatchObject({ address: r.address, status: "ok" });
      expect(h.counters.delivered).toBeGreaterThanOrEqual(1);
      expect(h.checkpointBlock).toBeGreaterThan(0);
    }
  });
});
