// The anonymiser off the page's main thread (a module Web Worker, started by anonymiseClient.ts):
// one job per worker — inspect or anonymise a File the page hands over — then the page ends it.
// Progress is reported at most every PROGRESS_MS; errors cross as ErrorInfo (name, code, row, column).
import { inspectJob, runJob } from "./anonymiseJob.ts";
import { errorInfo } from "./errors.ts";
import type { WorkerReply, WorkerRequest } from "./protocol.ts";

const PROGRESS_MS = 100;
/** The worker's global scope (the DOM lib types `self` as a Window). */
const scope = self as unknown as { postMessage(m: WorkerReply): void; onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null };
const post = (m: WorkerReply) => scope.postMessage(m);

scope.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const req = e.data;
  try {
    if (req.type === "inspect") {
      post({ type: "inspected", inspection: await inspectJob(req.file, req.sampleRows) });
      return;
    }
    let last = 0;
    let phase = "";
    const out = await runJob(req.file, req.options, req.previewRows, (p) => {
      const now = Date.now();
      if (p.phase !== phase || now - last >= PROGRESS_MS) {
        phase = p.phase;
        last = now;
        post({ type: "progress", progress: p });
      }
    });
    post({ type: "done", output: out });
  } catch (err) {
    post({ type: "error", error: errorInfo(err) });
  }
};

post({ type: "ready" });
