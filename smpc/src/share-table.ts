// A node's shares of one dataset in memory, column-major and compact: one ArrayBuffer per
// encoded column holding 16 bytes per row (the element's two 64-bit limbs, little-endian), read
// through a BigUint64Array — no bigint object per stored value. Built from a (decrypted)
// bundle stream; 16 bytes per row and encoded column.
import { BundleReader, ELEMENT_BYTES, P, type BundleExpectations, type BundleHeader } from "@kraken/sdk/analytics";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class ShareTable {
  /** Per encoded column: [lo0, hi0, lo1, hi1, …]. */
  private readonly cols: BigUint64Array[];
  /** The same memory as 32-bit limbs: [w0, w1, w2, w3] per row. */
  private readonly wordCols: Uint32Array[];

  private constructor(
    readonly header: BundleHeader,
    cols: BigUint64Array[],
  ) {
    this.cols = cols;
    this.wordCols = cols.map((c) => new Uint32Array(c.buffer, c.byteOffset, c.length * 2));
  }

  get rows(): number {
    return this.header.rows;
  }

  get columns(): number {
    return this.header.columns;
  }

  /** Bytes of share data per row (16 per encoded column). */
  get bytesPerRow(): number {
    return this.header.columns * ELEMENT_BYTES;
  }

  /** Bytes of share data held. */
  get byteLength(): number {
    return this.cols.reduce((s, c) => s + c.byteLength, 0);
  }

  /** Column j as interleaved 64-bit limbs: element r = c[2r] | c[2r+1] << 64. */
  column(j: number): BigUint64Array {
    const c = this.cols[j];
    if (!c) throw new RangeError(`no encoded column ${j}`);
    return c;
  }

  /** Column j as 32-bit limbs (little-endian platforms): element r = words 4r … 4r+3. */
  words(j: number): Uint32Array {
    const c = this.wordCols[j];
    if (!c) throw new RangeError(`no encoded column ${j}`);
    return c;
  }

  /** The share at row r of encoded column j. */
  get(j: number, r: number): bigint {
    const c = this.column(j);
    if (!(r >= 0 && r < this.rows)) throw new RangeError(`no row ${r}`);
    return c[2 * r] | (c[2 * r + 1] << 64n);
  }

  /** Reads a bundle stream (plaintext) into a table; the reader checks the format and every element. */
  static async fromBundle(source: AsyncIterable<Uint8Array> | BundleReader, expect?: BundleExpectations): Promise<ShareTable> {
    const reader = source instanceof BundleReader ? source : await BundleReader.open(source, expect);
    const { rows, columns } = reader.header;
    const buffers = Array.from({ length: columns }, () => new ArrayBuffer(rows * ELEMENT_BYTES));
    const words = buffers.map((b) => new Uint32Array(b));
    const bytes = buffers.map((b) => new Uint8Array(b));
    for await (const batch of reader.batches(4096)) {
      if (LITTLE_ENDIAN && batch.data.byteOffset % 4 === 0) {
        const src = new Uint32Array(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength / 4);
        for (let r = 0; r < batch.rows; r++) {
          const d = (batch.firstRow + r) * 4;
          let s = r * columns * 4;
          for (let j = 0; j < columns; j++, s += 4) {
            const w = words[j];
            w[d] = src[s];
            w[d + 1] = src[s + 1];
            w[d + 2] = src[s + 2];
            w[d + 3] = src[s + 3];
          }
        }
      } else {
        // Big-endian platforms: limbs through DataView.
        const src = new DataView(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength);
        for (let r = 0; r < batch.rows; r++)
          for (let j = 0; j < columns; j++) {
            const dst = new DataView(bytes[j].buffer);
            const o = (r * columns + j) * ELEMENT_BYTES;
            const d = (batch.firstRow + r) * ELEMENT_BYTES;
            dst.setBigUint64(d, src.getBigUint64(o, true), LITTLE_ENDIAN);
            dst.setBigUint64(d + 8, src.getBigUint64(o + 8, true), LITTLE_ENDIAN);
          }
      }
    }
    return new ShareTable(reader.header, buffers.map((b) => new BigUint64Array(b)));
  }

  /** A table from column-major elements (tests, tools). */
  static fromColumns(header: BundleHeader, columns: readonly (readonly bigint[])[]): ShareTable {
    if (columns.length !== header.columns) throw new RangeError(`${columns.length} columns, the header says ${header.columns}`);
    const cols = columns.map((col) => {
      if (col.length !== header.rows) throw new RangeError(`a column has ${col.length} rows, the header says ${header.rows}`);
      const c = new BigUint64Array(2 * header.rows);
      col.forEach((e, r) => {
        if (e < 0n || e >= P) throw new RangeError("not a field element");
        c[2 * r] = e & 0xffffffffffffffffn;
        c[2 * r + 1] = e >> 64n;
      });
      return c;
    });
    return new ShareTable(header, cols);
  }
}
