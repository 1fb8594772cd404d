// npm start's process supervisor: every service runs as its own Node process (its entry point
// calls runService, sdk/src/ops/service.ts), so one service's crash leaves the others serving.
// A service that exits on its own is restarted after a back-off (1 s, doubling to 30 s; reset once
// it has run for a minute), on the same ports and data directory, so its URLs stay valid and its
// state carries over. A configuration error (exit code 2) is not retried: it would fail again.
//
// Children get an IPC channel: they report "ready" through it, and stop themselves when it
// closes, so even a SIGKILLed npm start leaves no service behind. They run in their own process
// group: a terminal's Ctrl-C reaches only npm start, which stops them in order.
//
// `stateFile` (npm start: <data dir>/services.json) lists each service's process id, restarts and
// start time, rewritten on every change: what an operator (or the chaos tests) reads to find one.
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Logger } from "@kraken/sdk/config";
import { EXIT_CONFIG } from "@kraken/sdk/ops";

export interface ServiceSpec {
  /** the component, as in logs and `kraken status` */
  name: string;
  /** entry point, relative to the repository root */
  entry: string;
  /** the service's options, passed as JSON in `configVariable` (bigints as decimal strings) */
  options?: unknown;
  configVariable?: string;
  /** how long the first start may take before npm start gives up (default 120 s) */
  readyTimeoutMs?: number;
}

export interface SupervisedService {
  readonly spec: ServiceSpec;
  /** what the service reported when it was first ready (URLs, addresses…) */
  readonly info: Record<string, unknown>;
  /** the current process id (changes on restart) */
  pid(): number | undefined;
  restarts(): number;
  /** resolves once the service reports ready after its next (re)start */
  nextReady(): Promise<void>;
}

export class ServiceStartError extends Error {
  override name = "ServiceStartError";
}

export const RESTART_MIN_MS = 1000;
export const RESTART_MAX_MS = 30_000;
const STABLE_MS = 60_000; // a run this long resets the back-off
const STOP_GRACE_MS = 10_000;

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));

interface Entry {
  spec: ServiceSpec;
  child?: ChildProcess;
  info: Record<string, unknown>;
  restarts: number;
  failures: number; // consecutive short runs
  startedAt: number;
  readyWaiters: (() => void)[];
  timer?: NodeJS.Timeout;
}

export class Supervisor {
  private readonly entries: Entry[] = [];
  private stopping = false;

  constructor(private readonly o: { root: string; log: Logger; env?: NodeJS.ProcessEnv; stateFile?: string; stopGraceMs?: number }) {}

  private writeState(): void {
    if (!this.o.stateFile) return;
    const state = Object.fromEntries(this.entries.map((e) => [e.spec.name, { pid: e.child?.pid ?? null, restarts: e.restarts, startedAt: new Date(e.startedAt).toISOString(), entry: e.spec.entry }]));
    mkdirSync(dirname(this.o.stateFile), { recursive: true });
    writeFileSync(`${this.o.stateFile}.tmp`, JSON.stringify({ supervisor: process.pid, services: state }, null, 2) + "\n");
    renameSync(`${this.o.stateFile}.tmp`, this.o.stateFile);
  }

  /** Starts a service and resolves with what it reported once ready. */
  async start(spec: ServiceSpec): Promise<SupervisedService> {
    const e: Entry = { spec, info: {}, restarts: 0, failures: 0, startedAt: 0, readyWaiters: [] };
    this.entries.push(e);
    e.info = await this.spawn(e, spec.readyTimeoutMs ?? 120_000);
    return {
      spec,
      info: e.info,
      pid: () => e.child?.pid,
      restarts: () => e.restarts,
      nextReady: () => new Promise<void>((r) => e.readyWaiters.push(r)),
    };
  }

  private spawn(e: Entry, timeoutMs?: number): Promise<Record<string, unknown>> {
    const { spec } = e;
    const child = fork(join(this.o.root, spec.entry), [], {
      cwd: this.o.root,
      execArgv: ["--import", "tsx"],
      env: { ...(this.o.env ?? process.env), [spec.configVariable ?? "KRAKEN_SERVICE_CONFIG"]: spec.options === undefined ? undefined : json(spec.options) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      detached: true,
    });
    e.child = child;
    e.startedAt = Date.now();
    return new Promise((resolve, reject) => {
      let ready = false;
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        child.kill("SIGKILL");
        reject(new ServiceStartError(`${spec.name} was not ready after ${timeoutMs / 1000} s`));
      }, timeoutMs);
      child.on("message", (m: { type?: string; info?: Record<string, unknown> }) => {
        if (m?.type !== "ready" || ready) return;
        ready = true;
        clearTimeout(timer);
        this.writeState();
        for (const w of e.readyWaiters.splice(0)) w();
        resolve(m.info ?? {});
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (e.child === child) e.child = undefined;
        if (this.stopping) return;
        this.writeState();
        const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
        if (!ready && timeoutMs !== undefined) {
          // first start: npm start cannot go on without it
          return reject(new ServiceStartError(`${spec.name} ${how} before it was ready${code === EXIT_CONFIG ? " (configuration error, see above)" : ""}`));
        }
        if (code === EXIT_CONFIG) {
          this.o.log.error(`${spec.name} ${how}: a configuration error, not restarted`);
          return;
        }
        e.failures = Date.now() - e.startedAt >= STABLE_MS ? 0 : e.failures + 1;
        const wait = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** Math.max(0, e.failures - 1));
        this.o.log.error(`${spec.name} ${how}; restarting it in ${wait / 1000} s (the other services keep serving)`);
        e.timer = setTimeout(() => {
          e.timer = undefined;
          if (this.stopping) return;
          e.restarts++;
          this.spawn(e).then(
            () => this.o.log.info(`${spec.name} is back (restart ${e.restarts})`),
            (err) => this.o.log.error(`${spec.name}: ${err instanceof Error ? err.message : String(err)}`),
          );
        }, wait);
      });
    });
  }

  /** Services started so far. */
  count(): number {
    return this.entries.length;
  }

  /** Stops every service: SIGTERM to all, SIGKILL to any still running after the grace period. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.entries.map(async (e) => {
      clearTimeout(e.timer);
      const child = e.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const grace = this.o.stopGraceMs ?? STOP_GRACE_MS;
      const force = setTimeout(() => {
        this.o.log.warn(`${e.spec.name} did not stop within ${grace / 1000} s: killed`);
        child.kill("SIGKILL");
      }, grace);
      await exited;
      clearTimeout(force);
    }));
  }
}
