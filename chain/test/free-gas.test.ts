// Gas is free on the local chain, as on the permissioned consortium chain it stands in for: a
// brand-new key holding no ETH can transact through viem over HTTP and WebSocket, every fee
// suggestion a wallet asks for is zero, and the front in front of anvil passes everything else
// through unchanged (batches, errors, CORS), refusing only oversized bodies.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, createWalletClient, http, webSocket, type Transport } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { freePort, startChain, type RunningChain } from "../src/index.ts";
import { freeGasAnswer } from "../src/fee-front.ts";

let chain: RunningChain;
let dir: string;

async function post(body: unknown) {
  const res = await fetch(chain.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kraken-gas-"));
  chain = await startChain({ port: await freePort(), dataDir: dir, log: () => {} });
});
afterAll(async () => {
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("free gas", () => {
  for (const [name, transport] of [["HTTP", () => http(chain.rpcUrl)], ["WebSocket", () => webSocket(chain.wsUrl)]] as [string, () => Transport][]) {
    it(`a fresh key with no ETH sends transactions over ${name}, paying nothing`, async () => {
      const account = privateKeyToAccount(generatePrivateKey());
      const c = { ...foundry, rpcUrls: { default: { http: [chain.rpcUrl] } } };
      const wallet = createWalletClient({ account, chain: c, transport: transport() });
      const pub = createPublicClient({ chain: c, transport: transport() });
      expect(await pub.getBalance({ address: account.address })).toBe(0n);
      expect(await pub.estimateFeesPerGas()).toEqual({ maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
      expect(await pub.getGasPrice()).toBe(0n);
      for (let i = 0; i < 2; i++) {
        const hash = await wallet.sendTransaction({ to: account.address, value: 0n });
        const receipt = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
        expect(receipt.status).toBe("success");
        expect(receipt.effectiveGasPrice).toBe(0n);
      }
      expect(await pub.getBalance({ address: account.address })).toBe(0n);
      expect((await pub.getBlock()).baseFeePerGas).toBe(0n);
    });
  }

  it("zeroes every fee suggestion in a batch and leaves the other answers alone", async () => {
    const { json } = await post([
      { jsonrpc: "2.0", id: 1, method: "eth_feeHistory", params: ["0x2", "latest", [10, 50]] },
      { jsonrpc: "2.0", id: "tip", method: "eth_maxPriorityFeePerGas", params: [] },
      { jsonrpc: "2.0", id: 3, method: "eth_chainId", params: [] },
      { jsonrpc: "2.0", id: 4, method: "no_such_method", params: [] },
    ]);
    const byId = Object.fromEntries((json as { id: unknown }[]).map((a) => [String(a.id), a])) as Record<string, { result?: { reward?: string[][] } | string; error?: unknown }>;
    expect(byId.tip.result).toBe("0x0");
    const rewards = (byId["1"].result as { reward: string[][] }).reward;
    expect(rewards.length).toBeGreaterThan(0);
    expect(rewards.flat().every((r) => r === "0x0")).toBe(true);
    expect(byId["3"].result).toBe("0x7a69");
    expect(byId["4"].error).toBeDefined();
  });

  it("passes malformed requests to the chain, which answers with a JSON-RPC error; oversized bodies are refused", async () => {
    const bad = await post("{not json");
    expect((bad.json as { error?: unknown }).error).toBeDefined();
    const huge = await fetch(chain.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(65 * 1024 * 1024) }).catch((e: Error) => e);
    if (huge instanceof Response) expect(huge.status).toBe(413);
    // the front keeps serving afterwards
    expect((await post({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] })).json).toMatchObject({ result: "0x7a69" });
  });

  it("keeps anvil's CORS answers, so the dApp in a browser can call the chain", async () => {
    const res = await fetch(chain.rpcUrl, { method: "OPTIONS", headers: { origin: "http://127.0.0.1:5173", "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBeTruthy();
  });

  it("rewrites only successful answers of the fee methods", () => {
    expect(freeGasAnswer("eth_maxPriorityFeePerGas", { id: 1, error: { code: -1 } })).toEqual({ id: 1, error: { code: -1 } });
    expect(freeGasAnswer("eth_fillTransaction", { id: 1, result: { raw: "0x", tx: { maxPriorityFeePerGas: "0x3b9aca00", maxFeePerGas: "0x77359400", nonce: "0x1" } } })).toEqual({ id: 1, result: { raw: "0x", tx: { maxPriorityFeePerGas: "0x0", maxFeePerGas: "0x0", nonce: "0x1" } } });
    expect(freeGasAnswer("eth_feeHistory", { id: 1, result: { baseFeePerGas: ["0x0"] } })).toEqual({ id: 1, result: { baseFeePerGas: ["0x0"] } });
  });
});

describe("the chain's own accounts", () => {
  it("eth_sendTransaction from an unlocked dev account without fee fields still works", async () => {
    const from = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    const { json } = await post({ jsonrpc: "2.0", id: 1, method: "eth_sendTransaction", params: [{ from, to: from }] });
    expect(json).toMatchObject({ result: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
  });
});
