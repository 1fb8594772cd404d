// The bundle: one node's shares of a dataset, binary, produced and read as a stream
// (docs/analytics.md, "Bundle"):
//   "KRAB" | version u8 = 1 | header length u32 BE | header JSON (UTF-8, canonical) |
//   rows × columns × 16-byte little-endian field elements, row-major.
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { canonicalJson } from "./canonical.ts";
import { BundleError } from "./errors.ts";
import { decodeElement, ELEMENT_BYTES, encodeElement } from "./field.ts";

export const BUNDLE_MAGIC = [0x4b, 0x52, 0x41, 0x42]; // "KRAB"
export const BUNDLE_VERSION = 1;
export const MAX_BUNDLE_HEADER_BYTES = 4096;
export const MAX_BUNDLE_COLUMNS = 1 << 16;
const PREFIX_BYTES = 4 + 1 + 4;

export interface BundleHeader {
  v: 1;
  productId: string; // decimal
  node: Address; // the node it is for
  index: number; // the node's index among the product's agents (shares at x = index + 1)
  rows: number;
  columns: number; // encoded columns
  schemaHash: Hex;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const bad = (message: string, code: "bad-bundle" | "truncated" | "trailing-bytes" | "bad-element" | "row-count" = "bad-bundle"): never => {
  throw new BundleError(code, message);
};

export function parseBundleHeader(json: unknown): BundleHeader {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return bad("the bundle header is not an object");
  const c = json as Record<string, unknown>;
  for (const k of Object.keys(c)) if (!["v", "productId", "node", "index", "rows", "columns", "schemaHash"].includes(k)) bad(`the bundle header has an unknown field "${k.slice(0, 40)}"`);
  const int = (x: unknown, what: string, min: number, max: number) => (Number.isSafeInteger(x) && (x as number) >= min && (x as number) <= max ? (x as number) : bad(`bundle header: ${what} must be an integer from ${min} to ${max}`));
  if (c.v !== BUNDLE_VERSION) bad(`unsupported bundle header version ${String(c.v).slice(0, 20)}`);
  return {
    v: 1,
    productId: typeof c.productId === "string" && /^[1-9][0-9]{0,30}$/.test(c.productId) ? c.productId : bad("bundle header: productId is not an id"),
    node: typeof c.node === "string" && isAddress(c.node, { strict: false }) ? getAddress(c.node) : bad("bundle header: node is not an address"),
    index: int(c.index, "index", 0, 2),
    rows: int(c.rows, "rows", 1, 2 ** 40),
    columns: int(c.columns, "columns", 1, MAX_BUNDLE_COLUMNS),
    schemaHash: typeof c.schemaHash === "string" && /^0x[0-9a-fA-F]{64}$/.test(c.schemaHash) ? (c.schemaHash.toLowerCase() as Hex) : bad("bundle header: schemaHash is not a 32-byte hex hash"),
  };
}

/** The header bytes: magic, version, length, canonical JSON. */
export function encodeBundleHeader(header: BundleHeader): Uint8Array {
  const h = parseBundleHeader(header);
  const json = encoder.encode(canonicalJson(h));
  if (json.length > MAX_BUNDLE_HEADER_BYTES) bad("the bundle header is too long");
  const out = new Uint8Array(PREFIX_BYTES + json.length);
  out.set(BUNDLE_MAGIC, 0);
  out[4] = BUNDLE_VERSION;
  new DataView(out.buffer).setUint32(5, json.length);
  out.set(json, PREFIX_BYTES);
  return out;
}

/** Plaintext size of a bundle: header + rows · columns · 16. */
export const bundleSize = (header: BundleHeader): number => encodeBundleHeader(header).length + header.rows * header.columns * ELEMENT_BYTES;

/** Checks that `data` holds elements below p (16 bytes each, little-endian); throws BundleError. */
export function checkElements(data: Uint8Array): void {
  for (let off = 15; off < data.length; off += 16) {
    const top = data[off];
    if (top < 0x7f) continue;
    if (top > 0x7f) bad("a bundle element is not below p", "bad-element");
    let all = true;
    for (let k = off - 15; k < off; k++) if (data[k] !== 0xff) all = false;
    if (all) bad("a bundle element is not below p", "bad-element");
  }
}

/** Writes a bundle as chunks: `start()` (the header) first, then rows; `finish()` checks the row count. */
export class BundleWriter {
  readonly header: BundleHeader;
  private written = 0;
  private started = false;

  constructor(header: BundleHeader) {
    this.header = parseBundleHeader(header);
  }

  get rowsWritten(): number {
    return this.written;
  }

  /** The header chunk (call once, first). */
  start(): Uint8Array {
    if (this.started) bad("the bundle header was already written");
    this.started = true;
    return encodeBundleHeader(this.header);
  }

  /** Rows of field elements (each `columns` long) as one chunk. */
  writeRows(rows: readonly (readonly bigint[])[]): Uint8Array {
    const cols = this.header.columns;
    const out = new Uint8Array(rows.length * cols * ELEMENT_BYTES);
    rows.forEach((row, r) => {
      if (row.length !== cols) bad(`a bundle row has ${cols} elements, not ${row.length}`);
      for (let j = 0; j < cols; j++) encodeElement(row[j], out, (r * cols + j) * ELEMENT_BYTES);
    });
    return this.writeElements(out);
  }

  /** Whole rows already encoded as 16-byte elements (row-major); returns the same bytes. */
  writeElements(bytes: Uint8Array): Uint8Array {
    if (!this.started) bad("write the bundle header first (start())");
    const rowBytes = this.header.columns * ELEMENT_BYTES;
    if (bytes.length % rowBytes !== 0) bad("a bundle chunk must hold whole rows");
    const n = bytes.length / rowBytes;
    if (this.written + n > this.header.rows) bad(`more rows than the header's ${this.header.rows}`, "row-count");
    this.written += n;
    return bytes;
  }

  /** Throws unless exactly header.rows rows were written. */
  finish(): void {
    if (this.written !== this.header.rows) bad(`${this.written} rows written, the header announces ${this.header.rows}`, "row-count");
  }
}

/** A batch of whole rows from a bundle: raw 16-byte elements, row-major, checked below p. */
export interface BundleBatch {
  firstRow: number;
  rows: number;
  data: Uint8Array;
}

export interface BundleExpectations {
  productId?: string;
  node?: Address;
  index?: number;
  schemaHash?: Hex;
  columns?: number;
  rows?: number;
}

/** Reads a bundle stream: the header first (`open`), then batches of rows or single rows. */
export class BundleReader {
  private constructor(
    readonly header: BundleHeader,
    private readonly it: AsyncIterator<Uint8Array>,
    private carry: Uint8Array,
  ) {}

  static async open(source: AsyncIterable<Uint8Array>, expect: BundleExpectations = {}): Promise<BundleReader> {
    const it = source[Symbol.asyncIterator]();
    let carry = new Uint8Array(0);
    const fill = async (n: number) => {
      while (carry.length < n) {
        const r = await it.next();
        if (r.done) return false;
        const merged = new Uint8Array(carry.length + r.value.length);
        merged.set(carry, 0);
        merged.set(r.value, carry.length);
        carry = merged;
      }
      return true;
    };
    if (!(await fill(PREFIX_BYTES)) || BUNDLE_MAGIC.some((b, i) => carry[i] !== b)) bad("not a bundle (bad magic)");
    if (carry[4] !== BUNDLE_VERSION) bad(`unsupported bundle version ${carry[4]}`);
    const len = new DataView(carry.buffer, carry.byteOffset).getUint32(5);
    if (len > MAX_BUNDLE_HEADER_BYTES) bad("the bundle header is too long");
    if (!(await fill(PREFIX_BYTES + len))) bad("the bundle ends inside its header", "truncated");
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(carry.subarray(PREFIX_BYTES, PREFIX_BYTES + len)));
    } catch {
      return bad("the bundle header is not JSON");
    }
    const header = parseBundleHeader(json);
    for (const [k, v] of Object.entries(expect) as [keyof BundleExpectations, unknown][]) {
      const got = header[k];
      const same = typeof v === "string" && typeof got === "string" ? v.toLowerCase() === got.toLowerCase() : v === got;
      if (v !== undefined && !same) bad(`the bundle is for ${k} ${String(got)}, expected ${String(v)}`);
    }
    return new BundleReader(header, it, carry.slice(PREFIX_BYTES + len));
  }

  /** Batches of up to `maxRows` whole rows (each batch a fresh array). */
  async *batches(maxRows = 4096): AsyncGenerator<BundleBatch> {
    const rowBytes = this.header.columns * ELEMENT_BYTES;
    const total = this.header.rows;
    let row = 0;
    let pending: Uint8Array | undefined = this.carry;
    this.carry = new Uint8Array(0);
    while (row < total) {
      const n = Math.min(maxRows, total - row);
      const batch = new Uint8Array(n * rowBytes);
      let fill = 0;
      while (fill < batch.length) {
        if (!pending || pending.length === 0) {
          const r = await this.it.next();
          if (r.done) bad(`the bundle ends after ${row + Math.floor(fill / rowBytes)} of ${total} rows`, "truncated");
          pending = r.value as Uint8Array;
          continue;
        }
        const k = Math.min(batch.length - fill, pending.length);
        batch.set(pending.subarray(0, k), fill);
        fill += k;
        pending = pending.subarray(k);
      }
      checkElements(batch);
      yield { firstRow: row, rows: n, data: batch };
      row += n;
    }
    if (pending && pending.length > 0) bad("bytes after the last row of the bundle", "trailing-bytes");
    for (;;) {
      const r = await this.it.next();
      if (r.done) break;
      if (r.value.length > 0) bad("bytes after the last row of the bundle", "trailing-bytes");
    }
  }

  /** Rows of field elements, one at a time. */
  async *rows(): AsyncGenerator<bigint[]> {
    const cols = this.header.columns;
    for await (const b of this.batches()) {
      for (let r = 0; r < b.rows; r++) {
        const row: bigint[] = new Array(cols);
        for (let j = 0; j < cols; j++) row[j] = decodeElement(b.data, (r * cols + j) * ELEMENT_BYTES);
        yield row;
      }
    }
  }
}

/** Reads a whole (small) bundle into memory: its header and rows. */
export async function readBundle(source: AsyncIterable<Uint8Array> | Uint8Array, expect?: BundleExpectations): Promise<{ header: BundleHeader; rows: bigint[][] }> {
  const src: AsyncIterable<Uint8Array> = source instanceof Uint8Array ? (async function* () { yield source; })() : source;
  const reader = await BundleReader.open(src, expect);
  const rows: bigint[][] = [];
  for await (const r of reader.rows()) rows.push(r);
  return { header: reader.header, rows };
}
