// Stream product overhead: publish → receive latency of a stream product (a stream linked in
// the Catalogue, SUBSCRIBE granted by the Agreements contract on purchase, end-to-end encrypted
// with the publisher's group key, clients configured by streamr/src/config.ts) against raw
// @streamr/sdk publish → receive (the same network, a stream whose owner grants SUBSCRIBE with
// the SDK's own `grantPermissions`), measured in the same run with messages interleaved.
// The Streamr setup and the measurement are shared with bench/unions.ts (`withStreamrStack`,
// `publishStreamProduct`, `buyStream`, `measureLatencies`).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther, type Hex } from "viem";
import { StreamrClient, StreamPermission } from "@streamr/sdk";
import { agreementsAbi, catalogueAbi, Category, dataTokenAbi, Modality, OrganisationType, policiesAbi, PricingUnit, ProductType, Purpose, readOffer, TARGET_COUNTRIES, toPolicyArgs } from "@kraken/sdk";
import { createProductStream, freePort, startStreamrNetwork, type RunningStreamrNetwork } from "@kraken/streamr";
import { configValue, setDefaultForLibraries } from "@kraken/sdk/config";
import { startStack, type Stack } from "../test/helpers/stack.ts";
import { quantiles, type Row } from "./lib.ts";

setDefaultForLibraries("LOG_LEVEL", "warn"); // the Streamr SDK's own logger
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A seeded local stack (anvil, demo world) with a Streamr network on loopback. */
export interface StreamrBench {
  stack: Stack;
  net: RunningStreamrNetwork;
  /** A StreamrClient of development account `index` (destroyed when the bench ends). */
  client(index: number, id: string): Promise<StreamrClient>;
  /** Sends a transaction as development account `index` and waits for it. */
  mined(index: number, hash: (w: ReturnType<Stack["clients"]>) => Promise<Hex>): ReturnType<ReturnType<Stack["clients"]>["publicClient"]["waitForTransactionReceipt"]>;
}

/** Runs `fn` on a fresh seeded stack and Streamr network, then stops everything. */
export async function withStreamrStack<T>(fn: (b: StreamrBench) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "kraken-bench-stream-"));
  setDefaultForLibraries("XDG_DATA_HOME", join(dir, "xdg"), { overwrite: true });
  const s = await startStack({ seed: true }); // seeded: the research institute (#4) is registered
  const net = await startStreamrNetwork({ port: await freePort(), rpcUrl: s.rpcUrl, streamRegistry: s.deployment.streamRegistry!, log: () => {} });
  const clients: StreamrClient[] = [];
  try {
    return await fn({
      stack: s,
      net,
      async client(index, id) {
        const c = new StreamrClient(net.clientConfig(s.clients(index).privateKey, { port: await freePort(), id }));
        clients.push(c);
        return c;
      },
      async mined(index, send) {
        const w = s.clients(index);
        const receipt = await w.publicClient.waitForTransactionReceipt({ hash: await send(w) });
        if (receipt.status !== "success") throw new Error(`transaction by #${index} reverted`);
        return receipt;
      },
    });
  } finally {
    await Promise.all(clients.map((c) => c.destroy())).catch(() => {});
    await net.stop();
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Links `streamId` in the Catalogue as a stream product of account `seller` (1 DATA a day, research by universities). */
export async function publishStreamProduct(b: StreamrBench, seller: number, streamId: string): Promise<bigint> {
  const c = b.stack.deployment.contracts;
  const published = await b.mined(seller, (w) => w.wallet.writeContract({ address: c.Catalogue.address, abi: catalogueAbi, functionName: "publish", args: [ProductType.Stream, Modality.Encrypted, parseEther("1"), PricingUnit.Day, [], 0, { metadataURI: "ipfs://bafkreibench", title: "Bench stream", summary: "", category: "Bench", tags: [] }, [streamId]] }));
  const productId = BigInt(published.logs[0].topics[1]!);
  await b.mined(seller, (w) => w.wallet.writeContract({ address: c.Policies.address, abi: policiesAbi, functionName: "setPolicy", args: toPolicyArgs(productId, { purposes: [Purpose.Research], consumerCategories: [Category.Organisation], organisationTypes: [OrganisationType.ResearchUniversity], jurisdictions: TARGET_COUNTRIES, requiresApproval: false, retentionDays: 0 }) }));
  return productId;
}

/** Account `consumer` buys one period of `productId` through Agreements (which grants SUBSCRIBE). */
export async function buyStream(b: StreamrBench, consumer: number, productId: bigint): Promise<void> {
  const c = b.stack.deployment.contracts;
  const o = await readOffer(b.stack.clients(consumer).publicClient, { catalogue: c.Catalogue.address, policies: c.Policies.address }, productId);
  await b.mined(consumer, (w) => w.wallet.writeContract({ address: c.DataToken.address, abi: dataTokenAbi, functionName: "approve", args: [c.Agreements.address, o.price] }));
  await b.mined(consumer, (w) => w.wallet.writeContract({ address: c.Agreements.address, abi: agreementsAbi, functionName: "requestAccess", args: [productId, Purpose.Research, o.policyVersion, o.pricingUnit, 1, o.price] }));
}

/**
 * Publish → receive latencies (ms) of each path, `subscriber` subscribed to every stream: both
 * paths warmed up first (stream topology joined, group keys exchanged), then `messages`
 * messages on each, interleaved (alternating which path goes first), 10 ms apart.
 */
export async function measureLatencies(subscriber: StreamrClient, paths: { id: string; publisher: StreamrClient }[], messages: number): Promise<number[][]> {
  const latencies = paths.map(() => [] as number[]);
  for (const [k, { id }] of paths.entries()) {
    await subscriber.subscribe(id, (m: any) => {
      if (m.warm) return;
      latencies[k].push(performance.now() - m.sentAt);
    });
  }
  for (const { id, publisher } of paths) {
    let got = false;
    const sub = await subscriber.subscribe(id, () => void (got = true));
    for (let i = 0; !got && i < 300; i++) {
      await publisher.publish(id, { warm: true });
      await sleep(50);
    }
    await subscriber.unsubscribe(sub).catch(() => {});
  }
  for (let i = 0; i < messages; i++) {
    for (const { id, publisher } of i % 2 ? [...paths].reverse() : paths) await publisher.publish(id, { seq: i, sentAt: performance.now() });
    await sleep(10);
  }
  for (let i = 0; i < 100 && latencies.some((l) => l.length < messages); i++) await sleep(50);
  return latencies;
}

export const round2 = (x: number) => Math.round(x * 100) / 100;

export async function streamBench(messages = 200): Promise<{ rows: Row[]; overheadPct: number }> {
  return withStreamrStack(async (b) => {
    const seller = 2, consumer = b.stack.clients(4);
    const publisher = await b.client(seller, "bench-publisher");
    const subscriber = await b.client(4, "bench-subscriber");
    // Raw SDK: the owner grants SUBSCRIBE directly.
    const raw = await createProductStream(publisher, "/bench/raw");
    await publisher.grantPermissions(raw, { userId: consumer.account.address, permissions: [StreamPermission.SUBSCRIBE] });
    // Stream product: linked in the Catalogue, bought through Agreements (which grants SUBSCRIBE).
    const product = await createProductStream(publisher, "/bench/product");
    await buyStream(b, 4, await publishStreamProduct(b, seller, product));

    const [rawMs, productMs] = await measureLatencies(subscriber, [{ id: raw, publisher }, { id: product, publisher }], messages);
    const r = quantiles(rawMs), p = quantiles(productMs);
    return {
      rows: [
        { operation: `raw @streamr/sdk publish → receive (${rawMs.length}/${messages} received)`, median: round2(r.median), p95: round2(r.p95) },
        { operation: `stream product publish → receive (${productMs.length}/${messages} received)`, median: round2(p.median), p95: round2(p.p95) },
      ],
      overheadPct: Math.round(((p.median - r.median) / r.median) * 1000) / 10,
    };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { table } = await import("./lib.ts");
  const r = await streamBench(configValue("BENCH_MESSAGES"));
  process.stdout.write(table("Stream products vs raw Streamr (loopback, same run)", "ms", r.rows));
  process.stdout.write(`stream product overhead on the median: ${r.overheadPct}% (target ≤ 10%)\n`);
  process.exit(0);
}
