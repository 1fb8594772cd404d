// The subgraph as every client reads it: one GraphQL call (graph-node compatible: the local
// indexer of `npm start`, or a graph-node), the field lists and row types of products and
// agreements. Reads only; the chain stays the source of truth. The CLI and the dApp word the
// failures their own way (a flag to pass, a page notice). Entity and field names: docs/subgraph.md.
import { KrakenError } from "./errors.ts";
import type { PolicyVersion } from "./policy.ts";

export type SubgraphErrorCode = "subgraph-unreachable" | "subgraph-bad-response" | "subgraph-refused";

/** The subgraph could not answer: unreachable, not JSON, HTTP error, or GraphQL errors. */
export class SubgraphError extends KrakenError<SubgraphErrorCode> {
  override name = "SubgraphError";

  constructor(
    code: SubgraphErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(code, message);
  }
}

/** POSTs `query` to the subgraph at `url`; resolves with `data`. An abort is rethrown as is. */
export async function querySubgraph<T>(url: string, query: string, variables: Record<string, unknown> = {}, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query, variables }),
      signal: o.signal ?? (o.timeoutMs ? AbortSignal.timeout(o.timeoutMs) : undefined),
    });
  } catch (err) {
    if ((err as Error).name === "AbortError" && o.signal?.aborted) throw err;
    const cause = (err as Error).cause ? ((err as Error).cause as Error).message : (err as Error).message;
    throw new SubgraphError("subgraph-unreachable", `cannot reach the subgraph at ${url} (${cause})`);
  }
  let body: { data?: T; errors?: { message: string }[] };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new SubgraphError("subgraph-bad-response", `the subgraph at ${url} answered HTTP ${res.status} without JSON`, res.status);
  }
  if (body.errors?.length) throw new SubgraphError("subgraph-refused", `the subgraph at ${url} refused the query: ${body.errors.map((e) => e.message).join("; ")}`, res.status);
  if (!res.ok || !body.data) throw new SubgraphError("subgraph-bad-response", `the subgraph at ${url} answered HTTP ${res.status}`, res.status);
  return body.data;
}

/** Free text → a full-text query the indexer and graph-node accept: words ANDed, each as a
 * prefix ("diab" finds diabetes). */
export function searchText(text: string): string {
  const words = text.match(/[\p{L}\p{N}_]+/gu) ?? [];
  return words.map((w) => `${w}:*`).join(" & ");
}

/** The product fields list pages, the product page and the CLI read. */
export const PRODUCT_FIELDS = `id productId title summary category tags productType modality price pricingUnit active
  metadataURI deliveryAgents threshold createdAt updatedAt salesCount revenue requiresApproval
  purposes consumerCategories organisationTypes jurisdictions
  anonymisationK anonymisationL anonymisationReportHash anonymisationReportURI anonymisedAt
  seller { id }
  policy { version purposes consumerCategories organisationTypes jurisdictions requiresApproval retentionDays createdAt }`;

export interface GraphProduct {
  id: string;
  productId: string;
  title: string;
  summary: string;
  category: string;
  tags: string[];
  productType: "STREAM" | "BATCH" | "DATA_UNION" | "ANALYTICS";
  modality: "ANONYMISED" | "ENCRYPTED" | "SMPC";
  price: string;
  pricingUnit: "ONE_TIME" | "HOUR" | "DAY" | "WEEK" | "MONTH";
  active: boolean;
  metadataURI: string;
  deliveryAgents: string[];
  threshold: number;
  createdAt: string;
  updatedAt: string;
  salesCount: number;
  revenue: string;
  requiresApproval: boolean;
  purposes: string[];
  consumerCategories: string[];
  organisationTypes: string[];
  jurisdictions: string[];
  /** the anonymisation report bound on chain (anonymised batch products; null until reported):
   * the k and ℓ it states, its SHA-256 (0x…), where it lives, when it was last reported (unix s) */
  anonymisationK: number | null;
  anonymisationL: number | null;
  anonymisationReportHash: string | null;
  anonymisationReportURI: string | null;
  anonymisedAt: string | null;
  seller: { id: string };
  policy: PolicyVersion | null;
}

/** The agreement fields the dashboards and `kraken agreements` read. */
export const AGREEMENT_FIELDS = `id agreementId purpose status amountPaid refunded startsAt endsAt renewals createdAt updatedAt
  consumer { id } seller { id }
  policyVersion { version }
  product { id productId title productType pricingUnit price metadataURI deliveryAgents threshold policy { version } }
  deliveries { id agent envelopeHash timestamp }`;

export interface GraphAgreement {
  id: string;
  agreementId: string;
  purpose: string;
  status: "PENDING" | "ACTIVE" | "REJECTED" | "CANCELLED" | "TERMINATED";
  amountPaid: string;
  refunded: string;
  startsAt: string;
  endsAt: string;
  renewals: number;
  createdAt: string;
  updatedAt: string;
  consumer: { id: string };
  seller: { id: string };
  policyVersion: { version: number };
  product: Pick<GraphProduct, "id" | "productId" | "title" | "productType" | "pricingUnit" | "price" | "metadataURI" | "deliveryAgents" | "threshold"> & { policy: { version: number } | null };
  deliveries: { id: string; agent: string; envelopeHash: string; timestamp: string }[];
}
