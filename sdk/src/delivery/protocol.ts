// The wire format of batch delivery (docs/delivery.md): which Streamr streams carry what, the
// sealed payloads (a key share for a relay, a delivery for a consumer) and the signed re-delivery
// request. Parsing validates every field, so a malformed message fails here with a reason.
import { bytesToHex, getAddress, hexToBytes, isAddress, isHex, keccak256, type Address, type Hex } from "viem";
import { openEnvelope, sealEnvelope } from "./envelope.ts";
import { DeliveryError } from "./errors.ts";

export const PROTOCOL_VERSION = 1;

/** The relay's share stream: relay-owned, public PUBLISH, SUBSCRIBE only for the relay. */
export const shareStreamId = (relay: string) => `${relay.toLowerCase()}/kraken/shares`;
/** The consumer's inbox at a relay: relay-owned, SUBSCRIBE granted to the consumer only. */
export const inboxStreamId = (relay: string, consumer: string) => `${relay.toLowerCase()}/kraken/inbox/${consumer.toLowerCase()}`;

/** What the seller seals to one relay: its share of the file key and where the file is. */
export interface SharePayload {
  kind: "kraken.share";
  v: number;
  productId: string; // decimal
  relay: Address; // the relay it is sealed for (a share sent to the wrong relay is refused)
  index: number; // position of the relay in the product's delivery agents
  threshold: number;
  share: Hex;
  link: string; // ipfs://<cid> or https://…
  ciphertextHash: Hex; // sha-256 of the encrypted file
  plaintextHash: Hex; // sha-256 of the file
  version: number; // ms timestamp; a relay keeps only a newer version (replays are refused)
}

/** What a relay seals to a consumer for one agreement. */
export interface DeliveryPayload {
  kind: "kraken.delivery";
  v: number;
  agreementId: string;
  productId: string;
  relay: Address;
  threshold: number;
  share: Hex;
  link: string;
  ciphertextHash: Hex;
  plaintextHash: Hex;
  deliveredAt: number; // ms
}

/** Streamr message content on a share stream / an inbox stream. */
export interface ShareMessage {
  type: "kraken.share";
  v: number;
  productId: string;
  envelope: Hex;
}
export interface DeliveryMessage {
  type: "kraken.delivery";
  v: number;
  agreementId: string;
  envelope: Hex;
}

const bad = (what: string): never => {
  throw new DeliveryError("bad-message", `malformed message: ${what}`);
};
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const decimal = (x: unknown, what: string): string => (typeof x === "string" && /^[1-9][0-9]{0,30}$/.test(x) ? x : bad(`${what} is not an id`));
const hash32 = (x: unknown, what: string): Hex => (typeof x === "string" && isHex(x) && x.length === 66 ? (x.toLowerCase() as Hex) : bad(`${what} is not a 32-byte hex hash`));
const small = (x: unknown, what: string, max: number): number => (Number.isInteger(x) && (x as number) >= 0 && (x as number) <= max ? (x as number) : bad(`${what} out of range`));
const address = (x: unknown, what: string): Address => (typeof x === "string" && isAddress(x) ? getAddress(x) : bad(`${what} is not an address`));
const link = (x: unknown): string =>
  typeof x === "string" && x.length <= 2048 && (/^ipfs:\/\/[A-Za-z0-9]+(\/.*)?$/.test(x) || /^https:\/\/\S+$/.test(x)) ? x : bad("link must be ipfs://<cid> or https://…");
const hexBytes = (x: unknown, what: string, max: number): Hex => (typeof x === "string" && isHex(x) && x.length > 2 && (x.length - 2) / 2 <= max && x.length % 2 === 0 ? x : bad(`${what} is not hex`));

export function parseShareMessage(content: unknown): ShareMessage {
  if (!isObj(content) || content.type !== "kraken.share") bad("not a share message");
  const c = content as Record<string, unknown>;
  if (c.v !== PROTOCOL_VERSION) bad(`unsupported version ${String(c.v)}`);
  return { type: "kraken.share", v: PROTOCOL_VERSION, productId: decimal(c.productId, "productId"), envelope: hexBytes(c.envelope, "envelope", 8192) };
}

export function parseDeliveryMessage(content: unknown): DeliveryMessage {
  if (!isObj(content) || content.type !== "kraken.delivery") bad("not a delivery message");
  const c = content as Record<string, unknown>;
  if (c.v !== PROTOCOL_VERSION) bad(`unsupported version ${String(c.v)}`);
  return { type: "kraken.delivery", v: PROTOCOL_VERSION, agreementId: decimal(c.agreementId, "agreementId"), envelope: hexBytes(c.envelope, "envelope", 8192) };
}

function parseCommon(c: Record<string, unknown>) {
  return {
    v: c.v === PROTOCOL_VERSION ? PROTOCOL_VERSION : bad(`unsupported version ${String(c.v)}`),
    productId: decimal(c.productId, "productId"),
    relay: address(c.relay, "relay"),
    threshold: small(c.threshold, "threshold", 16) || bad("threshold is 0"),
    share: hexBytes(c.share, "share", 64),
    link: link(c.link),
    ciphertextHash: hash32(c.ciphertextHash, "ciphertextHash"),
    plaintextHash: hash32(c.plaintextHash, "plaintextHash"),
  };
}

export function parseSharePayload(json: unknown): SharePayload {
  if (!isObj(json) || json.kind !== "kraken.share") bad("not a share payload");
  const c = json as Record<string, unknown>;
  return { kind: "kraken.share", ...parseCommon(c), index: small(c.index, "index", 15), version: small(c.version, "version", Number.MAX_SAFE_INTEGER) };
}

export function parseDeliveryPayload(json: unknown): DeliveryPayload {
  if (!isObj(json) || json.kind !== "kraken.delivery") bad("not a delivery payload");
  const c = json as Record<string, unknown>;
  return { kind: "kraken.delivery", ...parseCommon(c), agreementId: decimal(c.agreementId, "agreementId"), deliveredAt: small(c.deliveredAt, "deliveredAt", Number.MAX_SAFE_INTEGER) };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Seals a payload to an X25519 public key; returns the envelope and its keccak256 (the on-chain receipt). */
export function sealPayload(payload: SharePayload | DeliveryPayload, recipientPublicKey: Hex | Uint8Array): { envelope: Hex; envelopeHash: Hex } {
  const envelope = bytesToHex(sealEnvelope(encoder.encode(JSON.stringify(payload)), recipientPublicKey));
  return { envelope, envelopeHash: keccak256(envelope) };
}

/** Opens an envelope and parses the JSON inside (throws EnvelopeError / DeliveryError). */
export function openPayload(envelope: Hex, secretKey: Uint8Array): unknown {
  const bytes = openEnvelope(hexToBytes(envelope), secretKey);
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return bad("the envelope does not hold JSON");
  }
}

/** The text a consumer signs (EIP-191) to ask a relay to publish its delivery again. */
export interface RedeliveryRequest {
  agreementId: string;
  relay: Address;
  timestamp: number; // unix seconds
  nonce: Hex; // 16 random bytes
}

export function redeliveryMessage(r: RedeliveryRequest): string {
  return [
    "Kraken marketplace: deliver my key share again.",
    `agreement: ${r.agreementId}`,
    `relay: ${r.relay.toLowerCase()}`,
    `timestamp: ${r.timestamp}`,
    `nonce: ${r.nonce.toLowerCase()}`,
  ].join("\n");
}

export function newNonce(): Hex {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return bytesToHex(b);
}

/** Builds and signs a re-delivery request with the consumer's wallet (`signMessage` of viem or a wallet). */
export async function signRedeliveryRequest(
  signMessage: (message: string) => Promise<Hex>,
  agreementId: bigint | string,
  relay: Address,
  now = Date.now(),
): Promise<RedeliveryRequest & { signature: Hex }> {
  const r: RedeliveryRequest = { agreementId: String(agreementId), relay, timestamp: Math.floor(now / 1000), nonce: newNonce() };
  return { ...r, signature: await signMessage(redeliveryMessage(r)) };
}

export function parseRedeliveryRequest(json: unknown): RedeliveryRequest & { signature: Hex } {
  if (!isObj(json)) bad("not a re-delivery request");
  const c = json as Record<string, unknown>;
  const nonce = typeof c.nonce === "string" && /^0x[0-9a-fA-F]{32}$/.test(c.nonce) ? (c.nonce as Hex) : bad("nonce must be 16 bytes of hex");
  return {
    agreementId: decimal(c.agreementId, "agreementId"),
    relay: address(c.relay, "relay"),
    timestamp: small(c.timestamp, "timestamp", 2 ** 40),
    nonce,
    signature: hexBytes(c.signature, "signature", 65),
  };
}
