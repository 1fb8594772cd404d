// A data union's stream on a real local chain and Streamr network: the seeded "Wearables Data
// Union" (its stream owned by the union contract), members publishing from their own devices
// (relay/src/union-devices.ts and plain Streamr clients), and the seeded insurer's subscription.
// A member's data reaches the buyer; a non-member cannot publish into the stream and nothing of
// theirs reaches the buyer; after a member parts (PUBLISH revoked in the part transaction), none
// of their later messages reach the buyer while the other members' keep arriving. The devices
// publish through the anonymised product's stream filter (from its metadata): the buyer gets
// pseudonymous device ids, times to the minute and locations to 2 decimals.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StreamrClient } from "@streamr/sdk";
import { dataUnionAbi, streamFilterOf, type ProductMetadata } from "@kraken/sdk";
import { createStreamFilter, publisherPseudonymKey } from "@kraken/sdk/anonymise";
import { freePort, startStreamrNetwork, type RunningStreamrNetwork } from "@kraken/streamr";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { pinDemoMetadata, startIpfs, type RunningIpfs } from "../../ipfs/src/index.ts";
import { kraken } from "../../cli/test/run.ts";
import { startUnionDevices, unionDevice, type RunningUnionDevices } from "../src/index.ts";
import type { DemoFile } from "../../contracts/scripts/seed.ts";

const CACHE_MS = 1000; // the clients' permission cache in this test (npm start: 10 s)
let s: Stack;
let net: RunningStreamrNetwork;
let devices: RunningUnionDevices;
let ipfs: RunningIpfs;
let dir: string;
let demo: DemoFile;
let union: DemoFile["unions"][number];
const clients: StreamrClient[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000) {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const persona = (key: keyof DemoFile["personas"]) => demo.personas[key];
const client = (key: keyof DemoFile["personas"], id: string) => {
  const c = new StreamrClient(net.clientConfig(persona(key).privateKey, { id, keyRequestTimeoutMs: 3000, permissionCacheMs: CACHE_MS }));
  clients.push(c);
  return c;
};

/** The buyer's subscription: data points by publisher address (lower case), with when they arrived. */
async function listen(key: keyof DemoFile["personas"]) {
  const got = new Map<string, number[]>();
  const sub = await client(key, `buyer-${key}`).subscribe(union.streamId, (_content: unknown, metadata: { publisherId: string }) => {
    const p = metadata.publisherId.toLowerCase();
    got.set(p, [...(got.get(p) ?? []), Date.now()]);
  });
  sub.on("error", () => {});
  return { from: (key: keyof DemoFile["personas"]) => got.get(persona(key).address.toLowerCase()) ?? [] };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kraken-union-stream-"));
  process.env.XDG_DATA_HOME = join(dir, "xdg");
  s = await startStack({ seed: true });
  demo = JSON.parse(readFileSync(join(s.deploymentFile, "..", "localhost.demo.json"), "utf8"));
  union = demo.unions.find((u) => u.key === "wearables-union")!;
  ipfs = await startIpfs({ apiPort: 0, gatewayPort: 0, dataDir: join(dir, "ipfs"), log: () => {} });
  await pinDemoMetadata(ipfs.apiUrl, demo); // the union product's metadata (its stream filter) for `kraken union publish`
  net = await startStreamrNetwork({ port: await freePort(), rpcUrl: s.rpcUrl, streamRegistry: s.deployment.streamRegistry!, log: () => {} });
  devices = await startUnionDevices({
    union: union.address, productId: BigInt(union.productId), streamId: union.streamId,
    keys: [persona("giulia").privateKey, persona("lucia").privateKey],
    rpcUrl: s.rpcUrl, deployment: s.deployment,
    streamr: { network: net.settings, ports: [await freePort(), await freePort()] },
    intervalMs: 200, membershipPollMs: 300, log: () => {},
    filter: streamFilterOf(demo.products.find((p) => p.key === "wearables-union")!.metadata as ProductMetadata),
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.destroy().catch(() => {})));
  await devices?.stop();
  await net?.stop();
  await ipfs?.stop();
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a data union's stream", () => {
  it("the union owns its stream; the seeded members hold PUBLISH, the one who parted does not", async () => {
    expect(union.streamId).toBe(`${union.address.toLowerCase()}/wearables`);
    expect(union.members).toEqual(["anna", "giulia", "lucia", "joao", "eva"]);
    expect(union.parted).toEqual(["pieter"]);
    const publisher = (key: keyof DemoFile["personas"]) => client(key, `check-${key}`).isStreamPublisher(union.streamId, persona(key).address);
    expect(await publisher("giulia")).toBe(true);
    expect(await publisher("pieter")).toBe(false);
  });

  it("the devices publish through the product's stream filter: pseudonymous device ids, times to the minute, locations to ~1 km", async () => {
    const filter = streamFilterOf(demo.products.find((p) => p.key === "wearables-union")!.metadata as ProductMetadata)!;
    expect(filter).toEqual({ drop: [], pseudonymise: ["deviceId"], timestamps: { fields: ["ts"], granularity: "minute" }, locations: { fields: ["lat", "lon"], decimals: 2 } });
    const giulia = persona("giulia");
    const got: Record<string, number | string>[] = [];
    const sub = await client("insurer", "buyer-filtered").subscribe(union.streamId, (content: unknown, metadata: { publisherId: string }) => {
      if (metadata.publisherId.toLowerCase() === giulia.address.toLowerCase()) got.push(content as Record<string, number | string>);
    });
    sub.on("error", () => {});
    await until("three points from Giulia's device", () => got.length >= 3);
    const device = unionDevice(giulia.address, 0); // her watch: its serial number and home (Berlin)
    const expectedId = createStreamFilter(filter, publisherPseudonymKey(giulia.privateKey, union.streamId))({ deviceId: device.id }).deviceId;
    for (const m of got) {
      expect(Object.keys(m).sort()).toEqual(["deviceId", "heartRate", "lat", "lon", "steps", "ts"]);
      expect(m.deviceId).toMatch(/^[0-9a-f]{32}$/);
      expect(m.deviceId).toBe(expectedId); // the device's own key: stable, and not the serial number
      expect(JSON.stringify(m)).not.toContain(device.id);
      expect((m.ts as number) % 60_000).toBe(0);
      expect(Math.abs((m.ts as number) - Date.now())).toBeLessThan(5 * 60_000);
      for (const [v, home] of [[m.lat, device.home[0]], [m.lon, device.home[1]]] as [number, number][]) {
        expect(Math.round(v * 100) / 100).toBe(v);
        expect(Math.abs(v - home)).toBeLessThan(0.05);
      }
      expect(m.heartRate).toBeGreaterThan(30);
    }
  });

  it("members' data reaches the buyer; a non-member cannot publish into the stream, and nothing of theirs arrives", async () => {
    const insurer = await listen("insurer"); // holds the seeded subscription
    await until("data from both member devices", () => insurer.from("giulia").length > 2 && insurer.from("lucia").length > 2);

    const outsider = client("tomas", "outsider"); // registered, eligible to join, but not a member
    const refused = await outsider.publish(union.streamId, { heartRate: 250, steps: 0 }).then(() => null, (e: Error) => e);
    expect(refused?.message ?? "published", "the client refuses to publish without PUBLISH").toMatch(/permission/i);
    await sleep(2000);
    expect(insurer.from("tomas")).toEqual([]);
  });

  it("after a member parts, none of their later messages reach the buyer; the others' keep arriving", async () => {
    const insurer = await listen("insurer");
    const joao = client("joao", "member-joao"); // a member's own client, publishing as long as it may
    let joaoPublishing = true;
    let joaoRefused: Error | null = null;
    void (async () => {
      while (joaoPublishing) {
        await joao.publish(union.streamId, { heartRate: 70, steps: 1 }).catch((e: Error) => (joaoRefused = e));
        await sleep(200);
      }
    })();
    await until("data from João while a member", () => insurer.from("joao").length > 2);

    const j = s.clients(persona("joao").accountIndex);
    const parted = await j.publicClient.waitForTransactionReceipt({ hash: await j.wallet.writeContract({ address: union.address, abi: dataUnionAbi, functionName: "part", args: [] }) });
    expect(parted.status).toBe("success");
    const partedAt = Date.now();
    await sleep(CACHE_MS + 1500); // the permission caches forget João; messages in flight land
    const fromJoao = insurer.from("joao").length;
    const fromGiulia = insurer.from("giulia").length;
    await sleep(4000);
    joaoPublishing = false;
    expect(insurer.from("joao").length, "a parted member's later messages reached the buyer").toBe(fromJoao);
    expect(insurer.from("joao").every((t) => t < partedAt + CACHE_MS + 1500)).toBe(true);
    expect(insurer.from("giulia").length - fromGiulia, "members kept publishing").toBeGreaterThan(5);
    expect((joaoRefused as Error | null)?.message ?? "", "João's client is refused once its cache expires").toMatch(/permission/i);
  });

  it("kraken union publish: a member publishes JSON lines through the product's stream filter and the buyer gets them; a non-member is refused", async () => {
    const insurer = await listen("insurer");
    const got: Record<string, unknown>[] = [];
    let fromGiulia = 0;
    const sub = await client("insurer", "buyer-cli").subscribe(union.streamId, (content: unknown, metadata: { publisherId: string }) => {
      const p = metadata.publisherId.toLowerCase();
      if (p === persona("eva").address.toLowerCase()) got.push(content as Record<string, unknown>);
      if (p === persona("giulia").address.toLowerCase()) fromGiulia++;
    });
    sub.on("error", () => {});
    // Streamr keeps no history here: both subscriptions must be in the stream's network (receiving
    // Giulia's device) before Eva publishes, or a point sent while one is still joining is lost.
    const before = insurer.from("giulia").length;
    await until("both subscriptions receive the stream", () => fromGiulia > 1 && insurer.from("giulia").length > before + 1);
    const { writeFileSync } = await import("node:fs");
    const file = join(dir, "points.jsonl");
    const point = (hr: number, ts: number) => JSON.stringify({ heartRate: hr, steps: hr - 50, deviceId: "WATCH-SN-0042", ts, lat: 52.520008, lon: 13.404954 });
    writeFileSync(file, [point(61, 1_765_000_012_345), "", point(62, 1_765_000_073_000), point(63, 1_765_000_134_999)].join("\n"));
    const env = (key: keyof DemoFile["personas"], gateway = ipfs.gatewayUrl) => ({
      PRIVATE_KEY: persona(key).privateKey, KRAKEN_DEPLOYMENT: s.deploymentFile, KRAKEN_RPC_URL: s.rpcUrl, KRAKEN_IPFS_GATEWAY_URL: gateway,
      KRAKEN_STREAMR_PORT: String(net.entryPoint.websocket!.port), XDG_DATA_HOME: join(dir, `xdg-cli-${key}`),
    });
    // The product is anonymised: without its metadata (the filter) nothing is published.
    const blind = await kraken(["union", "publish", union.address, "--file", file], env("eva", `http://127.0.0.1:${await freePort()}`));
    expect(blind.code).toBe(3);
    expect(blind.stderr).toMatch(/stream filter cannot be applied, so nothing is published/);
    const r = await kraken(["union", "publish", union.address, "--file", file, "--json"], env("eva"));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ streamId: union.streamId, published: 3 });
    await until("the buyer receives Eva's three points", () => insurer.from("eva").length === 3 && got.length === 3).catch((e: Error) => {
      throw new Error(`${e.message} (listener ${insurer.from("eva").length}, filtered view ${got.length}; CLI: ${r.stderr.slice(-400)})`);
    });
    for (const m of got) {
      expect(JSON.stringify(m)).not.toContain("WATCH-SN-0042");
      expect(m.deviceId).toMatch(/^[0-9a-f]{32}$/);
      expect((m.ts as number) % 60_000).toBe(0);
      expect([m.lat, m.lon]).toEqual([52.52, 13.4]);
    }
    const outsider = await kraken(["union", "publish", union.address, "--file", file], env("tomas"));
    expect(outsider.code).toBe(4);
    expect(outsider.stderr).toContain("only members publish into its stream");
  });

  it("a member device stops by itself once its member parts", async () => {
    expect(devices.running()).toBe(2);
    const l = s.clients(persona("lucia").accountIndex);
    await l.publicClient.waitForTransactionReceipt({ hash: await l.wallet.writeContract({ address: union.address, abi: dataUnionAbi, functionName: "part", args: [] }) });
    await until("Lucía's device stops", () => devices.running() === 1, 15_000);
  });
});
