// Sealed envelopes: a message only the holder of an X25519 secret key can open (tweetnacl box
// with a fresh ephemeral sender key, so the sender needs no key of their own and cannot be
// linked across envelopes). Used for key shares sent to relays and for deliveries to consumers.
import nacl from "tweetnacl";
import { KrakenError } from "../errors.ts";
import { bytesToHex, hexToBytes, type Hex } from "viem";

export class EnvelopeError extends KrakenError {
  override name = "EnvelopeError";

  constructor(message: string, code = "bad-envelope") {
    super(code, message);
  }
}

const KEY = nacl.box.publicKeyLength; // 32
const NONCE = nacl.box.nonceLength; // 24

/** Seals `message` to `recipientPublicKey` (32 bytes, e.g. the key registered in Credentials). */
export function sealEnvelope(message: Uint8Array, recipientPublicKey: Uint8Array | Hex): Uint8Array {
  const recipient = typeof recipientPublicKey === "string" ? hexToBytes(recipientPublicKey) : recipientPublicKey;
  if (recipient.length !== KEY) throw new EnvelopeError(`a recipient key has ${KEY} bytes, not ${recipient.length}`);
  const ephemeral = nacl.box.keyPair();
  const nonce = nacl.randomBytes(NONCE);
  const box = nacl.box(message, nonce, recipient, ephemeral.secretKey);
  const out = new Uint8Array(KEY + NONCE + box.length);
  out.set(ephemeral.publicKey, 0);
  out.set(nonce, KEY);
  out.set(box, KEY + NONCE);
  return out;
}

/** Opens a sealed envelope; throws EnvelopeError when it is malformed, tampered or not for this key. */
export function openEnvelope(sealed: Uint8Array | Hex, recipientSecretKey: Uint8Array): Uint8Array {
  const bytes = typeof sealed === "string" ? hexToBytes(sealed) : sealed;
  if (bytes.length < KEY + NONCE + nacl.box.overheadLength) throw new EnvelopeError("envelope too short: malformed");
  const plain = nacl.box.open(bytes.subarray(KEY + NONCE), bytes.subarray(KEY, KEY + NONCE), bytes.subarray(0, KEY), recipientSecretKey);
  if (!plain) throw new EnvelopeError("envelope failed authentication: tampered, or sealed to another key");
  return plain;
}

export const sealToHex = (message: Uint8Array, recipientPublicKey: Uint8Array | Hex): Hex => bytesToHex(sealEnvelope(message, recipientPublicKey));
