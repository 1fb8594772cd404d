// Batch delivery end to end over the real stack (anvil, Streamr on loopback, embedded IPFS,
// three relays): seller → relays → consumer byte for byte, receipts on chain, /health, and the
// consumer-side failures (not active, tampered ciphertext, a relay down); /ready and /metrics.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAbiItem, keccak256, parseEventLogs, zeroHash, type Hex } from "viem";
import {
  agreementsAbi, collectShares, decryptBatch, deriveEncryptionKeyPair, DeliveryError, readDeliveryTerms, requestRedelivery, SharesTimeoutError,
  type StreamSubscriber,
} from "@kraken/sdk";
import { downloadAndDecrypt, ipfsAdd } from "@kraken/sdk/delivery/node";
import { ACCOUNTS, OPEN_POLICY, startDeliveryStack, type DeliveryStack } from "./helpers/delivery-stack.ts";
import { labelProblems, scrape, valueOf } from "../../test/helpers/metrics.ts";

let k: DeliveryStack;
beforeAll(async () => {
  k = await startDeliveryStack();
  for (const i of [ACCOUNTS.seller, ACCOUNTS.consumer, ACCOUNTS.consumer2, ACCOUNTS.consumer3]) await k.register(i);
});
afterAll(async () => {
  await k?.stop();
});

const agreementsAddress = () => k.s.deployment.contracts.Agreements.address;
async function receiptsOf(agreementId: bigint) {
  const pc = k.s.clients(0).publicClient;
  const logs = await pc.getLogs({ address: agreementsAddress(), event: getAbiItem({ abi: agreementsAbi, name: "DeliveryRecorded" }), args: { agreementId }, fromBlock: 0n });
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

  it("a consumer subscribed before buying gets the key, the file byte for byte, and 3 receipts on chain", async () => {
    const b = k.s.clients(ACCOUNTS.consumer);
    const client = k.streamrClient(ACCOUNTS.consumer);
    const { secretKey } = await deriveEncryptionKeyPair({ address: b.account.address, chainId: k.s.deployment.chainId, signTypedData: (t) => b.account.signTypedData(t) });
    const { agreementId } = await k.buy(ACCOUNTS.consumer, product.productId);
    const terms = await readDeliveryTerms(b.publicClient, k.s.deployment, agreementId, b.account.address);
    expect(terms.threshold).toBe(2);
    const got = await collectShares({
      terms, consumer: b.account.address, relays: k.directory, secretKey, subscriber: client as unknown as StreamSubscriber,
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

  it("an agreement that is not active gets nothing: pending, then rejected; its consumer is refused re-delivery", async () => {
    const approval = await k.publishBatch({ data: new Uint8Array(randomBytes(5000)), policy: { ...OPEN_POLICY, requiresApproval: true }, publisher: sellerClient, title: "needs approval" });
    const b = k.s.clients(ACCOUNTS.consumer);
    const { agreementId, status } = await k.buy(ACCOUNTS.consumer, approval.productId);
    expect(status).toBe(1); // Pending
    await waitFor(async () => (await Promise.all(k.relays.relays.map((r) => r.health()))).every((h) => h.checkpointBlock >= 0 && h.head !== null && h.checkpointBlock >= h.head));
    await expect(readDeliveryTerms(b.publicClient, k.s.deployment, agreementId, b.account.address)).rejects.toMatchObject({ code: "agreement-not-active", message: expect.stringContaining("pending the seller's approval") });
    const err = await requestRedelivery(k.directory[0], agreementId, (message) => b.account.signMessage({ message })).catch((e) => e);
    expect(err).toMatchObject({ status: 409, message: expect.stringContaining("not active") });
    const seller = k.s.clients(ACCOUNTS.seller);
    await seller.publicClient.waitForTransactionReceipt({ hash: await seller.wallet.writeContract({ address: agreementsAddress(), abi: agreementsAbi, functionName: "reject", args: [agreementId] }) });
    await new Promise((r) => setTimeout(r, 600));
    expect(await receiptsOf(agreementId)).toEqual([]);
    for (const r of k.relays.relays) {
      expect(await b.publicClient.readContract({ address: agreementsAddress(), abi: agreementsAbi, functionName: "deliveryOf", args: [agreementId, r.address] })).toBe(zeroHash);
    }
    // someone else's agreement
    const other = k.s.clients(ACCOUNTS.consumer2);
    await expect(readDeliveryTerms(other.publicClient, k.s.deployment, agreementId, other.account.address)).rejects.toMatchObject({ code: "not-your-agreement" });
  });

  /** The consumer's agreement on the product, the first relay, and a POST to its re-delivery endpoint. */
  async function redelivery() {
    const b = k.s.clients(ACCOUNTS.consumer);
    const agreementId = (await b.publicClient.readContract({ address: agreementsAddress(), abi: agreementsAbi, functionName: "accessOf", args: [product.productId, b.account.address] }))[0];
    const relay = k.directory[0];
    const post = (body: unknown) => fetch(`${relay.url}/agreements/${agreementId}/redeliver`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      .then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: string; status?: string } }));
    const { signRedeliveryRequest } = await import("@kraken/sdk");
    return { b, agreementId, relay, post, signRedeliveryRequest };
  }

  it("re-delivery requests: stale, replayed, wrong signer and malformed are refused with the reason", async () => {
    const { b, agreementId, relay, post, signRedeliveryRequest } = await redelivery();
    const sign = (who: typeof b, now = Date.now()) => signRedeliveryRequest((message) => who.account.signMessage({ message }), agreementId, relay.address, now);
    const before = (await k.relays.relays[0].health()).counters;

    const ok = await sign(b);
    expect(await post(ok)).toMatchObject({ status: 200, body: { status: "published" } });
    expect(await post(ok)).toMatchObject({ status: 401, body: { error: expect.stringContaining("replayed request") } });
    expect(await post(await sign(b, Date.now() - 3600_000))).toMatchObject({ status: 401, body: { error: expect.stringContaining("stale request") } });
    expect(await post(await sign(k.s.clients(ACCOUNTS.consumer2)))).toMatchObject({ status: 403, body: { error: expect.stringContaining("not the buyer") } });
    expect(await post({ ...(await sign(b)), agreementId: "999" })).toMatchObject({ status: 400 });
    expect(await post({ hello: 1 })).toMatchObject({ status: 400, body: { error: expect.stringContaining("malformed") } });
    const forOtherRelay = await signRedeliveryRequest((message) => b.account.signMessage({ message }), agreementId, k.directory[1].address);
    expect(await post(forOtherRelay)).toMatchObject({ status: 400, body: { error: expect.stringContaining("not this relay") } });

    const after = (await k.relays.relays[0].health()).counters;
    expect(after.redelivered).toBe(before.redelivered + 1);
    expect(after.rejected).toBe(before.rejected + 5);
  });

  it("re-delivery nonces: two parallel copies of one request deliver once; future-stamped requests are bounded and remembered for their whole window", async () => {
    const { b, agreementId, relay, post, signRedeliveryRequest } = await redelivery();
    const sign = (now = Date.now()) => signRedeliveryRequest((message) => b.account.signMessage({ message }), agreementId, relay.address, now);
    const before = (await k.relays.relays[0].health()).counters;

    // Both copies arrive before either has finished its chain reads and signature check.
    const once = await sign();
    const both = await Promise.all([post(once), post(once)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(both.find((r) => r.status === 401)!.body.error).toContain("replayed request");
    expect((await k.relays.relays[0].health()).counters.redelivered).toBe(before.redelivered + 1);

    // Stamped 250 s ahead (inside the 300 s age window, beyond the 120 s future bound): refused.
    expect(await post(await sign(Date.now() + 250_000))).toMatchObject({ status: 401, body: { error: expect.stringContaining("from the future") } });
    // Stamped 100 s ahead: accepted, and its nonce is kept until its window (timestamp + 300 s) has passed.
    const future = await sign(Date.now() + 100_000);
    expect(await post(future)).toMatchObject({ status: 200 });
    const state = JSON.parse(readFileSync(join(k.dir, "relays", "1", "state.json"), "utf8")) as { usedNonces: Record<string, number> };
    expect(state.usedNonces[keccak256(future.nonce)]).toBeGreaterThanOrEqual(future.timestamp + 300);
    expect(await post(future)).toMatchObject({ status: 401, body: { error: expect.stringContaining("replayed request") } });
  });

  it("after the consumer's credential is revoked, the relays hand out nothing more (a one-time purchase included)", async () => {
    const b = k.s.clients(ACCOUNTS.consumer3);
    const { agreementId } = await k.buy(ACCOUNTS.consumer3, product.productId);
    await waitFor(async () => (await receiptsOf(agreementId)).length === 3); // delivered while active
    const issuer = k.s.clients(1);
    const { credentialsAbi } = await import("@kraken/sdk");
    await issuer.publicClient.waitForTransactionReceipt({ hash: await issuer.wallet.writeContract({ address: k.s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "revoke", args: [b.account.address] }) });
    await expect(readDeliveryTerms(b.publicClient, k.s.deployment, agreementId, b.account.address)).rejects.toMatchObject({ code: "agreement-not-active", message: expect.stringContaining("credential") });
    for (const relay of k.directory) {
      const err = await requestRedelivery(relay, agreementId, (message) => b.account.signMessage({ message })).catch((e) => e);
      expect(err).toMatchObject({ status: 409, message: expect.stringContaining("not active") });
    }
  });

  it("forged, replayed and malformed share envelopes are refused and counted", async () => {
    const relay = k.relays.relays[0];
    const before = (await relay.health()).counters;
    const outsider = k.streamrClient(ACCOUNTS.outsider);
    const { sealShares, relayEncryptionKeys, shareStreamId } = await import("@kraken/sdk");
    const pc = k.s.clients(0).publicClient;
    const agents = k.directory.map((r) => r.address);
    const agentKeys = await relayEncryptionKeys(pc, k.s.deployment, agents);
    const forged = await sealShares({ key: new Uint8Array(32), productId: product.productId, agents, agentKeys, threshold: 2, link: "ipfs://bafkreievil", ciphertextHash: zeroHash, plaintextHash: zeroHash });
    await outsider.publish(shareStreamId(relay.address), forged[0].message); // not the seller
    await sellerClient.publish(shareStreamId(relay.address), { type: "kraken.share", v: 1, productId: String(product.productId), envelope: "0x1234" }); // malformed
    // the seller's own earlier message again (a replay): same envelope
    const stored = JSON.parse(readFileSync(join(k.dir, "relays", "1", "shares", `${product.productId}.json`), "utf8"));
    await sellerClient.publish(shareStreamId(relay.address), { type: "kraken.share", v: 1, productId: String(product.productId), envelope: stored.envelope });
    await waitFor(async () => (await relay.health()).counters.rejected >= before.rejected + 3);
    const after = (await relay.health()).counters;
    expect(after.rejected).toBe(before.rejected + 3);
    expect(after.sharesStored).toBe(before.sharesStored);
    expect(JSON.parse(readFileSync(join(k.dir, "relays", "1", "shares", `${product.productId}.json`), "utf8")).envelopeHash).toBe(stored.envelopeHash);
    const rejections = k.logs.filter((l) => l.includes("rejected a share message"));
    expect(rejections.some((l) => l.includes("forged"))).toBe(true);
    expect(rejections.some((l) => l.includes("replayed"))).toBe(true);
    expect(rejections.some((l) => l.includes("malformed") || l.includes("cannot open"))).toBe(true);
    // logs never carry a share, a key or an envelope
    expect(k.logs.some((l) => l.includes(stored.envelope.slice(2, 40)))).toBe(false);
  });

  it("tampered ciphertext is detected and no output file is left", async () => {
    const b = k.s.clients(ACCOUNTS.consumer);
    const client = k.streamrClient(ACCOUNTS.consumer);
    const { secretKey } = await deriveEncryptionKeyPair({ address: b.account.address, chainId: k.s.deployment.chainId, signTypedData: (t) => b.account.signTypedData(t) });
    const agreementId = (await b.publicClient.readContract({ address: agreementsAddress(), abi: agreementsAbi, functionName: "accessOf", args: [product.productId, b.account.address] }))[0];
    const terms = await readDeliveryTerms(b.publicClient, k.s.deployment, agreementId, b.account.address);
    const got = await collectShares({ terms, consumer: b.account.address, relays: k.directory, secretKey, subscriber: client as unknown as StreamSubscriber, signMessage: (message) => b.account.signMessage({ message }) });
    const original = Buffer.from(await (await fetch(`${k.ipfs.gatewayUrl}/ipfs/${got.link.slice(7)}`)).arrayBuffer());
    const tampered = Buffer.from(original);
    tampered[tampered.length >> 1] ^= 1;
    const cid = await ipfsAdd(k.ipfs.apiUrl, (async function* () { yield tampered; })());
    const out = join(k.dir, "tampered.bin");
    await expect(downloadAndDecrypt({ ...got, link: `ipfs://${cid}`, gatewayUrl: k.ipfs.gatewayUrl, out })).rejects.toMatchObject({ code: "ciphertext-tampered" });
    expect(() => readFileSync(out)).toThrow();
    expect(() => readFileSync(`${out}.part`)).toThrow();
    // a whole different (validly encrypted) file under the same hashes is refused too
    const truncated = original.subarray(0, original.length - 100);
    const gen = decryptBatch((async function* () { yield truncated; })(), got.key, got);
    await expect((async () => { for await (const _ of gen) { /* drain */ } })()).rejects.toBeInstanceOf(DeliveryError);
  });

  it("with one relay down, 2 of 3 still deliver; the relay catches up from its checkpoint when back", async () => {
    const down = k.relays.relays[2];
    await down.stop();
    const b = k.s.clients(ACCOUNTS.consumer2);
    const client = k.streamrClient(ACCOUNTS.consumer2);
    const { secretKey } = await deriveEncryptionKeyPair({ address: b.account.address, chainId: k.s.deployment.chainId, signTypedData: (t) => b.account.signTypedData(t) });
    const { agreementId } = await k.buy(ACCOUNTS.consumer2, product.productId);
    const terms = await readDeliveryTerms(b.publicClient, k.s.deployment, agreementId, b.account.address);
    const got = await collectShares({ terms, consumer: b.account.address, relays: k.directory, secretKey, subscriber: client as unknown as StreamSubscriber, signMessage: (message) => b.account.signMessage({ message }), timeoutMs: 20_000 });
    expect(got.relays.map((r) => r.toLowerCase()).sort()).toEqual([k.directory[0].address, k.directory[1].address].map((a) => a.toLowerCase()).sort());
    const out = join(k.dir, "two-of-three.bin");
    await downloadAndDecrypt({ ...got, gatewayUrl: k.ipfs.gatewayUrl, out });
    expect(Buffer.compare(readFileSync(out), data)).toBe(0);

    // with a threshold of 3 the missing relay would be named
    const err = await collectShares({ terms: { ...terms, threshold: 3 }, consumer: b.account.address, relays: k.directory, secretKey, subscriber: client as unknown as StreamSubscriber, signMessage: (message) => b.account.signMessage({ message }), timeoutMs: 4000 }).catch((e) => e);
    expect(err).toBeInstanceOf(SharesTimeoutError);
    expect(err.message).toContain(k.directory[2].address);
    expect(err.missing.map((m: { relay: string }) => m.relay)).toEqual([k.directory[2].address]);

    // back up with the same key and data dir: it delivers what it missed, once
    const { startRelay } = await import("../src/index.ts");
    const { freePort } = await import("@kraken/streamr");
    const again = await startRelay({ key: k.relayKeys[2], rpcUrl: k.s.rpcUrl, deployment: k.s.deployment, streamr: { network: k.net.settings, port: await freePort() }, port: 0, dataDir: join(k.dir, "relays", "3"), log: (l) => k.logs.push(l), pollMs: 100 });
    k.relays.relays[2] = again;
    await waitFor(async () => (await receiptsOf(agreementId)).length === 3);
    expect((await receiptsOf(agreementId)).filter((r) => r.args.agent === again.address)).toHaveLength(1);
  });

  it("operations: /ready is 200 once caught up; /metrics counts deliveries and the refusals above by reason, with no address or id as a label", async () => {
    const relay = k.directory[0];
    const ready = await waitFor(async () => {
      const r = await fetch(`${relay.url}/ready`);
      return r.status === 200 && ((await r.json()) as { ready: boolean; service: string; checks: Record<string, { ok: boolean }> });
    });
    expect(ready).toMatchObject({ ready: true, service: "relay", checks: { chain: { ok: true }, caughtUp: { ok: true }, keys: { ok: true }, streamr: { ok: true } } });
    const m = await scrape(relay.url);
    expect(m.status).toBe(200);
    expect(m.contentType).toMatch(/^text\/plain/);
    const v = (name: string, labels?: Record<string, string>) => valueOf(m.samples, `kraken_relay_${name}`, { service: "relay", ...labels });
    expect(v("deliveries_total")).toBeGreaterThanOrEqual(1);
    expect(v("redeliveries_total")).toBeGreaterThanOrEqual(1);
    for (const reason of ["replayed", "stale-request", "not-buyer", "bad-request", "inactive", "share-forged", "share-stale", "share-malformed"]) {
      expect(v("rejections_total", { reason }), reason).toBeGreaterThanOrEqual(1);
    }
    expect(v("shares_held")).toBeGreaterThanOrEqual(2);
    expect(v("checkpoint_block")).toBeGreaterThan(0);
    expect(v("chain_head_block")! - v("checkpoint_block")!).toBeLessThanOrEqual(5);
    expect(valueOf(m.samples, "kraken_process_resident_memory_bytes", { service: "relay" })).toBeGreaterThan(0);
    const forbidden = [...k.relays.relays.map((r) => r.address), ...[ACCOUNTS.seller, ACCOUNTS.consumer, ACCOUNTS.consumer2, ACCOUNTS.consumer3, ACCOUNTS.outsider].map((i) => k.s.clients(i).account.address), String(product.productId)];
    expect(labelProblems(m.samples, { prefix: "kraken_relay_", allowed: ["service", "reason"], forbidden })).toEqual([]);
    // each relay of the process has its own registry: relay 2 counts its own, not relay 1's
    const other = await scrape(k.directory[1].url);
    expect(valueOf(other.samples, "kraken_relay_rejections_total", { reason: "share-stale" })).toBeUndefined();
  });
});
