// CSV reading for the seller's tools, browser- and Node-safe: the text is cut at record
// boundaries (a newline outside double quotes) into pieces of about PIECE_CHARS characters and
// each piece is parsed by csv-parse's synchronous parser ("csv-parse/browser/esm/sync", which
// needs neither node:stream nor node:buffer). Synchronous parsing reports every error where it
// happens (the streaming browser build can drop an error); cutting keeps memory bounded to one
// piece whatever the file size. Records end with LF or CRLF (mixed too; a lone CR is not a
// record end).
import { CsvError, parse } from "csv-parse/browser/esm/sync";
import { DatasetError } from "./errors.ts";

/** Characters of CSV text parsed at once. */
export const PIECE_CHARS = 128 * 1024;
/** Longest record accepted (an unbalanced quote would otherwise swallow the rest of the file). */
export const MAX_RECORD_CHARS = 1 << 20;

export type CsvSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/** Batches of records; `first` is the number of the batch's first record (0 = the header). */
export interface CsvBatch {
  first: number;
  records: string[][];
}

/** Parses a CSV stream into batches of records (empty lines skipped). */
export async function* readCsv(source: CsvSource, pieceChars = PIECE_CHARS): AsyncGenerator<CsvBatch> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let text = "";
  let scan = 0; // text[0, scan) has been scanned
  let inQuote = false;
  let cut = -1; // end of the last complete record in text[0, scan)
  let records = 0;
  let start = true;

  const parsePiece = (piece: string): CsvBatch | undefined => {
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

  const decode = (chunk: Uint8Array | string): string => {
    try {
      return typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    } catch {
      throw new DatasetError("bad-csv", `the CSV is not UTF-8 text (after record ${records})`);
    }
  };

  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    text += decode(chunk);
    if (start && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      start = false;
    }
    for (let i = scan; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) inQuote = !inQuote;
      else if (c === 10 && !inQuote) {
        cut = i + 1;
        if (cut >= pieceChars) {
          const piece = text.slice(0, cut);
          text = text.slice(cut);
          i = -1;
          cut = -1;
          const b = parsePiece(piece);
          if (b) yield b;
        }
      }
    }
    scan = text.length;
    if (scan - Math.max(cut, 0) > MAX_RECORD_CHARS)
      throw new DatasetError("bad-csv", `a record after row ${records} is longer than ${MAX_RECORD_CHARS} characters (an unbalanced quote?)`, records + 1);
  }
  try {
    text += decoder.decode();
  } catch {
    throw new DatasetError("bad-csv", "the CSV ends inside a UTF-8 character");
  }
  if (start && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length > 0) {
    const b = parsePiece(text);
    if (b) yield b;
  }
}
