// The subgraph client of the dApp: the SDK's query, fields and row types (sdk/src/subgraph.ts),
// with failures worded for a page notice.
import { querySubgraph, SubgraphError } from "@kraken/sdk";

export { AGREEMENT_FIELDS, PRODUCT_FIELDS, searchText, SubgraphError, type GraphAgreement, type PolicyVersion, type GraphProduct } from "@kraken/sdk";

const WORDS: Record<string, (url: string, detail: string) => string> = {
  "subgraph-unreachable": (url) => `The catalogue (subgraph at ${url}) cannot be reached. Is the indexer running?`,
  "subgraph-bad-response": (url, detail) => `The catalogue (subgraph at ${url}) did not answer properly (${detail}).`,
  "subgraph-refused": (_url, detail) => `The catalogue refused the query (${detail}).`,
};

export async function graphql<T>(url: string, query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<T> {
  try {
    return await querySubgraph<T>(url, query, variables, { signal });
  } catch (err) {
    if (err instanceof SubgraphError) throw new SubgraphError(err.code, WORDS[err.code]!(url, err.message), err.status);
    throw err;
  }
}
