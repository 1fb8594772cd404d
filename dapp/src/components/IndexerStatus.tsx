// "Catalogue up to date" or "N blocks behind": the subgraph's _meta against the chain head.
// Also the one place that refreshes every subgraph query when a new block is indexed.
import { useIndexerHead, useRefreshOnIndexedBlock } from "../hooks/indexer.ts";

export function IndexerStatus() {
  const head = useIndexerHead();
  useRefreshOnIndexedBlock(head.indexed);
  let text: string;
  let tone = "ok";
  if (head.error) {
    text = "Catalogue offline";
    tone = "bad";
  } else if (head.hasIndexingErrors) {
    text = "Catalogue stopped (indexing error)";
    tone = "bad";
  } else if (head.behind === undefined) {
    text = "Connecting…";
    tone = "wait";
  } else if (head.behind === 0) {
    text = `Catalogue up to date (block ${head.indexed})`;
  } else {
    text = `Catalogue ${head.behind} block${head.behind === 1 ? "" : "s"} behind`;
    tone = "wait";
  }
  return (
    <span className={`indexer-status ${tone}`} role="status" aria-live="polite" title={head.error?.message}>
      {text}
    </span>
  );
}
