// Whether the encryption key registered in Credentials is the one the wallet derives today, and
// rotating it when it is not (accounts registered with the pre-EIP-712 derivation, see
// encryption.ts). Relays look the consumer's key up when they deliver, so deliveries and
// re-deliveries after a rotation are sealed to the new key.
import { BaseError, ContractFunctionRevertedError, zeroHash, type Account, type Address, type Hex, type PublicClient, type WalletClient } from "viem";
import type { Deployment } from "./deployments.ts";
import { deriveEncryptionKeyPair, type EncryptionKeyPair } from "./encryption.ts";
import { credentialsAbi } from "./generated/abis.ts";
import { SsiError } from "./ssi/errors.ts";

/** "current": registered = derived; "outdated": another key (e.g. an older derivation) is registered; "none": no key registered. */
export type EncryptionKeyStatus = "current" | "outdated" | "none";

/** Compares the key registered for `address` in Credentials with `publicKey` (the derived one). */
export async function encryptionKeyStatus(o: {
  publicClient: Pick<PublicClient, "readContract">;
  credentials: Address;
  address: Address;
  publicKey: Hex;
}): Promise<{ status: EncryptionKeyStatus; registered: Hex }> {
  const registered = await o.publicClient.readContract({ address: o.credentials, abi: credentialsAbi, functionName: "encryptionKeyOf", args: [o.address] });
  const status: EncryptionKeyStatus = registered === zeroHash ? "none" : registered.toLowerCase() === o.publicKey.toLowerCase() ? "current" : "outdated";
  return { status, registered };
}

/** The key pair a wallet client's account derives on `chainId` (one EIP-712 signature, no transaction). */
export function deriveWalletEncryptionKeyPair(wallet: WalletClient, chainId: number): Promise<EncryptionKeyPair> {
  const account = wallet.account;
  if (!account) throw new SsiError("bad-request", "the wallet client has no account");
  const address = typeof account === "string" ? account : account.address;
  return deriveEncryptionKeyPair({ address, chainId, signTypedData: (t) => wallet.signTypedData({ account: account as Account | Address, ...t }) });
}

export interface RotationResult {
  keys: EncryptionKeyPair;
  /** The key registered before. */
  previous: Hex;
  /** Absent when the registered key already was the derived one (nothing sent). */
  transactionHash?: Hex;
}

/**
 * Derives the wallet's encryption key (EIP-712, encryption.ts) and registers it with
 * Credentials.rotateEncryptionKey, unless it already is the registered key. Refuses an address
 * that is not registered (SsiError "not-registered"); a revert becomes SsiError("registration-failed").
 */
export async function rotateEncryptionKey(o: {
  wallet: WalletClient;
  publicClient: PublicClient;
  deployment: Pick<Deployment, "chainId" | "contracts">;
  /** Already derived keys (e.g. by a caller that just compared them), to avoid a second signature. */
  keys?: EncryptionKeyPair;
}): Promise<RotationResult> {
  const account = o.wallet.account;
  if (!account) throw new SsiError("bad-request", "the wallet client has no account");
  const address = typeof account === "string" ? account : account.address;
  const credentials = o.deployment.contracts.Credentials.address;
  const keys = o.keys ?? (await deriveWalletEncryptionKeyPair(o.wallet, o.deployment.chainId));
  const { status, registered } = await encryptionKeyStatus({ publicClient: o.publicClient, credentials, address, publicKey: keys.publicKey });
  if (status === "none") throw new SsiError("not-registered", `${address} is not registered: register with an issuer first (its key is registered with it)`);
  if (status === "current") return { keys, previous: registered };
  try {
    const hash = await o.wallet.writeContract({ account, chain: o.wallet.chain, address: credentials, abi: credentialsAbi, functionName: "rotateEncryptionKey", args: [keys.publicKey] });
    const receipt = await o.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new SsiError("registration-failed", `Credentials.rotateEncryptionKey reverted (transaction ${hash})`);
    return { keys, previous: registered, transactionHash: hash };
  } catch (err) {
    if (err instanceof SsiError) throw err;
    const reverted = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
    if (reverted instanceof ContractFunctionRevertedError) {
      throw new SsiError("registration-failed", `Credentials.rotateEncryptionKey refused: ${reverted.data?.errorName ?? reverted.shortMessage}`);
    }
    throw new SsiError("registration-failed", `Credentials.rotateEncryptionKey failed: ${err instanceof BaseError ? err.shortMessage : (err as Error).message}`);
  }
}
