// What every command needs: the network (RPC URL, deployment file), the user's key and the
// service endpoints, from flags, then environment variables, then the local `npm start` defaults.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, http, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { clientsFor, marketplaceChain, type Deployment } from "@kraken/sdk";
import { configValue, DEFAULT_URLS, isSet } from "@kraken/sdk/config";
import { CliError, EXIT } from "./errors.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DEFAULT_ISSUER_URL = DEFAULT_URLS.issuer;

/** Options every command accepts (node:util parseArgs format). */
export const COMMON_OPTIONS = {
  rpc: { type: "string" },
  deployment: { type: "string" },
  "key-file": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export interface CommonValues {
  rpc?: string;
  deployment?: string;
  "key-file"?: string;
  json?: boolean;
}

export function loadDeployment(v: CommonValues): { deployment: Deployment; file: string } {
  const fromEnv = configValue("KRAKEN_DEPLOYMENT");
  const candidates = v.deployment
    ? [resolve(v.deployment)]
    : fromEnv
      ? [fromEnv]
      : [...new Set([resolve("deployments/localhost.json"), join(repoRoot, "deployments", "localhost.json")])];
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    throw new CliError(EXIT.config, `no deployment file (looked for ${candidates.join(", ")}); start the marketplace with \`npm start\` or pass --deployment <file>`);
  }
  try {
    return { deployment: JSON.parse(readFileSync(file, "utf8")) as Deployment, file };
  } catch (err) {
    throw new CliError(EXIT.config, `cannot read the deployment file ${file}: ${(err as Error).message}`);
  }
}

export function loadKey(v: CommonValues): Hex {
  let key: string | undefined;
  if (v["key-file"]) {
    try {
      key = readFileSync(v["key-file"], "utf8").trim();
    } catch (err) {
      throw new CliError(EXIT.config, `cannot read the key file: ${(err as Error).message}`);
    }
  } else {
    key = configValue("PRIVATE_KEY"); // validated there: a bad PRIVATE_KEY is a ConfigError (exit code config)
  }
  if (!key) throw new CliError(EXIT.config, "no key: set PRIVATE_KEY or pass --key-file <file> (a file holding the 0x-hex private key)");
  if (!key.startsWith("0x")) key = `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new CliError(EXIT.config, "the private key must be 32 bytes of hex");
  return key as Hex;
}

/** Whether a key was given (PRIVATE_KEY or --key-file), for commands where it is optional. */
export function hasKey(v: CommonValues): boolean {
  return Boolean(v["key-file"] || isSet("PRIVATE_KEY"));
}

/** --rpc, else KRAKEN_RPC_URL, else the local chain of `npm start`. A flag wins over the
 *  environment, and an environment variable is only parsed (and can only fail) when no flag is given. */
export function rpcUrlOf(v: CommonValues): string {
  return v.rpc ?? configValue("KRAKEN_RPC_URL") ?? DEFAULT_URLS.rpc;
}

/** A public client on the deployment's chain, for commands that only read. */
export function connectReadOnly(v: CommonValues) {
  const { deployment, file } = loadDeployment(v);
  const rpcUrl = rpcUrlOf(v);
  const publicClient = createPublicClient({ chain: marketplaceChain(rpcUrl, deployment.chainId), transport: http(rpcUrl, { retryCount: 1 }), pollingInterval: 100 });
  return { deployment, deploymentFile: file, rpcUrl, publicClient };
}

/** Wallet and public clients for the user's key on the deployment's chain. */
export function connect(v: CommonValues) {
  const { deployment, file } = loadDeployment(v);
  const rpcUrl = rpcUrlOf(v);
  const account = privateKeyToAccount(loadKey(v));
  const { wallet, publicClient } = clientsFor(marketplaceChain(rpcUrl, deployment.chainId), account, 100);
  return { deployment, deploymentFile: file, rpcUrl, account, wallet, publicClient };
}

export async function checkChain(publicClient: Pick<PublicClient, "getChainId">, rpcUrl: string, deployment: Deployment) {
  let chainId: number;
  try {
    chainId = await publicClient.getChainId();
  } catch {
    throw new CliError(EXIT.chain, `cannot reach the chain at ${rpcUrl} (is \`npm start\` running? or pass --rpc <url>)`);
  }
  if (chainId !== deployment.chainId) throw new CliError(EXIT.chain, `the chain at ${rpcUrl} has id ${chainId}, the deployment is for ${deployment.chainId}`);
}
