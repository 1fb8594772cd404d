// Runtime configuration: the static bundle fetches ./config.json at boot, so one build runs
// on any web server against any chain, subgraph, IPFS node and issuer. The server of
// `npm start` (server/index.ts) writes it from the deployment; any host may serve its own.
import type { Address, Hex } from "viem";
import type { ContractName } from "@kraken/sdk";
import { KrakenError } from "@kraken/sdk";

export interface DemoPersona {
  name: string;
  role: string;
  address: Address;
  /** From the public development mnemonic: local demo only. */
  privateKey: Hex;
}

export interface DappConfig {
  chainId: number;
  rpcUrl: string;
  subgraphUrl: string;
  ipfsApiUrl: string;
  ipfsGatewayUrl: string;
  issuerUrl: string;
  /** `DataUnionFactory` only when the deployment has data unions (it needs a StreamRegistry);
   *  `Analytics` only when it has analytics products (SMPC query jobs). */
  contracts: Record<ContractName, Address> & { streamRegistry?: Address; DataUnionFactory?: Address; Analytics?: Address };
  streamr?: { entryPoints: unknown[]; [key: string]: unknown };
  relays?: { address: Address; url: string }[];
  /** The SMPC computation nodes of analytics products (`deployments/<network>.smpc.json`): `[{ address, url }]`. */
  smpcNodes?: { address: Address; url: string }[];
  walletConnectProjectId?: string;
  /** The local demo's DATA faucet; its button exists only in demo builds. */
  faucetUrl?: string;
  demo?: { personas: DemoPersona[] };
}

/** A configuration problem the user (or operator) can act on. */
export class ConfigError extends KrakenError {
  override name = "ConfigError";

  constructor(message: string) {
    super("bad-config", message);
  }
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Checks the shape of a parsed config.json; throws ConfigError naming the bad field. */
export function parseConfig(raw: unknown): DappConfig {
  const c = raw as Partial<DappConfig> | null;
  if (!c || typeof c !== "object") throw new ConfigError("config.json is not a JSON object");
  if (!Number.isInteger(c.chainId) || (c.chainId as number) <= 0) throw new ConfigError("config.json: chainId must be a positive integer");
  for (const k of ["rpcUrl", "subgraphUrl", "ipfsApiUrl", "ipfsGatewayUrl", "issuerUrl"] as const) {
    if (typeof c[k] !== "string" || !/^https?:\/\//.test(c[k] as string)) throw new ConfigError(`config.json: ${k} must be an http(s) URL`);
  }
  if (!c.contracts || typeof c.contracts !== "object") throw new ConfigError("config.json: contracts is missing");
  for (const k of ["DataToken", "Credentials", "Catalogue", "Policies", "Agreements"] as const) {
    if (!ADDRESS.test(String(c.contracts[k]))) throw new ConfigError(`config.json: contracts.${k} must be an address`);
  }
  return c as DappConfig;
}

/** Fetches and checks ./config.json (relative, so the app works under any path). */
export async function loadConfig(url = "./config.json"): Promise<DappConfig> {
  let res: Response;
  try {
    res = await fetch(url, { cache: "no-store" });
  } catch (err) {
    throw new ConfigError(`cannot load ${url}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new ConfigError(`cannot load ${url}: HTTP ${res.status}`);
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    throw new ConfigError(`${url} is not valid JSON`);
  }
  return parseConfig(json);
}

/** True in builds that include the demo wallet (npm start); false in production builds. */
export const DEMO_BUILD: boolean = typeof __KRAKEN_DEMO__ !== "undefined" && __KRAKEN_DEMO__;
