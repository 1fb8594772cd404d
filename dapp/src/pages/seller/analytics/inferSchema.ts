// A first schema for a CSV the seller picked, from its header and values, for the seller to
// check and edit: a column whose values are all decimal numbers is numeric (min and max from the
// values, rounded outwards; decimals as written), any other is categorical (its distinct values,
// at most 64). Read in this browser only.
import type { ColumnDraft } from "./analyticsDraft.ts";

/** How much of the file inference reads (the whole file is checked when it is shared). */
export const INFER_BYTES = 16 * 2 ** 20;
const MAX_VALUES = 64;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** Splits CSV text into records (RFC 4180 quotes; CRLF or LF). */
export function parseCsvRecords(text: string, maxRecords = Infinity): string[][] {
  const out: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length && out.length < maxRecords; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      if (record.length > 1 || record[0] !== "") out.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || record.length) {
    record.push(field);
    out.push(record);
  }
  return out;
}

export interface Inferred {
  header: string[];
  columns: ColumnDraft[];
  /** data rows read (all of them unless the file is larger than INFER_BYTES) */
  rows: number;
  complete: boolean;
}

export async function inferSchema(file: Blob): Promise<Inferred> {
  const complete = file.size <= INFER_BYTES;
  let text = await file.slice(0, INFER_BYTES).text();
  if (!complete) text = text.slice(0, text.lastIndexOf("\n") + 1); // whole records only
  const [header = [], ...rows] = parseCsvRecords(text);
  const columns = header.map((h, i): ColumnDraft => {
    const values = rows.map((r) => (r[i] ?? "").trim()).filter((v) => v !== "");
    const numeric = values.length > 0 && values.every((v) => NUMBER.test(v));
    if (numeric) {
      const nums = values.map(Number);
      const decimals = Math.min(6, Math.max(0, ...values.map((v) => (v.includes(".") ? v.length - v.indexOf(".") - 1 : 0))));
      const min = Math.floor(Math.min(...nums));
      const max = Math.ceil(Math.max(...nums));
      return { name: h.trim(), use: true, kind: "numeric", min: String(min), max: String(max === min ? min + 1 : max), decimals: String(decimals), bins: "", values: "" };
    }
    const distinct = [...new Set(values)].slice(0, MAX_VALUES + 1);
    return {
      name: h.trim(),
      use: distinct.length <= MAX_VALUES,
      kind: "categorical",
      min: "",
      max: "",
      decimals: "0",
      bins: "",
      values: distinct.slice(0, MAX_VALUES).sort().join(", "),
    };
  });
  return { header, columns, rows: rows.length, complete };
}
