// Several relays in one process (`npm start` runs the demo's three): relay i (1-based) with
// dev account 10 + i by default, HTTP on 127.0.0.1:(8790 + i), Streamr websocket on
// 40500 + i, state in <dataDir>/<i>. Writes the relay directory
// `<deploymentsDir>/<network>.relays.json` ([{ address, url }]) that clients read.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DEV_MNEMONIC, relayHttpPort, relayStreamrPort, type Deployment, type RelayEndpoint } from "@kraken/sdk";
import type { LocalNetworkSettings } from "@kraken/streamr";
import { startRelay, type RelayLimits, type RunningRelay } from "./relay.ts";

/** The demo relays' keys: accounts 11, 12, 13 of the development mnemonic (local chain only). */
export function devRelayKeys(count = 3): Hex[] {
  return Array.from({ length: count }, (_, i) => {
    const a = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 11 + i });
    return `0x${Buffer.from(a.getHdKey().privateKey!).toString("hex")}` as Hex;
  });
}

export interface RelaysOptions {
  keys?: Hex[];
  rpcUrl: string;
  deployment: Deployment;
  streamr: LocalNetworkSettings;
  ipfs?: { apiUrl: string };
  dataDir: string; // e.g. .data/relays
  /** HTTP ports, one per relay (default 8791, 8792, …; 0 = any free port). */
  httpPorts?: number[];
  /** Streamr websocket ports, one per relay (default 40501, 40502, …). */
  streamrPorts?: number[];
  host?: string;
  /** Where to write `<network>.relays.json` (skipped when unset). */
  deploymentsDir?: string;
  log?: (line: string) => void;
  pollMs?: number;
  /** Load limits for every relay (relay.ts DEFAULT_LIMITS when unset). */
  limits?: Partial<RelayLimits>;
}

export interface RunningRelays {
  relays: RunningRelay[];
  directory: RelayEndpoint[];
  directoryFile?: string;
  stop(): Promise<void>;
}

export async function startRelays(o: RelaysOptions): Promise<RunningRelays> {
  const keys = o.keys ?? devRelayKeys();
  const relays: RunningRelay[] = [];
  try {
    // Sequentially: each relay sends transactions at start (its share stream) from its own account.
    for (let i = 0; i < keys.length; i++) {
      relays.push(await startRelay({
        key: keys[i],
        rpcUrl: o.rpcUrl,
        deployment: o.deployment,
        streamr: { network: o.streamr, port: o.streamrPorts?.[i] ?? relayStreamrPort(i + 1), host: o.host },
        ipfs: o.ipfs,
        port: o.httpPorts?.[i] ?? relayHttpPort(i + 1),
        host: o.host,
        dataDir: join(o.dataDir, String(i + 1)),
        log: o.log,
        pollMs: o.pollMs,
        limits: o.limits,
      }));
    }
  } catch (err) {
    await Promise.all(relays.map((r) => r.stop().catch(() => {})));
    throw err;
  }
  const directory = relays.map((r) => ({ address: r.address, url: r.url }));
  let directoryFile: string | undefined;
  if (o.deploymentsDir) {
    mkdirSync(o.deploymentsDir, { recursive: true });
    directoryFile = join(o.deploymentsDir, `${o.deployment.network}.relays.json`);
    writeFileSync(`${directoryFile}.tmp`, JSON.stringify(directory, null, 2) + "\n");
    renameSync(`${directoryFile}.tmp`, directoryFile);
  }
  return {
    relays,
    directory,
    directoryFile,
    async stop() {
      await Promise.all(relays.map((r) => r.stop().catch(() => {})));
    },
  };
}
