// The subgraph (catalogue search, agreement history): a graph-node compatible GraphQL endpoint,
// the local indexer of `npm start` by default. Reads only: the chain stays the source of truth.
import { configValue, DEFAULT_URLS } from "@kraken/sdk/config";
import { CliError, EXIT } from "./errors.ts";
import { querySubgraph as sdkQuery, searchText as sdkSearchText, SubgraphError as SdkSubgraphError } from "@kraken/sdk";

export const DEFAULT_SUBGRAPH_URL = DEFAULT_URLS.subgraph;

export const SUBGRAPH_OPTION = { subgraph: { type: "string" } } as const;

export function subgraphUrl(v: { subgraph?: string }): string {
  return v.subgraph ?? configValue("KRAKEN_SUBGRAPH_URL") ?? DEFAULT_SUBGRAPH_URL;
}

/** The subgraph could not answer (unreachable, HTTP error, GraphQL errors): exit "refused". */
export class SubgraphError extends CliError {
  constructor(message: string) {
    super(EXIT.refused, message, "subgraph");
  }
}

/** The SDK's query (sdk/src/subgraph.ts) with failures worded for the command line. */
export async function querySubgraph<T>(url: string, query: string, variables: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
  try {
    return await sdkQuery<T>(url, query, variables, { timeoutMs });
  } catch (err) {
    if (!(err instanceof SdkSubgraphError)) throw err;
    const hint = err.code === "subgraph-unreachable"
      ? "; is `npm start` running? or pass --subgraph <url> / set KRAKEN_SUBGRAPH_URL"
      : err.code === "subgraph-bad-response" ? "; is it a subgraph endpoint (…/subgraphs/name/kraken/marketplace)?" : "";
    throw new SubgraphError(`${err.message}${hint}`);
  }
}

/** Free text → a full-text query (the SDK's `searchText`); text already using tsquery
 * operators is passed through, for users who write their own. */
export function searchText(text: string): string {
  return /[&|!()<>:*]/.test(text) ? text : sdkSearchText(text);
}

export { PRODUCT_FIELDS, type PolicyVersion, type GraphProduct } from "@kraken/sdk";
