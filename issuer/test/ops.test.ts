// The issuer's operations endpoints on the real service and a real local chain: /health, /ready
// (chain and key checks: 200, then 503 naming the check when the RPC stops answering or the key is
// not trusted on chain) and /metrics (service label, counters that move with real requests, and
// no caller-chosen value — a path, an address, a DID — ever as a label value); abuse refused in
// the issuer's error shape and counted: 429 over a per-IP rate limit, 413, 400.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { pkhDid, requestCredential } from "@kraken/sdk/ssi";
import { labelValues, metricsText, readyWhen, rpcProxy, value } from "../../test/helpers/metrics.ts";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { REFUSAL_REASONS } from "../src/ops.ts";
import { startIssuer, type RunningIssuer } from "../src/index.ts";

let s: Stack;
const others: RunningIssuer[] = [];
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  for (const o of others) await o.stop().catch(() => {});
  await s?.stop();
});

const person = { category: "Individual", country: "PT" } as const;

describe("issuer operations endpoints", () => {
  it("/health answers 200 with the service name", async () => {
    const r = await fetch(`${s.issuer.url}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: "ok", service: "issuer", uptimeSeconds: expect.any(Number) });
  });

  it("/ready is 200 with the chain and key checks passing", async () => {
    const r = await fetch(`${s.issuer.url}/ready`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ready: true, service: "issuer", checks: { chain: { ok: true }, key: { ok: true } } });
  });

  it("/metrics counts a real issuance, requests by outcome and refusals by reason, with the service label", async () => {
    const before = await metricsText(s.issuer.url);
    expect(before).toMatch(/^kraken_process_resident_memory_bytes\{service="issuer"\} \d+/m);
    expect(before).toMatch(/^kraken_ready\{service="issuer"\} 1$/m);
    expect(before).toMatch(/^kraken_disk_free_ratio\{service="issuer"\} [\d.e-]+$/m); // of its data directory
    const issued = value(before, "kraken_issuer_issuances_total", { service: "issuer" });
    const ok = value(before, "kraken_issuer_requests_total", { outcome: "ok" });
    const timed = value(before, "kraken_issuer_request_seconds_count");
    await requestCredential({ issuerUrl: s.issuer.url, wallet: s.clients(5).wallet, claims: person, encryptionKey: `0x${randomBytes(32).toString("hex")}` });
    const bad = await fetch(`${s.issuer.url}/credentials`, { method: "POST", body: JSON.stringify({ ...person, encryptionKey: `0x${"11".repeat(32)}`, signature: "0x00", challengeId: "nope" }) });
    expect(bad.status).toBe(400);

    const after = await metricsText(s.issuer.url);
    expect(value(after, "kraken_issuer_issuances_total", { service: "issuer" })).toBe(issued + 1);
    expect(value(after, "kraken_issuer_requests_total", { outcome: "ok", service: "issuer" })).toBe(ok + 2); // challenge + credential
    expect(value(after, "kraken_issuer_refusals_total", { reason: "challenge-unknown", service: "issuer" })).toBeGreaterThanOrEqual(1);
    expect(value(after, "kraken_issuer_requests_total", { outcome: "refused" })).toBeGreaterThanOrEqual(1);
    expect(value(after, "kraken_issuer_request_seconds_count", { service: "issuer" })).toBe(timed + 3);
    expect(after).toMatch(/^kraken_issuer_request_seconds_bucket\{le="10",service="issuer"\} \d+/m);
  });

  it("never uses a caller-chosen value (path, address, DID) as a label", async () => {
    const probe = `probe-${randomBytes(6).toString("hex")}`;
    const stranger = privateKeyToAccount(generatePrivateKey()).address;
    expect((await fetch(`${s.issuer.url}/${probe}/x`)).status).toBe(404);
    expect((await fetch(`${s.issuer.url}/credentials/status/${probe}`)).status).toBe(404);
    expect((await fetch(`${s.issuer.url}/challenges`, { method: "POST", body: JSON.stringify({ address: stranger }) })).status).toBe(200);
    expect((await fetch(`${s.issuer.url}/challenges`, { method: "POST", body: JSON.stringify({ address: probe }) })).status).toBe(400);
    expect((await fetch(`${s.issuer.url}/credentials/revoke`, { method: "POST", body: JSON.stringify({ subject: stranger }) })).status).toBe(401);
    expect((await fetch(`${s.issuer.url}/login`, { method: "POST", body: JSON.stringify({ presentation: { holder: pkhDid(31337, stranger) } }) })).status).toBeGreaterThanOrEqual(400);

    const text = await metricsText(s.issuer.url);
    for (const chosen of [probe, stranger, stranger.toLowerCase(), pkhDid(31337, stranger), s.issuer.did]) expect(text).not.toContain(chosen);
    expect(value(text, "kraken_issuer_refusals_total", { reason: "not-found" })).toBeGreaterThanOrEqual(2);
    expect(value(text, "kraken_issuer_refusals_total", { reason: "unauthorized" })).toBeGreaterThanOrEqual(1);
    const allowed = new Set<string>(["issuer", "ok", "refused", "error", "other", ...REFUSAL_REASONS]);
    expect([...labelValues(text, "kraken_issuer_")].filter((v) => !allowed.has(v))).toEqual([]);
  });

  it("/ready is 503 naming the chain once the RPC stops answering; /health stays 200", async () => {
    const proxy = await rpcProxy(s.rpcUrl);
    const issuer = await startIssuer({ port: 0, rpcUrl: proxy.url, deployment: s.deployment, dataDir: join(s.dir, "issuer-rpc"), adminToken: "t", log: () => {} });
    others.push(issuer);
    expect((await fetch(`${issuer.url}/ready`)).status).toBe(200);
    await proxy.close();
    const r = await readyWhen(issuer.url, 503);
    expect(r.status).toBe(503);
    const body = await r.json();
    expect(body).toMatchObject({ ready: false, service: "issuer", checks: { chain: { ok: false, detail: expect.stringContaining("RPC") } } });
    expect((await fetch(`${issuer.url}/health`)).status).toBe(200);
    expect((await fetch(`${issuer.url}/metrics`)).status).toBe(200);
  });

  it("refuses abuse as { error, message } and counts it: 429 with retry-after over a per-IP limit, 413 for a body over 256 KiB, 400 for one that is not JSON; then answers normally", async () => {
    const issuer = await startIssuer({
      port: 0, rpcUrl: s.rpcUrl, deployment: s.deployment, dataDir: join(s.dir, "issuer-abuse"), adminToken: "t", log: () => {},
      rateLimits: { readsPerIp: { max: 3, windowMs: 1000 }, writesPerIp: { max: 2, windowMs: 1000 } },
    });
    others.push(issuer);
    const post = (body: string) => fetch(`${issuer.url}/challenges`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const answer = async (r: Response) => ({ status: r.status, retryAfter: r.headers.get("retry-after"), body: await r.json() });

    expect(await answer(await post(JSON.stringify({ address: `0x${"ab".repeat(150_000)}` })))).toMatchObject({ status: 413, body: { error: "too-large", message: "request body too large" } });
    expect(await answer(await post("{not json"))).toMatchObject({ status: 400, body: { error: "bad-request", message: "request body is not JSON" } });
    const limited = await answer(await post(JSON.stringify({ address: s.clients(3).account.address })));
    expect(limited).toMatchObject({ status: 429, body: { error: "rate-limited", message: expect.stringContaining("too many requests from 127.0.0.1") } });
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    // reads have their own limit
    const reads = [];
    for (let i = 0; i < 4; i++) reads.push(await fetch(`${issuer.url}/`, { headers: { origin: "http://localhost:5173" } }));
    expect(reads.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(reads[3].headers.get("access-control-allow-origin")).toBe("*");
    expect(await reads[3].json()).toMatchObject({ error: "rate-limited" });

    await new Promise((r) => setTimeout(r, 1100));
    const again = await post(JSON.stringify({ address: s.clients(3).account.address }));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: expect.any(String) });
    const text = await metricsText(issuer.url);
    for (const reason of ["rate-limited", "too-large", "bad-request"]) expect(value(text, "kraken_issuer_refusals_total", { reason }), reason).toBeGreaterThanOrEqual(1);
  });

  it("/ready is 503 naming the key when the issuer's key is not trusted on chain", async () => {
    const issuer = await startIssuer({ port: 0, rpcUrl: s.rpcUrl, deployment: s.deployment, dataDir: join(s.dir, "issuer-untrusted"), adminToken: "t", privateKey: s.clients(7).privateKey, log: () => {} });
    others.push(issuer);
    const r = await fetch(`${issuer.url}/ready`);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ ready: false, checks: { chain: { ok: true }, key: { ok: false, detail: expect.stringContaining("not a trusted issuer") } } });
  });
});
