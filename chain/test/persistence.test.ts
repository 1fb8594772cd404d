// The local chain must keep blocks, transactions, receipts, logs and storage across restarts,
// including after a SIGKILL (at most the last ~0.5 s lost), and keep working afterwards.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPublicClient, createWalletClient, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { startChain } from "../src/index.ts";

// Hand-assembled contract (no compiler needed). Every call: emits LOG1(topic 0xabab..ab, data =
// calldata), then increments storage slot 0.
//   runtime: CALLDATACOPY(0,0,CALLDATASIZE); LOG1(0, CALLDATASIZE, TOPIC); SSTORE(0, SLOAD(0)+1); STOP
//   init:    CODECOPY(0, 9, len); RETURN(0, len)
const TOPIC = `0x${"ab".repeat(32)}` as Hex;
const RUNTIME = `365f5f377f${"ab".repeat(32)}365fa15f546001015f5500`;
const INIT = `0x60${(RUNTIME.length / 2).toString(16)}8060095f395ff3${RUNTIME}` as Hex;
// Hardhat/Anvil default account #0: the chain must fund it (standard mnemonic).
const KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

const REPO = resolve(import.meta.dirname, "..", "..");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), "kraken-chain-")); dirs.push(d); return d; };

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

function clients(rpcUrl: string) {
  const chain = { ...foundry, rpcUrls: { default: { http: [rpcUrl] } } };
  const account = privateKeyToAccount(KEY0);
  return {
    pub: createPublicClient({ chain, transport: http(rpcUrl) }),
    wallet: createWalletClient({ chain, account, transport: http(rpcUrl) }),
  };
}

/** Deploys the event contract and calls it `calls` times; returns what must survive a restart. */
async function makeHistory(rpcUrl: string, calls: number) {
  const { pub, wallet } = clients(rpcUrl);
  const deployTx = await wallet.sendTransaction({ data: INIT });
  const { contractAddress } = await pub.waitForTransactionReceipt({ hash: deployTx });
  const txs: Hex[] = [];
  for (let i = 0; i < calls; i++) {
    const hash = await wallet.sendTransaction({ to: contractAddress!, data: `0x${i.toString(16).padStart(64, "0")}` });
    await pub.waitForTransactionReceipt({ hash });
    txs.push(hash);
  }
  return { address: contractAddress!, txs, ...(await snapshot(rpcUrl, contractAddress!)) };
}

async function snapshot(rpcUrl: string, address: Hex) {
  const { pub } = clients(rpcUrl);
  const head = await pub.getBlockNumber();
  const hashes: Hex[] = [];
  for (let n = 0n; n <= head; n++) hashes.push((await pub.getBlock({ blockNumber: n })).hash!);
  const logs = await pub.request({ method: "eth_getLogs", params: [{ fromBlock: "0x0", toBlock: "latest", address }] });
  const slot0 = await pub.getStorageAt({ address, slot: "0x0" });
  return { head, hashes, logs, slot0 };
}

describe("local chain persistence", () => {
  it("keeps blocks, hashes, logs, receipts and storage across stop/start; new txs and ws work", async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const log = () => {};

    let chain = await startChain({ port, dataDir, log });
    const before = await makeHistory(chain.rpcUrl, 3);
    // time travel as tests do; the clock must not run backwards after the restart
    await clients(chain.rpcUrl).pub.request<{ Parameters: [seconds: number]; ReturnType: unknown }>({ method: "evm_increaseTime", params: [3600] });
    await clients(chain.rpcUrl).pub.request<{ Parameters?: undefined; ReturnType: unknown }>({ method: "evm_mine" });
    const lastBefore = await clients(chain.rpcUrl).pub.getBlock();
    await chain.stop();

    chain = await startChain({ port, dataDir, log });
    try {
      const { pub, wallet } = clients(chain.rpcUrl);
      const after = await snapshot(chain.rpcUrl, before.address);
      expect(after.head).toBe(lastBefore.number);
      expect(after.hashes.slice(0, before.hashes.length)).toEqual(before.hashes);
      expect(after.hashes.at(-1)).toBe(lastBefore.hash);
      expect(after.logs).toEqual(before.logs);
      expect(after.logs).toHaveLength(3);
      expect((after.logs as { topics: Hex[] }[])[0].topics[0]).toBe(TOPIC);
      expect(after.slot0).toBe(before.slot0);
      for (const hash of before.txs) expect((await pub.getTransactionReceipt({ hash })).status).toBe("success");

      // live: websocket newHeads + a new transaction from the same default key
      const ws = new WebSocket(chain.wsUrl);
      await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
      const heads: { number: Hex }[] = [];
      ws.onmessage = (e) => { const m = JSON.parse(String(e.data)); if (m.method === "eth_subscription") heads.push(m.params.result); };
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
      await new Promise((r) => setTimeout(r, 200));

      const hash = await wallet.sendTransaction({ to: before.address, data: "0x01" });
      const receipt = await pub.waitForTransactionReceipt({ hash });
      expect(receipt.blockNumber).toBe(lastBefore.number + 1n);
      const block = await pub.getBlock({ blockNumber: receipt.blockNumber });
      expect(block.parentHash).toBe(lastBefore.hash);
      expect(block.timestamp).toBeGreaterThanOrEqual(lastBefore.timestamp);
      expect(await pub.getStorageAt({ address: before.address, slot: "0x0" })).toBe(`0x${"0".repeat(63)}4`);
      await new Promise((r) => setTimeout(r, 300));
      expect(heads.map((h) => BigInt(h.number))).toContain(receipt.blockNumber);
      ws.close();
    } finally {
      await chain.stop();
    }
  }, 60_000);

  it("survives SIGKILL of the chain process (no orphaned anvil, saved state loads)", async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const cli = spawn(process.execPath, ["--import", "tsx", "chain/src/cli.ts", "--port", String(port), "--data-dir", dataDir], {
      cwd: REPO, stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    cli.stderr.on("data", (d) => (stderr += d));
    const rpcUrl = `http://127.0.0.1:${port}`;
    for (let t = Date.now(); !stderr.includes("ready:"); await new Promise((r) => setTimeout(r, 50)))
      if (Date.now() - t > 30_000) throw new Error(`cli did not start: ${stderr}`);

    const before = await makeHistory(rpcUrl, 3);
    await new Promise((r) => setTimeout(r, 1200)); // > one save interval
    const exited = new Promise((r) => cli.on("exit", r));
    cli.kill("SIGKILL");
    await exited;

    // the guard must have taken anvil down with it: the port frees up and a new chain can start
    const chain = await retry(() => startChain({ port, dataDir, log: () => {} }), 5000);
    try {
      const after = await snapshot(chain.rpcUrl, before.address);
      expect(after.hashes.slice(0, before.hashes.length)).toEqual(before.hashes);
      expect(after.logs).toEqual(before.logs);
      expect(after.slot0).toBe(before.slot0);
      const { pub, wallet } = clients(chain.rpcUrl);
      const receipt = await pub.waitForTransactionReceipt({ hash: await wallet.sendTransaction({ to: before.address, data: "0x02" }) });
      expect(receipt.status).toBe("success");
    } finally {
      await chain.stop();
    }
  }, 60_000);

  it("says clearly when the port is taken", async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    try {
      await expect(startChain({ port, dataDir: tempDir(), log: () => {} })).rejects.toThrow(/already in use/);
    } finally {
      blocker.close();
    }
  });
});

async function retry<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
