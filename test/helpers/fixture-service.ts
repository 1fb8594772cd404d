// A minimal service for the supervisor's tests (test/supervisor.test.ts), run through runService
// like every real entry point. Its `mode` option: "ok" serves until stopped; "crash-after" crashes
// (an uncaught error) `crashMs` after it is ready; "bad-config" exits 2; "stubborn"
// never finishes stopping.
import { runService, serviceOptions } from "@kraken/sdk/ops";

const o = serviceOptions<{ mode: string; crashMs?: number }>("fixture", "KRAKEN_SERVICE_CONFIG", "mode");
if (o.mode === "bad-config") {
  process.stderr.write("fixture: a bad option\n");
  process.exit(2);
}
await runService("fixture", async () => {
  const keep = setInterval(() => {}, 1000);
  if (o.mode === "crash-after") setTimeout(() => { throw new Error("fixture crashed"); }, o.crashMs ?? 200);
  if (o.mode === "stubborn") return { stop: () => new Promise<void>(() => {}), info: { pid: process.pid } }; // never finishes stopping
  return { stop: async () => clearInterval(keep), info: { pid: process.pid } };
});
