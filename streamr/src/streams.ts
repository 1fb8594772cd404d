// Stream helpers for stream products: the publisher's stream and its group-key rotation.
import type { StreamrClient } from "@streamr/sdk";

/**
 * Creates a stream owned by the client's address (`<address>/<path>`), or returns it when it
 * exists already. No public permission is set, so the stream is end-to-end encrypted: only
 * addresses with SUBSCRIBE on chain get its group keys from the publisher.
 * `id` is a path ("/kraken/products/7") or a full stream id of the client's own namespace.
 */
export async function createProductStream(client: StreamrClient, id: string): Promise<string> {
  const owner = (await client.getUserId()).toLowerCase();
  const streamId = id.startsWith("/") ? `${owner}${id}` : id;
  if (!streamId.toLowerCase().startsWith(`${owner}/`)) {
    throw new Error(`stream ${streamId} is not in the publisher's namespace ${owner}/`);
  }
  const stream = await client.getOrCreateStream({ id: streamId });
  return stream.id;
}

/**
 * Replaces the stream's group key so that subscribers whose permission has ended get nothing
 * new. `rekey` (not `rotate`): every subscriber must fetch the new key from the publisher,
 * which re-checks SUBSCRIBE on chain (through its permission cache, see config.ts); `rotate`
 * would hand the new key to everyone holding the old one.
 */
export async function rekeyStream(client: StreamrClient, streamId: string): Promise<void> {
  await client.updateEncryptionKey({ streamId, distributionMethod: "rekey" });
}
