// The seller's side of sharing a dataset, pure (no network): CSV → encoded rows → Shamir shares
// of every value → one bundle per node → each bundle encrypted with the file cipher under a
// fresh key → ciphertext chunks handed to `onChunk` (e.g. an upload), with the SHA-256 of each
// ciphertext (the bundle hash) and the file keys at the end (docs/analytics.md, "Bundle").
//
// Memory is bounded: the CSV is read in pieces, rows are encoded and shared a batch at a time
// into typed arrays (four 32-bit limbs per element, no bigint per value), and each node's
// stream is a small bounded queue in front of encryptStream; `onChunk` is awaited, so a slow
// upload slows the reading down instead of filling memory.
//
// The bundle header names the row count, so it is known before the first byte: pass `rows`, or
// pass `csv` as a function that opens the CSV anew and a first pass counts and checks the rows
// (then a bad value fails before anything is handed out).
import type { Address, Hex } from "viem";
import { bytesToHex, getAddress } from "viem";
import { DEFAULT_CHUNK_SIZE, encryptStream, newFileKey } from "../delivery/file-cipher.ts";
import { nobleSha256, type Sha256Factory } from "../delivery/hashing.ts";
import { BundleWriter, encodeBundleHeader, type BundleHeader } from "./bundle.ts";
import { readCsv, type CsvSource } from "./csv.ts";
import { RowEncoder, type EncodedRow } from "./encode.ts";
import { BundleError, DatasetError, SchemaError } from "./errors.ts";
import { addWordsMod, ELEMENT_BYTES, fromSigned, LITTLE_ENDIAN, RandomWords } from "./field.ts";
import { checkHeadroom, schemaHash, type Schema } from "./schema.ts";

export const SHARE_NODES = 3;
/** Bytes queued per node before the reader waits for the upload. */
const QUEUE_BYTES = 4 * 2 ** 20;

export interface ShareProgress {
  /** data rows read so far */
  rows: number;
  /** the first pass (counting and checking) or the sharing pass */
  phase: "check" | "share";
}

export interface ShareDatasetOptions {
  /** The CSV (bytes or text), or a function opening it anew (needed when `rows` is not given). */
  csv: CsvSource | (() => CsvSource);
  schema: Schema;
  productId: bigint | string;
  /** The product's three computation agents, in order (node i gets the shares at x = i + 1). */
  nodes: readonly Address[];
  /** The number of data rows, when known (else a first pass counts them). */
  rows?: number;
  /** Receives each node's ciphertext, in order, header first; awaited. */
  onChunk: (index: number, chunk: Uint8Array) => void | Promise<void>;
  onProgress?: (p: ShareProgress) => void;
  /** SHA-256 implementation (default pure JS; Node callers may pass a node:crypto one). */
  createHash?: Sha256Factory;
  /** File cipher chunk size (default 64 KiB). */
  chunkSize?: number;
  /** The nodes' file keys (default fresh ones): given when they must be sealed before the first byte, e.g. in a signed upload request. */
  fileKeys?: readonly Uint8Array[];
}

/** One node's encrypted bundle. */
export interface SharedBundle {
  index: number;
  node: Address;
  header: BundleHeader;
  /** The file key to seal to the node (sealEnvelope). */
  fileKey: Uint8Array;
  /** SHA-256 of the ciphertext, 0x… */
  bundleHash: Hex;
  /** Bytes of ciphertext. */
  size: number;
}

export interface ShareDatasetResult {
  rows: number;
  /** encoded columns per row */
  columns: number;
  schemaHash: Hex;
  /** CSV columns the schema does not name (ignored) */
  extraColumns: string[];
  bundles: SharedBundle[];
}

/** Ciphertext bytes of a file of `plainBytes` encrypted with encryptStream. */
export const encryptedSize = (plainBytes: number, chunkSize = DEFAULT_CHUNK_SIZE): number => 25 + plainBytes + 16 * (Math.floor(plainBytes / chunkSize) + 1);

/** Ciphertext bytes of a bundle (what an upload request announces). */
export const bundleCiphertextSize = (header: BundleHeader, chunkSize = DEFAULT_CHUNK_SIZE): number =>
  encryptedSize(encodeBundleHeader(header).length + header.rows * header.columns * ELEMENT_BYTES, chunkSize);

/** How the CSV header maps to the schema: CSV index of each schema column, and the columns left over. */
export function mapHeader(schema: Schema, header: readonly string[]): { positions: number[]; extraColumns: string[]; fields: number } {
  const names = header.map((h) => h.trim());
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new DatasetError("duplicate-column", `the CSV header names "${n.slice(0, 64)}" twice`, 0, n);
    seen.add(n);
  }
  const positions = schema.columns.map((c) => {
    const i = names.indexOf(c.name);
    if (i < 0) throw new DatasetError("missing-column", `the CSV has no column "${c.name}" (its header: ${names.slice(0, 40).join(", ").slice(0, 400)})`, 0, c.name);
    return i;
  });
  const wanted = new Set(schema.columns.map((c) => c.name));
  return { positions, extraColumns: names.filter((n) => !wanted.has(n)), fields: names.length };
}

/** Encoded rows of a CSV, a batch at a time (the header checked first). */
async function* encodedBatches(csv: CsvSource, schema: Schema, encoder: RowEncoder, onHeader: (extra: string[]) => void): AsyncGenerator<{ first: number; rows: EncodedRow[] }> {
  let map: ReturnType<typeof mapHeader> | undefined;
  const fields: (string | undefined)[] = new Array(schema.columns.length);
  for await (const batch of readCsv(csv)) {
    let recs = batch.records;
    let n = batch.first;
    if (!map) {
      map = mapHeader(schema, recs[0]);
      onHeader(map.extraColumns);
      recs = recs.slice(1);
      n += 1;
    }
    const rows: EncodedRow[] = [];
    for (const rec of recs) {
      if (rec.length !== map.fields) throw new DatasetError("wrong-field-count", `row ${n}: ${rec.length} fields, the header has ${map.fields}`, n);
      for (let i = 0; i < fields.length; i++) fields[i] = rec[map.positions[i]];
      rows.push(encoder.encodeInto(fields, n, new Array(encoder.width)));
      n++;
    }
    if (rows.length) yield { first: n - rows.length, rows };
  }
  if (!map) throw new DatasetError("empty", "the CSV is empty (no header)", 0);
}

/** Reads and checks a whole CSV against the schema without sharing it: rows, extra columns. */
export async function checkDataset(csv: CsvSource, schema: Schema, onProgress?: (p: ShareProgress) => void): Promise<{ rows: number; extraColumns: string[] }> {
  const encoder = new RowEncoder(schema);
  let rows = 0;
  let extraColumns: string[] = [];
  for await (const b of encodedBatches(csv, schema, encoder, (x) => (extraColumns = x))) {
    rows += b.rows.length;
    onProgress?.({ rows, phase: "check" });
  }
  if (rows === 0) throw new DatasetError("empty", "the CSV has a header but no rows");
  headroom(schema, rows);
  return { rows, extraColumns };
}

function headroom(schema: Schema, rows: number) {
  try {
    checkHeadroom(schema, rows);
  } catch (err) {
    if (err instanceof SchemaError) throw new DatasetError("no-headroom", err.message);
    throw err;
  }
}

/** A bounded single-producer single-consumer queue of byte chunks. */
class Pipe implements AsyncIterable<Uint8Array> {
  private queue: Uint8Array[] = [];
  private bytes = 0;
  private ended = false;
  private error: unknown;
  private wakeReader?: () => void;
  private wakeWriter?: () => void;

  constructor(private readonly limit: number) {}

  private static wake(f?: () => void) {
    f?.();
  }

  async push(chunk: Uint8Array): Promise<void> {
    if (this.error) throw this.error;
    this.queue.push(chunk);
    this.bytes += chunk.length;
    const r = this.wakeReader;
    this.wakeReader = undefined;
    Pipe.wake(r);
    while (this.bytes > this.limit && !this.error) await new Promise<void>((res) => (this.wakeWriter = res));
    if (this.error) throw this.error;
  }

  end(): void {
    this.ended = true;
    const r = this.wakeReader;
    this.wakeReader = undefined;
    Pipe.wake(r);
  }

  fail(err: unknown): void {
    if (this.error) return;
    this.error = err;
    const r = this.wakeReader;
    const w = this.wakeWriter;
    this.wakeReader = this.wakeWriter = undefined;
    Pipe.wake(r);
    Pipe.wake(w);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.error) throw this.error;
      const c = this.queue.shift();
      if (c) {
        this.bytes -= c.length;
        if (this.bytes <= this.limit) {
          const w = this.wakeWriter;
          this.wakeWriter = undefined;
          Pipe.wake(w);
        }
        yield c;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((res) => (this.wakeReader = res));
    }
  }
}

/** Writes the element of a signed integer as 4 limbs. */
function signedToLimbs(v: number | bigint, dst: Uint32Array, d: number): void {
  if (typeof v === "number" && Number.isSafeInteger(v)) {
    const u = v < 0 ? -v : v;
    const lo = u >>> 0;
    const hi = (u / 4294967296) >>> 0;
    if (v >= 0) {
      dst[d] = lo;
      dst[d + 1] = hi;
      dst[d + 2] = 0;
      dst[d + 3] = 0;
    } else {
      dst[d] = ~lo >>> 0; // p − u for u < 2^64: the low limbs of p are all ones
      dst[d + 1] = ~hi >>> 0;
      dst[d + 2] = 0xffffffff;
      dst[d + 3] = 0x7fffffff;
    }
    return;
  }
  const e = fromSigned(v);
  dst[d] = Number(e & 0xffffffffn);
  dst[d + 1] = Number((e >> 32n) & 0xffffffffn);
  dst[d + 2] = Number((e >> 64n) & 0xffffffffn);
  dst[d + 3] = Number(e >> 96n);
}

const swap32 = (bytes: Uint8Array) => {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < bytes.length; i += 4) v.setUint32(i, v.getUint32(i, false), true);
};

/**
 * Shamir-shares encoded rows: returns one row-major byte array per node (16-byte LE elements),
 * node i holding f(i + 1) = v + a·(i + 1) of every value v with a fresh random a.
 */
export function shareRows(rows: readonly EncodedRow[], width: number, pool = new RandomWords()): Uint8Array[] {
  const n = rows.length * width;
  const outs = [0, 1, 2].map(() => new Uint32Array(n * 4));
  const s = new Uint32Array(4);
  const [o1, o2, o3] = outs;
  let d = 0;
  for (const row of rows) {
    for (let j = 0; j < width; j++, d += 4) {
      signedToLimbs(row[j], s, 0);
      const r = pool.next();
      const w = pool.buf;
      const a0 = w[r], a1 = w[r + 1], a2 = w[r + 2], a3 = w[r + 3];
      addWordsMod(s, 0, a0, a1, a2, a3, o1, d);
      addWordsMod(o1, d, a0, a1, a2, a3, o2, d);
      addWordsMod(o2, d, a0, a1, a2, a3, o3, d);
    }
  }
  return outs.map((o) => {
    const bytes = new Uint8Array(o.buffer);
    if (!LITTLE_ENDIAN) swap32(bytes);
    return bytes;
  });
}

/** Shares a CSV dataset into three encrypted bundles (see the top of this file). */
export async function shareDataset(o: ShareDatasetOptions): Promise<ShareDatasetResult> {
  if (o.nodes.length !== SHARE_NODES) throw new DatasetError("bad-csv", `a dataset is shared to ${SHARE_NODES} nodes, not ${o.nodes.length}`);
  const nodes = o.nodes.map((n) => getAddress(n));
  const open = (): CsvSource => (typeof o.csv === "function" ? o.csv() : o.csv);
  let rows = o.rows;
  if (rows === undefined) {
    if (typeof o.csv !== "function") throw new DatasetError("row-count", "pass `rows`, or `csv` as a function that opens the CSV again (a first pass counts the rows)");
    rows = (await checkDataset(open(), o.schema, o.onProgress)).rows;
  }
  if (!Number.isSafeInteger(rows) || rows < 1) throw new DatasetError("empty", `a dataset has at least one row, not ${rows}`);
  headroom(o.schema, rows);

  const encoder = new RowEncoder(o.schema);
  const hash = schemaHash(o.schema);
  const productId = String(o.productId);
  const writers = nodes.map((node, index) => new BundleWriter({ v: 1, productId, node, index, rows: rows!, columns: encoder.width, schemaHash: hash }));
  const keys = o.fileKeys ? [...o.fileKeys] : nodes.map(() => newFileKey());
  const pipes = nodes.map(() => new Pipe(QUEUE_BYTES));
  const createHash = o.createHash ?? nobleSha256;
  let extraColumns: string[] = [];
  const failAll = (err: unknown) => {
    for (const p of pipes) p.fail(err);
    throw err;
  };

  async function produce(): Promise<number> {
    for (let i = 0; i < SHARE_NODES; i++) await pipes[i].push(writers[i].start());
    const pool = new RandomWords();
    let done = 0;
    for await (const b of encodedBatches(open(), o.schema, encoder, (x) => (extraColumns = x))) {
      if (done + b.rows.length > rows!) throw new DatasetError("row-count", `the CSV has more than the ${rows} rows announced`, rows! + 1);
      const parts = shareRows(b.rows, encoder.width, pool);
      parts.forEach((p, i) => writers[i].writeElements(p));
      await Promise.all(parts.map((p, i) => pipes[i].push(p)));
      done += b.rows.length;
      o.onProgress?.({ rows: done, phase: "share" });
    }
    try {
      for (const w of writers) w.finish();
    } catch (err) {
      if (err instanceof BundleError) throw new DatasetError("row-count", `the CSV has ${done} rows, ${rows} were announced`);
      throw err;
    }
    for (const p of pipes) p.end();
    return done;
  }

  async function consume(i: number): Promise<{ bundleHash: Hex; size: number }> {
    const h = createHash();
    let size = 0;
    for await (const c of encryptStream(pipes[i], keys[i], o.chunkSize ?? DEFAULT_CHUNK_SIZE)) {
      h.update(c);
      size += c.length;
      await o.onChunk(i, c);
    }
    return { bundleHash: bytesToHex(h.digest()), size };
  }

  const [, ...outs] = await Promise.all([produce().catch(failAll), ...nodes.map((_, i) => consume(i).catch(failAll))]);
  return {
    rows,
    columns: encoder.width,
    schemaHash: hash,
    extraColumns,
    bundles: outs.map((r, index) => ({ index, node: nodes[index], header: writers[index].header, fileKey: keys[index], bundleHash: r.bundleHash, size: r.size })),
  };
}
