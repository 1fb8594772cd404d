// The embedded IPFS node through kubo-rpc-client and plain HTTP: round trips, Kubo-equal CIDs,
// gateway, persistence, errors, upload limit, abuse (per-IP rate limits, body limits, malformed
// JSON: Kubo's error shape), and that it never reaches outside loopback.
import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import { create, type KuboRPCClient } from "kubo-rpc-client";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeMetadata, metadataCid, type ProductMetadata } from "@kraken/sdk";
import type { RunningIpfs } from "../src/index.ts";
import { bytes, collect, spyNetwork, startTestIpfs, tempDir } from "./helpers.ts";

const MISSING = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"; // sha256("foo"), never added

let net: ReturnType<typeof spyNetwork>;
let tmp: ReturnType<typeof tempDir>;
let ipfs: RunningIpfs;
let client: KuboRPCClient;

beforeAll(async () => {
  net = spyNetwork();
  tmp = tempDir();
  ipfs = await startTestIpfs(tmp.dir, { maxUploadBytes: 8 * 1024 * 1024 });
  client = create({ url: ipfs.apiUrl });
});

afterAll(async () => {
  await ipfs?.stop();
  net?.restore();
  tmp?.remove();
});

describe("kubo-rpc-client against the embedded node", () => {
  it("version and id", async () => {
    const v = await client.version();
    expect(v.version).toMatch(/helia/);
    const id = await client.id();
    expect(id.id.toString()).toBe(ipfs.peerId);
  });

  it.each([
    ["small text", new TextEncoder().encode("hello kraken\n")],
    ["binary 300 KiB", bytes(300 * 1024, 7)],
    ["multi-chunk 3 MiB", bytes(3 * 1024 * 1024, 3)],
    ["empty", new Uint8Array(0)],
  ])("add/cat round trip: %s, CIDv0 and CIDv1", async (_name, data) => {
    for (const opts of [{}, { cidVersion: 1 as const }, { cidVersion: 1 as const, rawLeaves: false }]) {
      const { cid, size } = await client.add(data, opts);
      expect(size).toBeGreaterThanOrEqual(data.byteLength);
      const back = await collect(client.cat(cid));
      expect(Buffer.compare(back, data)).toBe(0);
    }
  });

  it("cat with offset and length across chunk boundaries", async () => {
    const data = bytes(1024 * 1024, 11);
    const { cid } = await client.add(data, { cidVersion: 1 });
    const part = await collect(client.cat(cid, { offset: 262_000, length: 1_000 }));
    expect(Buffer.compare(part, Buffer.from(data.subarray(262_000, 263_000)))).toBe(0);
  });

  it("pin.add, pin.ls, block.get", async () => {
    const data = new TextEncoder().encode("pin me " + Date.now());
    const { cid } = await client.add(data, { cidVersion: 1, pin: false });
    const pinned = await client.pin.add(cid);
    expect(pinned.toString()).toBe(cid.toString());
    await client.pin.add(cid); // pinning twice is fine, as in Kubo
    const pins = [];
    for await (const p of client.pin.ls({ paths: [cid] })) pins.push(p);
    expect(pins).toEqual([expect.objectContaining({ type: "recursive" })]);
    expect(Buffer.from(await client.block.get(cid))).toEqual(Buffer.from(data));
  });

  it("wrap-with-directory and multiple files in one request", async () => {
    const files = [
      { path: "a.json", content: new TextEncoder().encode('{"a":1}') },
      { path: "b.txt", content: new TextEncoder().encode("bee") },
    ];
    const out = [];
    for await (const r of client.addAll(files, { wrapWithDirectory: true, cidVersion: 1 })) out.push(r);
    expect(out.map((o) => o.path)).toEqual(["a.json", "b.txt", ""]);
    const dir = out.at(-1)!.cid;
    const res = await fetch(`${ipfs.gatewayUrl}/ipfs/${dir}/a.json`);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ a: 1 });
  });
});

describe("CIDs equal Kubo's", () => {
  // Known Kubo results (kubo test/cli/add_test.go and the well-known examples).
  it("single-chunk files", async () => {
    const hw = new TextEncoder().encode("hello world");
    expect((await client.add(hw)).cid.toString()).toBe("Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD");
    expect((await client.add(hw, { cidVersion: 1 })).cid.toString()).toBe("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
    expect((await client.add(hw, { cidVersion: 1, rawLeaves: false })).cid.toString()).toBe("bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa");
    const hwn = new TextEncoder().encode("hello world\n");
    const r = await client.add(hwn);
    expect(r.cid.toString()).toBe("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
    expect(r.size).toBe(20); // Kubo's cumulative DAG size
    expect((await client.add(new Uint8Array(0))).cid.toString()).toBe("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  });

  it("the product metadata recipe: CIDv1 raw leaves = sdk metadataCid (raw sha256 of the JSON bytes)", async () => {
    const doc: ProductMetadata = {
      schema: "kraken.product/v1",
      title: "Wearable heart rate — ünïcödé ✓",
      summary: "s",
      description: "d".repeat(10_000),
      category: "wellbeing",
      tags: ["a", "b"],
    };
    const b = encodeMetadata(doc);
    const { cid } = await client.add(b, { cidVersion: 1, rawLeaves: true });
    expect(cid.toString()).toBe(await metadataCid(b));
    // up to exactly one chunk (256 KiB) the recipe holds; one byte more gives a dag-pb root
    const full = bytes(262_144, 5);
    expect((await client.add(full, { cidVersion: 1 })).cid.toString()).toBe(await metadataCid(full));
    expect((await client.add(bytes(262_145, 5), { cidVersion: 1 })).cid.code).toBe(dagPb.code);
  });

  it("multi-chunk CIDv0 (1 MiB) equals the rust unixfs adder (Debian ipfs_cid)", async () => {
    // `ipfs_cid` (rust-ipfs unixfs, Kubo's 256 KiB/174-link balanced layout) on bytes(1 MiB, 1)
    const { cid } = await client.add(bytes(1024 * 1024, 1));
    expect(cid.toString()).toBe(EXPECTED_1MIB_V0);
  });

  it("multi-chunk CIDv1 raw leaves (1 MiB) equals the DAG built by hand from Kubo's layout rules", async () => {
    const data = bytes(1024 * 1024, 1);
    const chunks = [0, 1, 2, 3].map((i) => data.subarray(i * 262_144, (i + 1) * 262_144));
    const leaves = await Promise.all(chunks.map(async (c) => CID.create(1, raw.code, await sha256.digest(c))));
    const unixfs = new UnixFS({ type: "file", blockSizes: chunks.map((c) => BigInt(c.byteLength)) });
    const root = dagPb.encode(dagPb.prepare({ Data: unixfs.marshal(), Links: leaves.map((Hash, i) => ({ Hash, Name: "", Tsize: chunks[i]!.byteLength })) }));
    const expected = CID.create(1, dagPb.code, await sha256.digest(root));
    const { cid, size } = await client.add(data, { cidVersion: 1, rawLeaves: true });
    expect(cid.toString()).toBe(expected.toString());
    expect(size).toBe(root.byteLength + data.byteLength);
  });
});

describe("gateway", () => {
  it("serves content with CORS, sniffed JSON/PNG types, ETag and ranges", async () => {
    const json = new TextEncoder().encode(JSON.stringify({ hello: "dApp" }));
    const { cid } = await client.add(json, { cidVersion: 1 });
    const res = await fetch(`${ipfs.gatewayUrl}/ipfs/${cid}`, { headers: { Origin: "http://localhost:5173" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("etag")).toBe(`"${cid}"`);
    expect(await res.json()).toEqual({ hello: "dApp" });

    const pre = await fetch(`${ipfs.gatewayUrl}/ipfs/${cid}`, { method: "OPTIONS", headers: { Origin: "http://x", "Access-Control-Request-Method": "GET" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");

    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(bytes(100))]);
    const p = await client.add(png, { cidVersion: 1 });
    const pres = await fetch(`${ipfs.gatewayUrl}/ipfs/${p.cid}`);
    expect(pres.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await pres.arrayBuffer())).toEqual(png);

    const big = bytes(600_000, 9);
    const b = await client.add(big, { cidVersion: 1 });
    const ranged = await fetch(`${ipfs.gatewayUrl}/ipfs/${b.cid}`, { headers: { Range: "bytes=262140-262150" } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe(`bytes 262140-262150/600000`);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(Buffer.from(big.subarray(262_140, 262_151)));

    const rawBlock = await fetch(`${ipfs.gatewayUrl}/ipfs/${cid}?format=raw`);
    expect(rawBlock.headers.get("content-type")).toBe("application/vnd.ipld.raw");
    expect(Buffer.from(await rawBlock.arrayBuffer())).toEqual(Buffer.from(json));
  });
});

describe("errors", () => {
  it("bad CID → 400 in Kubo's error shape, from the API and the gateway", async () => {
    const res = await fetch(`${ipfs.apiUrl}/api/v0/cat?arg=not-a-cid`, { method: "POST" });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toEqual({ Message: expect.stringMatching(/invalid CID/), Code: 1, Type: "error" });
    await expect(collect(client.cat("not-a-cid"))).rejects.toThrow(/invalid CID/);
    const g = await fetch(`${ipfs.gatewayUrl}/ipfs/not-a-cid`);
    expect(g.status).toBe(400);
    expect(g.headers.get("access-control-allow-origin")).toBe("*");
    expect((await g.json()).Type).toBe("error");
  });

  it("missing content → fast 404, no network lookup", async () => {
    const t0 = performance.now();
    const res = await fetch(`${ipfs.apiUrl}/api/v0/cat?arg=${MISSING}`, { method: "POST" });
    expect(res.status).toBe(404);
    expect((await res.json()).Message).toMatch(/not found on this node/);
    await expect(collect(client.cat(MISSING))).rejects.toThrow(/not found on this node/);
    await expect(client.pin.add(CID.parse(MISSING))).rejects.toThrow(/not found on this node/);
    const g = await fetch(`${ipfs.gatewayUrl}/ipfs/${MISSING}`);
    expect(g.status).toBe(404);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it("GET on the API → 405; unknown command → 404; upload over the limit → 413", async () => {
    expect((await fetch(`${ipfs.apiUrl}/api/v0/version`)).status).toBe(405);
    const unknown = await fetch(`${ipfs.apiUrl}/api/v0/dht/findprovs?arg=${MISSING}`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).Type).toBe("error");
    // limit is 8 MiB in this suite
    await expect(client.add(bytes(9 * 1024 * 1024))).rejects.toThrow(/exceeds the limit/);
    // the node still works afterwards
    expect((await client.add(new TextEncoder().encode("after"))).cid).toBeDefined();
  });

  it("API refuses browser origins that are not allowed (Kubo's CSRF protection), allows loopback", async () => {
    const evil = await fetch(`${ipfs.apiUrl}/api/v0/version`, { method: "POST", headers: { Origin: "https://evil.example" } });
    expect(evil.status).toBe(403);
    const ok = await fetch(`${ipfs.apiUrl}/api/v0/version`, { method: "POST", headers: { Origin: "http://localhost:5173" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
  });
});

describe("abuse", () => {
  it("refuses in Kubo's error shape: 429 with retry-after over a per-IP limit (adds have a lower one), 413, malformed JSON 400; then answers normally", async () => {
    const t = tempDir();
    const node = await startTestIpfs(t.dir, { maxUploadBytes: 1024, rateLimits: { readsPerIp: { max: 3, windowMs: 1000 }, writesPerIp: { max: 2, windowMs: 1000 } } });
    try {
      const c = create({ url: node.apiUrl });
      const kubo = { Message: expect.any(String), Code: 1, Type: "error" };
      // adds: a streamed upload over maxUploadBytes is 413, the next add is over the limit
      await expect(c.add(bytes(4096))).rejects.toThrow(/exceeds the limit/);
      expect((await c.add(new TextEncoder().encode("one"))).cid).toBeDefined();
      const add = await fetch(`${node.apiUrl}/api/v0/add`, { method: "POST" });
      expect(add.status).toBe(429);
      expect(Number(add.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await add.json()).toEqual({ ...kubo, Message: expect.stringMatching(/^too many requests from 127\.0\.0\.1; try again in \d+ s$/) });
      // other commands: JSON bodies are parsed (no command takes one) and bounded
      const bad = await fetch(`${node.apiUrl}/api/v0/version`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
      expect({ status: bad.status, body: await bad.json() }).toEqual({ status: 400, body: kubo });
      const big = await fetch(`${node.apiUrl}/api/v0/version`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pad: "x".repeat(100_000) }) });
      expect({ status: big.status, body: await big.json() }).toEqual({ status: 413, body: kubo });
      expect((await fetch(`${node.apiUrl}/api/v0/version`, { method: "POST" })).status).toBe(200);
      const over = await fetch(`${node.apiUrl}/api/v0/version`, { method: "POST", headers: { Origin: "http://localhost:5173" } });
      expect(over.status).toBe(429);
      expect(over.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
      // the gateway has the same per-IP limit of its own
      const gets = [];
      for (let i = 0; i < 4; i++) gets.push(await fetch(`${node.gatewayUrl}/ipfs/${MISSING}`));
      expect(gets.map((g) => g.status)).toEqual([404, 404, 404, 429]);
      expect(gets[3].headers.get("access-control-allow-origin")).toBe("*");
      expect(Number(gets[3].headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await gets[3].json()).toEqual(kubo);

      await new Promise((r) => setTimeout(r, 1100));
      const { cid } = await c.add(new TextEncoder().encode("after"), { cidVersion: 1 });
      expect(await (await fetch(`${node.gatewayUrl}/ipfs/${cid}`)).text()).toBe("after");
    } finally {
      await node.stop();
      t.remove();
    }
  });
});

describe("persistence", () => {
  it("a restart with the same dataDir keeps pinned content and the peer id", async () => {
    const t = tempDir();
    try {
      const data = bytes(700_000, 21);
      let node = await startTestIpfs(t.dir);
      const c1 = create({ url: node.apiUrl });
      const { cid } = await c1.add(data, { cidVersion: 1 });
      const peer = node.peerId;
      await node.stop();
      node = await startTestIpfs(t.dir);
      try {
        const c2 = create({ url: node.apiUrl });
        expect(node.peerId).toBe(peer);
        expect(Buffer.compare(await collect(c2.cat(cid)), data)).toBe(0);
        const pins = [];
        for await (const p of c2.pin.ls({ type: "recursive" })) pins.push(p.cid.toString());
        expect(pins).toContain(cid.toString());
        const g = await fetch(`${node.gatewayUrl}/ipfs/${cid}`);
        expect(Buffer.from(await g.arrayBuffer()).equals(Buffer.from(data))).toBe(true);
      } finally {
        await node.stop();
      }
    } finally {
      t.remove();
    }
  });
});

describe("offline", () => {
  it("made no connection outside loopback, no DNS lookup and no UDP socket", () => {
    expect(net.connects.length).toBeGreaterThan(0); // the spy works: the test's own API calls
    expect(net.outsideLoopback()).toEqual([]);
    expect(net.lookups.filter((h) => !["localhost", "127.0.0.1", "::1"].includes(h))).toEqual([]);
    expect(net.udp).toEqual([]);
  });
});

const EXPECTED_1MIB_V0 = "Qmajm4MhBmgY6qiZoH4iNTnST16h9uSiojXLEThdQWGt5P";
