// CSV reading for the seller's tools, browser- and Node-safe: the bytes are cut at record
// boundaries (a newline outside double quotes; both are ASCII, so never inside a UTF-8
// character) into pieces of about PIECE_BYTES and each piece is parsed by csv-parse's
// synchronous parser ("csv-parse/browser/esm/sync", which needs neither node:stream nor
// node:buffer). Synchronous parsing reports every error where it happens (the streaming browser
// build can drop an error); cutting keeps memory bounded to one piece whatever the file size.
// Pieces are handed over as bytes (csv-parse's browser Buffer encodes strings slowly in JS); a
// leading byte order mark is dropped.
// Records end with LF or CRLF (mixed too; a lone CR is not a record end).
import { CsvError, parse } from "csv-parse/browser/esm/sync";
import { DatasetError } from "./errors.ts";

/** Bytes of CSV parsed at once. */
export const PIECE_BYTES = 256 * 1024;
/** Longest record accepted (an unbalanced quote would otherwise swallow the rest of the file). */
export const MAX_RECORD_BYTES = 1 << 20;

export type CsvSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/** Batches of records; `first` is the number of the batch's first record (0 = the header). */
export interface CsvBatch {
  first: number;
  records: string[][];
}

const utf8 = new TextEncoder();

/** Parses a CSV stream into batches of records (empty lines skipped). */
export async function* readCsv(source: CsvSource, pieceBytes = PIECE_BYTES): AsyncGenerator<CsvBatch> {
  const validator = new TextDecoder("utf-8", { fatal: true });
  let buf = new Uint8Array(Math.max(1024, 2 * pieceBytes));
  let len = 0;
  let scan = 0; // buf[0, scan) has been scanned
  let inQuote = false;
  let cut = 0; // end of the last complete record in buf[0, scan)
  let records = 0;
  let start = true;

  const parsePiece = (piece: Uint8Array): CsvBatch | undefined => {
    try {
      validator.decode(piece);
    } catch {
      throw new DatasetError("bad-csv", `the CSV is not UTF-8 text (after row ${records > 0 ? records - 1 : 0})`, records);
    }
    let out: string[][];
    try {
      out = parse(piece, { relax_column_count: true, skip_empty_lines: true, record_delimiter: ["\r\n", "\n"] });
    } catch (err) {
      if (err instanceof CsvError) {
        const at = records + ((err as unknown as { records?: number }).records ?? 0);
        throw new DatasetError("bad-csv", `the CSV does not parse at ${at === 0 ? "the header" : `row ${at}`}: ${err.message}`, at);
      }
      throw err;
    }
    if (out.length === 0) return undefined;
    const batch = { first: records, records: out };
    records += out.length;
    return batch;
  };
  const take = (end: number): Uint8Array => {
    const piece = buf.slice(0, end);
    buf.copyWithin(0, end, len);
    len -= end;
    scan -= end;
    cut -= end;
    return piece;
  };

  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === "string" ? utf8.encode(chunk) : chunk;
    if (len + bytes.length > buf.length) {
      const bigger = new Uint8Array(Math.max(2 * buf.length, len + bytes.length));
      bigger.set(buf.subarray(0, len));
      buf = bigger;
    }
    buf.set(bytes, len);
    len += bytes.length;
    if (start) {
      if (len < 3) continue;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        buf.copyWithin(0, 3, len); // a byte order mark
        len -= 3;
      }
      start = false;
    }
    for (; scan < len; scan++) {
      const c = buf[scan];
      if (c === 34) inQuote = !inQuote;
      else if (c === 10 && !inQuote) {
        cut = scan + 1;
        if (cut >= pieceBytes) {
          const b = parsePiece(take(cut));
          if (b) yield b;
        }
      }
    }
    if (len - cut > MAX_RECORD_BYTES)
      throw new DatasetError("bad-csv", `a record after row ${Math.max(0, records - 1)} is longer than ${MAX_RECORD_BYTES} bytes (an unbalanced quote?)`, records);
  }
  if (len > 0) {
    const b = parsePiece(take(len));
    if (b) yield b;
  }
}
