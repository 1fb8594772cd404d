// A user's X25519 encryption key pair, derived from a wallet signature so that it can be
// recovered from the wallet alone. Deliveries (links and key shares) are sealed to its public
// key with tweetnacl's box.
import nacl from "tweetnacl";
import { bytesToHex, hexToBytes, keccak256, type Hex } from "viem";

export const ENCRYPTION_KEY_MESSAGE =
  "Kraken marketplace: derive my data-delivery encryption key.\n\n" +
  "Signing this message costs nothing. Only sign it on the marketplace you trust: " +
  "anyone holding this signature can read data delivered to you.\n\nVersion: 1";

export interface EncryptionKeyPair {
  publicKey: Hex; // 32 bytes, as registered on chain
  secretKey: Uint8Array;
}

/** Derives the key pair from the wallet's EIP-191 signature of ENCRYPTION_KEY_MESSAGE. */
export async function deriveEncryptionKeyPair(
  signMessage: (message: string) => Promise<Hex>,
): Promise<EncryptionKeyPair> {
  const signature = await signMessage(ENCRYPTION_KEY_MESSAGE);
  const secretKey = hexToBytes(keccak256(signature));
  const pair = nacl.box.keyPair.fromSecretKey(secretKey);
  return { publicKey: bytesToHex(pair.publicKey), secretKey: pair.secretKey };
}
