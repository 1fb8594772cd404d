// The buyer's flow for an analytics product, browser and Node: read the offer (on-chain dataset
// commitment + the manifest it names, checked against its hash), post the query text to the
// nodes, listen on the nodes' inboxes *before* paying (Streamr keeps no history), pay
// (actions/analytics.ts requestQuery), then collect the sealed result shares and reconstruct.
// The chain is watched at the same time, so a refusal or a refund ends the wait with its reason.
import { hexToBytes, type Address, type Hex, type PublicClient } from "viem";
import { openEnvelope } from "../delivery/envelope.ts";
import { inboxStreamId } from "../delivery/protocol.ts";
import type { StreamSubscriber, StreamSubscription } from "../delivery/transport.ts";
import type { Deployment } from "../deployments.ts";
import { KrakenError } from "../errors.ts";
import { analyticsAbi, catalogueAbi } from "../generated/abis.ts";
import { JobStatus, RefusalReason, RefusalReasonNames } from "../generated/enums.ts";
import { ManifestError } from "./errors.ts";
import { manifestHash, parseManifest, type AnalyticsManifest } from "./manifest.ts";
import { createNodeClient, type NodeClientOptions } from "./node-client.ts";
import { planQuery } from "./plan.ts";
import { NodeApiError, parseAnalyticsResultMessage, type SmpcNodeEndpoint } from "./protocol.ts";
import { validateQuery, type Query } from "./query.ts";
import { combineResults, parseResultPayload, type QueryResult, type ResultPayload } from "./result.ts";

/** Why waiting for a result ended without one. */
export type QueryJobErrorCode = "refused" | "refunded" | "timeout" | "not-your-job" | "no-dataset" | "inconsistent";

export class QueryJobError extends KrakenError<QueryJobErrorCode> {
  override name = "QueryJobError";

  constructor(code: QueryJobErrorCode, message: string, readonly reasons: string[] = []) {
    super(code, message);
  }
}

/** What a buyer sees before paying for a query. */
export interface AnalyticsOffer {
  productId: bigint;
  manifest: AnalyticsManifest;
  manifestURI: string;
  manifestHash: Hex;
  datasetVersion: number;
  rows: number;
  minCohort: number;
  /** ε per query and what is left of the dataset's budget (plain numbers, not thousandths) */
  epsilonPerQuery: number;
  epsilonLeft: number;
  jobTimeout: number;
  nodes: Address[];
  threshold: number;
  price: bigint;
}

const analyticsAddress = (deployment: Deployment): Address => {
  const a = deployment.contracts.Analytics?.address;
  if (!a) throw new QueryJobError("no-dataset", "this deployment has no Analytics contract: analytics products cannot be queried here");
  return a;
};

/**
 * Reads an analytics product's dataset commitment and fetches its manifest (`fetchJson` resolves
 * an ipfs:// or https:// URI), refusing a manifest whose hash is not the committed one.
 */
export async function readAnalyticsOffer(
  publicClient: Pick<PublicClient, "readContract">,
  deployment: Deployment,
  productId: bigint,
  fetchJson: (uri: string) => Promise<unknown>,
): Promise<AnalyticsOffer> {
  const analytics = analyticsAddress(deployment);
  const [d, product] = await Promise.all([
    publicClient.readContract({ address: analytics, abi: analyticsAbi, functionName: "datasetOf", args: [productId] }),
    publicClient.readContract({ address: deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [productId] }),
  ]);
  if (d.version === 0) throw new QueryJobError("no-dataset", `product ${productId} has no dataset yet: its seller has not shared one with the computation nodes`);
  const manifest = parseManifest(await fetchJson(d.manifestURI));
  if (manifestHash(manifest) !== d.manifestHash.toLowerCase()) {
    throw new ManifestError("bad-manifest", `the manifest at ${d.manifestURI} is not the one committed on chain (hash differs): refusing to use it`);
  }
  return {
    productId,
    manifest,
    manifestURI: d.manifestURI,
    manifestHash: d.manifestHash,
    datasetVersion: d.version,
    rows: d.rows,
    minCohort: d.minCohort,
    epsilonPerQuery: d.epsilonPerQuery / 1000,
    epsilonLeft: Math.max(0, d.epsilonBudget - d.epsilonSpent) / 1000,
    jobTimeout: d.jobTimeout,
    nodes: [...product.deliveryAgents],
    threshold: product.threshold,
    price: product.price,
  };
}

/** The endpoints of `nodes` in the directory (deployments/<network>.smpc.json), in agent order. */
export function nodeEndpointsFor(directory: readonly SmpcNodeEndpoint[], nodes: readonly Address[]): SmpcNodeEndpoint[] {
  const by = new Map(directory.map((n) => [n.address.toLowerCase(), n]));
  const missing = nodes.filter((n) => !by.has(n.toLowerCase()));
  if (missing.length) throw new QueryJobError("no-dataset", `no HTTP endpoint configured for computation node${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (deployments/<network>.smpc.json or KRAKEN_SMPC_NODES)`);
  return nodes.map((n) => by.get(n.toLowerCase())!);
}

/**
 * Posts the query to every node (each keeps it until a job names its hash). Succeeds when at
 * least `threshold` nodes took it; a node's refusal of the query itself (QueryError codes) is
 * thrown as is, since every node would refuse it.
 */
export async function submitQuery(nodes: readonly SmpcNodeEndpoint[], productId: bigint, query: Query, threshold: number, o: NodeClientOptions = {}): Promise<Hex> {
  const outcomes = await Promise.allSettled(nodes.map((n) => createNodeClient(n.url, o).submitQuery(productId, query)));
  const accepted = outcomes.flatMap((x) => (x.status === "fulfilled" ? [x.value] : []));
  const refusals = outcomes.filter((x): x is PromiseRejectedResult => x.status === "rejected").map((x) => x.reason as Error);
  const invalid = refusals.find((e) => e instanceof NodeApiError && e.status === 400);
  if (invalid) throw invalid;
  if (accepted.length < threshold) throw refusals[0] ?? new QueryJobError("timeout", "the computation nodes did not take the query");
  return accepted[0].queryHash;
}

/** Listens on the nodes' inboxes; start it before paying, then `collect` a job's result. */
export interface ResultCollector {
  collect(o: CollectOptions): Promise<QueryResult>;
  stop(): Promise<void>;
}

export interface CollectOptions {
  jobId: bigint;
  query: Query;
  offer: AnalyticsOffer;
  /** how long to wait for the shares (default: until the job's deadline) */
  timeoutMs?: number;
  onProgress?: (line: string) => void;
}

export async function startResultCollector(o: {
  consumer: Address;
  nodes: readonly Address[];
  /** the buyer's X25519 secret key (the one registered in Credentials) */
  secretKey: Uint8Array;
  subscriber: StreamSubscriber;
  publicClient: Pick<PublicClient, "readContract">;
  deployment: Deployment;
  pollMs?: number;
}): Promise<ResultCollector> {
  const analytics = analyticsAddress(o.deployment);
  const payloads = new Map<string, Map<number, ResultPayload>>(); // jobId → node index → payload
  const bad = new Map<string, string[]>(); // jobId → why envelopes were dropped
  let wake = () => {};
  let arrivals = 0; // messages received so far: a message arriving while `collect` reads the chain must not be slept through
  const subs: StreamSubscription[] = [];
  const onMessage = (node: Address) => (content: unknown) => {
    try {
      const m = parseAnalyticsResultMessage(content);
      const payload = parseResultPayload(JSON.parse(new TextDecoder().decode(openEnvelope(hexToBytes(m.envelope), o.secretKey))));
      if (payload.jobId !== m.jobId || payload.node.toLowerCase() !== node.toLowerCase()) throw new Error("the envelope names another job or node");
      const byNode = payloads.get(m.jobId) ?? new Map<number, ResultPayload>();
      byNode.set(payload.index, payload);
      payloads.set(m.jobId, byNode);
    } catch (err) {
      const jobId = (content as { jobId?: unknown })?.jobId;
      if (typeof jobId === "string") bad.set(jobId, [...(bad.get(jobId) ?? []), `${node}: ${(err as Error).message}`]);
    }
    arrivals++;
    wake();
  };
  try {
    for (const node of o.nodes) subs.push(await o.subscriber.subscribe(inboxStreamId(node, o.consumer), onMessage(node)));
  } catch (err) {
    await Promise.all(subs.map((s) => s.unsubscribe()));
    throw err;
  }

  return {
    async collect(c: CollectOptions): Promise<QueryResult> {
      const id = c.jobId.toString();
      const plan = planQuery(validateQuery(c.query, c.offer.manifest), c.offer.manifest.schema);
      const job = await o.publicClient.readContract({ address: analytics, abi: analyticsAbi, functionName: "getJob", args: [c.jobId] });
      if (job.consumer.toLowerCase() !== o.consumer.toLowerCase()) throw new QueryJobError("not-your-job", `query job ${id} belongs to ${job.consumer}`);
      const until = Date.now() + (c.timeoutMs ?? Math.max(5_000, job.deadline * 1000 - Date.now()));
      let announced = 0;
      for (;;) {
        const seen = arrivals;
        const got = [...(payloads.get(id)?.values() ?? [])];
        if (got.length !== announced) {
          announced = got.length;
          c.onProgress?.(`${got.length} of ${c.offer.nodes.length} result shares received`);
        }
        // All nodes that computed the job delivered: combine (three shares are cross-checked).
        const participants = got[0]?.participants.length ?? Infinity;
        if (got.length >= c.offer.threshold && got.length >= participants) return combineResults(plan, got);
        const now = await o.publicClient.readContract({ address: analytics, abi: analyticsAbi, functionName: "getJob", args: [c.jobId] });
        if (now.status === JobStatus.Refused || now.status === JobStatus.Refunded) {
          const reasons = await refusalsOf(o.publicClient, analytics, c.jobId, c.offer.nodes);
          const why = reasons.length ? reasons.join("; ") : "no node answered before the deadline";
          throw new QueryJobError(now.status === JobStatus.Refused ? "refused" : "refunded", `query job ${id} was ${now.status === JobStatus.Refused ? "refused" : "refunded"}: ${why}`, reasons);
        }
        if (Date.now() > until) {
          if (got.length >= c.offer.threshold) return combineResults(plan, got); // a node computed but did not deliver: two shares, not cross-checked
          const dropped = bad.get(id);
          throw new QueryJobError("timeout", `no result for query job ${id} in time (${got.length} share${got.length === 1 ? "" : "s"} received${dropped ? `; dropped: ${dropped.join("; ")}` : ""}); after its deadline the payment can be refunded`);
        }
        if (arrivals !== seen) continue; // something arrived during the chain read: look at it now
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, o.pollMs ?? 500);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    },
    async stop() {
      await Promise.all(subs.map((s) => Promise.resolve(s.unsubscribe()).catch(() => {})));
    },
  };
}

/** The refusals recorded for a job, worded ("0x… refused: the cohort differs from an earlier query by fewer than k rows"). */
export async function refusalsOf(publicClient: Pick<PublicClient, "readContract">, analytics: Address, jobId: bigint, nodes: readonly Address[]): Promise<string[]> {
  const out: string[] = [];
  for (const node of nodes) {
    const [refused, reason] = await publicClient.readContract({ address: analytics, abi: analyticsAbi, functionName: "refusalOf", args: [jobId, node] });
    if (refused) out.push(`${node} refused: ${REFUSAL_WORDS[reason as RefusalReason] ?? RefusalReasonNames[reason]}`);
  }
  return out;
}

/** What each refusal means, for people. */
export const REFUSAL_WORDS: Record<RefusalReason, string> = {
  [RefusalReason.QueryMalformed]: "the query could not be read",
  [RefusalReason.QueryNotAllowed]: "the seller does not allow this query (columns or operations outside the product's rules)",
  [RefusalReason.Differencing]: "its cohort differs from one of your earlier queries by fewer than the minimum cohort size, which could single people out",
  [RefusalReason.NotEligible]: "you are not eligible under the product's consent policy (or your credential is no longer valid)",
  [RefusalReason.DatasetMismatch]: "the node does not hold the dataset version the job names",
  [RefusalReason.ComputeFailed]: "the computation failed (a node was missing for a query that needs all three)",
};

/** Largest manifest read (bytes): a schema of 32 columns with 64 values each fits many times. */
export const MAX_MANIFEST_BYTES = 256 * 1024;

/** A `fetchJson` for readAnalyticsOffer: ipfs://<cid> through an IPFS gateway, https:// directly. */
export function gatewayFetchJson(gatewayUrl: string, f: typeof fetch = (...a) => globalThis.fetch(...a)): (uri: string) => Promise<unknown> {
  return async (uri) => {
    const m = /^ipfs:\/\/([A-Za-z0-9]+)(\/\S*)?$/.exec(uri);
    const url = m ? `${gatewayUrl.replace(/\/+$/, "")}/ipfs/${m[1]}${m[2] ?? ""}` : /^https:\/\/\S+$/.test(uri) ? uri : undefined;
    if (!url) throw new ManifestError("bad-manifest", `the manifest URI ${uri.slice(0, 100)} is neither ipfs:// nor https://`);
    let res: Response;
    try {
      res = await f(url, { signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      throw new ManifestError("bad-manifest", `cannot fetch the manifest ${uri}: ${(err as Error).message}`);
    }
    if (!res.ok) throw new ManifestError("bad-manifest", `cannot fetch the manifest ${uri}: HTTP ${res.status}`);
    const text = await res.text();
    if (text.length > MAX_MANIFEST_BYTES) throw new ManifestError("bad-manifest", `the manifest ${uri} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    try {
      return JSON.parse(text);
    } catch {
      throw new ManifestError("bad-manifest", `the manifest ${uri} is not JSON`);
    }
  };
}
