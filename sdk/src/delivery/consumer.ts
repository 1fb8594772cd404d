// Consumer side of batch delivery (browser and Node): check the agreement on chain, subscribe to
// the inbox streams of the product's relays *first* (Streamr keeps no history), ask each relay
// to (re-)deliver with a signed request, collect sealed deliveries until `threshold` distinct
// relays agree on the file, rebuild the key, then download, verify and decrypt.
import { hexToBytes, type Address, type Hex, type PublicClient } from "viem";
import { agreementsAbi, catalogueAbi } from "../generated/abis.ts";
import { AgreementStatus, ProductType } from "../generated/enums.ts";
import type { Deployment } from "../deployments.ts";
import { DeliveryError, SharesTimeoutError } from "./errors.ts";
import { decryptStream, FileCipherError } from "./file-cipher.ts";
import { hashingTap, nobleSha256, type Sha256Factory } from "./hashing.ts";
import { combineShares } from "./key-shares.ts";
import {
  inboxStreamId, openPayload, parseDeliveryMessage, parseDeliveryPayload, signRedeliveryRequest, type DeliveryPayload,
} from "./protocol.ts";
import type { Fetch, RelayEndpoint, StreamSubscriber, StreamSubscription } from "./transport.ts";

export interface DeliveryTerms {
  agreementId: bigint;
  productId: bigint;
  agents: Address[];
  threshold: number;
}

/** Reads the agreement and its product; throws a DeliveryError when the consumer cannot get the file now. */
export async function readDeliveryTerms(
  publicClient: Pick<PublicClient, "readContract">,
  deployment: Deployment,
  agreementId: bigint,
  consumer: Address,
): Promise<DeliveryTerms> {
  const agreements = deployment.contracts.Agreements.address;
  const count = (await publicClient.readContract({ address: agreements, abi: agreementsAbi, functionName: "agreementCount" })) as bigint;
  if (agreementId < 1n || agreementId > count) throw new DeliveryError("agreement-not-found", `agreement ${agreementId} does not exist`);
  const a = await publicClient.readContract({ address: agreements, abi: agreementsAbi, functionName: "getAgreement", args: [agreementId] });
  if (a.consumer.toLowerCase() !== consumer.toLowerCase()) throw new DeliveryError("not-your-agreement", `agreement ${agreementId} belongs to ${a.consumer}, not to ${consumer}`);
  const product = await publicClient.readContract({ address: deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [a.productId] });
  if (product.productType !== ProductType.Batch) throw new DeliveryError("not-eligible", `product ${a.productId} is not a batch file (streams are read with \`kraken subscribe\`)`);
  const active = await publicClient.readContract({ address: agreements, abi: agreementsAbi, functionName: "isActive", args: [agreementId] });
  if (!active) {
    const why =
      a.status === AgreementStatus.Pending ? "it is pending the seller's approval"
      : a.status === AgreementStatus.Rejected ? "the seller rejected it"
      : a.status === AgreementStatus.Cancelled ? "it was cancelled"
      : a.status === AgreementStatus.Terminated ? "the seller terminated it (the unused part was refunded)"
      : a.endsAt !== 0 && BigInt(a.endsAt) * 1000n <= BigInt(Date.now()) ? "it has expired"
      : "your credential is no longer valid (revoked, expired or its issuer is no longer trusted): renew it with your issuer";
    throw new DeliveryError("agreement-not-active", `agreement ${agreementId} gives no access now: ${why}`);
  }
  return { agreementId, productId: a.productId, agents: [...product.deliveryAgents], threshold: product.threshold };
}

/** Asks a relay to publish its delivery again (signed by the consumer's wallet). Throws with the relay's reason. */
export async function requestRedelivery(
  relay: RelayEndpoint,
  agreementId: bigint,
  signMessage: (message: string) => Promise<Hex>,
  f: Fetch = fetch,
): Promise<void> {
  const body = await signRedeliveryRequest(signMessage, agreementId, relay.address);
  const res = await f(`${relay.url}/agreements/${agreementId}/redeliver`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) {
    const reason = await res.json().then((j: { error?: string }) => j.error, () => undefined);
    throw Object.assign(new Error(reason ?? `HTTP ${res.status}`), { status: res.status });
  }
}

export interface CollectedKey {
  key: Uint8Array;
  link: string;
  ciphertextHash: Hex;
  plaintextHash: Hex;
  relays: Address[]; // whose shares were combined
}

/**
 * Subscribes to the relays' inboxes, asks them to (re-)deliver and resolves with the rebuilt
 * file key once `threshold` relays sent consistent deliveries. Without `signMessage` it only
 * waits for the automatic delivery (the consumer must have subscribed before the purchase).
 */
export async function collectShares(o: {
  terms: DeliveryTerms;
  consumer: Address;
  relays: readonly RelayEndpoint[];
  secretKey: Uint8Array;
  subscriber: StreamSubscriber;
  signMessage?: (message: string) => Promise<Hex>;
  timeoutMs?: number;
  retryMs?: number;
  onProgress?: (line: string) => void;
  /** Called once the inbox subscriptions are in place (before any re-delivery request). */
  onSubscribed?: () => void;
  fetch?: Fetch;
}): Promise<CollectedKey> {
  const { terms } = o;
  const received = new Map<string, DeliveryPayload>();
  const reasons = new Map<string, string>(o.relays.map((r) => [r.address.toLowerCase(), "no delivery received"]));
  const subs: StreamSubscription[] = [];
  let settle!: { resolve: (k: CollectedKey) => void; reject: (e: Error) => void };
  const done = new Promise<CollectedKey>((resolve, reject) => (settle = { resolve, reject }));
  let finished = false;

  const tryCombine = async () => {
    // Group deliveries by what they say about the file; combine the first group reaching k.
    const groups = new Map<string, DeliveryPayload[]>();
    for (const d of received.values()) {
      const g = `${d.link}|${d.ciphertextHash}|${d.plaintextHash}|${d.threshold}`;
      groups.set(g, [...(groups.get(g) ?? []), d]);
    }
    for (const group of groups.values()) {
      if (group.length < terms.threshold) continue;
      const picked = group.slice(0, terms.threshold);
      const key = await combineShares(picked.map((d) => hexToBytes(d.share)), terms.threshold);
      finished = true;
      settle.resolve({ key, link: picked[0].link, ciphertextHash: picked[0].ciphertextHash, plaintextHash: picked[0].plaintextHash, relays: picked.map((d) => d.relay) });
      return;
    }
    if (received.size >= o.relays.length && groups.size > 1) {
      finished = true;
      settle.reject(new DeliveryError("inconsistent-shares", `the relays disagree about the file (${groups.size} different links or hashes): ask the seller to re-publish`));
    }
  };

  const onMessage = (relay: RelayEndpoint) => (content: unknown, metadata: { publisherId: string }) => {
    if (finished) return;
    try {
      if (metadata.publisherId.toLowerCase() !== relay.address.toLowerCase()) return; // only the relay may publish; ignore anything else
      const msg = parseDeliveryMessage(content);
      if (msg.agreementId !== terms.agreementId.toString()) return; // another agreement of this consumer
      const payload = parseDeliveryPayload(openPayload(msg.envelope, o.secretKey));
      if (payload.agreementId !== msg.agreementId || payload.productId !== terms.productId.toString() || payload.relay.toLowerCase() !== relay.address.toLowerCase()) {
        reasons.set(relay.address.toLowerCase(), "sent a delivery for something else");
        return;
      }
      if (!received.has(relay.address.toLowerCase())) {
        received.set(relay.address.toLowerCase(), payload);
        o.onProgress?.(`  key share from relay ${relay.address} (${Math.min(received.size, terms.threshold)}/${terms.threshold})`);
        void tryCombine().catch((e) => settle.reject(e));
      }
    } catch (err) {
      reasons.set(relay.address.toLowerCase(), `unreadable delivery: ${(err as Error).message}`);
    }
  };

  const timer = setTimeout(() => {
    if (finished) return;
    finished = true;
    const missing = o.relays.filter((r) => !received.has(r.address.toLowerCase())).map((r) => ({ relay: r.address, reason: reasons.get(r.address.toLowerCase())! }));
    settle.reject(new SharesTimeoutError(received.size, terms.threshold, missing));
  }, o.timeoutMs ?? 30_000);

  let retry: ReturnType<typeof setTimeout> | undefined;
  try {
    const results = await Promise.allSettled(o.relays.map((r) => o.subscriber.subscribe(inboxStreamId(r.address, o.consumer), onMessage(r))));
    results.forEach((r, i) => {
      if (r.status === "fulfilled") subs.push(r.value);
      else reasons.set(o.relays[i].address.toLowerCase(), `cannot subscribe to its inbox: ${(r.reason as Error).message}`);
    });
    o.onSubscribed?.();
    if (o.signMessage) {
      const ask = async () => {
        const waiting = o.relays.filter((r) => !received.has(r.address.toLowerCase()));
        await Promise.all(
          waiting.map(async (r) => {
            try {
              await requestRedelivery(r, terms.agreementId, o.signMessage!, o.fetch);
              reasons.set(r.address.toLowerCase(), "accepted the request but its delivery did not arrive");
            } catch (err) {
              const status = (err as { status?: number }).status;
              reasons.set(r.address.toLowerCase(), status ? `refused: ${(err as Error).message}` : `unreachable at ${r.url}: ${(err as Error).message}`);
              if (status === 409) reasons.set(r.address.toLowerCase(), `refused: ${(err as Error).message}`);
            }
          }),
        );
        const refusedInactive = o.relays.filter((r) => /not active/.test(reasons.get(r.address.toLowerCase()) ?? ""));
        if (!finished && refusedInactive.length > o.relays.length - terms.threshold) {
          finished = true;
          settle.reject(new DeliveryError("agreement-not-active", `the relays refuse: ${reasons.get(refusedInactive[0].address.toLowerCase())}`));
          return;
        }
        // Streamr may drop a message published while our subscription was still joining: ask again.
        if (!finished) retry = setTimeout(() => void ask(), o.retryMs ?? 3000);
      };
      void ask();
    }
    return await done;
  } finally {
    finished = true;
    clearTimeout(timer);
    clearTimeout(retry);
    // unsubscribe can wait on pending key requests; never let it hold the caller up
    await Promise.race([Promise.allSettled(subs.map((s) => s.unsubscribe())), new Promise((r) => setTimeout(r, 1000))]);
  }
}

/** The HTTP URL of a link: ipfs://<cid>[/path] through the gateway, https:// as is. */
export function linkUrl(link: string, gatewayUrl: string): string {
  if (link.startsWith("ipfs://")) return `${gatewayUrl.replace(/\/+$/, "")}/ipfs/${link.slice("ipfs://".length)}`;
  if (link.startsWith("https://") || link.startsWith("http://")) return link;
  throw new DeliveryError("download-failed", `unsupported link ${link}`);
}

/** Streams the ciphertext from its link. */
export async function* download(link: string, gatewayUrl: string, f: Fetch = fetch): AsyncGenerator<Uint8Array> {
  const url = linkUrl(link, gatewayUrl);
  let res: Response;
  try {
    res = await f(url);
  } catch (err) {
    throw new DeliveryError("download-failed", `cannot download ${url}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) throw new DeliveryError("download-failed", `cannot download ${url}: HTTP ${res.status}`);
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/**
 * Decrypts a downloaded ciphertext, verifying both content hashes. Plaintext is yielded as it
 * is authenticated chunk by chunk; write it somewhere temporary and keep it only when this
 * generator ends without throwing (node.ts does).
 */
export async function* decryptBatch(
  ciphertext: AsyncIterable<Uint8Array>,
  key: Uint8Array,
  expected: { ciphertextHash: Hex; plaintextHash: Hex },
  createHash: Sha256Factory = nobleSha256,
): AsyncGenerator<Uint8Array> {
  const cipher = hashingTap(ciphertext, createHash);
  const plain = hashingTap(decryptStream(cipher.stream, key), createHash);
  try {
    yield* plain.stream;
  } catch (err) {
    if (err instanceof FileCipherError) throw new DeliveryError("ciphertext-tampered", `the downloaded file was altered or is not the seller's file (${err.message})`);
    throw err;
  }
  if (cipher.result().hash !== expected.ciphertextHash.toLowerCase()) {
    throw new DeliveryError("ciphertext-tampered", "the downloaded file does not match the hash the seller published: it was altered or replaced");
  }
  if (plain.result().hash !== expected.plaintextHash.toLowerCase()) {
    throw new DeliveryError("plaintext-mismatch", "the decrypted file does not match the seller's plaintext hash");
  }
}
