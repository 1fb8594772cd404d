// Subgraph queries through react-query. Every query key starts with "graph", so the indexer
// watcher (useIndexerHead) refreshes them all when a new block is indexed.
import { useQuery, type UseQueryOptions } from "@tanstack/react-query";
import { graphql } from "../lib/subgraph.ts";
import { useDapp } from "./dapp.ts";

export function useGraph<T>(
  query: string,
  variables: Record<string, unknown> = {},
  options: Omit<UseQueryOptions<T, Error, T, unknown[]>, "queryKey" | "queryFn"> = {},
) {
  const { config } = useDapp();
  return useQuery({
    queryKey: ["graph", config.subgraphUrl, query, variables],
    queryFn: ({ signal }) => graphql<T>(config.subgraphUrl, query, variables, signal),
    placeholderData: (prev) => prev, // keep the last result on screen while refreshing
    ...options,
  });
}
