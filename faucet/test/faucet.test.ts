// The demo faucet on a real local chain: a brand-new wallet gets DATA, once per cooldown (also
// across a restart); bad input and abuse (bad addresses, replays, floods, oversized bodies) are
// refused with a clear error and mint nothing; it never starts on a chain that is not local.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseUnits, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { dataTokenAbi, FaucetError, requestDemoData } from "@kraken/sdk";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { DripLimiter, startFaucet, type RunningFaucet } from "../src/index.ts";
import { FaucetStartError } from "../src/server.ts";

let s: Stack;
let faucet: RunningFaucet;
const fresh = () => privateKeyToAccount(generatePrivateKey()).address;
const balanceOf = (a: Address) => s.clients(0).publicClient.readContract({ address: s.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "balanceOf", args: [a] });
const totalSupply = () => s.clients(0).publicClient.readContract({ address: s.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "totalSupply" });
const start = (o: { perMinute?: number } = {}) => startFaucet({ rpcUrl: s.rpcUrl, deployment: s.deployment, dataDir: join(s.dir, "faucet"), port: 0, log: () => {}, ...o });

beforeAll(async () => {
  s = await startStack();
  faucet = await start();
});
afterAll(async () => {
  await faucet?.stop();
  await s?.stop();
});

describe("demo faucet", () => {
  it("gives a brand-new address 1,000 DATA, minted on chain", async () => {
    const me = fresh();
    const drip = await requestDemoData(faucet.url, me);
    expect(drip).toMatchObject({ address: me, amount: parseUnits("1000", 18).toString(), balance: parseUnits("1000", 18).toString() });
    expect(drip.nextAt).toBeGreaterThan(Date.now() + 59 * 60_000);
    expect(await balanceOf(me)).toBe(parseUnits("1000", 18));
    expect(faucet.info).toMatchObject({ chainId: 31337, cooldownSeconds: 3600 });
  });

  it("refuses a second request for the same address (any spelling), also after a restart, and mints nothing", async () => {
    const me = fresh();
    await requestDemoData(faucet.url, me);
    const supply = await totalSupply();
    for (const spelling of [me, me.toLowerCase()]) {
      const err = await requestDemoData(faucet.url, spelling).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FaucetError);
      expect(err).toMatchObject({ code: "rate-limited", message: expect.stringContaining("ask again in") });
      expect((err as FaucetError).retryAt).toBeGreaterThan(Date.now());
    }
    await faucet.stop();
    faucet = await start();
    await expect(requestDemoData(faucet.url, me)).rejects.toMatchObject({ code: "rate-limited" });
    expect(await totalSupply()).toBe(supply);
    expect(await balanceOf(me)).toBe(parseUnits("1000", 18));
  });

  it("concurrent requests for one address mint once", async () => {
    const me = fresh();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => requestDemoData(faucet.url, me)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await balanceOf(me)).toBe(parseUnits("1000", 18));
  });

  it("refuses bad addresses and malformed bodies with 4xx and mints nothing", async () => {
    const supply = await totalSupply();
    for (const bad of ["0x123", "hello", "0x0000000000000000000000000000000000000000", `0x${"g".repeat(40)}`]) {
      const res = await fetch(`${faucet.url}/drip`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ address: bad }) });
      expect(res.status, bad).toBe(400);
      expect(await res.json()).toMatchObject({ error: "bad-address" });
    }
    // wrong types, missing field, not JSON, an oversized body
    for (const body of [JSON.stringify({ address: 42 }), JSON.stringify({}), "{oops", JSON.stringify({ address: fresh(), pad: "x".repeat(4096) })]) {
      const res = await fetch(`${faucet.url}/drip`, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect(await totalSupply()).toBe(supply);
    await expect(requestDemoData(faucet.url, "not-an-address")).rejects.toMatchObject({ code: "bad-address" });
  });

  it("caps drips per minute over all addresses (new addresses cost nothing to make)", async () => {
    await faucet.stop();
    faucet = await start({ perMinute: 2 });
    await requestDemoData(faucet.url, fresh());
    await requestDemoData(faucet.url, fresh());
    const res = await fetch(`${faucet.url}/drip`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ address: fresh() }) });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ error: "rate-limited", message: expect.stringContaining("busy") });
    await faucet.stop();
    faucet = await start();
  });

  it("answers the dApp's cross-origin requests", async () => {
    const res = await fetch(`${faucet.url}/health`, { headers: { origin: "http://127.0.0.1:5173" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:5173");
    expect(await res.json()).toMatchObject({ token: s.deployment.contracts.DataToken.address });
  });

  it("does not start with a key that cannot mint", async () => {
    await expect(startFaucet({ rpcUrl: s.rpcUrl, deployment: s.deployment, dataDir: join(s.dir, "faucet2"), port: 0, minterKey: generatePrivateKey(), log: () => {} })).rejects.toBeInstanceOf(FaucetStartError);
  });

  it("says when the faucet cannot be reached", async () => {
    await expect(requestDemoData("http://127.0.0.1:1", fresh())).rejects.toMatchObject({ code: "unreachable", message: expect.stringContaining("npm start") });
  });
});

describe("DripLimiter", () => {
  it("frees an address after the cooldown and forgets a failed drip", () => {
    let now = 1_000_000;
    const l = new DripLimiter({ file: join(process.env.TMPDIR ?? "/tmp", `drips-${process.pid}-${Math.random()}.json`), cooldownMs: 1000, perMinute: 100, now: () => now });
    const a = `0x${"a".repeat(40)}`;
    expect(l.check(a)).toEqual({ ok: true });
    l.record(a);
    expect(l.check(a)).toEqual({ ok: false, reason: "address", retryAt: now + 1000 });
    now += 1000;
    expect(l.check(a)).toEqual({ ok: true });
    l.record(a);
    l.undo(a);
    expect(l.check(a)).toEqual({ ok: true });
  });
});
