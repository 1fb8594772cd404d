// The anonymiser's two jobs on a File, as the Web Worker (anonymiseWorker.ts) runs them — or the
// page itself when workers are not available: inspect (header, first rows, the automatic
// classification) and anonymise (the released CSV collected from the sink into a Blob, its
// first rows for the preview, the report). Browser-only, nothing is uploaded.
import { anonymiseCsv, inspectCsv, type AnonymisationReport, type AnonymiseOptions, type AnonymiseProgress } from "@kraken/sdk/anonymise";
import { parseCsvRecords } from "../analytics/inferSchema.ts";
import type { Inspection } from "./anonymiseDraft.ts";
import { chunksOf } from "../../../lib/files.ts";

export async function inspectJob(file: Blob, sampleRows: number): Promise<Inspection> {
  const r = await inspectCsv(chunksOf(file), { sampleRows, size: file.size });
  return { header: r.header, sample: r.sample.slice(0, sampleRows), columns: r.columns };
}

export interface RunOutput {
  report: AnonymisationReport;
  header: string[];
  released: Blob;
  /** the released CSV's first rows, header excluded */
  preview: string[][];
}

/** Strings are gathered into Blobs of about this many characters (the browser keeps Blobs off the JS heap). */
const BLOB_PART_CHARS = 4 * 2 ** 20;
/** The preview reads at most this much of the released CSV's beginning. */
const PREVIEW_CHARS = 256 * 1024;

export async function runJob(
  file: Blob,
  options: Omit<AnonymiseOptions, "onProgress" | "signal">,
  previewRows: number,
  onProgress: (p: AnonymiseProgress) => void,
  signal?: AbortSignal,
): Promise<RunOutput> {
  const blobs: Blob[] = [];
  let pending: string[] = [];
  let pendingChars = 0;
  let head = "";
  const sink = (text: string) => {
    if (head.length < PREVIEW_CHARS) head += text.slice(0, PREVIEW_CHARS - head.length);
    pending.push(text);
    pendingChars += text.length;
    if (pendingChars >= BLOB_PART_CHARS) {
      blobs.push(new Blob(pending));
      pending = [];
      pendingChars = 0;
    }
  };
  const result = await anonymiseCsv(() => chunksOf(file), sink, { ...options, size: file.size, onProgress, signal });
  const released = new Blob([...blobs, ...pending], { type: "text/csv" });
  // Whole records only: the head may end inside one.
  const complete = head.length < PREVIEW_CHARS ? head : head.slice(0, head.lastIndexOf("\n") + 1);
  const records = parseCsvRecords(complete, previewRows + 1);
  return { report: result.report, header: result.header, released, preview: records.slice(1, previewRows + 1) };
}
