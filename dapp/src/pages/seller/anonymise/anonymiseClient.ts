// The page's side of the anonymiser: each job runs in its own module Web Worker
// (anonymiseWorker.ts, bundled by Vite), so the page stays responsive on large files; the worker
// is ended when the job finishes or is cancelled. Where a worker cannot start (no Worker, or the
// module fails to load before it says it is ready) the job runs in the page instead, reading the
// file in chunks so the page still repaints between them.
import { AnonymiseError, type AnonymiseErrorCode, type AnonymiseProgress } from "@kraken/sdk/anonymise";
import type { RunOutput } from "./anonymiseJob.ts";
import type { Inspection } from "./anonymiseDraft.ts";
import type { ErrorInfo } from "./errors.ts";
import type { RunOptions, WorkerReply, WorkerRequest } from "./protocol.ts";

/** An error from the worker, rebuilt: AnonymiseError keeps its code, row and column. */
function rebuild(e: ErrorInfo): Error {
  if (e.name === "AnonymiseError" && e.code) return new AnonymiseError(e.code as AnonymiseErrorCode, e.message, e.row, e.column);
  return Object.assign(new Error(e.message), { name: e.name, code: e.code, row: e.row, column: e.column });
}

const cancelled = () => new AnonymiseError("cancelled", "the anonymisation was stopped");

class WorkerUnavailable extends Error {}

function inWorker<T>(req: WorkerRequest, onProgress: ((p: AnonymiseProgress) => void) | undefined, signal: AbortSignal | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let worker: Worker;
    try {
      if (typeof Worker === "undefined") throw new WorkerUnavailable("no Worker in this browser");
      worker = new Worker(new URL("./anonymiseWorker.ts", import.meta.url), { type: "module", name: "anonymiser" });
    } catch (err) {
      reject(err instanceof WorkerUnavailable ? err : new WorkerUnavailable((err as Error).message));
      return;
    }
    let ready = false;
    const end = () => {
      worker.terminate();
      signal?.removeEventListener("abort", abort);
    };
    const abort = () => {
      end();
      reject(cancelled());
    };
    if (signal?.aborted) return abort();
    signal?.addEventListener("abort", abort, { once: true });
    worker.onerror = (e) => {
      e.preventDefault();
      end();
      reject(ready ? new Error(`the anonymiser stopped: ${e.message || "worker error"}`) : new WorkerUnavailable(e.message || "the worker did not load"));
    };
    worker.onmessage = (e: MessageEvent<WorkerReply>) => {
      const m = e.data;
      if (m.type === "ready") ready = true;
      else if (m.type === "progress") onProgress?.(m.progress);
      else if (m.type === "inspected" || m.type === "done") {
        end();
        resolve((m.type === "inspected" ? m.inspection : m.output) as T);
      } else if (m.type === "error") {
        end();
        reject(rebuild(m.error));
      }
    };
    worker.postMessage(req);
  });
}

async function withFallback<T>(req: WorkerRequest, inPage: () => Promise<T>, onProgress?: (p: AnonymiseProgress) => void, signal?: AbortSignal): Promise<T> {
  try {
    return await inWorker<T>(req, onProgress, signal);
  } catch (err) {
    if (!(err instanceof WorkerUnavailable)) throw err;
    console.warn(`anonymiser: running in the page (${err.message})`);
    return inPage();
  }
}

/** Header, first rows and the automatic classification of a CSV. */
export function inspectInBrowser(file: Blob, sampleRows: number, signal?: AbortSignal): Promise<Inspection> {
  return withFallback<Inspection>({ type: "inspect", file, sampleRows }, async () => (await import("./anonymiseJob.ts")).inspectJob(file, sampleRows), undefined, signal);
}

/** Anonymises a CSV: the released file (a Blob, still in this browser), its first rows and the report. */
export function anonymiseInBrowser(file: Blob, options: RunOptions, o: { previewRows: number; onProgress?: (p: AnonymiseProgress) => void; signal?: AbortSignal }): Promise<RunOutput> {
  return withFallback<RunOutput>(
    { type: "run", file, options, previewRows: o.previewRows },
    async () => (await import("./anonymiseJob.ts")).runJob(file, options, o.previewRows, (p) => o.onProgress?.(p), o.signal),
    o.onProgress,
    o.signal,
  );
}
