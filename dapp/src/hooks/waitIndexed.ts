// Waiting for the indexer after a transaction: polls the subgraph's _meta until it has indexed
// `block`, reporting how many blocks it is behind the chain head meanwhile.
import { getBlockNumber } from "@wagmi/core";
import type { Config } from "wagmi";
import { graphql } from "../lib/subgraph.ts";

export async function waitIndexed(o: {
  subgraphUrl: string;
  wagmi: Config;
  block: bigint;
  onBehind?: (behind: number, indexed: number) => void;
  timeoutMs?: number;
  intervalMs?: number;
}): Promise<number> {
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  for (;;) {
    let indexed = -1;
    try {
      indexed = (await graphql<{ _meta: { block: { number: number } } }>(o.subgraphUrl, "{ _meta { block { number } } }"))._meta.block.number;
    } catch {
      /* indexer unreachable for a moment: keep waiting, the chain is the source of truth */
    }
    if (indexed >= Number(o.block)) return indexed;
    const head = await getBlockNumber(o.wagmi).catch(() => o.block);
    o.onBehind?.(Math.max(1, Number(head) - indexed), indexed);
    if (Date.now() > deadline) throw new Error(`the catalogue has not indexed block ${o.block} after ${Math.round((o.timeoutMs ?? 120_000) / 1000)} s; the purchase is on chain regardless`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 500));
  }
}
