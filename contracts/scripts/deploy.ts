// Deploys the five marketplace contracts with plain viem (no Hardhat runtime), so the same code
// deploys to the local chain or to a consortium chain such as Besu given an RPC URL and a key.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Abi, Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { zeroAddress } from "viem";
import { CONTRACT_NAMES, type ContractName, type Deployment } from "@kraken/sdk";
import { streamRegistryAbi, streamRegistryBytecode, TRUSTED_ROLE } from "@kraken/streamr/registry";

const root = join(import.meta.dirname, "..", "..");

function artifact(name: ContractName): { abi: Abi; bytecode: Hex } {
  const file = join(root, "artifacts", "contracts", "src", `${name}.sol`, `${name}.json`);
  const json = JSON.parse(readFileSync(file, "utf8"));
  return { abi: json.abi, bytecode: json.bytecode };
}

/** Fingerprint of the compiled contracts: a deployment made from other bytecode is stale. */
export function artifactsHash(): string {
  const h = createHash("sha256");
  for (const name of CONTRACT_NAMES) h.update(artifact(name).bytecode);
  return h.digest("hex").slice(0, 16);
}

export interface DeployOptions {
  network: string;
  rpcUrl: string;
  wallet: WalletClient<Transport, Chain, Account>;
  publicClient: PublicClient;
  admin: Address; // consortium admin: trusted-issuer registry and token minting
  /**
   * Streamr's StreamRegistryV5 for stream products: undefined deploys a new one (the deployer
   * becomes its admin), an address reuses that registry (its admin must then grant
   * TRUSTED_ROLE to Agreements if the deployer cannot), null links no streams on chain.
   */
  streamRegistry?: Address | null;
  log?: (line: string) => void;
}

export async function deployMarketplace(o: DeployOptions): Promise<Deployment> {
  const contracts = {} as Deployment["contracts"];
  const deployOne = async (name: ContractName, args: unknown[]) => {
    const { abi, bytecode } = artifact(name);
    const hash = await o.wallet.deployContract({ abi, bytecode, args });
    const receipt = await o.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploying ${name} failed (${hash})`);
    contracts[name] = { address: receipt.contractAddress, blockNumber: Number(receipt.blockNumber), transactionHash: hash };
    o.log?.(`deployed ${name} at ${receipt.contractAddress} (block ${receipt.blockNumber})`);
    return receipt.contractAddress;
  };

  const registryCall = async (functionName: string, sent: Promise<Hex>) => {
    const hash = await sent;
    const receipt = await o.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`StreamRegistry.${functionName} reverted (${hash})`);
  };
  let streamRegistry: Address | undefined;
  if (o.streamRegistry === undefined) {
    // StreamRegistryV5 without a proxy: initialize(ensCache 0, trustedForwarder 0) makes the
    // deployer its admin (see streamr/src/registry.ts).
    const hash = await o.wallet.deployContract({ abi: streamRegistryAbi, bytecode: streamRegistryBytecode, args: [] });
    const receipt = await o.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploying StreamRegistryV5 failed (${hash})`);
    streamRegistry = receipt.contractAddress;
    await registryCall("initialize", o.wallet.writeContract({ address: streamRegistry, abi: streamRegistryAbi, functionName: "initialize", args: [zeroAddress, zeroAddress] }));
    o.log?.(`deployed StreamRegistryV5 at ${streamRegistry}`);
  } else if (o.streamRegistry !== null) {
    const role = await o.publicClient.readContract({ address: o.streamRegistry, abi: streamRegistryAbi, functionName: "TRUSTED_ROLE" }).catch(() => undefined);
    if (role !== TRUSTED_ROLE) throw new Error(`no StreamRegistry at ${o.streamRegistry}`);
    streamRegistry = o.streamRegistry;
  }

  const token = await deployOne("DataToken", [o.admin]);
  const credentials = await deployOne("Credentials", [o.admin]);
  const catalogue = await deployOne("Catalogue", [streamRegistry ?? zeroAddress]);
  const policies = await deployOne("Policies", [catalogue]);
  const agreements = await deployOne("Agreements", [token, catalogue, policies, credentials]);
  if (streamRegistry) {
    // Agreements grants SUBSCRIBE on purchase through the registry's trusted path.
    try {
      await registryCall("grantRole", o.wallet.writeContract({ address: streamRegistry, abi: streamRegistryAbi, functionName: "grantRole", args: [TRUSTED_ROLE, agreements] }));
    } catch (err) {
      o.log?.(`could not grant TRUSTED_ROLE on ${streamRegistry} to Agreements ${agreements}: ${(err as Error).message.split("\n")[0]}; the registry's admin must do it before stream products can be bought`);
    }
  }

  return {
    network: o.network,
    chainId: await o.publicClient.getChainId(),
    rpcUrl: o.rpcUrl,
    deploymentBlock: Math.min(...CONTRACT_NAMES.map((n) => contracts[n].blockNumber)),
    deployedAt: new Date().toISOString(),
    contracts,
    artifactsHash: artifactsHash(),
    ...(streamRegistry ? { streamRegistry } : {}),
  };
}
