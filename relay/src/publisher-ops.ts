// What a publisher (the demo wearable, a data union's devices) exposes for operations: it has no
// HTTP API, so only /health, /ready and /metrics (serveOps). A publisher that stops publishing is
// what a seller most needs to hear about: kraken_publisher_last_message_seconds drives the
// "silent for 5 minutes" alert (deploy/prometheus/alerts.yml), and /ready fails after SILENT_MS.
// The stream label is bounded: the streams this process was configured with, never input.
import { createOps, type Ops } from "@kraken/sdk/ops";

/** No data point for this long: not ready. */
export const SILENT_MS = 30_000;

export interface PublisherOpsOptions {
  service: "publisher" | "union";
  streamId: string;
  /** data points published so far */
  published(): number;
  /** devices still publishing (data union devices) */
  devices?(): number;
  now?: () => number;
}

export function publisherOps(o: PublisherOpsOptions): { ops: Ops; refresh(): void } {
  const now = o.now ?? Date.now;
  const started = now();
  let seen = 0;
  let lastAt: number | undefined;
  const refresh = () => {
    const n = o.published();
    if (n > seen) {
      messages.inc({ stream: o.streamId }, n - seen);
      seen = n;
      lastAt = now();
      last.set({ stream: o.streamId }, lastAt / 1000);
    }
    if (o.devices) devices.set({ stream: o.streamId }, o.devices());
  };
  const ops = createOps({
    service: o.service,
    readyCacheMs: 0,
    checks: () => {
      refresh();
      const since = now() - (lastAt ?? started);
      return { publishing: since <= SILENT_MS ? { ok: true } : { ok: false, detail: `no data point for ${Math.round(since / 1000)} s` } };
    },
  });
  const messages = ops.counter("messages_total", "Data points published, by stream", ["stream"] as const);
  // Set at the first data point: a publisher that never published has no value, and the alert
  // on it waits for its first one (its /ready says so meanwhile).
  const last = ops.gauge("last_message_seconds", "Unix time of the last data point published, by stream", ["stream"] as const);
  const devices = ops.gauge("devices", "Devices still publishing, by stream", ["stream"] as const);
  return { ops, refresh };
}
