// Deploys the five marketplace contracts with plain viem (no Hardhat runtime), so the same code
// deploys to the local chain or to a consortium chain such as Besu given an RPC URL and a key.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Abi, Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { CONTRACT_NAMES, type ContractName, type Deployment } from "@kraken/sdk";

const root = join(import.meta.dirname, "..", "..");

function artifact(name: ContractName): { abi: Abi; bytecode: Hex } {
  const file = join(root, "artifacts", "contracts", "src", `${name}.sol`, `${name}.json`);
  const json = JSON.parse(readFileSync(file, "utf8"));
  return { abi: json.abi, bytecode: json.bytecode };
}

export interface DeployOptions {
  network: string;
  rpcUrl: string;
  wallet: WalletClient<Transport, Chain, Account>;
  publicClient: PublicClient;
  admin: Address; // consortium admin: trusted-issuer registry and token minting
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

  const token = await deployOne("DataToken", [o.admin]);
  const credentials = await deployOne("Credentials", [o.admin]);
  const catalogue = await deployOne("Catalogue", []);
  const policies = await deployOne("Policies", [catalogue]);
  await deployOne("Agreements", [token, catalogue, policies, credentials]);

  return {
    network: o.network,
    chainId: await o.publicClient.getChainId(),
    rpcUrl: o.rpcUrl,
    deploymentBlock: Math.min(...CONTRACT_NAMES.map((n) => contracts[n].blockNumber)),
    deployedAt: new Date().toISOString(),
    contracts,
  };
}
