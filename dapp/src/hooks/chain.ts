// Chain reads the pages share. The chain is the authority for anything a decision depends on
// (eligibility, balances, credential status); the subgraph is for lists and history.
import { useQuery } from "@tanstack/react-query";
import { agreementsAbi, credentialsAbi, dataTokenAbi } from "@kraken/sdk";
import type { Address } from "viem";
import { usePublicClient, useReadContract } from "wagmi";
import { useDapp } from "./dapp.ts";

/** Credentials.statusOf(address): [status, category, organisationType, country]. */
export function useCredentialStatus(address: Address | undefined) {
  const { config } = useDapp();
  return useReadContract({
    address: config.contracts.Credentials,
    abi: credentialsAbi,
    functionName: "statusOf",
    args: address ? [address] : undefined,
    query: { enabled: !!address },
  });
}

export function useDataBalance(address: Address | undefined) {
  const { config } = useDapp();
  return useReadContract({
    address: config.contracts.DataToken,
    abi: dataTokenAbi,
    functionName: "balanceOf",
    args: address ? [address] : undefined,
    query: { enabled: !!address },
  });
}

/** Agreements.eligibilityMany for a list of products: Map<productId, verdict>. */
export function useEligibilityMany(productIds: bigint[], consumer: Address | undefined, purpose: number, enabled = true) {
  const { config } = useDapp();
  const client = usePublicClient();
  return useQuery({
    queryKey: ["chain", "eligibilityMany", config.contracts.Agreements, consumer, purpose, productIds.map(String)],
    enabled: enabled && !!consumer && !!client && productIds.length > 0,
    queryFn: async () => {
      const verdicts = await client!.readContract({
        address: config.contracts.Agreements,
        abi: agreementsAbi,
        functionName: "eligibilityMany",
        args: [productIds, consumer!, purpose],
      });
      return new Map(productIds.map((id, i) => [String(id), Number(verdicts[i])]));
    },
  });
}
