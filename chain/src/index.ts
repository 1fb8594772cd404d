// Local development chain for `npm start`: anvil (from npm, @foundry-rs/anvil) supervised by this
// module, which makes its state survive restarts.
//
// Why anvil and not `hardhat node` + a replay journal: anvil can export its whole chain (blocks,
// transactions, receipts, logs, accounts, storage) with `anvil_dumpState` and start from it with
// `--load-state`; block hashes stay identical and start-up stays ~0.1 s however long the history.
// A replay journal would re-execute every transaction on each start and would have to model
// evm_snapshot/evm_revert. See chain/README.md for the measurements.
//
// Why we dump ourselves instead of anvil's `--state-interval`: anvil rewrites the state file in
// place every interval (truncate + write), so a SIGKILL during the write leaves a broken file and
// the chain cannot load at all. Here we dump over RPC only when the chain changed and replace the
// file atomically (write temp, fsync, rename): a kill loses at most the last ~0.5 s.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { DEFAULT_PORTS, DEV_MNEMONIC, LOCAL_CHAIN_ID } from "@kraken/sdk";
import { startFeeFront, type FeeFront } from "./fee-front.ts";
import { freePort as freePortBelowEphemeral } from "./ports.ts";

export interface ChainOptions {
  /** TCP port for HTTP and WebSocket JSON-RPC (default 8545). */
  port?: number;
  /** Where the chain state is kept (default `<repo>/.data/chain`). Delete it to reset the chain. */
  dataDir?: string;
  /** Receives human-readable status lines (default: stderr). */
  log?: (line: string) => void;
  /** Chain id (default LOCAL_CHAIN_ID); tests use another to stand in for a non-local chain. */
  chainId?: number;
}

export interface RunningChain {
  rpcUrl: string;
  wsUrl: string;
  /** Writes a final snapshot, then stops anvil. */
  stop(): Promise<void>;
  /** Settles when anvil has ended, whether through stop() or not. */
  exited: Promise<void>;
}

// The standard Hardhat/Anvil dev mnemonic (its first 28 accounts are funded here: the demo personas use #0–#19 and #23–#25, fresh ones #20–#22) and chain id.
const CHAIN_ID = LOCAL_CHAIN_ID;

const HOST = "127.0.0.1";
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const POLL_MS = 250; // how often we look for a new block
const SAVE_MIN_MS = 500; // at most two saves a second: bounds what a SIGKILL can lose
const SAVE_ANYWAY_MS = 2000; // catches changes without a new block (anvil_setBalance, evm_increaseTime ...)

export async function startChain(opts: ChainOptions = {}): Promise<RunningChain> {
  const chainId = opts.chainId ?? CHAIN_ID;
  const port = opts.port ?? DEFAULT_PORTS.chain;
  const dataDir = resolve(opts.dataDir ?? join(REPO_ROOT, ".data", "chain"));
  const log = opts.log ?? ((line: string) => process.stderr.write(`[chain] ${line}\n`));
  const stateFile = join(dataDir, "state.json");
  const publicRpcUrl = `http://${HOST}:${port}`;
  const wsUrl = `ws://${HOST}:${port}`;

  mkdirSync(dataDir, { recursive: true });
  await assertPortFree(port);
  const anvil = anvilBinary();
  const hadState = existsSync(stateFile);
  // anvil listens on a private port; users reach it through the free-gas front (fee-front.ts).
  const anvilPort = await freePort();
  const rpcUrl = `http://${HOST}:${anvilPort}`;

  // Gas is free, as on a permissioned consortium chain: base fee 0, and the front suggests no
  // tip. (Not anvil's --gas-price 0 / --disable-min-priority-fee: with them, anvil fills an
  // eth_sendTransaction without fees with a tip above the fee cap and rejects it.)
  const args = ["--host", HOST, "--port", String(anvilPort), "--chain-id", String(chainId),
    "--mnemonic", DEV_MNEMONIC, "--accounts", "28", "--balance", "10000", "--silent",
    "--base-fee", "0"];
  if (hadState) args.push("--load-state", stateFile);

  const child = spawnGuarded(anvil, args);
  const stderrTail: string[] = [];
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    for (const line of chunk.split("\n").filter(Boolean)) {
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      log(`anvil: ${line}`);
    }
  });
  child.stdout!.resume(); // --silent: nothing of interest, but never let the pipe fill up
  let exited: string | undefined;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const exitPromise = new Promise<void>((res) =>
    child.on("exit", (code, signal) => {
      exited = `exit code ${code ?? signal}`;
      clearInterval(timer);
      if (!stopping && timer) log(`anvil ended unexpectedly (${exited}); the last saved state stays in ${stateFile}`);
      res();
    }));

  const started = Date.now();
  try {
    await waitForRpc(rpcUrl, chainId, () => exited, 30_000);
  } catch (err) {
    stopping = true;
    child.stdin!.end();
    await exitPromise;
    const why = stderrTail.join("\n");
    throw new Error(
      `the local chain did not start (${(err as Error).message}).` +
        (hadState ? ` It was loading ${stateFile}; if that file is damaged, delete ${dataDir} to start a fresh chain.` : "") +
        (why ? `\nanvil said:\n${why}` : ""),
    );
  }

  // anvil keeps block timestamps but not the clock offset set by evm_increaseTime: without this,
  // the first block after a restart could be older than the last one (time going backwards would
  // break expiries). Continue the clock from the last block instead.
  const latest = await rpc(rpcUrl, "eth_getBlockByNumber", ["latest", false]);
  const latestTs = Number(latest.timestamp);
  if (latestTs >= Math.floor(Date.now() / 1000)) await rpc(rpcUrl, "evm_setTime", [latestTs + 1]);
  let front: FeeFront;
  try {
    front = await startFeeFront(HOST, port, anvilPort);
  } catch (err) {
    stopping = true;
    child.stdin!.end();
    await exitPromise;
    throw new Error(`the local chain could not listen on ${publicRpcUrl}: ${(err as Error).message}`);
  }
  log(`${hadState ? `loaded ${Number(latest.number) + 1} blocks from ${stateFile}` : `new chain, state in ${stateFile}`}; ` +
    `listening on ${publicRpcUrl} and ${wsUrl} (chainId ${chainId}, free gas) after ${Date.now() - started} ms`);

  // Persistence loop.
  let lastHash: string = latest.hash;
  let lastDump: string | undefined; // hex of the last gzip written, to skip identical rewrites
  let dirty = true;
  let lastSave = 0;
  let saveCost = 0;
  let stuckAt: string | undefined;
  let busy: Promise<void> | undefined;

  const dump = async () => {
    const hex: string = await rpc(rpcUrl, "anvil_dumpState", []); // gzip of the state JSON, 0x-hex
    if (hex === lastDump) return; // identical bytes: nothing changed since the last write
    writeAtomically(stateFile, gunzipSync(Buffer.from(hex.slice(2), "hex")));
    lastDump = hex;
  };

  const tick = async () => {
    const head = await rpc(rpcUrl, "eth_getBlockByNumber", ["latest", false]);
    if (head.hash !== lastHash) { lastHash = head.hash; dirty = true; }
    // Save when the chain changed (or now and then, for changes without a block such as
    // anvil_setBalance), but not more often than SAVE_MIN_MS, and leave anvil >= 80% of the time:
    // a dump pauses it, ~0.2 s with 3000 transactions of history.
    const since = Date.now() - lastSave;
    if ((dirty || since >= SAVE_ANYWAY_MS) && since >= Math.max(SAVE_MIN_MS, 4 * saveCost)) {
      const t0 = Date.now();
      await dump();
      dirty = false;
      saveCost = Date.now() - t0;
      lastSave = Date.now();
    }
    // Work around anvil's automine missing ready transactions under concurrent submission
    // (foundry-rs/foundry#10122, seen here with 8 parallel senders): if transactions stay pending
    // while automine is on and no block appears for a whole tick, mine them.
    const pool = await rpc(rpcUrl, "txpool_status", []);
    if (Number(pool.pending) > 0 && (await rpc(rpcUrl, "anvil_getAutomine", []))) {
      if (stuckAt === head.hash) await rpc(rpcUrl, "evm_mine", []);
      stuckAt = head.hash;
    } else stuckAt = undefined;
  };

  timer = setInterval(() => {
    if (busy || stopping) return;
    busy = tick()
      .catch((err) => { if (!stopping) log(`could not save chain state: ${(err as Error).message}`); })
      .finally(() => { busy = undefined; });
  }, POLL_MS);

  exitPromise.then(() => front.close()); // anvil gone: nothing left to serve

  return {
    rpcUrl: publicRpcUrl,
    wsUrl,
    exited: exitPromise,
    async stop() {
      if (stopping) return exitPromise;
      stopping = true;
      clearInterval(timer);
      await busy;
      await front.close();
      if (!exited) {
        try { await dump(); } catch (err) { log(`final save failed: ${(err as Error).message}`); }
      }
      child.stdin!.end(); // the guard shell sees EOF and terminates anvil
      const timeout = setTimeout(() => killGroup(child), 5000);
      await exitPromise;
      clearTimeout(timeout);
      log("stopped");
    },
  };
}

/** Fails with a clear message instead of anvil's "Address already in use (os error 98)". */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((res, rej) => {
    const srv = createServer();
    srv.once("error", (err: NodeJS.ErrnoException) =>
      rej(err.code === "EADDRINUSE"
        ? new Error(`port ${port} on ${HOST} is already in use: is another chain (npm start, anvil, hardhat node) running? ` +
            `Stop it or choose another port (--port / KRAKEN_CHAIN_PORT).`)
        : err));
    srv.listen(port, HOST, () => srv.close(() => res()));
  });
}

/** A port free right now (anvil's private listener; tests use it too). */
export const freePort = (): Promise<number> => freePortBelowEphemeral(HOST);

/** The anvil binary ships in a platform package installed by npm next to @foundry-rs/anvil. */
function anvilBinary(): string {
  const platforms: Record<string, string> = {
    "linux-x64": "linux-amd64", "linux-arm64": "linux-arm64",
    "darwin-x64": "darwin-amd64", "darwin-arm64": "darwin-arm64", "win32-x64": "win32-amd64",
  };
  const target = platforms[`${process.platform}-${process.arch}`];
  if (!target) throw new Error(`anvil has no build for ${process.platform}-${process.arch}`);
  const pkg = `@foundry-rs/anvil-${target}`;
  try {
    const dir = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
    return join(dir, "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  } catch {
    throw new Error(`the anvil binary (${pkg}) is not installed: run \`npm install\` in ${REPO_ROOT}`);
  }
}

/**
 * Starts anvil under a tiny sh guard in its own process group:
 * - own group: a Ctrl-C in the terminal reaches only us, so we can save state before anvil stops;
 * - the guard reads our stdin pipe and kills anvil when it closes, i.e. on stop() but also when
 *   this Node process dies, even by SIGKILL: no orphaned anvil keeps holding the port.
 */
function spawnGuarded(bin: string, args: string[]): ChildProcess {
  if (process.platform === "win32") return spawn(bin, args, { stdio: ["pipe", "pipe", "pipe"] });
  const guard = [
    'exec 3<&0',
    '"$@" </dev/null 3<&- & c=$!',
    '( while read -r _; do :; done; kill -TERM "$c" 2>/dev/null ) <&3 & w=$!',
    'exec 3<&-',
    'wait "$c"; s=$?',
    'kill "$w" 2>/dev/null',
    'exit $s',
  ].join("\n");
  return spawn("sh", ["-c", guard, "anvil-guard", bin, ...args], { stdio: ["pipe", "pipe", "pipe"], detached: true });
}

function killGroup(child: ChildProcess) {
  try { if (child.pid) process.kill(-child.pid, "SIGKILL"); } catch { /* already gone */ }
}

/** Replaces `file` so that readers (and a later start) see either the old or the new content. */
function writeAtomically(file: string, data: Buffer) {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

async function waitForRpc(url: string, chainId: number, exited: () => string | undefined, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = exited();
    if (why) throw new Error(`anvil ended with ${why}`);
    try {
      if (Number(await rpc(url, "eth_chainId", [])) === chainId) return;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`no JSON-RPC answer on ${url} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let rpcId = 0;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function rpc(url: string, method: string, params: unknown[]): Promise<any> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${body.error.message ?? JSON.stringify(body.error)}`);
  return body.result;
}
