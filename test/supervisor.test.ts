// npm start's supervisor (scripts/lib/supervisor.ts) with a minimal real service process
// (test/helpers/fixture-service.ts): a crashed service is restarted with a growing back-off and
// the crash is logged; a configuration error is not retried; stopping ends every process, killing
// one that ignores SIGTERM; services.json always names the live process.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { alive } from "./helpers/process.ts";
import { createLogger } from "@kraken/sdk/config";
import { Supervisor, ServiceStartError } from "../scripts/lib/supervisor.ts";

const root = join(import.meta.dirname, "..");
const entry = "test/helpers/fixture-service.ts";
const dirs: string[] = [];
const supervisors: Supervisor[] = [];
afterEach(async () => {
  for (const s of supervisors.splice(0)) await s.stopAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function supervisor() {
  const dir = mkdtempSync(join(tmpdir(), "kraken-supervisor-"));
  dirs.push(dir);
  const lines: string[] = [];
  const log = createLogger("start", (line: string) => void lines.push(line));
  const s = new Supervisor({ root, log, stateFile: join(dir, "services.json"), stopGraceMs: 1500 });
  supervisors.push(s);
  const state = () => JSON.parse(readFileSync(join(dir, "services.json"), "utf8")) as { supervisor: number; services: Record<string, { pid: number | null; restarts: number }> };
  return { s, lines, state };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("supervisor", () => {
  it("restarts a crashing service after 1 s, then 2 s, and logs each crash; the other service is untouched", async () => {
    const { s, lines, state } = supervisor();
    const steady = await s.start({ name: "steady", entry, options: { mode: "ok" } });
    const flaky = await s.start({ name: "flaky", entry, options: { mode: "crash-after", crashMs: 300 } });
    const firstPid = flaky.pid();
    await flaky.nextReady(); // restart 1 (after ~1 s)
    const t = Date.now();
    await flaky.nextReady(); // restart 2 (after ~2 s)
    expect(Date.now() - t).toBeGreaterThanOrEqual(2000);
    expect(flaky.restarts()).toBeGreaterThanOrEqual(2);
    expect(flaky.pid()).not.toBe(firstPid);
    expect(lines.some((l) => /ERROR.*flaky exited with code 1; restarting it in 1 s/.test(l))).toBe(true);
    expect(lines.some((l) => /ERROR.*flaky exited with code 1; restarting it in 2 s/.test(l))).toBe(true);
    expect(steady.restarts()).toBe(0);
    expect(alive(steady.pid()!)).toBe(true);
    expect(state().services.steady.pid).toBe(steady.pid());
    expect(state().services.flaky.restarts).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it("a configuration error fails the first start and is never retried", async () => {
    const { s } = supervisor();
    await expect(s.start({ name: "broken", entry, options: { mode: "bad-config" } })).rejects.toThrow(ServiceStartError);
    await expect(s.start({ name: "broken2", entry, options: { mode: "bad-config" } })).rejects.toThrow(/configuration error/);
    await expect(s.start({ name: "no-options", entry })).rejects.toThrow(/exited with code 2/);
  }, 30_000);

  it("stopAll ends every service, killing one that ignores SIGTERM after the grace period; nothing restarts", async () => {
    const { s, lines } = supervisor();
    const a = await s.start({ name: "a", entry, options: { mode: "ok" } });
    const b = await s.start({ name: "b", entry, options: { mode: "stubborn" } });
    const pids = [a.pid()!, b.pid()!];
    await s.stopAll();
    expect(pids.every((p) => !alive(p))).toBe(true);
    expect(lines.some((l) => /b did not stop within 1\.5 s: killed/.test(l))).toBe(true);
    await sleep(1500);
    expect(a.pid()).toBeUndefined();
    expect(b.pid()).toBeUndefined();
  }, 30_000);
});
