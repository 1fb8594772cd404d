// The embedded node's operations endpoints on the real node: /health (API and gateway port),
// /ready (200, then 503 naming the store once the blockstore is gone) and /metrics on the API
// port (service label, the add counter and the blocks stored moving with a real add, reads by
// outcome, and no caller-chosen value — a CID, a path — ever as a label value).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { create, type KuboRPCClient } from "kubo-rpc-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labelValues, metricsText, readyWhen, value } from "../../test/helpers/metrics.ts";
import type { RunningIpfs } from "../src/index.ts";
import { GET_OUTCOMES } from "../src/ops.ts";
import { bytes, collect, startTestIpfs, tempDir } from "./helpers.ts";

const MISSING = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"; // sha256("foo"), never added

let tmp: ReturnType<typeof tempDir>;
let ipfs: RunningIpfs;
let client: KuboRPCClient;

beforeAll(async () => {
  tmp = tempDir();
  ipfs = await startTestIpfs(tmp.dir);
  client = create({ url: ipfs.apiUrl });
});
afterAll(async () => {
  await ipfs?.stop();
  tmp?.remove();
});

const metrics = () => metricsText(ipfs.apiUrl);

describe("embedded IPFS operations endpoints", () => {
  it("/health answers 200 on the API port and on the gateway port", async () => {
    for (const base of [ipfs.apiUrl, ipfs.gatewayUrl]) {
      const r = await fetch(`${base}/health`);
      expect(r.status, base).toBe(200);
      expect(await r.json()).toMatchObject({ status: "ok", service: "ipfs", uptimeSeconds: expect.any(Number) });
    }
    expect((await fetch(`${ipfs.gatewayUrl}/metrics`)).status).toBe(404); // the gateway serves content, not metrics
  });

  it("/ready is 200 with the store check passing", async () => {
    const r = await fetch(`${ipfs.apiUrl}/ready`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ready: true, service: "ipfs", checks: { store: { ok: true } } });
  });

  it("/metrics counts a real add, the blocks and bytes it stored and reads by outcome, with the service label", async () => {
    const before = await metrics();
    expect(before).toMatch(/^kraken_process_resident_memory_bytes\{service="ipfs"\} \d+/m);
    expect(before).toMatch(/^kraken_ready\{service="ipfs"\} 1$/m);
    expect(before).toMatch(/^kraken_disk_free_ratio\{service="ipfs"\} [\d.e-]+$/m); // of its data directory
    const data = bytes(600 * 1024, 5); // three 256 KiB chunks and a root
    const { cid } = await client.add(data, { cidVersion: 1 });
    expect((await collect(client.cat(cid))).byteLength).toBe(data.byteLength);
    expect((await fetch(`${ipfs.gatewayUrl}/ipfs/${cid}`)).status).toBe(200);
    expect((await fetch(`${ipfs.gatewayUrl}/ipfs/${MISSING}`)).status).toBe(404);

    const after = await metrics();
    expect(value(after, "kraken_ipfs_adds_total", { service: "ipfs" })).toBe(value(before, "kraken_ipfs_adds_total") + 1);
    expect(value(after, "kraken_ipfs_blocks_stored", { service: "ipfs" })).toBe(value(before, "kraken_ipfs_blocks_stored") + 4);
    expect(value(after, "kraken_ipfs_stored_bytes", { service: "ipfs" })).toBeGreaterThanOrEqual(value(before, "kraken_ipfs_stored_bytes") + data.byteLength);
    expect(value(after, "kraken_ipfs_gets_total", { outcome: "ok", service: "ipfs" })).toBe(value(before, "kraken_ipfs_gets_total", { outcome: "ok" }) + 2);
    expect(value(after, "kraken_ipfs_gets_total", { outcome: "not-found" })).toBe(value(before, "kraken_ipfs_gets_total", { outcome: "not-found" }) + 1);
  });

  it("never uses a caller-chosen value (CID, path, command) as a label", async () => {
    const { cid } = await client.add(new TextEncoder().encode("label probe\n"));
    const probe = `probe-${Date.now().toString(36)}`;
    expect((await fetch(`${ipfs.gatewayUrl}/ipfs/${cid}/${probe}`)).status).toBeLessThan(500);
    expect((await fetch(`${ipfs.gatewayUrl}/ipfs/${MISSING}/${probe}.json`)).status).toBe(404);
    expect((await fetch(`${ipfs.gatewayUrl}/ipfs/${probe}`)).status).toBe(400);
    expect((await fetch(`${ipfs.gatewayUrl}/${probe}`)).status).toBe(404);
    expect((await fetch(`${ipfs.apiUrl}/api/v0/cat?arg=${probe}`, { method: "POST" })).status).toBe(400);
    expect((await fetch(`${ipfs.apiUrl}/api/v0/${probe}`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`${ipfs.apiUrl}/${probe}`)).status).toBe(404);
    const text = await metrics();
    for (const chosen of [cid.toString(), MISSING, probe]) expect(text).not.toContain(chosen);
    expect(value(text, "kraken_ipfs_gets_total", { outcome: "refused" })).toBeGreaterThanOrEqual(2);
    const allowed = new Set<string>(["ipfs", ...GET_OUTCOMES]);
    expect([...labelValues(text, "kraken_ipfs_")].filter((v) => !allowed.has(v))).toEqual([]);
  });

  it("/ready is 503 naming the store when the blockstore is gone; /health stays 200", async () => {
    const other = tempDir();
    const node = await startTestIpfs(other.dir);
    try {
      expect((await fetch(`${node.apiUrl}/ready`)).status).toBe(200);
      rmSync(join(other.dir, "blocks"), { recursive: true, force: true });
      const r = await readyWhen(node.apiUrl, 503);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ ready: false, service: "ipfs", checks: { store: { ok: false, detail: expect.stringContaining("blockstore") } } });
      expect((await fetch(`${node.apiUrl}/health`)).status).toBe(200);
    } finally {
      await node.stop();
      other.remove();
    }
  });
});
