// Every Streamr client configuration of the project comes from here, so that moving from the
// local network (`npm start`) to the real Streamr network is a configuration change.
//
// Local network (the default): the SDK's `dev2` environment (test defaults: no entry-point
// discovery through The Graph, no TLS, no STUN/TURN servers, no metrics) with everything that
// could leave the machine overridden explicitly:
//   - contracts: our chain (chain id, one RPC, quorum 1) and our StreamRegistryV5;
//   - theGraphUrl: loopback (nothing we use queries it; see README);
//   - entryPoints: exactly our entry node (lodash-merged over dev2's single entry point, so one
//     element replaces it entirely);
//   - peerDescriptor: given explicitly for every node. Without it the node asks public CDNs
//     which region it is in.
// Real network: KRAKEN_STREAMR_ENVIRONMENT=polygon (or polygonAmoy, ...) uses the SDK's
// defaults for that environment (its contracts, RPCs, The Graph, entry points, STUN/TURN).
import type { StreamrClientConfig } from "@streamr/sdk";
import { DEFAULT_PORTS, DEFAULT_STREAMR_PERMISSION_CACHE_MS, DEFAULT_STREAMR_THEGRAPH_URL, LOCAL_HOST, readConfig, type Env } from "@kraken/sdk/config";

export const DEFAULT_STREAMR_PORT = DEFAULT_PORTS.streamr;
export const DEFAULT_STREAMR_HOST = LOCAL_HOST;
/** Node id of the local entry point (any fixed 40-hex string; Streamr's own dev env uses e…e). */
export const ENTRY_NODE_ID = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
/** Nothing we run queries The Graph for Streamr; the SDK needs a URL, keep it on loopback. */
export const DEFAULT_THEGRAPH_URL = DEFAULT_STREAMR_THEGRAPH_URL;
/**
 * How long a client caches on-chain answers (stream metadata, "is X a publisher/subscriber").
 * The SDK default is 24 h; a publisher answers key requests from this cache, so after a
 * subscription expires it would keep handing out keys for up to a day. 10 s bounds that.
 */
export const DEFAULT_PERMISSION_CACHE_MS = DEFAULT_STREAMR_PERMISSION_CACHE_MS;

export interface PeerDescriptorJson {
  nodeId: string;
  websocket?: { host: string; port: number; tls: boolean };
}

export interface LocalNetworkSettings {
  rpcUrl: string;
  chainId: number;
  streamRegistry: `0x${string}`;
  entryPoints: PeerDescriptorJson[];
  theGraphUrl?: string;
}

export interface ClientOptions {
  /** Run a websocket server on this port (advertised in the peer descriptor). Without it the
   *  node only dials out: to nodes with a websocket server over websocket, to other
   *  server-less nodes over WebRTC (node-datachannel). Give long-running nodes (relays,
   *  publishers) a port so that no link ever needs WebRTC. */
  port?: number;
  host?: string;
  /** 40-hex node id; random by default. */
  nodeId?: string;
  /** See DEFAULT_PERMISSION_CACHE_MS. */
  permissionCacheMs?: number;
  /** How long a subscriber waits for a group key before giving up on a message (SDK: 30 s). */
  keyRequestTimeoutMs?: number;
  logLevel?: StreamrClientConfig["logLevel"];
  id?: string;
}

/** Settings read from the environment (documented in streamr/README.md; parsed by @kraken/sdk/config). */
export interface StreamrEnv {
  environment: "local" | NonNullable<StreamrClientConfig["environment"]>;
  port: number;
  host: string;
  streamRegistry?: `0x${string}`;
  entryPoints?: PeerDescriptorJson[];
  theGraphUrl: string;
  permissionCacheMs: number;
}

export function streamrEnv(env?: Env): StreamrEnv {
  const cfg = readConfig(env);
  return {
    environment: cfg.KRAKEN_STREAMR_ENVIRONMENT,
    port: cfg.KRAKEN_STREAMR_PORT,
    host: cfg.KRAKEN_STREAMR_HOST,
    streamRegistry: cfg.KRAKEN_STREAMR_REGISTRY,
    entryPoints: cfg.KRAKEN_STREAMR_ENTRY_POINTS as PeerDescriptorJson[] | undefined,
    theGraphUrl: cfg.KRAKEN_STREAMR_THEGRAPH_URL,
    permissionCacheMs: cfg.KRAKEN_STREAMR_PERMISSION_CACHE_MS,
  };
}

export function entryPointDescriptor(host = DEFAULT_STREAMR_HOST, port = DEFAULT_STREAMR_PORT, nodeId = ENTRY_NODE_ID): PeerDescriptorJson {
  return { nodeId, websocket: { host, port, tls: false } };
}

export function randomNodeId(): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString("hex");
}

/** Config for a client of the local network (the entry node uses it too, with its own port and id). */
export function localClientConfig(net: LocalNetworkSettings, privateKey?: string, opts: ClientOptions = {}): StreamrClientConfig {
  if (net.entryPoints.length === 0) throw new Error("localClientConfig: at least one entry point is needed");
  const nodeId = (opts.nodeId ?? randomNodeId()).toLowerCase();
  if (!/^[0-9a-f]{40}$/.test(nodeId)) throw new Error(`nodeId must be 40 hex characters, got ${nodeId}`);
  const host = opts.host ?? DEFAULT_STREAMR_HOST;
  const cacheMs = opts.permissionCacheMs ?? DEFAULT_PERMISSION_CACHE_MS;
  return {
    environment: "dev2",
    ...(opts.id ? { id: opts.id } : {}),
    logLevel: opts.logLevel ?? "warn",
    ...(privateKey ? { auth: { privateKey } } : {}),
    metrics: false,
    network: {
      controlLayer: {
        entryPoints: net.entryPoints,
        entryPointDiscovery: { enabled: false },
        peerDescriptor: opts.port !== undefined
          ? { nodeId, websocket: { host, port: opts.port, tls: false } }
          : { nodeId },
        websocketPortRange: opts.port !== undefined ? { min: opts.port, max: opts.port } : null,
        websocketHost: host,
        websocketServerEnableTls: false,
        iceServers: [],
        webrtcAllowPrivateAddresses: true,
      },
    },
    contracts: {
      ethereumNetwork: { chainId: net.chainId },
      streamRegistryChainAddress: net.streamRegistry,
      rpcs: [{ url: net.rpcUrl }],
      rpcQuorum: 1,
      theGraphUrl: net.theGraphUrl ?? DEFAULT_THEGRAPH_URL,
      pollInterval: 1000,
    },
    encryption: {
      // dev2 would use the SDK's test minimum (640-bit RSA) for key exchange; keep a real size.
      rsaKeyLength: 2048,
      ...(opts.keyRequestTimeoutMs ? { keyRequestTimeout: opts.keyRequestTimeoutMs } : {}),
    },
    cache: { maxAge: cacheMs },
  };
}

/**
 * What a browser client of the local network needs (the dApp's config.json `streamr`): the
 * local settings without a key (the wallet signs) and without a node identity or websocket
 * server (a browser cannot listen: it dials the entry node and the relays over websocket and
 * other browsers over its own WebRTC).
 */
export function browserClientConfig(net: LocalNetworkSettings): StreamrClientConfig {
  const c = localClientConfig(net);
  const { peerDescriptor: _p, websocketPortRange: _r, websocketHost: _h, ...controlLayer } = c.network!.controlLayer!;
  return { ...c, network: { ...c.network, controlLayer } };
}

/**
 * Config for the real Streamr network of `environment` (e.g. "polygon"): the SDK's own
 * defaults (contracts, RPCs, entry points, STUN/TURN, The Graph); only the key and the
 * permission cache are ours.
 */
export function publicClientConfig(environment: NonNullable<StreamrClientConfig["environment"]>, privateKey?: string, opts: Pick<ClientOptions, "permissionCacheMs" | "logLevel"> = {}): StreamrClientConfig {
  return {
    environment,
    logLevel: opts.logLevel ?? "warn",
    ...(privateKey ? { auth: { privateKey } } : {}),
    cache: { maxAge: opts.permissionCacheMs ?? DEFAULT_PERMISSION_CACHE_MS },
  };
}
