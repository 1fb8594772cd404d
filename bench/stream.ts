// Stream product overhead: publish → receive latency of a stream product (a stream linked in
// the Catalogue, SUBSCRIBE granted by the Agreements contract on purchase, end-to-end encrypted
// with the publisher's group key, clients configured by streamr/src/config.ts) against raw
// @streamr/sdk publish → receive (the same network, a stream whose owner grants SUBSCRIBE with
// the SDK's own `grantPermissions`), measured in the same run with messages interleaved.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther, type Hex } from "viem";
import { StreamrClient, StreamPermission } from "@streamr/sdk";
import { agreementsAbi, catalogueAbi, Category, dataTokenAbi, Modality, OrganisationType, policiesAbi, PricingUnit, ProductType, Purpose, TARGET_COUNTRIES, toPolicyArgs } from "@kraken/sdk";
import { createProductStream, freePort, startStreamrNetwork } from "@kraken/streamr";
import { configValue, setDefaultForLibraries } from "@kraken/sdk/config";
import { startStack } from "../test/helpers/stack.ts";
import { quantiles, type Row } from "./lib.ts";

setDefaultForLibraries("LOG_LEVEL", "warn"); // the Streamr SDK's own logger
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function streamBench(messages = 200): Promise<{ rows: Row[]; overheadPct: number }> {
  const dir = mkdtempSync(join(tmpdir(), "kraken-bench-stream-"));
  setDefaultForLibraries("XDG_DATA_HOME", join(dir, "xdg"), { overwrite: true });
  const s = await startStack({ seed: true }); // seeded: the research institute (#4) is registered
  const net = await startStreamrNetwork({ port: await freePort(), rpcUrl: s.rpcUrl, streamRegistry: s.deployment.streamRegistry!, log: () => {} });
  const seller = s.clients(2), consumer = s.clients(4);
  const publisher = new StreamrClient(net.clientConfig(seller.privateKey, { port: await freePort(), id: "bench-publisher" }));
  const subscriber = new StreamrClient(net.clientConfig(consumer.privateKey, { port: await freePort(), id: "bench-subscriber" }));
  try {
    const c = s.deployment.contracts;
    const mined = async (w: typeof seller, hash: Promise<Hex>) => w.publicClient.waitForTransactionReceipt({ hash: await hash });

    // Raw SDK: the owner grants SUBSCRIBE directly.
    const raw = await createProductStream(publisher, "/bench/raw");
    await publisher.grantPermissions(raw, { userId: consumer.account.address, permissions: [StreamPermission.SUBSCRIBE] });
    // Stream product: linked in the Catalogue, bought through Agreements (which grants SUBSCRIBE).
    const product = await createProductStream(publisher, "/bench/product");
    const published = await mined(seller, seller.wallet.writeContract({ address: c.Catalogue.address, abi: catalogueAbi, functionName: "publish", args: [ProductType.Stream, Modality.Encrypted, parseEther("1"), PricingUnit.Day, [], 0, { metadataURI: "ipfs://bafkreibench", title: "Bench stream", summary: "", category: "Bench", tags: [] }, [product]] }));
    const productId = BigInt(published.logs[0].topics[1]!);
    await mined(seller, seller.wallet.writeContract({ address: c.Policies.address, abi: policiesAbi, functionName: "setPolicy", args: toPolicyArgs(productId, { purposes: [Purpose.Research], consumerCategories: [Category.Organisation], organisationTypes: [OrganisationType.ResearchUniversity], jurisdictions: TARGET_COUNTRIES, requiresApproval: false, retentionDays: 0 }) }));
    await mined(consumer, consumer.wallet.writeContract({ address: c.DataToken.address, abi: dataTokenAbi, functionName: "approve", args: [c.Agreements.address, parseEther("1")] }));
    await mined(consumer, consumer.wallet.writeContract({ address: c.Agreements.address, abi: agreementsAbi, functionName: "requestAccess", args: [productId, Purpose.Research, 1, PricingUnit.Day, 1, parseEther("1")] }));

    const latencies: Record<string, number[]> = { [raw]: [], [product]: [] };
    for (const id of [raw, product]) {
      await subscriber.subscribe(id, (m: any) => {
        if (m.warm) return;
        latencies[id].push(performance.now() - m.sentAt);
      });
    }
    // Warm up both paths (join the stream topology, key exchange) before measuring.
    for (const id of [raw, product]) {
      let got = false;
      const sub = await subscriber.subscribe(id, () => void (got = true));
      for (let i = 0; !got && i < 300; i++) {
        await publisher.publish(id, { warm: true });
        await sleep(50);
      }
      await subscriber.unsubscribe(sub).catch(() => {});
    }
    for (let i = 0; i < messages; i++) {
      for (const id of i % 2 ? [raw, product] : [product, raw]) await publisher.publish(id, { seq: i, sentAt: performance.now() });
      await sleep(10);
    }
    for (let i = 0; i < 100 && (latencies[raw].length < messages || latencies[product].length < messages); i++) await sleep(50);
    const r = quantiles(latencies[raw]), p = quantiles(latencies[product]);
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      rows: [
        { operation: `raw @streamr/sdk publish → receive (${latencies[raw].length}/${messages} received)`, median: round(r.median), p95: round(r.p95) },
        { operation: `stream product publish → receive (${latencies[product].length}/${messages} received)`, median: round(p.median), p95: round(p.p95) },
      ],
      overheadPct: Math.round(((p.median - r.median) / r.median) * 1000) / 10,
    };
  } finally {
    await Promise.all([publisher.destroy(), subscriber.destroy()]).catch(() => {});
    await net.stop();
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { table } = await import("./lib.ts");
  const r = await streamBench(configValue("BENCH_MESSAGES"));
  process.stdout.write(table("Stream products vs raw Streamr (loopback, same run)", "ms", r.rows));
  process.stdout.write(`stream product overhead on the median: ${r.overheadPct}% (target ≤ 10%)\n`);
  process.exit(0);
}
