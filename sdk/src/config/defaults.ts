// The default local ports and URLs of `npm start`, written out once. Browser-safe (plain
// constants, no process.env): the SDK's own defaults (LOCAL_RPC_URL, LOCAL_FAUCET_URL, the relay
// ports) and the dApp use them through "@kraken/sdk"; the Node-only configuration module
// ("@kraken/sdk/config", ./index.ts) declares the environment variables that override them.

/** Every service of the local stack listens on loopback. */
export const LOCAL_HOST: string = "127.0.0.1";

export const DEFAULT_PORTS: Readonly<Record<"chain" | "issuer" | "faucet" | "indexer" | "ipfsApi" | "ipfsGateway" | "dapp" | "streamr" | "relayBase" | "smpcBase" | "publisher" | "unionDevices", number>> = Object.freeze({
  /** Local chain JSON-RPC (HTTP and WebSocket), as Hardhat/Anvil. */
  chain: 8545,
  /** Demo credential issuer. */
  issuer: 8787,
  /** Demo DATA faucet (local chain only). */
  faucet: 8788,
  /** Local indexer's GraphQL, as graph-node. */
  indexer: 8000,
  /** Embedded IPFS node: Kubo RPC API. */
  ipfsApi: 5001,
  /** Embedded IPFS node: HTTP gateway. */
  ipfsGateway: 8080,
  /** dApp web server. */
  dapp: 5173,
  /** Streamr entry node websocket; relay i uses streamr + i, the demo publisher streamr + 10,
   *  the demo data union's member devices streamr + 11, + 12, …, SMPC node i streamr + 20 + i */
  streamr: 40500,
  /** Relay i (1-based) serves HTTP on relayBase + i: 8791, 8792, 8793. */
  relayBase: 8790,
  /** SMPC computation node i (1-based) serves HTTP on smpcBase + i: 8796, 8797, 8798. */
  smpcBase: 8795,
  /** The demo publisher's /health, /ready and /metrics (it has no other HTTP API). */
  publisher: 8789,
  /** The demo data union devices' /health, /ready and /metrics. */
  unionDevices: 8799,
});

/** Number of demo relays `npm start` runs (2-of-3 key shares). */
export const DEMO_RELAY_COUNT: number = 3;
/** Offset of the demo publisher's Streamr port from the entry node's. */
export const PUBLISHER_STREAMR_OFFSET: number = 10;
/** Offset of the first demo data union device's Streamr port from the entry node's. */
export const UNION_DEVICES_STREAMR_OFFSET: number = 11;

/** Number of demo SMPC nodes `npm start` runs (analytics products, 2-of-3 Shamir shares). */
export const DEMO_SMPC_COUNT: number = 3;
/** Offset of the SMPC nodes' Streamr ports from the entry node's: node i (1-based) uses streamr + offset + i. */
export const SMPC_STREAMR_OFFSET: number = 20;

/** `http://127.0.0.1:<port>` */
export const localUrl = (port: number, scheme = "http") => `${scheme}://${LOCAL_HOST}:${port}`;

/** Path of the marketplace subgraph on an indexer or graph-node. */
export const SUBGRAPH_PATH = "/subgraphs/name/kraken/marketplace";

export const DEFAULT_URLS: Readonly<Record<"rpc" | "issuer" | "faucet" | "subgraph" | "ipfsApi" | "ipfsGateway" | "dapp", string>> = Object.freeze({
  rpc: localUrl(DEFAULT_PORTS.chain),
  issuer: localUrl(DEFAULT_PORTS.issuer),
  faucet: localUrl(DEFAULT_PORTS.faucet),
  subgraph: `${localUrl(DEFAULT_PORTS.indexer)}${SUBGRAPH_PATH}`,
  ipfsApi: localUrl(DEFAULT_PORTS.ipfsApi),
  ipfsGateway: localUrl(DEFAULT_PORTS.ipfsGateway),
  dapp: localUrl(DEFAULT_PORTS.dapp),
});
