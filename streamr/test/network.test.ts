// The local Streamr network end to end: anvil + StreamRegistryV5 + entry node + a publisher
// (this process) + a subscriber in a child process + a client without permission (this
// process). Non-public stream, SUBSCRIBE granted with an expiration through the trusted path,
// end-to-end encryption, expiry + rekey, latency figures, and no non-loopback traffic.
import { outbound } from "./fixtures/netguard.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { StreamrClient } from "@streamr/sdk";
import { DEV_MNEMONIC } from "@kraken/sdk";
import { startChain, type RunningChain } from "../../chain/src/index.ts";
import {
  createProductStream, deployStreamRegistry, freePort, getPermissions, grantSubscribe, grantTrustedRole,
  hasSubscribePermission, hasTrustedRole, rekeyStream, startStreamrNetwork, type RunningStreamrNetwork,
} from "../src/index.ts";

const key = (i: number) => {
  const a = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });
  return { address: a.address, privateKey: `0x${Buffer.from(a.getHdKey().privateKey!).toString("hex")}` as Hex };
};
const ADMIN = key(0), MARKET = key(2), PUBLISHER = key(3), SUBSCRIBER = key(4), OUTSIDER = key(5);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

const dir = mkdtempSync(join(tmpdir(), "kraken-streamr-"));
process.env.XDG_DATA_HOME = join(dir, "xdg"); // the SDK keeps group keys under env-paths("streamr-sdk")
let chain: RunningChain;
let net: RunningStreamrNetwork;
let registry: Hex;
const clients: StreamrClient[] = [];
let child: ChildProcess | undefined;
const childMsgs: { seq: number; sentAt: number; receivedAt: number }[] = [];
const childErrors: string[] = [];
let childStopped: Promise<{ outbound: string[] }> | undefined;

async function rpc(method: string, params: unknown[] = []) {
  const r = await fetch(chain.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  return ((await r.json()) as { result: unknown }).result;
}

beforeAll(async () => {
  chain = await startChain({ port: await freePort(), dataDir: join(dir, "chain"), log: () => {} });
  registry = await deployStreamRegistry({ rpcUrl: chain.rpcUrl, deployerKey: ADMIN.privateKey });
  net = await startStreamrNetwork({ port: await freePort(), rpcUrl: chain.rpcUrl, streamRegistry: registry, dataDir: join(dir, "streamr"), log: () => {} });
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await Promise.all(clients.map((c) => c.destroy().catch(() => {})));
  await net?.stop();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("local Streamr network", () => {
  let streamId: string;
  let publisher: StreamrClient;
  let endsAt: bigint;
  const figures: Record<string, number> = {};

  it("deploys StreamRegistryV5 and grants TRUSTED_ROLE idempotently", async () => {
    expect(await hasTrustedRole(chain.rpcUrl, registry, MARKET.address)).toBe(false);
    expect(await grantTrustedRole({ rpcUrl: chain.rpcUrl, deployerKey: ADMIN.privateKey, registry, account: MARKET.address })).toMatch(/^0x/);
    expect(await grantTrustedRole({ rpcUrl: chain.rpcUrl, deployerKey: ADMIN.privateKey, registry, account: MARKET.address })).toBeUndefined();
    expect(await hasTrustedRole(chain.rpcUrl, registry, MARKET.address)).toBe(true);
  });

  it("publisher creates a non-public stream; the trusted wallet grants SUBSCRIBE until endsAt", async () => {
    // The publisher runs a websocket server, the subscriber does not: their link is a websocket.
    publisher = new StreamrClient(net.clientConfig(PUBLISHER.privateKey, { port: await freePort(), permissionCacheMs: 1000, id: "publisher" }));
    clients.push(publisher);
    let t = now();
    streamId = await createProductStream(publisher, "/kraken/test/heart-rate");
    figures.createStreamMs = now() - t;
    expect(streamId).toBe(`${PUBLISHER.address.toLowerCase()}/kraken/test/heart-rate`);
    expect(await createProductStream(publisher, "/kraken/test/heart-rate")).toBe(streamId); // idempotent

    const pc = createPublicClient({ transport: http(chain.rpcUrl) });
    const { timestamp } = await pc.getBlock();
    endsAt = timestamp + 3600n;
    t = now();
    await grantSubscribe({ rpcUrl: chain.rpcUrl, deployerKey: MARKET.privateKey, registry }, streamId, SUBSCRIBER.address, endsAt);
    figures.grantMs = now() - t;
    expect(await hasSubscribePermission(chain.rpcUrl, registry, streamId, SUBSCRIBER.address)).toBe(true);
    expect(await hasSubscribePermission(chain.rpcUrl, registry, streamId, OUTSIDER.address)).toBe(false);
    const p = await getPermissions(chain.rpcUrl, registry, streamId, SUBSCRIBER.address);
    expect(p.subscribeExpiration).toBe(endsAt);
    expect(p.publishExpiration).toBe(0n);
    // Only a TRUSTED_ROLE holder may use the trusted path.
    await expect(grantSubscribe({ rpcUrl: chain.rpcUrl, deployerKey: OUTSIDER.privateKey, registry }, streamId, OUTSIDER.address, endsAt)).rejects.toThrow();
  });

  it("delivers decrypted messages across processes; a client without permission gets no plaintext", async () => {
    child = spawn(process.execPath, ["--import", "tsx", resolve(import.meta.dirname, "fixtures/subscriber.ts")], {
      env: { ...process.env, KRAKEN_TEST_CONFIG: JSON.stringify(net.clientConfig(SUBSCRIBER.privateKey, { id: "subscriber", keyRequestTimeoutMs: 3000 })), KRAKEN_TEST_STREAM: streamId, KRAKEN_DISABLE_WEBRTC: "1" }, // websocket links only
      stdio: ["pipe", "pipe", "inherit"],
    });
    let subscribed!: () => void;
    const ready = new Promise<void>((r) => (subscribed = r));
    childStopped = new Promise((res) => {
      createInterface({ input: child!.stdout! }).on("line", (line) => {
        let m: any;
        try { m = JSON.parse(line); } catch { return; }
        if (m.type === "subscribed") subscribed();
        else if (m.type === "msg") childMsgs.push(m);
        else if (m.type === "error") childErrors.push(m.code);
        else if (m.type === "stopped") res(m);
      });
    });
    await ready;

    const outsider = new StreamrClient(net.clientConfig(OUTSIDER.privateKey, { id: "outsider", keyRequestTimeoutMs: 3000 }));
    clients.push(outsider);
    const outsiderMsgs: unknown[] = [];
    const outsiderErrors: string[] = [];
    const osub = await outsider.subscribe(streamId, (c) => outsiderMsgs.push(c));
    osub.on("error", (e: any) => outsiderErrors.push(e?.code ?? String(e)));

    // First message: publish until the subscriber has one (joins the stream, key exchange).
    const t0 = now();
    let seq = 0;
    while (childMsgs.length === 0 && now() - t0 < 15_000) {
      await publisher.publish(streamId, { seq: seq++, sentAt: now(), bpm: 60 + (seq % 40) });
      await sleep(20);
    }
    expect(childMsgs.length).toBeGreaterThan(0);
    figures.firstMessageMs = childMsgs[0].receivedAt - t0;

    // Latency: 200 messages at ~10 ms intervals.
    const from = seq;
    for (let i = 0; i < 200; i++) {
      await publisher.publish(streamId, { seq: seq++, sentAt: now(), bpm: 60 + (i % 40) });
      await sleep(10);
    }
    const deadline = now() + 5000;
    while (childMsgs.filter((m) => m.seq >= from).length < 200 && now() < deadline) await sleep(20);
    const lat = childMsgs.filter((m) => m.seq >= from).map((m) => m.receivedAt - m.sentAt);
    expect(lat.length).toBe(200);
    figures.latencyMedianMs = pct(lat, 0.5);
    figures.latencyP95Ms = pct(lat, 0.95);
    figures.latencyMaxMs = Math.max(...lat);

    // The outsider received the ciphertext but never got the key.
    await sleep(3500);
    expect(outsiderMsgs).toEqual([]);
    expect(outsiderErrors.length).toBeGreaterThan(0);
    figures.outsiderErrors = outsiderErrors.length;
    console.log(`outsider errors: ${[...new Set(outsiderErrors)].join(", ")}`);
  });

  it("after the subscription expires and the publisher rekeys, the subscriber gets nothing new", async () => {
    // Still valid: the subscriber receives.
    const before = childMsgs.length;
    await publisher.publish(streamId, { seq: 10_000, sentAt: now(), bpm: 70 });
    const d = now() + 3000;
    while (childMsgs.length === before && now() < d) await sleep(20);
    expect(childMsgs.length).toBe(before + 1);

    // Shorten the subscription to end in 2 s (the trusted path overwrites the record, as a renewal
    // would extend it). The SDK compares expirations with the publisher's wall clock, and the
    // contract with the block timestamp, so let both pass endsAt.
    const shortEnd = Math.ceil(Date.now() / 1000) + 2;
    await grantSubscribe({ rpcUrl: chain.rpcUrl, deployerKey: MARKET.privateKey, registry }, streamId, SUBSCRIBER.address, shortEnd);
    expect(await hasSubscribePermission(chain.rpcUrl, registry, streamId, SUBSCRIBER.address)).toBe(true);
    await sleep(shortEnd * 1000 - Date.now() + 100);
    await rpc("evm_increaseTime", [5]);
    await rpc("evm_mine");
    expect(await hasSubscribePermission(chain.rpcUrl, registry, streamId, SUBSCRIBER.address)).toBe(false);
    await sleep(1100); // the publisher's permission cache (1 s in this test, 10 s by default)
    await rekeyStream(publisher, streamId);

    const count = childMsgs.length;
    for (let i = 0; i < 20; i++) {
      await publisher.publish(streamId, { seq: 20_000 + i, sentAt: now(), bpm: 80 });
      await sleep(50);
    }
    await sleep(4000); // > the subscriber's key request timeout
    expect(childMsgs.length).toBe(count);
    console.log(`subscriber errors after expiry: ${[...new Set(childErrors)].join(", ")} (${childErrors.length})`);

    child!.stdin!.write("stop\n");
    const stopped = await childStopped!;
    expect(stopped.outbound).toEqual([]);
    console.log("figures", JSON.stringify(figures));
  });

  it("made no non-loopback connection or DNS lookup in this process", () => {
    expect(outbound).toEqual([]);
  });
});
