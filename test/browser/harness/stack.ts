// The full local marketplace as `npm start` runs it (scripts/start.ts in a child process), on
// random free ports with its state in a temp dir. One stack per browser test file: it takes
// 30–60 s to compile, deploy, seed and index.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Deployment } from "@kraken/sdk";
import { freePorts } from "../../../chain/src/ports.ts";
import type { DemoFile } from "../../../contracts/scripts/seed.ts";

const root = join(import.meta.dirname, "..", "..", "..");

export interface Marketplace {
  dir: string;
  /** Every endpoint the stack serves; the dApp must not talk to anything else. */
  urls: {
    dapp: string;
    rpc: string;
    subgraph: string;
    ipfsApi: string;
    ipfsGateway: string;
    issuer: string;
    streamr: string;
    relays: string[];
    smpcNodes: string[];
    faucet: string;
    /** the demo publisher's and union devices' /health, /ready, /metrics */
    publisher: string;
    unionDevices: string;
  };
  /** Origins (http://127.0.0.1:<port>) of every port the stack was given. */
  origins: string[];
  deployment: Deployment;
  demo: DemoFile;
  output(): string;
  /** SIGKILLs npm start (its services stop with it; the chain may lose its last ~0.5 s). */
  kill(): Promise<void>;
  /** Starts npm start again on the same ports and state, after kill(). */
  restart(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Ports free right now, below the kernel's ephemeral range (chain/src/ports.ts says why). */
export { freePorts };

export class StackStartError extends Error {
  constructor(message: string, readonly output: string) {
    super(`${message}\n--- npm start output (last 4,000 characters) ---\n${output.slice(-4000)}`);
    this.name = "StackStartError";
  }
}

export async function startMarketplace(o: { timeoutMs?: number; /** more environment for npm start */ env?: Record<string, string> } = {}): Promise<Marketplace> {
  const dir = mkdtempSync(join(tmpdir(), "kraken-browser-"));
  const [chain, issuer, indexer, ipfsApi, ipfsGateway, dapp, streamr, faucet, relay1, relay2, relay3, smpc1, smpc2, smpc3, smpcNode1, smpcNode2, smpcNode3, publisher, unionDevices, ...nodes] = await freePorts(28);
  const smpc = [smpc1, smpc2, smpc3];
  const relays = [relay1, relay2, relay3];
  // Websocket ports of the relays' Streamr nodes and the demo publisher's: given explicitly, as
  // the defaults (entry port + 1..3, + 10) may be among the free ports handed out above.
  const [relayNode1, relayNode2, relayNode3, publisherNode, ...unionDeviceNodes] = nodes; // + the data union's 5 devices
  const env = {
    ...process.env,
    KRAKEN_CHAIN_PORT: String(chain),
    KRAKEN_ISSUER_PORT: String(issuer),
    KRAKEN_INDEXER_PORT: String(indexer),
    KRAKEN_IPFS_API_PORT: String(ipfsApi),
    KRAKEN_IPFS_GATEWAY_PORT: String(ipfsGateway),
    KRAKEN_DAPP_PORT: String(dapp),
    KRAKEN_FAUCET_PORT: String(faucet),
    KRAKEN_PUBLISHER_PORT: String(publisher),
    KRAKEN_UNION_DEVICES_PORT: String(unionDevices),
    KRAKEN_STREAMR_PORT: String(streamr),
    KRAKEN_RELAY_PORTS: relays.join(","),
    KRAKEN_RELAY_STREAMR_PORTS: [relayNode1, relayNode2, relayNode3].join(","),
    KRAKEN_PUBLISHER_STREAMR_PORT: String(publisherNode),
    KRAKEN_UNION_DEVICES_STREAMR_PORTS: unionDeviceNodes.join(","),
    KRAKEN_SMPC_PORTS: smpc.join(","),
    KRAKEN_SMPC_STREAMR_PORTS: [smpcNode1, smpcNode2, smpcNode3].join(","),
    KRAKEN_DATA_DIR: join(dir, "data"),
    KRAKEN_DEPLOYMENTS_DIR: join(dir, "deployments"),
    ...o.env,
  };
  // Never inherit endpoints that would point the stack at something outside this test.
  for (const k of ["KRAKEN_RPC_URL", "KRAKEN_SUBGRAPH_URL", "KRAKEN_IPFS_API_URL", "KRAKEN_IPFS_GATEWAY_URL", "KRAKEN_INDEXER_DATABASE_URL"]) {
    delete (env as Record<string, string | undefined>)[k];
  }
  let child: ChildProcess;
  let out = "";
  let exited: Promise<void>;
  // One run of npm start on this stack's ports and directory; resolves once it is up.
  const launch = async (timeoutMs: number) => {
    const c: ChildProcess = (child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] }));
    const from = out.length;
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (b: Buffer) => {
        out += b.toString();
        if (out.indexOf("Kraken marketplace is up.", from) >= 0) resolve();
      };
      c.stdout!.on("data", onData);
      c.stderr!.on("data", onData);
      c.once("exit", (code) => reject(new StackStartError(`npm start exited with ${code} before it was up`, out)));
    });
    exited = new Promise<void>((r) => c.once("exit", () => r()));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ready,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new StackStartError(`npm start was not up after ${timeoutMs / 1000} s`, out)), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (running()) {
      child.kill("SIGINT"); // lets start.ts stop every service and save the chain
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A first start seeds the demo (anonymised products, the SMPC dataset): on a busy 2-core machine
  // that can pass three minutes.
  try {
    await launch(o.timeoutMs ?? 300_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const loopback = (p: number) => `http://127.0.0.1:${p}`;
  const deployment: Deployment = JSON.parse(readFileSync(join(dir, "deployments", "localhost.json"), "utf8"));
  const demo = JSON.parse(readFileSync(join(dir, "deployments", "localhost.demo.json"), "utf8"));
  return {
    dir,
    urls: {
      dapp: loopback(dapp),
      rpc: loopback(chain),
      subgraph: `${loopback(indexer)}/subgraphs/name/kraken/marketplace`,
      ipfsApi: loopback(ipfsApi),
      ipfsGateway: loopback(ipfsGateway),
      issuer: loopback(issuer),
      streamr: `ws://127.0.0.1:${streamr}`,
      relays: relays.map(loopback),
      smpcNodes: smpc.map(loopback),
      faucet: loopback(faucet),
      publisher: loopback(publisher),
      unionDevices: loopback(unionDevices),
    },
    // The Streamr nodes of the stack (entry node, relays' and SMPC nodes' nodes, demo publisher, union devices), which browsers dial directly.
    origins: [chain, issuer, indexer, ipfsApi, ipfsGateway, dapp, streamr, faucet, ...nodes, ...relays, ...smpc, smpcNode1, smpcNode2, smpcNode3].map(loopback),
    deployment,
    demo,
    output: () => out,
    async kill() {
      if (!running()) return;
      child.kill("SIGKILL");
      await exited;
    },
    async restart(timeoutMs = 180_000) {
      if (running()) throw new Error("npm start is still running: kill() or stop() it first");
      await launch(timeoutMs);
    },
    stop,
  };
}

/** The environment `kraken` needs to use this stack, as a demo persona when one is named. */
export function cliEnv(m: Marketplace, persona?: string): Record<string, string> {
  const key = persona ? (m.demo.personas as Record<string, { privateKey: string }>)[persona]?.privateKey : undefined;
  if (persona && !key) throw new Error(`no demo persona ${persona}`);
  return {
    KRAKEN_RPC_URL: m.urls.rpc,
    KRAKEN_DEPLOYMENT: join(m.dir, "deployments", "localhost.json"),
    KRAKEN_SUBGRAPH_URL: m.urls.subgraph,
    KRAKEN_IPFS_GATEWAY_URL: m.urls.ipfsGateway,
    KRAKEN_IPFS_API_URL: m.urls.ipfsApi,
    KRAKEN_STREAMR_PORT: m.urls.streamr.split(":").pop()!,
    ...(key && { PRIVATE_KEY: key }),
  };
}
