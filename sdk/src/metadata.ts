// Product metadata documents: JSON stored on IPFS and referenced as ipfs://<cid> on chain.
// The CID is CIDv1 with the raw codec and sha256, which is what an IPFS node computes for a
// small file added with `--cid-version 1 --raw-leaves`.
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { parseStreamFilter, type StreamFilterConfig } from "./anonymise/stream-filter.ts";

export interface ProductMetadata {
  schema: "kraken.product/v1";
  title: string;
  summary: string;
  description: string;
  category: string;
  tags: string[];
  coverImage?: string; // ipfs://<cid>
  sampleFields?: string[];
  /** Anonymised stream products: what the publisher removes or coarsens in every message before it
   * leaves the device (sdk/src/anonymise/stream-filter.ts). */
  streamFilter?: StreamFilterConfig;
}

/** The stream filter a metadata document configures, checked (AnonymiseError "bad-option" when it
 * is malformed); undefined when it has none. */
export function streamFilterOf(doc: Pick<ProductMetadata, "streamFilter"> | null | undefined): StreamFilterConfig | undefined {
  const value = (doc as { streamFilter?: unknown } | null | undefined)?.streamFilter;
  return value === undefined || value === null ? undefined : parseStreamFilter(value);
}

export function encodeMetadata(doc: ProductMetadata): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(doc));
}

export async function metadataCid(bytes: Uint8Array): Promise<string> {
  return CID.create(1, raw.code, await sha256.digest(bytes)).toString();
}
