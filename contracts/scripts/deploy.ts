// Deploys the marketplace contracts (the five core ones, the data union factory, Analytics) with
// plain viem (no Hardhat runtime), so the same code deploys to the local chain or to a consortium
// chain such as Besu given an RPC URL and a key.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Abi, Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { getAddress, isAddress, zeroAddress, zeroHash } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { CONTRACT_NAMES, DEV_MNEMONIC, LOCAL_CHAIN_ID, OPTIONAL_CONTRACT_NAMES, type ContractName, type Deployment, type OptionalContractName } from "@kraken/sdk";
import { streamRegistryAbi, streamRegistryBytecode, TRUSTED_ROLE } from "@kraken/streamr/registry";

const root = join(import.meta.dirname, "..", "..");

function artifact(name: ContractName | OptionalContractName): { abi: Abi; bytecode: Hex } {
  const file = join(root, "artifacts", "contracts", "src", `${name}.sol`, `${name}.json`);
  const json = JSON.parse(readFileSync(file, "utf8"));
  return { abi: json.abi, bytecode: json.bytecode };
}

/** Fingerprint of the compiled contracts: a deployment made from other bytecode is stale. */
export function artifactsHash(): string {
  const h = createHash("sha256");
  for (const name of [...CONTRACT_NAMES, ...OPTIONAL_CONTRACT_NAMES]) h.update(artifact(name).bytecode);
  return h.digest("hex").slice(0, 16);
}

/** Why a deployment was refused before anything was sent to the chain. */
export type DeploymentRefusal = "no-deployer-key" | "development-key" | "development-admin" | "invalid-admin" | "seed-needs-development-admin";

export class DeploymentRefusedError extends Error {
  override readonly name = "DeploymentRefusedError";
  constructor(readonly code: DeploymentRefusal, message: string) {
    super(message);
  }
}

/** The first 28 accounts of the public development mnemonic ("test test … junk", all the local chain funds): anyone can sign for them. */
export const DEV_ACCOUNTS: readonly Address[] = Array.from({ length: 28 }, (_, i) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }).address);

export function isDevAccount(address: Address): boolean {
  return DEV_ACCOUNTS.some((a) => a.toLowerCase() === address.toLowerCase());
}

/**
 * Throws DeploymentRefusedError when `deployer` or `admin` may not be used on chain `chainId`:
 * off the local chain, neither may be a public development account, and `admin` must be a
 * non-zero address.
 */
export function checkDeploymentKeys(chainId: number, deployer: Address, admin: Address): void {
  if (!isAddress(admin, { strict: false }) || admin.toLowerCase() === zeroAddress) {
    throw new DeploymentRefusedError("invalid-admin", `the admin address ${admin} is not a valid non-zero address`);
  }
  if (chainId === LOCAL_CHAIN_ID) return;
  if (isDevAccount(deployer)) {
    throw new DeploymentRefusedError("development-key",
      `refusing to deploy to chain ${chainId} with ${deployer}, a public development account (its key is in the "test test … junk" mnemonic): set KRAKEN_DEPLOYER_KEY to a key of your own`);
  }
  if (isDevAccount(admin)) {
    throw new DeploymentRefusedError("development-admin",
      `refusing to make ${admin}, a public development account, the admin on chain ${chainId}: set KRAKEN_ADMIN_ADDRESS to an address you control (e.g. a multisig)`);
  }
}

export interface DeployOptions {
  network: string;
  rpcUrl: string;
  wallet: WalletClient<Transport, Chain, Account>;
  publicClient: PublicClient;
  /**
   * Consortium admin: trusted-issuer registry and token minting. When it is not the deployer
   * (e.g. a multisig), the deployer keeps no role: DataToken and Credentials are constructed
   * with it as admin, and a StreamRegistry deployed here is handed over to it. Off the local
   * chain neither it nor the deployer may be a public development account.
   */
  admin: Address;
  /**
   * Streamr's StreamRegistryV5 for stream products: undefined deploys a new one (the deployer
   * becomes its admin), an address reuses that registry (its admin must then grant
   * TRUSTED_ROLE to Agreements if the deployer cannot), null links no streams on chain.
   */
  streamRegistry?: Address | null;
  log?: (line: string) => void;
}

export async function deployMarketplace(o: DeployOptions): Promise<Deployment> {
  const chainId = await o.publicClient.getChainId();
  const deployer = o.wallet.account.address;
  checkDeploymentKeys(chainId, deployer, o.admin);
  const admin = getAddress(o.admin);
  const handover = admin !== getAddress(deployer);
  const contracts = {} as Deployment["contracts"];
  const deployOne = async (name: ContractName | OptionalContractName, args: unknown[]) => {
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

  const token = await deployOne("DataToken", [admin]);
  const credentials = await deployOne("Credentials", [admin]);
  const catalogue = await deployOne("Catalogue", [streamRegistry ?? zeroAddress]);
  const policies = await deployOne("Policies", [catalogue]);
  const agreements = await deployOne("Agreements", [token, catalogue, policies, credentials]);
  // Data unions own their stream, so the factory needs a registry; without one there are none.
  if (streamRegistry) {
    const factory = await deployOne("DataUnionFactory", [token, catalogue, policies, agreements, credentials]);
    // Only its unions may publish DATA_UNION products; the deployer sets this once.
    const hash = await o.wallet.writeContract({ address: catalogue, abi: artifact("Catalogue").abi, functionName: "setUnionFactory", args: [factory] });
    const receipt = await o.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`Catalogue.setUnionFactory reverted (${hash})`);
  }
  // Dataset commitments and paid query jobs of analytics products; checks eligibility through
  // Agreements (its constructor refuses a token, catalogue or policies Agreements does not use).
  await deployOne("Analytics", [token, catalogue, policies, agreements]);
  if (streamRegistry) {
    // Agreements grants SUBSCRIBE on purchase through the registry's trusted path.
    try {
      await registryCall("grantRole", o.wallet.writeContract({ address: streamRegistry, abi: streamRegistryAbi, functionName: "grantRole", args: [TRUSTED_ROLE, agreements] }));
    } catch (err) {
      o.log?.(`could not grant TRUSTED_ROLE on ${streamRegistry} to Agreements ${agreements}: ${(err as Error).message.split("\n")[0]}; the registry's admin must do it before stream products can be bought`);
    }
  }
  if (handover && streamRegistry && o.streamRegistry === undefined) {
    // The registry deployed above made the deployer its admin and a trusted account: hand the
    // admin role over, then give up both (the admin can grant TRUSTED_ROLE itself if needed).
    const call = (functionName: "grantRole" | "renounceRole", role: Hex, account: Address) =>
      registryCall(functionName, o.wallet.writeContract({ address: streamRegistry, abi: streamRegistryAbi, functionName, args: [role, account] }));
    await call("grantRole", zeroHash, admin);
    await call("renounceRole", TRUSTED_ROLE, deployer);
    await call("renounceRole", zeroHash, deployer);
    o.log?.(`handed StreamRegistryV5 ${streamRegistry} over to ${admin}`);
  }
  if (handover) await assertNoDeployerRoles(o, deployer, admin, token, credentials, o.streamRegistry === undefined ? streamRegistry : undefined);

  return {
    network: o.network,
    chainId,
    admin,
    rpcUrl: o.rpcUrl,
    deploymentBlock: Math.min(...CONTRACT_NAMES.map((n) => contracts[n].blockNumber)),
    deployedAt: new Date().toISOString(),
    contracts,
    artifactsHash: artifactsHash(),
    ...(streamRegistry ? { streamRegistry } : {}),
  };
}

/** After a handover: the admin holds every admin role and the deployer none (read back from the chain). */
async function assertNoDeployerRoles(o: DeployOptions, deployer: Address, admin: Address, token: Address, credentials: Address, registry?: Address) {
  const roleAbi = [
    { type: "function", name: "hasRole", stateMutability: "view", inputs: [{ name: "role", type: "bytes32" }, { name: "account", type: "address" }], outputs: [{ type: "bool" }] },
    { type: "function", name: "MINTER_ROLE", stateMutability: "view", inputs: [], outputs: [{ type: "bytes32" }] },
  ] as const;
  const minter = await o.publicClient.readContract({ address: token, abi: roleAbi, functionName: "MINTER_ROLE" });
  const checks: [string, Address, Hex][] = [["DataToken admin", token, zeroHash], ["DataToken minter", token, minter], ["Credentials admin", credentials, zeroHash]];
  if (registry) checks.push(["StreamRegistry admin", registry, zeroHash], ["StreamRegistry trusted", registry, TRUSTED_ROLE]);
  for (const [what, address, role] of checks) {
    const has = (account: Address) => o.publicClient.readContract({ address, abi: roleAbi, functionName: "hasRole", args: [role, account] });
    if (await has(deployer)) throw new Error(`handover incomplete: the deployer ${deployer} still holds ${what} on ${address}`);
    if (role !== TRUSTED_ROLE && !(await has(admin))) throw new Error(`handover incomplete: ${admin} does not hold ${what} on ${address}`);
  }
}
