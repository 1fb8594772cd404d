// The faucet's operations endpoints on the real service and a real local chain: /health (its
// FaucetInfo kept), /ready (200, then 503 naming the chain once the RPC stops answering) and
// /metrics (service label, the drip counter moving with a real drip, refusals by reason, and no
// caller-chosen value — an address, a path — ever as a label value).
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { requestDemoData } from "@kraken/sdk";
import { labelValues, metricsText, readyWhen, rpcProxy, value } from "../../test/helpers/metrics.ts";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { startFaucet, type RunningFaucet } from "../src/index.ts";
import { REFUSAL_REASONS } from "../src/ops.ts";

let s: Stack;
let faucet: RunningFaucet;
const others: RunningFaucet[] = [];
const fresh = () => privateKeyToAccount(generatePrivateKey()).address;

beforeAll(async () => {
  s = await startStack();
  faucet = await startFaucet({ rpcUrl: s.rpcUrl, deployment: s.deployment, dataDir: join(s.dir, "faucet"), port: 0, log: () => {} });
});
afterAll(async () => {
  for (const f of [faucet, ...others]) await f?.stop().catch(() => {});
  await s?.stop();
});

const drip = (url: string, address: unknown) => fetch(`${url}/drip`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ address }) });

describe("faucet operations endpoints", () => {
  it("/health answers 200 with the faucet's info and the service name", async () => {
    const r = await fetch(`${faucet.url}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ...faucet.info, status: "ok", service: "faucet", uptimeSeconds: expect.any(Number) });
  });

  it("/ready is 200 with the chain check passing", async () => {
    const r = await fetch(`${faucet.url}/ready`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ready: true, service: "faucet", checks: { chain: { ok: true } } });
  });

  it("/metrics counts a real drip and refusals by reason, with the service label", async () => {
    const before = await metricsText(faucet.url);
    expect(before).toMatch(/^kraken_process_resident_memory_bytes\{service="faucet"\} \d+/m);
    expect(before).toMatch(/^kraken_ready\{service="faucet"\} 1$/m);
    expect(before).toMatch(/^kraken_disk_free_ratio\{service="faucet"\} [\d.e-]+$/m); // of its data directory
    const drips = value(before, "kraken_faucet_drips_total", { service: "faucet" });
    const me = fresh();
    await requestDemoData(faucet.url, me);
    expect((await drip(faucet.url, me)).status).toBe(429);
    expect((await drip(faucet.url, "0x123")).status).toBe(400);
    expect((await fetch(`${faucet.url}/drip`, { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" })).status).toBe(400);

    const after = await metricsText(faucet.url);
    expect(value(after, "kraken_faucet_drips_total", { service: "faucet" })).toBe(drips + 1);
    expect(value(after, "kraken_faucet_refusals_total", { reason: "rate-limited", service: "faucet" })).toBe(value(before, "kraken_faucet_refusals_total", { reason: "rate-limited" }) + 1);
    expect(value(after, "kraken_faucet_refusals_total", { reason: "bad-address" })).toBe(value(before, "kraken_faucet_refusals_total", { reason: "bad-address" }) + 1);
    expect(value(after, "kraken_faucet_refusals_total", { reason: "bad-request" })).toBe(value(before, "kraken_faucet_refusals_total", { reason: "bad-request" }) + 1);
  });

  it("never uses a caller-chosen value (address, path) as a label", async () => {
    const me = fresh();
    const probe = `probe-${randomBytes(6).toString("hex")}`;
    await requestDemoData(faucet.url, me);
    expect((await drip(faucet.url, me.toLowerCase())).status).toBe(429);
    expect((await drip(faucet.url, probe)).status).toBe(400);
    expect((await fetch(`${faucet.url}/${probe}`)).status).toBe(404);
    const text = await metricsText(faucet.url);
    for (const chosen of [me, me.toLowerCase(), probe]) expect(text).not.toContain(chosen);
    const allowed = new Set<string>(["faucet", ...REFUSAL_REASONS]);
    expect([...labelValues(text, "kraken_faucet_")].filter((v) => !allowed.has(v))).toEqual([]);
  });

  it("/ready is 503 naming the chain once the RPC stops answering; /health stays 200", async () => {
    const proxy = await rpcProxy(s.rpcUrl);
    const f = await startFaucet({ rpcUrl: proxy.url, deployment: s.deployment, dataDir: join(s.dir, "faucet-rpc"), port: 0, log: () => {} });
    others.push(f);
    expect((await fetch(`${f.url}/ready`)).status).toBe(200);
    await proxy.close();
    const r = await readyWhen(f.url, 503);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ ready: false, service: "faucet", checks: { chain: { ok: false, detail: expect.stringContaining("RPC") } } });
    expect((await fetch(`${f.url}/health`)).status).toBe(200);
  });
});
