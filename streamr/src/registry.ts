// Streamr's StreamRegistryV5 on our chain: deployment, the trusted role, and the permission
// calls the marketplace needs (time-limited SUBSCRIBE grants, read-back on chain).
//
// The bytecode is the artifact shipped by @streamr/network-contracts 8.2.0 (9.x ships ABIs
// only); the ABI is the typed copy scripts/compile.ts generates from that artifact (@kraken/sdk). StreamRegistryV5 is UUPS-upgradeable but its implementation has no constructor
// that disables initializers, so we deploy it without a proxy and call
// initialize(ensCache = 0x0, trustedForwarder = 0x0) on it directly: the deployer becomes
// DEFAULT_ADMIN_ROLE and TRUSTED_ROLE holder. (ENS stream ids and meta-transactions are not used.)
import { createRequire } from "node:module";
import {
  createPublicClient, createWalletClient, http, keccak256, toHex, zeroAddress,
  type Abi, type Account, type Address, type Chain, type Hex, type PublicClient, type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { LOCAL_CHAIN_ID, marketplaceChain, streamRegistryAbi as generatedAbi } from "@kraken/sdk";

const require = createRequire(import.meta.url);
const artifact = require(
  "@streamr/network-contracts/dist/artifacts/contracts/StreamRegistry/StreamRegistryV5.sol/StreamRegistryV5.json",
) as { bytecode: Hex };

/** StreamRegistryV5's ABI, loosely typed: the helpers here pass function names as strings. */
export const streamRegistryAbi: Abi = generatedAbi;
export const streamRegistryBytecode = artifact.bytecode;
export const TRUSTED_ROLE = keccak256(toHex("TRUSTED_ROLE"));

/** StreamRegistryV5's PermissionType enum. */
export const PermissionType = { Edit: 0, Delete: 1, Publish: 2, Subscribe: 3, Grant: 4 } as const;

/** A signer: a viem wallet client with an account, or a private key. */
export interface ChainSigner {
  rpcUrl: string;
  chainId?: number;
  deployerKey?: Hex;
  wallet?: WalletClient;
}

function clients(s: ChainSigner): { wallet: WalletClient & { account: Account }; publicClient: PublicClient; chain: Chain } {
  const chain = s.wallet?.chain ?? marketplaceChain(s.rpcUrl, s.chainId ?? LOCAL_CHAIN_ID);
  const transport = http(s.rpcUrl);
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 100 });
  let wallet = s.wallet;
  if (!wallet) {
    if (!s.deployerKey) throw new Error("need deployerKey or wallet");
    wallet = createWalletClient({ chain, transport, account: privateKeyToAccount(s.deployerKey), pollingInterval: 100 });
  }
  if (!wallet.account) throw new Error("the wallet client needs an account");
  return { wallet: wallet as WalletClient & { account: Account }, publicClient, chain };
}

async function send(s: ChainSigner, address: Address, functionName: string, args: unknown[]): Promise<Hex> {
  const { wallet, publicClient, chain } = clients(s);
  const hash = await wallet.writeContract({ address, abi: streamRegistryAbi, functionName, args, chain, account: wallet.account });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`StreamRegistry.${functionName} reverted (tx ${hash})`);
  return hash;
}

/** Deploys StreamRegistryV5 and initializes it; the signer becomes admin and trusted. */
export async function deployStreamRegistry(opts: ChainSigner): Promise<Address> {
  const { wallet, publicClient, chain } = clients(opts);
  const hash = await wallet.deployContract({ abi: streamRegistryAbi, bytecode: streamRegistryBytecode, chain, account: wallet.account });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`StreamRegistryV5 deployment failed (tx ${hash})`);
  const address = receipt.contractAddress;
  await send(opts, address, "initialize", [zeroAddress, zeroAddress]);
  return address;
}

/** True when `address` holds StreamRegistry code that answers TRUSTED_ROLE (i.e. a reusable deployment). */
export async function isStreamRegistry(rpcUrl: string, address: Address): Promise<boolean> {
  const publicClient = createPublicClient({ transport: http(rpcUrl) });
  const code = await publicClient.getCode({ address });
  if (!code || code === "0x") return false;
  try {
    const role = await publicClient.readContract({ address, abi: streamRegistryAbi, functionName: "TRUSTED_ROLE" });
    return role === TRUSTED_ROLE;
  } catch {
    return false;
  }
}

export async function hasTrustedRole(rpcUrl: string, registry: Address, account: Address): Promise<boolean> {
  const publicClient = createPublicClient({ transport: http(rpcUrl) });
  return (await publicClient.readContract({
    address: registry, abi: streamRegistryAbi, functionName: "hasRole", args: [TRUSTED_ROLE, account],
  })) as boolean;
}

/**
 * Grants TRUSTED_ROLE to `account` (e.g. the Agreements contract) unless it has it already.
 * The signer must hold DEFAULT_ADMIN_ROLE (the deployer). Returns the tx hash, or undefined when
 * nothing had to be done.
 */
export async function grantTrustedRole(opts: ChainSigner & { registry: Address; account: Address }): Promise<Hex | undefined> {
  if (await hasTrustedRole(opts.rpcUrl, opts.registry, opts.account)) return undefined;
  return send(opts, opts.registry, "grantRole", [TRUSTED_ROLE, opts.account]);
}

/**
 * Gives `user` SUBSCRIBE on `streamId` until `expiration` (unix seconds, compared with the
 * block timestamp) through StreamRegistryV5.trustedSetPermissionsForUser — the path Streamr's
 * own marketplace uses on purchase. The signer must hold TRUSTED_ROLE.
 * Note: the call sets the user's whole permission record (no edit, delete, publish or grant).
 * `expiration` 0 revokes.
 */
export async function grantSubscribe(
  signer: ChainSigner & { registry: Address },
  streamId: string,
  user: Address,
  expiration: bigint | number,
): Promise<Hex> {
  return send(signer, signer.registry, "trustedSetPermissionsForUser",
    [streamId, user, false, false, 0n, BigInt(expiration), false]);
}

/** Removes every permission of `user` on `streamId` (trusted path). */
export function revokeSubscribe(signer: ChainSigner & { registry: Address }, streamId: string, user: Address): Promise<Hex> {
  return grantSubscribe(signer, streamId, user, 0n);
}

/** Reads on chain whether `user` may subscribe to `streamId` now (direct or public permission). */
export async function hasSubscribePermission(rpcUrl: string, registry: Address, streamId: string, user: Address): Promise<boolean> {
  const publicClient = createPublicClient({ transport: http(rpcUrl) });
  return (await publicClient.readContract({
    address: registry, abi: streamRegistryAbi, functionName: "hasPermission", args: [streamId, user, PermissionType.Subscribe],
  })) as boolean;
}

/** The user's permission record on chain, including the expirations (unix seconds). */
export async function getPermissions(rpcUrl: string, registry: Address, streamId: string, user: Address) {
  const publicClient = createPublicClient({ transport: http(rpcUrl) });
  const p = (await publicClient.readContract({
    address: registry, abi: streamRegistryAbi, functionName: "getPermissionsForUser", args: [streamId, user],
  })) as { canEdit: boolean; canDelete: boolean; publishExpiration: bigint; subscribeExpiration: bigint; canGrant: boolean };
  return p;
}

/** Whether a stream exists on chain. */
export async function streamExists(rpcUrl: string, registry: Address, streamId: string): Promise<boolean> {
  const publicClient = createPublicClient({ transport: http(rpcUrl) });
  return (await publicClient.readContract({ address: registry, abi: streamRegistryAbi, functionName: "exists", args: [streamId] })) as boolean;
}
