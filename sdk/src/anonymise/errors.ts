// Typed failures of the anonymiser (docs/anonymisation.md). Every one is a KrakenError with a
// stable `code`; `row` and `column` say where, when the failure is about one place of the file.
import { KrakenError } from "../errors.ts";

export type AnonymiseErrorCode =
  | "bad-csv" // the CSV does not parse (quotes, a record longer than the limit, a wrong field count)
  | "not-utf8" // the bytes are not UTF-8 text
  | "empty" // no header, or a header and no rows
  | "too-large" // more bytes or rows than the limits (options.maxBytes, options.maxRows)
  | "too-few-rows" // fewer rows than k (or than ℓ distinct sensitive values): no release can be k-anonymous
  | "not-diverse" // the sensitive column has fewer than ℓ distinct values in the whole file
  | "unknown-column" // an option names a column the header does not have
  | "duplicate-column" // the header names a column twice
  | "bad-option" // k < 1, ℓ > k, an unknown preset, a pseudonym key that is not 32 bytes …
  | "bad-report" // a report document does not parse or does not match what it is checked against
  | "cancelled"; // options.signal aborted

export class AnonymiseError extends KrakenError<AnonymiseErrorCode> {
  override name = "AnonymiseError";

  constructor(
    code: AnonymiseErrorCode,
    message: string,
    /** 1-based data row (the header is row 0) */
    readonly row?: number,
    readonly column?: string,
  ) {
    super(code, message);
  }
}
