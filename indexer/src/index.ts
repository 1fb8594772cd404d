// @kraken/indexer: the local subgraph runtime of `npm start`. See README.md.
export { startIndexer, type IndexerOptions, type IndexerStatus, type RunningIndexer } from "./indexer.ts";
export { loadBuiltSubgraph } from "./manifest.ts";
