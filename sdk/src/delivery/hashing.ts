// Incremental SHA-256 over streams (content hashes of batch files). The default is the pure-JS
// @noble/hashes (viem's own dependency, so it runs in the browser); Node code passes a faster
// factory backed by node:crypto (see node.ts).
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, type Hex } from "viem";

export interface Sha256 {
  update(bytes: Uint8Array): void;
  digest(): Uint8Array;
}
export type Sha256Factory = () => Sha256;

export const nobleSha256: Sha256Factory = () => sha256.create();

/** Passes a stream through while hashing it and counting its bytes; `result()` after the end. */
export function hashingTap(source: AsyncIterable<Uint8Array>, createHash: Sha256Factory = nobleSha256) {
  const h = createHash();
  let bytes = 0;
  let done = false;
  let hash: Hex | undefined;
  async function* tap(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      h.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
    done = true;
    hash = bytesToHex(h.digest());
  }
  return {
    stream: tap(),
    result(): { hash: Hex; bytes: number } {
      if (!done || !hash) throw new Error("the stream has not been read to its end");
      return { hash, bytes };
    },
  };
}
