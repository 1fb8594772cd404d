// One service as its own process (Node only). Every entry point (`<component>/src/main.ts` and
// the like) calls runService: it gives the service a logger, reports "ready" once it serves, stops
// it cleanly on SIGINT/SIGTERM, and turns a crash into one fatal log entry (and alert e-mail) and
// exit code 1 — so a supervisor (npm start, systemd, compose) restarts that service alone.
//
// Ready: with an IPC channel (started by scripts/lib/supervisor.ts) the service sends
// `{ type: "ready", info }`; without one it prints `{"ready": <url>, …info}` as one line on stdout, for
// scripts and tests. Its log goes to stderr (sdk/src/config/log.ts). When the IPC channel closes,
// its supervisor is gone (even by SIGKILL): the service stops instead of running on unsupervised.
import Fastify from "fastify";
import { ConfigError, createLogger, flushAlerts, LOCAL_HOST, readConfig, type LogLevel, type LogSink } from "../config/index.ts";
import { DEFAULT_READS_PER_IP, guardHttp, mountOps, serverOptions, type MountOpsOptions } from "./http.ts";
import type { Ops } from "./index.ts";

export interface ServiceHandle {
  stop(): Promise<void>;
  /** what the supervisor needs to know (URLs, address, network settings); JSON */
  info?: Record<string, unknown>;
}

/** Exit codes a supervisor tells apart: configuration errors are not retried. */
export const EXIT_CONFIG = 2;
export const EXIT_CRASH = 1;

/** A log sink for `component`: entries keep their level, and the component a service names. */
export function sinkOf(component: string): LogSink & ((line: string, level?: LogLevel, entry?: { component: string; msg: string }) => void) {
  const loggers = new Map<string, ReturnType<typeof createLogger>>();
  const loggerOf = (c: string) => {
    let l = loggers.get(c);
    if (!l) loggers.set(c, (l = createLogger(c)));
    return l;
  };
  return (line: string, level: LogLevel = "info", entry?: { component: string; msg: string }) => loggerOf(entry?.component ?? component)[level](entry?.msg ?? line);
}

/** The service's options, as JSON in the environment variable `variable` (a config variable of kind json). */
export function serviceOptions<T>(component: string, variable: string, hint: string): T {
  let value: unknown;
  try {
    value = (readConfig() as unknown as Record<string, unknown>)[variable];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    configFailure(component, err.message);
  }
  if (typeof value !== "object" || value === null) configFailure(component, `set ${variable} to the service's options as JSON (${hint})`);
  return value as T;
}

export function configFailure(component: string, message: string): never {
  process.stderr.write(`${component}: ${message}\n`);
  process.exit(EXIT_CONFIG);
}

/**
 * Starts a service and keeps it running until a signal (or its supervisor's end). `start` gets the
 * service's log sink; what it returns is stopped once, on the first signal.
 */
export async function runService(component: string, start: (log: ReturnType<typeof sinkOf>) => Promise<ServiceHandle>): Promise<void> {
  const log = sinkOf(component);
  const logger = createLogger(component);
  const die = async (what: string, err: unknown) => {
    logger.fatal(`${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await flushAlerts();
    process.exit(EXIT_CRASH);
  };
  process.on("uncaughtException", (err) => void die("crashed", err));
  process.on("unhandledRejection", (err) => void die("crashed (unhandled rejection)", err));

  let handle: ServiceHandle;
  try {
    handle = await start(log);
  } catch (err) {
    if (err instanceof ConfigError) configFailure(component, err.message);
    return die("could not start", err);
  }
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`stopping (${why})`);
    const force = setTimeout(() => process.exit(0), 15_000);
    force.unref();
    void handle.stop().catch((err) => logger.error(`stop failed: ${err instanceof Error ? err.message : String(err)}`)).finally(() => process.exit(0));
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => stop(sig));
  if (process.send) {
    process.send({ type: "ready", info: handle.info ?? {} });
    process.on("disconnect", () => stop("supervisor gone"));
  } else {
    process.stdout.write(`${JSON.stringify({ ...handle.info, ready: handle.info?.url ?? true })}\n`);
  }
}

/**
 * Serves only /health, /ready and /metrics, for a service with no HTTP API of its own (the
 * publishers): the same limits as every other service.
 */
export async function serveOps(ops: Ops, o: { port: number; host?: string } & MountOpsOptions): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify(serverOptions({ bodyLimit: 1024 }));
  await guardHttp(app, {
    perIp: DEFAULT_READS_PER_IP,
    bodyLimit: 1024,
    shape: (r) => ({ error: r.kind, message: r.message }),
    fallback: (_err, _req, reply) => reply.code(500).send({ error: "internal", message: "internal error" }),
  });
  mountOps(app, ops, o);
  const host = o.host ?? LOCAL_HOST;
  await app.listen({ port: o.port, host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : o.port;
  return { url: `http://${host}:${port}`, close: () => app.close() };
}
