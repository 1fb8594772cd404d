// The indexer as its own process: `node --import tsx indexer/src/main.ts` with its options
// (IndexerOptions without `log`) as JSON in KRAKEN_SERVICE_CONFIG, e.g.
//   {"rpcUrl":"http://127.0.0.1:8545","manifestFile":"subgraph/build/subgraph.yaml","dataDir":".data/indexer","port":8000}
import { runService, serviceOptions } from "@kraken/sdk/ops";
import { startIndexer, type IndexerOptions } from "./indexer.ts";

const o = serviceOptions<IndexerOptions>("indexer", "KRAKEN_SERVICE_CONFIG", "rpcUrl, manifestFile, dataDir, port; docs/operations.md");
await runService("indexer", async (log) => {
  const indexer = await startIndexer({ ...o, log });
  return { stop: indexer.stop, info: { url: indexer.url } };
});
