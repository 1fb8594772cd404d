// The browser side of a query that needs the heavy parts (lazy-loaded with @streamr/sdk): the
// consumer's X25519 key derived from a wallet signature (as for batch deliveries), a Streamr
// client listening on the nodes' inboxes before anything is paid, the query text handed to the
// nodes, and the result rebuilt here from their sealed shares — the SDK's buyer flow
// (@kraken/sdk/analytics: submitQuery, startResultCollector).
import type { Address, EIP1193Provider, Hex, PublicClient } from "viem";
import { analyticsAbi, deriveEncryptionKeyPair, encryptionKeyStatus, RefusalReasonNames, type EncryptionKeyTypedData } from "@kraken/sdk";
import { nodeEndpointsFor, startResultCollector, submitQuery, type AnalyticsOffer, type Query, type QueryResult, type ResultCollector } from "@kraken/sdk/analytics";
import type { DappConfig } from "../../config.ts";
import { deploymentOf } from "../../lib/deployment.ts";
import { loadStreamr, streamrOptions } from "../../lib/streamr.ts";
import type { QueryOutcome } from "./useRunQuery.ts";

export interface QuerySession {
  /** Subscribes to the nodes' inboxes (before paying: Streamr keeps no history). */
  listen(onProgress: (line: string) => void): Promise<void>;
  collect(o: { jobId: bigint; query: Query; onProgress: (line: string) => void }): Promise<QueryResult>;
  close(): Promise<void>;
}

export class KeyNotUsableError extends Error {
  override name = "KeyNotUsableError";
}

export async function openSession(o: {
  config: DappConfig;
  offer: AnalyticsOffer;
  consumer: Address;
  publicClient: PublicClient;
  provider: EIP1193Provider;
  signTypedData: (typedData: EncryptionKeyTypedData) => Promise<Hex>;
}): Promise<QuerySession> {
  const deployment = deploymentOf(o.config);
  const keys = await deriveEncryptionKeyPair({ address: o.consumer, chainId: deployment.chainId, signTypedData: o.signTypedData });
  const { status } = await encryptionKeyStatus({ publicClient: o.publicClient, credentials: deployment.contracts.Credentials.address, address: o.consumer, publicKey: keys.publicKey });
  if (status === "outdated") throw new KeyNotUsableError("Your registered encryption key is from an older version of the marketplace, so results sealed to it could not be opened here. Update it from a batch purchase's Download on your dashboard (one transaction), then run the query.");
  if (status === "none") throw new KeyNotUsableError("No encryption key is registered for your address: register first.");
  const { StreamrClient } = await loadStreamr(); // heavy: loaded on first use
  const client = new StreamrClient(streamrOptions(o.config.streamr as object, o.provider));
  let collector: ResultCollector | undefined;
  return {
    async listen(onProgress) {
      onProgress(`subscribing to ${o.offer.nodes.length} nodes' inboxes…`);
      collector = await startResultCollector({ consumer: o.consumer, nodes: o.offer.nodes, secretKey: keys.secretKey, subscriber: client, publicClient: o.publicClient, deployment });
    },
    collect: (c) => collector!.collect({ jobId: c.jobId, query: c.query, offer: o.offer, onProgress: c.onProgress }),
    async close() {
      await collector?.stop().catch(() => {});
      await client.destroy().catch(() => {});
      keys.secretKey.fill(0);
    },
  };
}

/** Posts the query text to the product's nodes; its hash is what the payment names. */
export async function submitToNodes(o: { config: DappConfig; offer: AnalyticsOffer; query: Query }): Promise<Hex> {
  const endpoints = nodeEndpointsFor(o.config.smpcNodes ?? [], o.offer.nodes);
  return submitQuery(endpoints, o.offer.productId, o.query, o.offer.threshold);
}

/** The reasons the nodes recorded on chain for refusing a job (RefusalReason names). */
async function refusalReasons(publicClient: PublicClient, analytics: Address, jobId: bigint, nodes: readonly Address[]): Promise<string[]> {
  const out: string[] = [];
  for (const node of nodes) {
    const [refused, reason] = await publicClient.readContract({ address: analytics, abi: analyticsAbi, functionName: "refusalOf", args: [jobId, node] });
    if (refused) out.push(RefusalReasonNames[reason] ?? String(reason));
  }
  return out;
}

/** A refusal, refund or timeout of the SDK's collector, as the way the run ended; undefined for other errors. */
export async function outcomeOf(err: unknown, o: { publicClient: PublicClient; analytics: Address; jobId?: bigint; amount?: bigint; nodes: readonly Address[] }): Promise<QueryOutcome | undefined> {
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name !== "QueryJobError") return undefined;
  if (e.code === "refused" && o.jobId !== undefined) {
    const reasons = await refusalReasons(o.publicClient, o.analytics, o.jobId, o.nodes).catch(() => []);
    return { kind: "refused", reasons, refunded: true };
  }
  if (e.code === "refunded") return { kind: "refunded", amount: o.amount ?? 0n };
  if (e.code === "timeout") return { kind: "timeout", message: "The computation nodes did not deliver a result in time." };
  return undefined;
}
