// A batch dataset leaves the seller's browser only encrypted: the delivery SDK's encryptBatch
// (fresh file key, streamed authenticated encryption, sha-256 of both sides), then the
// ciphertext goes to IPFS. The key stays in memory until it is split and sealed to the relays.
import { encryptBatch, type BatchHashes } from "@kraken/sdk";
import { addToIpfs } from "./ipfsUpload.ts";
import { chunksOf } from "../../lib/files.ts";

export interface BatchProgress {
  phase: "encrypting" | "uploading" | "done";
  /** 0–1 over the whole preparation (encryption ≈ 30 %, upload ≈ 70 %). */
  fraction: number;
}

export interface PreparedDataset {
  /** ipfs://<cid> of the ciphertext */
  link: string;
  hashes: BatchHashes;
  /** the file key: only in memory, only until the shares are sealed */
  key: Uint8Array;
}

async function* counted(source: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  let n = 0;
  for await (const c of source) {
    n += c.length;
    onBytes(n);
    yield c;
  }
}

export async function prepareDataset(o: {
  file: File;
  ipfsApiUrl: string;
  onProgress: (p: BatchProgress) => void;
  signal?: AbortSignal;
}): Promise<PreparedDataset> {
  const total = Math.max(1, o.file.size);
  const batch = encryptBatch(counted(chunksOf(o.file), (n) => o.onProgress({ phase: "encrypting", fraction: 0.3 * (n / total) })));
  const parts: Uint8Array[] = [];
  for await (const box of batch.ciphertext) {
    if (o.signal?.aborted) throw new DOMException("cancelled", "AbortError");
    parts.push(box);
  }
  const hashes = batch.hashes();
  const blob = new Blob(parts as BlobPart[], { type: "application/octet-stream" });
  const added = await addToIpfs(o.ipfsApiUrl, blob, `${o.file.name}.krkn`, {
    signal: o.signal,
    onProgress: (sent, all) => o.onProgress({ phase: "uploading", fraction: 0.3 + 0.7 * (sent / Math.max(1, all)) }),
  });
  o.onProgress({ phase: "done", fraction: 1 });
  return { link: added.uri, hashes, key: batch.key };
}
