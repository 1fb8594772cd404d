// The subgraph (catalogue search, agreement history): a graph-node compatible GraphQL endpoint,
// the local indexer of `npm start` by default. Reads only: the chain stays the source of truth.
import { configValue, DEFAULT_URLS } from "@kraken/sdk/config";
import { CliError, EXIT } from "./errors.ts";
import type { PolicyView } from "./format.ts";

export const DEFAULT_SUBGRAPH_URL = DEFAULT_URLS.subgraph;

export const SUBGRAPH_OPTION = { subgraph: { type: "string" } } as const;

export function subgraphUrl(v: { subgraph?: string }): string {
  return v.subgraph ?? configValue("KRAKEN_SUBGRAPH_URL") ?? DEFAULT_SUBGRAPH_URL;
}

/** The subgraph could not answer (unreachable, HTTP error, GraphQL errors). */
export class SubgraphError extends CliError {
  constructor(message: string) {
    super(EXIT.refused, message, "subgraph");
  }
}

export async function querySubgraph<T>(url: string, query: string, variables: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new SubgraphError(`cannot reach the subgraph at ${url} (${(err as Error).cause ? ((err as Error).cause as Error).message : (err as Error).message}); is \`npm start\` running? or pass --subgraph <url> / set KRAKEN_SUBGRAPH_URL`);
  }
  let body: { data?: T; errors?: { message: string }[] };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new SubgraphError(`the subgraph at ${url} answered HTTP ${res.status} without JSON; is it a subgraph endpoint (…/subgraphs/name/kraken/marketplace)?`);
  }
  if (body.errors?.length) throw new SubgraphError(`the subgraph at ${url} refused the query: ${body.errors.map((e) => e.message).join("; ")}`);
  if (!res.ok || !body.data) throw new SubgraphError(`the subgraph at ${url} answered HTTP ${res.status}`);
  return body.data;
}

/** Free text → a tsquery graph-node accepts: words ANDed, each as a prefix ("diab" finds
 * diabetes). Text already using tsquery operators is passed through. */
export function searchText(text: string): string {
  if (/[&|!()<>:*]/.test(text)) return text;
  const words = text.match(/[\p{L}\p{N}_]+/gu) ?? [];
  return words.map((w) => `${w}:*`).join(" & ");
}

/** The product fields every command reads. */
export const PRODUCT_FIELDS = `id productId title summary category tags productType modality price pricingUnit active
  metadataURI deliveryAgents threshold createdAt updatedAt salesCount revenue requiresApproval
  seller { id }
  policy { version purposes consumerCategories organisationTypes jurisdictions requiresApproval retentionDays createdAt }`;

export interface GraphProduct {
  id: string;
  productId: string;
  title: string;
  summary: string;
  category: string;
  tags: string[];
  productType: string;
  modality: string;
  price: string;
  pricingUnit: string;
  active: boolean;
  metadataURI: string;
  deliveryAgents: string[];
  threshold: number;
  createdAt: string;
  updatedAt: string;
  salesCount: number;
  revenue: string;
  requiresApproval: boolean;
  seller: { id: string };
  policy: (PolicyView & { createdAt: string }) | null;
}
