// The local Streamr network of `npm start`: one entry-point node on 127.0.0.1 that every other
// client (relays, CLI, demo publisher, tests) uses to join. The entry node is a StreamrClient
// with a fixed node id and a websocket server; it relays DHT traffic only (it subscribes to
// nothing). Nothing here contacts the public Streamr network, a CDN, STUN/TURN or The Graph:
// see config.ts for why each setting is there.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { StreamrClient, type StreamrClientConfig } from "@streamr/sdk";
import { generatePrivateKey } from "viem/accounts";
import { LOCAL_CHAIN_ID } from "@kraken/sdk";
import { freePort as freePortBelowEphemeral } from "../../chain/src/ports.ts";
import {
  DEFAULT_STREAMR_HOST, DEFAULT_STREAMR_PORT, ENTRY_NODE_ID, entryPointDescriptor, localClientConfig,
  type ClientOptions, type LocalNetworkSettings, type PeerDescriptorJson,
} from "./config.ts";

export interface StreamrNetworkOptions {
  /** Websocket port of the entry node (default 40500). */
  port?: number;
  /** Host the entry node advertises (default 127.0.0.1; the server itself binds 0.0.0.0). */
  host?: string;
  rpcUrl: string;
  chainId?: number;
  /** StreamRegistryV5 address on the chain (see deployStreamRegistry). */
  streamRegistry: `0x${string}`;
  theGraphUrl?: string;
  /** Keeps the entry node's key (`<dataDir>/entry-node.key`) so it signs as the same identity across restarts. */
  dataDir?: string;
  log?: (line: string) => void;
}

export interface RunningStreamrNetwork {
  /** The entry node's peer descriptor (JSON, as `network.controlLayer.entryPoints[]` takes it). */
  entryPoint: PeerDescriptorJson;
  /** What every other client needs; `clientConfig(key)` is its StreamrClient config. */
  settings: LocalNetworkSettings;
  clientConfig(privateKey?: string, opts?: ClientOptions): StreamrClientConfig;
  /** The entry node's own client (for diagnostics). */
  entryClient: StreamrClient;
  stop(): Promise<void>;
}

export async function startStreamrNetwork(opts: StreamrNetworkOptions): Promise<RunningStreamrNetwork> {
  const port = opts.port ?? DEFAULT_STREAMR_PORT;
  const host = opts.host ?? DEFAULT_STREAMR_HOST;
  const log = opts.log ?? ((line: string) => process.stderr.write(`[streamr] ${line}\n`));
  await assertPortFree(port);

  const entryPoint = entryPointDescriptor(host, port, ENTRY_NODE_ID);
  const settings: LocalNetworkSettings = {
    rpcUrl: opts.rpcUrl,
    chainId: opts.chainId ?? LOCAL_CHAIN_ID,
    streamRegistry: opts.streamRegistry,
    entryPoints: [entryPoint],
    theGraphUrl: opts.theGraphUrl,
  };

  const entryClient = new StreamrClient(
    localClientConfig(settings, entryKey(opts.dataDir), { port, host, nodeId: ENTRY_NODE_ID, id: "kraken-entry-node" }),
  );
  const started = Date.now();
  try {
    await entryClient.connect(); // starts the network node: websocket server + DHT layer 0
  } catch (err) {
    await entryClient.destroy().catch(() => {});
    throw err;
  }
  log(`entry node ${ENTRY_NODE_ID} on ws://${host}:${port} (${Date.now() - started} ms); stream registry ${opts.streamRegistry}`);

  let stopped = false;
  return {
    entryPoint,
    settings,
    clientConfig: (privateKey?: string, clientOpts?: ClientOptions) => localClientConfig(settings, privateKey, clientOpts),
    entryClient,
    async stop() {
      if (stopped) return;
      stopped = true;
      await entryClient.destroy();
    },
  };
}

function entryKey(dataDir?: string): string {
  if (!dataDir) return generatePrivateKey();
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "entry-node.key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const key = generatePrivateKey();
  writeFileSync(file, key + "\n", { mode: 0o600 });
  return key;
}

/** A free TCP port on 127.0.0.1 (for clients that should run a websocket server). */
export const freePort = (): Promise<number> => freePortBelowEphemeral("127.0.0.1");

// The entry node's websocket server binds 0.0.0.0 whatever host it advertises, so check there.
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE"
        ? new Error(`port ${port} is in use: another Streamr entry node (or something else) runs there; set KRAKEN_STREAMR_PORT`)
        : err));
    s.listen(port, "0.0.0.0", () => s.close(() => resolve()));
  });
}
