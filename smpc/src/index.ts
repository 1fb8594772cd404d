// @kraken/smpc: the SMPC computation nodes of analytics products (docs/analytics.md).
export { startSmpcNode, createLogger, levelFromEnv, SmpcConfigError, DEFAULT_NODE_LIMITS, type SmpcNodeOptions, type RunningSmpcNode, type SmpcNodeLimits, type Logger, type LogLevel } from "./node.ts";
export { startSmpcNodes, devSmpcKeys, smpcHttpPort, smpcStreamrPort, smpcDirectoryFile, type SmpcNodesOptions, type RunningSmpcNodes } from "./nodes.ts";
export { PeerNetwork, PeerError, PeerTimeoutError, sealPeerMessage, openPeerMessage, encodeValue, decodeValue, DEFAULT_PEER_LIMITS, type PeerChannel, type PeerEndpoint, type PeerLimits } from "./peers.ts";
export { NodeStore, type NodeState, type CommitRecord, type JobRecord, type BundleMeta } from "./node-store.ts";
export { DEFAULT_HTTP_LIMITS, RateLimiter, type HttpLimits } from "./node-http.ts";
export { ShareTable } from "./share-table.ts";
export * from "./demo-dataset.ts";
export { seedDemoAnalytics, DEMO_ANALYTICS_PRODUCT, DEMO_QUERY } from "./smpc-demo.ts";
