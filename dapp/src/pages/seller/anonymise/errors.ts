// The anonymiser's failures (AnonymiseError codes, docs/anonymisation.md) in words for the
// seller, with what to do about them. The library's own message is kept: it names the row,
// the column or the figure.
import type { AnonymiseErrorCode } from "@kraken/sdk/anonymise";

const WORDS: Record<AnonymiseErrorCode, string> = {
  empty: "The file is empty, or it has a header line and no rows: there is nothing to anonymise.",
  "not-utf8": "The file is not UTF-8 text. Save it as “CSV UTF-8” (comma-separated) and choose it again.",
  "bad-csv": "The file is not a valid CSV (comma-separated values with one header line).",
  "too-large": "The file is too large to anonymise in this browser.",
  "too-few-rows": "The file has too few rows for these settings: no release can hide every record among k (or keep ℓ different sensitive values in each group). Lower k or ℓ, or use a larger file.",
  "not-diverse": "The sensitive column has fewer different values than ℓ in the whole file, so no group can hold ℓ of them. Lower ℓ or choose another sensitive column.",
  "unknown-column": "A setting names a column the file does not have.",
  "duplicate-column": "The header names a column twice; give every column its own name.",
  "bad-option": "These settings cannot be used.",
  "bad-report": "The anonymisation report is not valid.",
  cancelled: "The anonymisation was stopped.",
};

/** Serialised across the worker boundary: what the page needs of an error. */
export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
  row?: number;
  column?: string;
}

export function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; row?: unknown; column?: unknown };
    return {
      name: e.name,
      message: e.message,
      ...(typeof e.code === "string" ? { code: e.code } : {}),
      ...(typeof e.row === "number" ? { row: e.row } : {}),
      ...(typeof e.column === "string" ? { column: e.column } : {}),
    };
  }
  return { name: "Error", message: String(err) };
}

/** An anonymiser failure (in the page or from the worker) in words. */
export function explainAnonymiseError(err: unknown): string {
  const e: ErrorInfo = err instanceof Error ? errorInfo(err) : err && typeof err === "object" && "message" in err ? (err as ErrorInfo) : errorInfo(err);
  // The analytics CSV reader's DatasetError("bad-csv") and the anonymiser's own codes share words.
  const words = e.code && Object.hasOwn(WORDS, e.code) ? WORDS[e.code as AnonymiseErrorCode] : undefined;
  if (!words) return `The anonymiser failed: ${e.message || e.name}.`;
  const where = [e.row !== undefined ? (e.row === 0 ? "the header" : `row ${e.row}`) : "", e.column ? `column “${e.column}”` : ""].filter(Boolean).join(", ");
  // The library's message says what exactly; the place only when it does not name it already.
  const parts = [e.message, where && !/\b(row|rows|header|column)\b/.test(e.message) ? where : ""].filter(Boolean);
  return parts.length ? `${words} (${parts.join("; ")})` : words;
}
