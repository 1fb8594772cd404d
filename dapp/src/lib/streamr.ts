// The Streamr SDK, loaded only when a page needs it (it is large), and the client options for
// this marketplace's Streamr network (config.json `streamr`, see streamr/src/config.ts).
import type { StreamrClientConfig } from "@streamr/sdk";
import type { EIP1193Provider } from "viem";

export async function loadStreamr(): Promise<typeof import("@streamr/sdk")> {
  // Some of the SDK's dependencies still read Node's `global`; browsers only have `globalThis`.
  (globalThis as { global?: unknown }).global ??= globalThis;
  return import("@streamr/sdk");
}

/**
 * Client options: the configured network, the wallet as the signer, and a fresh node id for
 * this page. Without a peer descriptor the node would ask public CDNs which region it is in.
 */
export function streamrOptions(streamr: object | undefined, provider: EIP1193Provider): StreamrClientConfig {
  const base = (streamr ?? {}) as { network?: { controlLayer?: Record<string, unknown> } };
  const nodeId = Array.from(crypto.getRandomValues(new Uint8Array(20)), (b) => b.toString(16).padStart(2, "0")).join("");
  const controlLayer = { ...base.network?.controlLayer };
  controlLayer.peerDescriptor ??= { nodeId };
  return { ...base, network: { ...base.network, controlLayer }, auth: { ethereum: provider } };
}
