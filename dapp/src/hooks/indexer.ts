// How far the indexer is behind the chain. The chain head comes from the RPC (wagmi), the
// indexed head from the subgraph's `_meta`. When the indexed head moves, every subgraph query
// is refreshed, so dashboards update without reload (MKT-FUN-19/20).
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useBlockNumber } from "wagmi";
import { graphql } from "../lib/subgraph.ts";
import { useDapp } from "./dapp.ts";

const META = `{ _meta { block { number } hasIndexingErrors } }`;
export const INDEXER_POLL_MS = 1500;

export interface IndexerHead {
  /** latest block the subgraph has indexed (undefined until known) */
  indexed?: number;
  /** latest block of the chain */
  chain?: number;
  /** chain − indexed, never negative */
  behind?: number;
  hasIndexingErrors: boolean;
  error?: Error | null;
}

export function useIndexerHead(): IndexerHead {
  const { config } = useDapp();
  const meta = useQuery({
    queryKey: ["meta", config.subgraphUrl],
    queryFn: ({ signal }) => graphql<{ _meta: { block: { number: number }; hasIndexingErrors: boolean } }>(config.subgraphUrl, META, {}, signal),
    refetchInterval: INDEXER_POLL_MS,
    retry: false,
  });
  const chain = useBlockNumber({ watch: true, query: { refetchInterval: INDEXER_POLL_MS } });
  const indexed = meta.data?._meta.block.number;
  const head = chain.data === undefined ? undefined : Number(chain.data);
  return {
    indexed,
    chain: head,
    behind: indexed !== undefined && head !== undefined ? Math.max(0, head - indexed) : undefined,
    hasIndexingErrors: meta.data?._meta.hasIndexingErrors ?? false,
    error: meta.error,
  };
}

/** Mount once: refreshes all "graph" queries whenever the indexed block moves. */
export function useRefreshOnIndexedBlock(indexed: number | undefined): void {
  const qc = useQueryClient();
  useEffect(() => {
    if (indexed !== undefined) void qc.invalidateQueries({ queryKey: ["graph"] });
  }, [indexed, qc]);
}
