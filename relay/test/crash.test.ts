// A relay process killed (SIGKILL) in the middle of a delivery, then restarted on the same data
// dir: nothing is lost and no receipt is recorded twice. Crash points: after publishing to the
// consumer's inbox but before the receipt; after the receipt transaction was signed and saved but
// before it was sent; after the receipt but before the checkpoint moved.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAbiItem, parseEventLogs, zeroHash, type Address } from "viem";
import { agreementsAbi } from "@kraken/sdk";
import { freePort } from "@kraken/streamr";
import { ACCOUNTS, startDeliveryStack, type DeliveryStack } from "./helpers/delivery-stack.ts";

let k: DeliveryStack;
let child: ChildProcess | undefined;
beforeAll(async () => {
  k = await startDeliveryStack();
  for (const i of [ACCOUNTS.seller, ACCOUNTS.consumer, ACCOUNTS.consumer2, ACCOUNTS.consumer3]) await k.register(i);
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await k?.stop();
});

/** Relay 3 as its own process on its data dir; resolves once it serves, with its exit. */
async function spawnRelay(crashAt?: string) {
  const config = {
    key: k.relayKeys[2], rpcUrl: k.s.rpcUrl, deployment: k.s.deployment,
    streamr: { network: k.net.settings, port: await freePort() }, port: 0, dataDir: join(k.dir, "relays", "3"), pollMs: 100,
  };
  const p = spawn(process.execPath, ["--import", "tsx", resolve(import.meta.dirname, "../src/relay-main.ts")], {
    env: { ...process.env, KRAKEN_RELAY_CONFIG: JSON.stringify(config), KRAKEN_RELAY_CRASH_AT: crashAt ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = p;
  const stderr: string[] = [];
  p.stderr!.on("data", (b) => stderr.push(String(b)));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => p.on("exit", (code, signal) => r({ code, signal })));
  const ready = await new Promise<{ ready: string }>((res, rej) => {
    createInterface({ input: p.stdout! }).on("line", (l) => { try { const m = JSON.parse(l); if (m.ready) res(m); } catch { /* not ours */ } });
    void exited.then((e) => rej(new Error(`relay exited before ready (${JSON.stringify(e)}): ${stderr.join("")}`)));
  });
  return { url: ready.ready, exited, stderr, stop: async () => { p.kill("SIGTERM"); await exited; } };
}

async function receipts(agreementId: bigint, agent: Address) {
  const pc = k.s.clients(0).publicClient;
  const logs = await pc.getLogs({ address: k.s.deployment.contracts.Agreements.address, event: getAbiItem({ abi: agreementsAbi, name: "DeliveryRecorded" }), args: { agreementId, agent }, fromBlock: 0n });
  return parseEventLogs({ abi: agreementsAbi, logs, eventName: "DeliveryRecorded" });
}
const deliveryOf = (agreementId: bigint, agent: Address) =>
  k.s.clients(0).publicClient.readContract({ address: k.s.deployment.contracts.Agreements.address, abi: agreementsAbi, functionName: "deliveryOf", args: [agreementId, agent] });
async function until(fn: () => Promise<boolean>, ms = 30_000) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("a relay killed mid-delivery", () => {
  let productId: bigint;
  const relay3 = () => k.directory[2].address;

  beforeAll(async () => {
    const seller = k.streamrClient(ACCOUNTS.seller);
    ({ productId } = await k.publishBatch({ data: new Uint8Array(randomBytes(2000)), publisher: seller }));
    await k.relays.relays[2].stop(); // relay 3 continues as a child process on the same data dir
  });

  it("after publishing, before the receipt: the restarted relay delivers and records once", async () => {
    const first = await spawnRelay("after-publish");
    const { agreementId } = await k.buy(ACCOUNTS.consumer, productId);
    const exit = await first.exited;
    expect(exit.signal).toBe("SIGKILL");
    expect(await deliveryOf(agreementId, relay3())).toBe(zeroHash);

    const second = await spawnRelay();
    await until(async () => (await deliveryOf(agreementId, relay3())) !== zeroHash);
    await new Promise((r) => setTimeout(r, 500)); // a few more scans
    expect(await receipts(agreementId, relay3())).toHaveLength(1);
    const health = await (await fetch(`${second.url}/health`)).json();
    expect(health.counters.delivered).toBe(1);
    await second.stop();
  });

  it("after the receipt, before the checkpoint: the restarted relay records nothing twice", async () => {
    const first = await spawnRelay("after-record");
    const { agreementId } = await k.buy(ACCOUNTS.consumer2, productId);
    const exit = await first.exited;
    expect(exit.signal).toBe("SIGKILL");
    expect(await receipts(agreementId, relay3())).toHaveLength(1);

    const second = await spawnRelay();
    const head = Number(await k.s.clients(0).publicClient.getBlockNumber());
    await until(async () => ((await (await fetch(`${second.url}/health`)).json()).checkpointBlock as number) >= head);
    expect(await receipts(agreementId, relay3())).toHaveLength(1);
    await second.stop();
  });

  it("after signing the receipt, before sending it: the restart sends that same transaction", async () => {
    const first = await spawnRelay("after-sign");
    const { agreementId } = await k.buy(ACCOUNTS.consumer3, productId);
    expect((await first.exited).signal).toBe("SIGKILL");
    const { readFileSync } = await import("node:fs");
    const saved = JSON.parse(readFileSync(join(k.dir, "relays", "3", "state.json"), "utf8")).pendingReceipts[String(agreementId)];
    expect(saved.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await deliveryOf(agreementId, relay3())).toBe(zeroHash); // never sent

    const second = await spawnRelay();
    await until(async () => (await deliveryOf(agreementId, relay3())) !== zeroHash);
    await new Promise((r) => setTimeout(r, 500));
    const recorded = await receipts(agreementId, relay3());
    expect(recorded).toHaveLength(1);
    expect(recorded[0].transactionHash).toBe(saved.txHash);
    await second.stop();
  });
});
