// The subgraph client: graph-node compatible GraphQL (the local indexer of `npm start`, or a
// graph-node). Reads only; the chain stays the source of truth. Entity and field names: docs/subgraph.md.
import { KrakenError } from "@kraken/sdk";

export class SubgraphError extends KrakenError {
  override name = "SubgraphError";

  constructor(message: string) {
    super("subgraph-unavailable", message);
  }
}

export async function graphql<T>(url: string, query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new SubgraphError(`The catalogue (subgraph at ${url}) cannot be reached. Is the indexer running?`);
  }
  let body: { data?: T; errors?: { message: string }[] };
  try {
    body = await res.json();
  } catch {
    throw new SubgraphError(`The catalogue (subgraph at ${url}) answered HTTP ${res.status} without JSON.`);
  }
  if (body.errors?.length) throw new SubgraphError(`The catalogue refused the query: ${body.errors.map((e) => e.message).join("; ")}`);
  if (!res.ok || !body.data) throw new SubgraphError(`The catalogue answered HTTP ${res.status}.`);
  return body.data;
}

/** Free text → a tsquery the indexer/graph-node accepts: words ANDed, each a prefix ("diab" finds diabetes). */
export function searchText(text: string): string {
  const words = text.match(/[\p{L}\p{N}_]+/gu) ?? [];
  return words.map((w) => `${w}:*`).join(" & ");
}

/** The product fields list pages and the product page read. */
export const PRODUCT_FIELDS = `id productId title summary category tags productType modality price pricingUnit active
  metadataURI deliveryAgents threshold createdAt updatedAt salesCount revenue requiresApproval
  purposes consumerCategories organisationTypes jurisdictions
  seller { id }
  policy { version purposes consumerCategories organisationTypes jurisdictions requiresApproval retentionDays createdAt }`;

export interface GraphPolicy {
  version: number;
  purposes: string[];
  consumerCategories: string[];
  organisationTypes: string[];
  jurisdictions: string[];
  requiresApproval: boolean;
  retentionDays: number;
  createdAt: string;
}

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
  seller: { id: string };
  policy: GraphPolicy | null;
}

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
