// The anonymiser's entry points (docs/anonymisation.md). STUB: implementation in progress.
import type { CsvSource } from "../analytics/csv.ts";
import type { AnonymisationReport } from "./report.ts";
import type { AnonymiseOptions, ColumnOverride, ColumnPlan } from "./types.ts";

export interface AnonymiseResult {
  report: AnonymisationReport;
  /** the released CSV's header (identifiers dropped) */
  header: string[];
}

/** Header, first rows and the automatic classification (with `overrides` applied) of a CSV. */
export async function inspectCsv(source: CsvSource, o: { sampleRows?: number; overrides?: Record<string, ColumnOverride> } = {}): Promise<{ header: string[]; sample: string[][]; columns: ColumnPlan[] }> {
  void source; void o;
  throw new Error("not implemented yet");
}

/** Anonymises a CSV. `source()` is read twice (one pass to measure, one to write); the released CSV
 * goes to `sink` in pieces, in order. Nothing is written when the input is refused. */
export async function anonymiseCsv(source: () => CsvSource, sink: (text: string) => void | Promise<void>, options: AnonymiseOptions = {}): Promise<AnonymiseResult> {
  void source; void sink; void options;
  throw new Error("not implemented yet");
}
