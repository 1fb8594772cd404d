// A user's X25519 encryption key pair, derived from a wallet signature so that it can be
// recovered from the wallet alone. Deliveries (links and key shares) are sealed to its public
// key with tweetnacl's box.
//
// The signature is an EIP-712 signature of typed data naming its purpose, the chain and the
// account (encryptionKeyTypedData). It cannot be obtained from a personal_sign (EIP-191) request
// — EIP-712 signatures hash under their own "\x19\x01" prefix — so no challenge, login or other
// text a site or an issuer asks a wallet to sign can yield it; and wallets show the structured
// purpose ("Never sign this on another site") instead of an opaque text.
import nacl from "tweetnacl";
import { bytesToHex, getAddress, hexToBytes, keccak256, type Address, type Hex } from "viem";

/**
 * The personal_sign text keys were derived from before version 2. Kept only to recognise it (an
 * issuer challenge equal to it is refused, see requestCredential); never derive keys from it.
 */
export const LEGACY_ENCRYPTION_KEY_MESSAGE =
  "Kraken marketplace: derive my data-delivery encryption key.\n\n" +
  "Signing this message costs nothing. Only sign it on the marketplace you trust: " +
  "anyone holding this signature can read data delivered to you.\n\nVersion: 1";

/** What the wallet shows as the purpose of the key-derivation signature. */
export const ENCRYPTION_KEY_PURPOSE = "Derive my marketplace encryption key. Never sign this on another site.";

/** Version of the derivation (1 was the personal_sign text above, 2 is this typed data). */
export const ENCRYPTION_KEY_VERSION = 2n;

export const encryptionKeyTypes = {
  EncryptionKey: [
    { name: "purpose", type: "string" },
    { name: "account", type: "address" },
    { name: "version", type: "uint256" },
  ],
} as const;

/**
 * The EIP-712 typed data whose signature derives `address`'s key on chain `chainId`.
 *
 * The domain has no verifyingContract on purpose: the key belongs to the wallet on a chain, not
 * to one deployment of the Credentials contract, so a redeployed or migrated contract does not
 * change every user's key, and every caller (relays, CLI, dApp) needs only the chain id. The
 * domain name, the chain id and the account in the message already make the signature useless
 * for anything else, and different for each chain and account.
 */
export function encryptionKeyTypedData(address: Address, chainId: number) {
  return {
    domain: { name: "Kraken marketplace", version: "1", chainId },
    types: encryptionKeyTypes,
    primaryType: "EncryptionKey" as const,
    message: { purpose: ENCRYPTION_KEY_PURPOSE, account: getAddress(address), version: ENCRYPTION_KEY_VERSION },
  };
}

export type EncryptionKeyTypedData = ReturnType<typeof encryptionKeyTypedData>;

export interface EncryptionKeyPair {
  publicKey: Hex; // 32 bytes, as registered on chain
  secretKey: Uint8Array;
}

export interface EncryptionKeySigner {
  address: Address;
  chainId: number;
  /**
   * Signs typed data with the wallet of `address`: `(t) => account.signTypedData(t)` for a viem
   * local account, `(t) => wallet.signTypedData({ account, ...t })` for a wallet client.
   */
  signTypedData: (typedData: EncryptionKeyTypedData) => Promise<Hex>;
}

/**
 * Derives the key pair: the secret is keccak256 of the wallet's EIP-712 signature of
 * encryptionKeyTypedData(address, chainId). Signatures of viem local accounts and of standard
 * wallets are deterministic (RFC 6979), so the same wallet always derives the same key.
 */
export async function deriveEncryptionKeyPair(o: EncryptionKeySigner): Promise<EncryptionKeyPair> {
  const signature = await o.signTypedData(encryptionKeyTypedData(o.address, o.chainId));
  return keyPairFromSignature(signature);
}

/** The X25519 key pair whose secret is keccak256(signature). */
export function keyPairFromSignature(signature: Hex): EncryptionKeyPair {
  const secretKey = hexToBytes(keccak256(signature));
  const pair = nacl.box.keyPair.fromSecretKey(secretKey);
  return { publicKey: bytesToHex(pair.publicKey), secretKey: pair.secretKey };
}
