// The stream journey on a real local chain and Streamr network: the seeded wearable product,
// its publisher (relay/src/wearable.ts), a subscriber through `kraken subscribe`, and the ends
// of access — consent retracted by the seller, subscription expired on the chain's clock. After
// either, the subscriber gets no new data while a still-valid subscriber keeps receiving.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther, parseEventLogs, type Address } from "viem";
import { StreamrClient } from "@streamr/sdk";
import { agreementsAbi, dataTokenAbi, policiesAbi, Purpose, readOffer } from "@kraken/sdk";
import { freePort, hasSubscribePermission, startStreamrNetwork, type RunningStreamrNetwork } from "@kraken/streamr";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { kraken } from "../../cli/test/run.ts";
import { startWearablePublisher, type RunningWearablePublisher } from "../src/index.ts";
import type { DemoFile } from "../../contracts/scripts/seed.ts";

const ANNA = 3, RESEARCH = 4, TOMAS = 5, INSURER = 6;
let s: Stack;
let net: RunningStreamrNetwork;
let publisher: RunningWearablePublisher;
let dir: string;
let productId: bigint;
let streamId: string;
const clients: StreamrClient[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000) {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** An in-process subscriber that counts decrypted data points. */
async function listen(index: number) {
  const client = new StreamrClient(net.clientConfig(s.clients(index).privateKey, { id: `sub-${index}`, keyRequestTimeoutMs: 3000 }));
  clients.push(client);
  const got: { heartRate: number; at: number }[] = [];
  const sub = await client.subscribe(streamId, (d: any) => got.push({ heartRate: d.heartRate, at: Date.now() }));
  sub.on("error", () => {}); // no key after revocation: expected
  return got;
}

function cli(args: string[], index: number) {
  return kraken(args, {
    PRIVATE_KEY: s.clients(index).privateKey,
    KRAKEN_DEPLOYMENT: s.deploymentFile,
    KRAKEN_RPC_URL: s.rpcUrl,
    KRAKEN_STREAMR_PORT: String(net.entryPoint.websocket!.port),
    XDG_DATA_HOME: join(dir, `xdg-cli-${index}`),
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kraken-stream-"));
  process.env.XDG_DATA_HOME = join(dir, "xdg");
  s = await startStack({ seed: true });
  const demo: DemoFile = JSON.parse(readFileSync(join(s.deploymentFile, "..", "localhost.demo.json"), "utf8"));
  const product = demo.products.find((p) => p.key === "anna-heart-rate")!;
  productId = BigInt(product.id);
  streamId = product.streams[0];
  net = await startStreamrNetwork({ port: await freePort(), rpcUrl: s.rpcUrl, streamRegistry: s.deployment.streamRegistry!, log: () => {} });
  publisher = await startWearablePublisher({
    key: s.clients(ANNA).privateKey, rpcUrl: s.rpcUrl, deployment: s.deployment, productId, streamId,
    streamr: { network: net.settings, port: await freePort() }, intervalMs: 200, pollMs: 300, log: () => {},
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.destroy().catch(() => {})));
  await publisher?.stop();
  await net?.stop();
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("stream products", () => {
  it("the seeded stream product links the seller's stream, and its subscriber holds SUBSCRIBE until the agreement ends", async () => {
    expect(streamId).toBe(`${s.clients(ANNA).account.address.toLowerCase()}/kraken/anna-heart-rate`);
    expect(await hasSubscribePermission(s.rpcUrl, s.deployment.streamRegistry!, streamId, s.clients(TOMAS).account.address)).toBe(true);
    expect(await hasSubscribePermission(s.rpcUrl, s.deployment.streamRegistry!, streamId, s.clients(INSURER).account.address)).toBe(false);
  });

  it("kraken subscribe prints live wearable data points to the subscriber", async () => {
    const r = await cli(["subscribe", String(productId), "--count", "3", "--json"], TOMAS);
    expect(r.code, r.stderr).toBe(0);
    const points = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(points).toHaveLength(3);
    for (const p of points) {
      expect(p.stream).toBe(streamId);
      expect(p.data.heartRate).toBeGreaterThan(30);
      expect(p.data.heartRate).toBeLessThan(220);
      expect(p.data.steps).toBeGreaterThanOrEqual(0);
    }
  });

  it("kraken subscribe without a subscription says how to get one", async () => {
    const r = await cli(["subscribe", String(productId)], INSURER);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`you have no subscription to product ${productId}: buy one with \`kraken buy ${productId}`);
  });

  it("after the seller terminates a subscription the consumer gets no new data; other subscribers keep receiving", async () => {
    // The research institute buys one day.
    const research = s.clients(RESEARCH);
    const price = parseEther("1");
    await research.publicClient.waitForTransactionReceipt({ hash: await research.wallet.writeContract({ address: s.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "approve", args: [s.deployment.contracts.Agreements.address, price] }) });
    const offer = await readOffer(research.publicClient, { catalogue: s.deployment.contracts.Catalogue.address, policies: s.deployment.contracts.Policies.address }, productId);
    const bought = await research.publicClient.waitForTransactionReceipt({ hash: await research.wallet.writeContract({ address: s.deployment.contracts.Agreements.address, abi: agreementsAbi, functionName: "requestAccess", args: [productId, Purpose.Research, offer.policyVersion, offer.pricingUnit, 1, price] }) });
    const [created] = parseEventLogs({ abi: agreementsAbi, logs: bought.logs, eventName: "AgreementCreated" });
    const researchGot = await listen(RESEARCH);
    const tomasGot = await listen(TOMAS);
    await until("both subscribers receive data", () => researchGot.length > 0 && tomasGot.length > 0, 30_000);

    const anna = s.clients(ANNA);
    const rekeysBefore = publisher.rekeys();
    // Retracting consent alone only refuses future requests; terminating ends this one (refunded).
    await anna.publicClient.waitForTransactionReceipt({ hash: await anna.wallet.writeContract({ address: s.deployment.contracts.Policies.address, abi: policiesAbi, functionName: "retractConsent", args: [productId, research.account.address as Address] }) });
    await anna.publicClient.waitForTransactionReceipt({ hash: await anna.wallet.writeContract({ address: s.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "approve", args: [s.deployment.contracts.Agreements.address, price] }) });
    await anna.publicClient.waitForTransactionReceipt({ hash: await anna.wallet.writeContract({ address: s.deployment.contracts.Agreements.address, abi: agreementsAbi, functionName: "terminate", args: [created!.args.agreementId] }) });
    await until("the publisher revokes SUBSCRIBE on chain", async () => !(await hasSubscribePermission(s.rpcUrl, s.deployment.streamRegistry!, streamId, research.account.address)));
    await until("the publisher rotates the key", () => publisher.rekeys() > rekeysBefore);
    await sleep(1000); // messages already in flight under the old key
    const researchAt = researchGot.length, tomasAt = tomasGot.length;
    await sleep(4000); // ~20 data points published meanwhile
    expect(researchGot.length, "revoked consumer got new data").toBe(researchAt);
    expect(tomasGot.length - tomasAt, "valid subscriber kept receiving").toBeGreaterThan(5);
  });

  it("after the subscription expires (chain clock) the subscriber gets no new data and kraken subscribe refuses", async () => {
    const tomas = s.clients(TOMAS);
    const tomasGot = await listen(TOMAS);
    await until("the subscriber receives data", () => tomasGot.length > 0, 30_000);
    const rekeysBefore = publisher.rekeys();
    // The seeded subscription runs 7 days: move the chain 8 days on.
    await tomas.publicClient.request<{ Parameters: [seconds: number]; ReturnType: unknown }>({ method: "evm_increaseTime", params: [8 * 86400] });
    await tomas.publicClient.request<{ Parameters: []; ReturnType: unknown }>({ method: "evm_mine", params: [] });
    await until("the publisher revokes the expired grant", async () => !(await hasSubscribePermission(s.rpcUrl, s.deployment.streamRegistry!, streamId, tomas.account.address)));
    await until("the publisher rotates the key", () => publisher.rekeys() > rekeysBefore);
    await sleep(1000);
    const at = tomasGot.length;
    await sleep(4000);
    expect(tomasGot.length, "expired subscriber got new data").toBe(at);
    const r = await cli(["subscribe", String(productId)], TOMAS);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/does not grant access now/);
  });
});
