// A batch dataset leaves the seller's browser only encrypted: a fresh file key, streamed
// authenticated encryption (sdk/src/delivery/file-cipher), upload of the ciphertext to IPFS,
// and k-of-n shares of the key for the product's delivery agents (relays).
import { encryptStream, newFileKey, splitKey } from "@kraken/sdk";
import { addToIpfs, type AddResult } from "./ipfsUpload.ts";

export interface BatchProgress {
  phase: "encrypting" | "uploading" | "done";
  /** 0–1 over the whole preparation (encryption ≈ 30 %, upload ≈ 70 %). */
  fraction: number;
}

export interface PreparedDataset {
  ciphertext: AddResult;
  /** Plaintext size, shown on the review page. */
  bytes: number;
  /** One share per agent, in the order of `agents`; any `threshold` rebuild the file key. */
  shares: Uint8Array[];
}

/** Reads a File as chunks (ReadableStream is not async-iterable in every browser). */
async function* chunksOf(file: Blob): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

async function* counted(source: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  let n = 0;
  for await (const c of source) {
    n += c.length;
    onBytes(n);
    yield c;
  }
}

export async function prepareDataset(
  o: { file: File; ipfsApiUrl: string; agents: number; threshold: number; onProgress: (p: BatchProgress) => void; signal?: AbortSignal },
): Promise<PreparedDataset> {
  const key = newFileKey();
  const parts: Uint8Array[] = [];
  const total = Math.max(1, o.file.size);
  for await (const box of encryptStream(counted(chunksOf(o.file), (n) => o.onProgress({ phase: "encrypting", fraction: 0.3 * (n / total) })), key)) {
    if (o.signal?.aborted) throw new DOMException("cancelled", "AbortError");
    parts.push(box);
  }
  const blob = new Blob(parts as BlobPart[], { type: "application/octet-stream" });
  const ciphertext = await addToIpfs(o.ipfsApiUrl, blob, `${o.file.name}.krkn`, {
    signal: o.signal,
    onProgress: (sent, all) => o.onProgress({ phase: "uploading", fraction: 0.3 + 0.7 * (sent / Math.max(1, all)) }),
  });
  const shares = await splitKey(key, o.agents, o.threshold);
  key.fill(0); // the shares are all that is kept of the key
  o.onProgress({ phase: "done", fraction: 1 });
  return { ciphertext, bytes: o.file.size, shares };
}
