// The one logger of every service and script (pino): levels fatal | error | warn | info | debug
// (debug only when asked: KRAKEN_LOG_LEVEL=debug), a `component` on every entry, JSON lines for
// a monitoring system (KRAKEN_LOG_FORMAT=json, the default under NODE_ENV=production) or
// readable lines for people (pretty). A fatal entry is also e-mailed to the maintainers when
// an SMTP server is configured (alert.ts).
//
// Secrets are kept out by construction: fields named like secrets (key, share, token,
// signature, …) are censored, and every message is scrubbed of each value registered with
// registerSecret — which every key or token variable of the configuration is, on first use.
// Callers still pass facts (ids, reasons, timings), never plaintext or personal data.
import pino, { type Logger as Pino } from "pino";
import pretty from "pino-pretty";
import { configValue, secretValues, type Env, type LOG_LEVELS } from "./index.ts";
import { sendFatalAlert } from "./alert.ts";

export type LogLevel = (typeof LOG_LEVELS)[number];
const ORDER: Record<LogLevel, number> = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4 };
export type LogFields = Record<string, unknown>;

export interface Logger {
  fatal(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
}

/** Where a component's entries go instead of the process's log (a test, or the start script,
 * which logs them under the component's name): the formatted line, its level, and its parts. */
export type LogSink = (line: string, level: LogLevel, entry: { component: string; msg: string }) => void;

/** Field names whose values never reach a log, at the top level or one level down. */
export const SECRET_FIELDS = [
  "key", "privateKey", "secretKey", "secret", "share", "shares", "fileKey", "token", "adminToken",
  "authorization", "signature", "password", "mnemonic", "seed", "envelope", "sealedKey",
] as const;
export const REDACTED = "[redacted]";

const secrets = new Set<string>();
let pattern: RegExp | undefined;
let configScanned = false;

/** Adds a value (a key, a token) that is replaced by [redacted] wherever a log message holds it;
 * a 0x-hex value also without its 0x. Values shorter than 8 characters are ignored. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 8) return;
  const before = secrets.size;
  secrets.add(value);
  if (/^0x[0-9a-fA-F]{8,}$/.test(value)) secrets.add(value.slice(2));
  if (secrets.size !== before) pattern = undefined;
}

/** The message with every registered secret (any letter case) and bearer token replaced. */
export function scrub(text: string, env: Env = process.env): string {
  if (!configScanned) {
    configScanned = true;
    for (const value of secretValues(env)) registerSecret(value);
  }
  if (!pattern && secrets.size) {
    const alternatives = [...secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    pattern = new RegExp(alternatives.join("|"), "gi");
  }
  let out = pattern ? text.replace(pattern, REDACTED) : text;
  if (out.includes("earer ")) out = out.replace(/\b(Bearer)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`);
  return out;
}

/** KRAKEN_LOG_LEVEL (any other value is a ConfigError naming it). */
export function levelFromEnv(env?: Env): LogLevel {
  return configValue("KRAKEN_LOG_LEVEL", env);
}

/** KRAKEN_LOG_FORMAT, else json under NODE_ENV=production and pretty otherwise. */
export function formatFromEnv(env: Env = process.env): "json" | "pretty" {
  return configValue("KRAKEN_LOG_FORMAT", env) ?? (env.NODE_ENV === "production" ? "json" : "pretty");
}

/** Entries written to this process's log so far, by level (exported as a metric by every service). */
export const logCounts: Record<LogLevel, number> = { fatal: 0, error: 0, warn: 0, info: 0, debug: 0 };

let root: Pino | undefined;
/** The process's pino logger, on stderr (synchronously: nothing is lost when a process dies). */
function rootLogger(): Pino {
  if (root) return root;
  const options: pino.LoggerOptions = {
    level: "debug", // each component logger sets its own
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: REDACTED },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === "string" ? scrub(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  root = formatFromEnv() === "json"
    ? pino(options, pino.destination({ fd: 2, sync: true }))
    : pino(options, pretty({ sync: true, destination: 2, ignore: "pid,hostname,component", messageFormat: "{component}: {msg}", translateTime: "SYS:yyyy-mm-dd HH:MM:ss.l" }));
  return root;
}

/**
 * A logger for `component`. Without a sink it writes to the process's log (and e-mails fatal
 * entries when configured); with one, each entry becomes `LEVEL component: message` for the sink.
 */
export function createLogger(component: string, sink?: LogSink | ((line: string) => void), level: LogLevel = levelFromEnv()): Logger {
  const enabled = (l: LogLevel) => ORDER[l] <= ORDER[level];
  if (sink) {
    const at = (l: LogLevel) => (msg: string) => {
      if (!enabled(l)) return;
      const clean = scrub(msg);
      (sink as LogSink)(`${l.toUpperCase().padEnd(5)} ${component}: ${clean}`, l, { component, msg: clean });
    };
    return { fatal: at("fatal"), error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
  }
  const p = rootLogger().child({ component }, { level });
  const at = (l: LogLevel) => (msg: string, fields?: LogFields) => {
    if (!enabled(l)) return;
    logCounts[l]++;
    if (fields) p[l](fields, msg);
    else p[l](msg);
    if (l === "fatal") void sendFatalAlert(component, scrub(msg)).catch((e: unknown) => p.error(`the fatal alert e-mail was not sent: ${e instanceof Error ? e.message : String(e)}`));
  };
  return { fatal: at("fatal"), error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}
