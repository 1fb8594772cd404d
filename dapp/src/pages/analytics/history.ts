// The buyer's own record of their queries, in this browser only: the chain keeps a job's hash,
// never its text, so "My queries" shows the text (and the result, once rebuilt) from here.
import type { Query, QueryResult } from "./sdk.ts";

export interface RememberedQuery {
  jobId: string;
  productId: string;
  query: Query;
  /** unix seconds */
  at: number;
  result?: QueryResult;
}

const key = (chainId: number, account: string) => `kraken.analytics.queries.${chainId}.${account.toLowerCase()}`;
const MAX = 100;

export function rememberedQueries(chainId: number, account: string): RememberedQuery[] {
  try {
    const raw = localStorage.getItem(key(chainId, account));
    const list = raw ? (JSON.parse(raw) as RememberedQuery[]) : [];
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

export function rememberQuery(chainId: number, account: string, q: RememberedQuery): void {
  try {
    const list = rememberedQueries(chainId, account).filter((x) => x.jobId !== q.jobId);
    localStorage.setItem(key(chainId, account), JSON.stringify([q, ...list].slice(0, MAX)));
  } catch {
    /* storage full or disabled: the page still shows the result */
  }
}
