// Authenticated, streamed encryption of batch files: the seller encrypts in their own
// environment (browser or Node) with a fresh random key, in chunks, so a 1 GB file needs only
// one chunk of memory. Each chunk is an XSalsa20-Poly1305 secretbox (tweetnacl) whose nonce
// binds its position and whether it is the last one: reordering, dropping, appending or
// truncating chunks is detected, not only flipped bits.
//
// Format: "KRKN" | version (1 byte) | chunk size (u32 BE) | nonce prefix (16 random bytes),
// then one box per chunk: chunk size + 16 bytes each, the last one shorter (possibly empty).
// The chunk size is between MIN_CHUNK_SIZE and MAX_CHUNK_SIZE; decryption refuses a header
// outside that range before reading further, so a hostile file cannot make the reader buffer
// gigabytes waiting for one "chunk".
import nacl from "tweetnacl";
import { KrakenError } from "../errors.ts";

export const FILE_KEY_BYTES = 32;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 16 * 2 ** 20;
const MAGIC = [0x4b, 0x52, 0x4b, 0x4e]; // "KRKN"
const VERSION = 1;
const HEADER_BYTES = 4 + 1 + 4 + 16;
const TAG_BYTES = nacl.secretbox.overheadLength; // 16

export class FileCipherError extends KrakenError {
  override name = "FileCipherError";

  constructor(message: string, code = "bad-ciphertext") {
    super(code, message);
  }
}

/** A file header names a chunk size outside [MIN_CHUNK_SIZE, MAX_CHUNK_SIZE]. */
export class FileChunkSizeError extends FileCipherError {
  constructor(readonly chunkSize: number) {
    super(`chunk size out of range: ${chunkSize} (allowed ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE} bytes)`);
    this.name = "FileChunkSizeError";
  }
}

const chunkSizeInRange = (n: number) => Number.isInteger(n) && n >= MIN_CHUNK_SIZE && n <= MAX_CHUNK_SIZE;

export function newFileKey(): Uint8Array {
  return nacl.randomBytes(FILE_KEY_BYTES);
}

function nonceFor(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(24);
  nonce.set(prefix, 0);
  const view = new DataView(nonce.buffer);
  view.setUint32(16, Math.floor(index / 2 ** 32) | (last ? 0x80000000 : 0));
  view.setUint32(20, index >>> 0);
  return nonce;
}

/** Regroups a byte stream into pieces of exactly `size` bytes (the last one shorter). */
async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(size);
  let fill = 0;
  for await (const piece of source) {
    let offset = 0;
    while (offset < piece.length) {
      const n = Math.min(size - fill, piece.length - offset);
      buf.set(piece.subarray(offset, offset + n), fill);
      fill += n;
      offset += n;
      if (fill === size) {
        yield buf;
        buf = new Uint8Array(size);
        fill = 0;
      }
    }
  }
  yield buf.subarray(0, fill);
}

/** Encrypts a byte stream; yields the header, then one box per chunk. */
export async function* encryptStream(
  source: AsyncIterable<Uint8Array>,
  key: Uint8Array,
  chunkSize = DEFAULT_CHUNK_SIZE,
): AsyncGenerator<Uint8Array> {
  if (key.length !== FILE_KEY_BYTES) throw new FileCipherError(`a file key has ${FILE_KEY_BYTES} bytes, not ${key.length}`);
  if (!chunkSizeInRange(chunkSize)) throw new FileChunkSizeError(chunkSize);
  const prefix = nacl.randomBytes(16);
  const header = new Uint8Array(HEADER_BYTES);
  header.set(MAGIC, 0);
  header[4] = VERSION;
  new DataView(header.buffer).setUint32(5, chunkSize);
  header.set(prefix, 9);
  yield header;
  // Look one chunk ahead so the last one can be marked as such.
  let index = 0;
  let pending: Uint8Array | undefined;
  for await (const chunk of rechunk(source, chunkSize)) {
    if (pending) yield nacl.secretbox(pending, nonceFor(prefix, index++, false), key);
    pending = chunk.slice(); // rechunk may hand out a view of a reused buffer
  }
  yield nacl.secretbox(pending ?? new Uint8Array(0), nonceFor(prefix, index, true), key);
}

/** Decrypts what `encryptStream` produced; throws FileCipherError on any tampering. */
export async function* decryptStream(source: AsyncIterable<Uint8Array>, key: Uint8Array): AsyncGenerator<Uint8Array> {
  if (key.length !== FILE_KEY_BYTES) throw new FileCipherError(`a file key has ${FILE_KEY_BYTES} bytes, not ${key.length}`);
  const reader = rechunkFromHeader(source);
  const first = await reader.next();
  if (first.done) throw new FileCipherError("empty input: not an encrypted file");
  const { chunkSize, prefix } = first.value as { chunkSize: number; prefix: Uint8Array };
  let index = 0;
  let pending: Uint8Array | undefined;
  for (;;) {
    const next = await reader.next();
    if (pending) {
      const last = next.done === true;
      const plain = nacl.secretbox.open(pending, nonceFor(prefix, index++, last), key);
      if (!plain) throw new FileCipherError(`chunk ${index - 1} failed authentication: the file was altered, truncated or the key is wrong`);
      if (!last && plain.length !== chunkSize) throw new FileCipherError(`chunk ${index - 1} has the wrong size`);
      yield plain;
    }
    if (next.done) break;
    pending = next.value as Uint8Array;
  }
  if (index === 0) throw new FileCipherError("the file has no chunks: it was truncated");
}

/** Parses the header, then yields boxes of `chunkSize + 16` bytes (the last one shorter). */
async function* rechunkFromHeader(source: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const it = source[Symbol.asyncIterator]();
  let carry = new Uint8Array(0);
  const take = async (n: number): Promise<Uint8Array | null> => {
    while (carry.length < n) {
      const r = await it.next();
      if (r.done) return null;
      const merged = new Uint8Array(carry.length + r.value.length);
      merged.set(carry, 0);
      merged.set(r.value, carry.length);
      carry = merged;
    }
    const out = carry.slice(0, n);
    carry = carry.slice(n);
    return out;
  };
  const header = await take(HEADER_BYTES);
  if (!header || MAGIC.some((b, i) => header[i] !== b)) throw new FileCipherError("not an encrypted marketplace file (bad header)");
  if (header[4] !== VERSION) throw new FileCipherError(`unsupported file format version ${header[4]}`);
  const chunkSize = new DataView(header.buffer, header.byteOffset).getUint32(5);
  if (!chunkSizeInRange(chunkSize)) throw new FileChunkSizeError(chunkSize); // before buffering a single box
  yield { chunkSize, prefix: header.slice(9, 25) };
  const box = chunkSize + TAG_BYTES;
  for (;;) {
    const full = await take(box);
    if (full) {
      yield full;
      continue;
    }
    if (carry.length > 0) yield carry; // the shorter last box
    return;
  }
}
