// Messages between the page and the anonymiser's worker (anonymiseWorker.ts). Files and Blobs
// cross by structured clone (no copy of their bytes).
import type { AnonymiseOptions, AnonymiseProgress } from "@kraken/sdk/anonymise";
import type { RunOutput } from "./anonymiseJob.ts";
import type { Inspection } from "./anonymiseDraft.ts";
import type { ErrorInfo } from "./errors.ts";

export type RunOptions = Omit<AnonymiseOptions, "onProgress" | "signal">;

export type WorkerRequest =
  | { type: "inspect"; file: Blob; sampleRows: number }
  | { type: "run"; file: Blob; options: RunOptions; previewRows: number };

export type WorkerReply =
  | { type: "ready" }
  | { type: "inspected"; inspection: Inspection }
  | { type: "progress"; progress: AnonymiseProgress }
  | { type: "done"; output: RunOutput }
  | { type: "error"; error: ErrorInfo };
