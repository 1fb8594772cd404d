// Several SMPC nodes in one process (`npm start` runs the demo's three): node i (1-based) with
// dev account 22 + i by default, HTTP on 127.0.0.1:(8795 + i), Streamr websocket on
// 40520 + i, state in <dataDir>/<i>. Writes the node directory
// `<deploymentsDir>/<network>.smpc.json` ([{ address, url }], the relays' directory shape:
// parseRelayDirectory reads it) that sellers, buyers and the nodes themselves read.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DEFAULT_PORTS, DEMO_SMPC_COUNT, DEV_MNEMONIC, SMPC_STREAMR_OFFSET, type Deployment } from "@kraken/sdk";
import type { SmpcNodeEndpoint } from "@kraken/sdk/analytics";
import type { LocalNetworkSettings } from "@kraken/streamr";
import { startSmpcNode, type LogLevel, type RunningSmpcNode, type SmpcNodeOptions } from "./node.ts";

/** Default local ports: node i (1-based) serves HTTP on 127.0.0.1:(8795 + i), Streamr websocket on 40520 + i. */
export const smpcHttpPort = (i: number) => DEFAULT_PORTS.smpcBase + i;
export const smpcStreamrPort = (i: number) => DEFAULT_PORTS.streamr + SMPC_STREAMR_OFFSET + i;

/** The demo SMPC nodes' keys: accounts 23, 24, 25 of the development mnemonic (local chain only). */
export function devSmpcKeys(count = DEMO_SMPC_COUNT): Hex[] {
  return Array.from({ length: count }, (_, i) => {
    const a = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 23 + i });
    return `0x${Buffer.from(a.getHdKey().privateKey!).toString("hex")}` as Hex;
  });
}

/** Path of the node directory of a network. */
export const smpcDirectoryFile = (deploymentsDir: string, network: string) => join(deploymentsDir, `${network}.smpc.json`);

export interface SmpcNodesOptions {
  keys?: Hex[];
  rpcUrl: string;
  deployment: Deployment;
  streamr: LocalNetworkSettings;
  /** Where manifests (ipfs://…) are fetched from. */
  ipfs?: { gatewayUrl?: string; apiUrl?: string };
  dataDir: string; // e.g. .data/smpc
  /** HTTP ports, one per node (default 8796, 8797, …; 0 = any free port). */
  httpPorts?: number[];
  /** Streamr websocket ports, one per node (default 40521, 40522, …). */
  streamrPorts?: number[];
  host?: string;
  /** Where to write `<network>.smpc.json` (skipped when unset). */
  deploymentsDir?: string;
  log?: (line: string) => void;
  logLevel?: LogLevel;
  pollMs?: number;
  /** Options passed to every node (limits, timeouts). */
  node?: Partial<Pick<SmpcNodeOptions, "limits" | "helloMs" | "helloMaxMs" | "queryWaitMarginSeconds">>;
}

export interface RunningSmpcNodes {
  nodes: RunningSmpcNode[];
  directory: SmpcNodeEndpoint[];
  directoryFile?: string;
  stop(): Promise<void>;
}

export async function startSmpcNodes(o: SmpcNodesOptions): Promise<RunningSmpcNodes> {
  const keys = o.keys ?? devSmpcKeys();
  const nodes: RunningSmpcNode[] = [];
  const directoryFile = o.deploymentsDir ? smpcDirectoryFile(o.deploymentsDir, o.deployment.network) : undefined;
  try {
    // Sequentially: each node may send transactions at start (re-broadcasts) from its own account.
    for (let i = 0; i < keys.length; i++) {
      nodes.push(await startSmpcNode({
        ...o.node,
        key: keys[i],
        rpcUrl: o.rpcUrl,
        deployment: o.deployment,
        streamr: { network: o.streamr, port: o.streamrPorts?.[i] ?? smpcStreamrPort(i + 1), host: o.host },
        ipfs: o.ipfs,
        port: o.httpPorts?.[i] ?? smpcHttpPort(i + 1),
        host: o.host,
        dataDir: join(o.dataDir, String(i + 1)),
        directoryFile,
        log: o.log,
        logLevel: o.logLevel,
        pollMs: o.pollMs,
      }));
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
    throw err;
  }
  const directory = nodes.map((n) => ({ address: n.address, url: n.url }));
  for (const n of nodes) n.setDirectory(directory);
  if (directoryFile) {
    mkdirSync(o.deploymentsDir!, { recursive: true });
    writeFileSync(`${directoryFile}.tmp`, JSON.stringify(directory, null, 2) + "\n");
    renameSync(`${directoryFile}.tmp`, directoryFile);
  }
  return {
    nodes,
    directory,
    directoryFile,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
    },
  };
}
