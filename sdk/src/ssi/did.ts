// DIDs of the marketplace: a holder is did:pkh:eip155:<chainId>:<address> (their wallet is their
// SSI wallet); issuers use did:key (Ed25519).
import { getAddress, hashMessage, isAddress, recoverPublicKey, type Address, type Hex } from "viem";

export function pkhDid(chainId: number | bigint, address: Address): string {
  return `did:pkh:eip155:${chainId}:${getAddress(address)}`;
}

/** The chain id and address of a did:pkh:eip155 DID, or undefined for any other DID. */
export function parsePkhDid(did: unknown): { chainId: number; address: Address } | undefined {
  if (typeof did !== "string") return undefined;
  const m = /^did:pkh:eip155:(\d+):(0x[0-9a-fA-F]{40})$/.exec(did);
  if (!m || !isAddress(m[2], { strict: false })) return undefined;
  return { chainId: Number(m[1]), address: getAddress(m[2]) };
}

/** The secp256k1 public key of a wallet as a JWK, recovered from an EIP-191 signature of `message`. */
export async function publicJwkFromSignature(message: string, signature: Hex): Promise<string> {
  const pub = await recoverPublicKey({ hash: hashMessage(message), signature }); // 0x04 || x || y
  const b64url = (hex: string) => bytesToBase64Url(hexBytes(hex));
  return JSON.stringify({ kty: "EC", crv: "secp256k1", x: b64url(pub.slice(4, 68)), y: b64url(pub.slice(68)) });
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToBase64Url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function base64UrlToString(s: string): string {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  const bin = atob(b64);
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}
