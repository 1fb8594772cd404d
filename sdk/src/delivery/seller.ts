// Seller side of batch delivery (browser and Node): encrypt the file locally with a fresh key
// while hashing plaintext and ciphertext, split the key k-of-n for the product's delivery
// agents, seal each share (with the link and hashes) to that relay's X25519 key from
// Credentials, publish it to the relay's share stream, then wait until every relay's HTTP API
// reports the very envelope we sent.
import { bytesToHex, zeroHash, type Address, type Hex, type PublicClient } from "viem";
import { catalogueAbi, credentialsAbi } from "../generated/abis.ts";
import type { Deployment } from "../deployments.ts";
import { DeliveryError, SharesNotConfirmedError, type RelayFailure } from "./errors.ts";
import { encryptStream, newFileKey } from "./file-cipher.ts";
import { hashingTap, nobleSha256, type Sha256Factory } from "./hashing.ts";
import { splitKey } from "./key-shares.ts";
import { PROTOCOL_VERSION, sealPayload, shareStreamId, type ShareMessage, type SharePayload } from "./protocol.ts";
import { endpointsFor } from "./relays.ts";
import type { Fetch, RelayEndpoint, StreamPublisher } from "./transport.ts";

export interface BatchHashes {
  ciphertextHash: Hex;
  plaintextHash: Hex;
  plaintextBytes: number;
  ciphertextBytes: number;
}

/**
 * Encrypts `source` with a fresh key (or `key`). Read `ciphertext` to its end (e.g. by adding
 * it to IPFS), then `hashes()` gives the sha-256 of both sides. Memory stays at one chunk.
 */
export function encryptBatch(
  source: AsyncIterable<Uint8Array>,
  opts: { key?: Uint8Array; chunkSize?: number; createHash?: Sha256Factory } = {},
) {
  const key = opts.key ?? newFileKey();
  const plain = hashingTap(source, opts.createHash ?? nobleSha256);
  const cipher = hashingTap(encryptStream(plain.stream, key, opts.chunkSize), opts.createHash ?? nobleSha256);
  return {
    key,
    ciphertext: cipher.stream as AsyncIterable<Uint8Array>,
    hashes(): BatchHashes {
      const p = plain.result();
      const c = cipher.result();
      return { ciphertextHash: c.hash, plaintextHash: p.hash, plaintextBytes: p.bytes, ciphertextBytes: c.bytes };
    },
  };
}

/** The relays' registered X25519 keys (Credentials.encryptionKeyOf); throws naming relays without one. */
export async function relayEncryptionKeys(
  publicClient: Pick<PublicClient, "readContract">,
  deployment: Deployment,
  relays: readonly Address[],
): Promise<Hex[]> {
  const keys = await Promise.all(
    relays.map((relay) =>
      publicClient.readContract({ address: deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "encryptionKeyOf", args: [relay] }) as Promise<Hex>,
    ),
  );
  const missing = relays.filter((_, i) => keys[i] === zeroHash);
  if (missing.length) throw new DeliveryError("relay-key-missing", `relay ${missing.join(", ")} has no encryption key registered in Credentials: it cannot receive key shares`);
  return keys;
}

export interface SealedShare {
  relay: Address;
  streamId: string;
  message: ShareMessage;
  envelopeHash: Hex;
}

/** Splits the key for the agents (in the product's order) and seals one share to each. */
export async function sealShares(o: {
  key: Uint8Array;
  productId: bigint;
  agents: readonly Address[];
  agentKeys: readonly Hex[];
  threshold: number;
  link: string;
  ciphertextHash: Hex;
  plaintextHash: Hex;
  version?: number;
}): Promise<SealedShare[]> {
  if (o.agents.length !== o.agentKeys.length) throw new DeliveryError("relay-key-missing", "one encryption key per delivery agent is needed");
  const shares = await splitKey(o.key, o.agents.length, o.threshold);
  const version = o.version ?? Date.now();
  return o.agents.map((relay, index) => {
    const payload: SharePayload = {
      kind: "kraken.share",
      v: PROTOCOL_VERSION,
      productId: o.productId.toString(),
      relay,
      index,
      threshold: o.threshold,
      share: bytesToHex(shares[index]),
      link: o.link,
      ciphertextHash: o.ciphertextHash,
      plaintextHash: o.plaintextHash,
      version,
    };
    const { envelope, envelopeHash } = sealPayload(payload, o.agentKeys[index]);
    return { relay, streamId: shareStreamId(relay), envelopeHash, message: { type: "kraken.share", v: PROTOCOL_VERSION, productId: payload.productId, envelope } };
  });
}

/** Publishes each sealed share to its relay's share stream (signed by the seller's Streamr identity). */
export async function publishShares(publisher: StreamPublisher, sealed: readonly SealedShare[]): Promise<void> {
  await Promise.all(sealed.map((s) => publisher.publish(s.streamId, s.message)));
}

export interface ShareStatus {
  productId: string;
  version: number;
  envelopeHash: Hex;
  storedAt: string;
}

/** Asks a relay which share it holds for the product (null when none). */
export async function shareStatus(relay: RelayEndpoint, productId: bigint | string, f: Fetch = fetch): Promise<ShareStatus | null> {
  const res = await f(`${relay.url}/products/${productId}/share`, { signal: AbortSignal.timeout(5000) });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as ShareStatus;
}

/**
 * Waits until each relay reports the envelope we sent (by its hash). Resolves with the relays
 * that confirmed once all did, or — after `timeoutMs` — once at least `minimum` did (the rest
 * in `unconfirmed`); otherwise throws SharesNotConfirmedError naming the missing relays.
 */
export async function confirmShares(o: {
  relays: readonly RelayEndpoint[];
  productId: bigint;
  sealed: readonly SealedShare[];
  minimum?: number;
  timeoutMs?: number;
  pollMs?: number;
  onProgress?: (line: string) => void;
  fetch?: Fetch;
}): Promise<{ confirmed: Address[]; unconfirmed: RelayFailure[] }> {
  const expected = new Map(o.sealed.map((s) => [s.relay.toLowerCase(), s.envelopeHash]));
  const pending = new Map(o.relays.map((r) => [r.address.toLowerCase(), { relay: r, reason: "no answer yet" }]));
  const confirmed: Address[] = [];
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  const minimum = o.minimum ?? o.relays.length;
  for (;;) {
    await Promise.all(
      [...pending.values()].map(async (p) => {
        try {
          const status = await shareStatus(p.relay, o.productId, o.fetch);
          if (status && status.envelopeHash.toLowerCase() === expected.get(p.relay.address.toLowerCase())?.toLowerCase()) {
            pending.delete(p.relay.address.toLowerCase());
            confirmed.push(p.relay.address);
            o.onProgress?.(`  relay ${p.relay.address} stored its share (${confirmed.length}/${o.relays.length})`);
          } else {
            p.reason = status ? "holds an older share" : "has no share yet";
          }
        } catch (err) {
          p.reason = `unreachable at ${p.relay.url}: ${(err as Error).message}`;
        }
      }),
    );
    if (pending.size === 0) return { confirmed, unconfirmed: [] };
    if (Date.now() >= deadline) {
      const unconfirmed = [...pending.values()].map((p) => ({ relay: p.relay.address, reason: p.reason }));
      if (confirmed.length >= minimum) return { confirmed, unconfirmed };
      throw new SharesNotConfirmedError(unconfirmed);
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 200));
  }
}

/**
 * After the product is on chain: reads its delivery agents and threshold, seals one share to
 * each agent's registered key, publishes them and waits for the relays' confirmations.
 */
export async function distributeKey(o: {
  publicClient: Pick<PublicClient, "readContract">;
  deployment: Deployment;
  productId: bigint;
  key: Uint8Array;
  link: string;
  hashes: Pick<BatchHashes, "ciphertextHash" | "plaintextHash">;
  publisher: StreamPublisher;
  relays: readonly RelayEndpoint[]; // the directory; the product's agents are looked up in it
  timeoutMs?: number;
  onProgress?: (line: string) => void;
  fetch?: Fetch;
}): Promise<{ agents: Address[]; threshold: number; confirmed: Address[]; unconfirmed: RelayFailure[] }> {
  const product = await o.publicClient.readContract({ address: o.deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [o.productId] });
  const agents = [...product.deliveryAgents];
  const endpoints = endpointsFor(o.relays, agents);
  const agentKeys = await relayEncryptionKeys(o.publicClient, o.deployment, agents);
  const sealed = await sealShares({ key: o.key, productId: o.productId, agents, agentKeys, threshold: product.threshold, link: o.link, ...o.hashes });
  o.onProgress?.(`sending ${agents.length} key shares (any ${product.threshold} rebuild the key) to the relays`);
  await publishShares(o.publisher, sealed);
  const { confirmed, unconfirmed } = await confirmShares({ relays: endpoints, productId: o.productId, sealed, minimum: product.threshold, timeoutMs: o.timeoutMs, onProgress: o.onProgress, fetch: o.fetch });
  return { agents, threshold: product.threshold, confirmed, unconfirmed };
}
