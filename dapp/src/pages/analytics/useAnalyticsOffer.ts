// What an analytics product offers right now (the SDK's readAnalyticsOffer): its committed
// dataset, the public manifest it names (fetched through the configured IPFS gateway only and
// checked against the hash on chain: schema, allowed queries, privacy rules, nodes) and the
// privacy budget left. Refreshed with the subgraph queries whenever the indexer moves (the
// budget shrinks as others query). null: the seller has not committed a dataset yet.
import { useQuery } from "@tanstack/react-query";
import { usePublicClient } from "wagmi";
import { readAnalyticsOffer, type AnalyticsOffer } from "@kraken/sdk/analytics";
import { useDapp } from "../../hooks/dapp.ts";
import { deploymentOf } from "../../lib/deployment.ts";
import { gatewayUrl } from "../../lib/ipfs.ts";

export function useAnalyticsOffer(productId: string) {
  const { config } = useDapp();
  const client = usePublicClient();
  return useQuery<AnalyticsOffer | null>({
    queryKey: ["graph", "chain:analyticsOffer", config.contracts.Analytics, productId],
    enabled: !!client && !!config.contracts.Analytics,
    placeholderData: (prev) => prev,
    retry: 1,
    queryFn: async ({ signal }) => {
      try {
        return await readAnalyticsOffer(client!, deploymentOf(config), BigInt(productId), (uri) => fetchJson(config.ipfsGatewayUrl, uri, signal));
      } catch (err) {
        if ((err as { name?: string; code?: string }).name === "QueryJobError" && (err as { code?: string }).code === "no-dataset") return null;
        throw err;
      }
    },
  });
}

// Manifests are content-addressed (ipfs://<cid>): fetched once per page load, not at every block.
const manifests = new Map<string, unknown>();

async function fetchJson(gateway: string, uri: string, signal?: AbortSignal): Promise<unknown> {
  if (manifests.has(uri)) return manifests.get(uri);
  const url = gatewayUrl(gateway, uri);
  if (!url) throw new Error(`the dataset's manifest (${uri}) is not on IPFS`);
  const res = await fetch(url, { signal }).catch(() => {
    throw new Error("the dataset's manifest cannot be loaded from IPFS");
  });
  if (!res.ok) throw new Error(`the dataset's manifest is not available on IPFS (HTTP ${res.status})`);
  const json: unknown = await res.json();
  if (uri.startsWith("ipfs://")) manifests.set(uri, json);
  return json;
}
