// Levelled logging for the daemons (relays, SMPC nodes, the demo publishers): error | warn |
// info | debug, debug only when asked (KRAKEN_LOG_LEVEL=debug). Callers pass facts (ids,
// addresses, reasons, timings), never a key, a share, an envelope's content or plaintext.
import { configValue, type Env, type LOG_LEVELS } from "./index.ts";

export type LogLevel = (typeof LOG_LEVELS)[number];
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

/** KRAKEN_LOG_LEVEL (any other value is a ConfigError naming it). */
export function levelFromEnv(env?: Env): LogLevel {
  return configValue("KRAKEN_LOG_LEVEL", env);
}

/** A logger writing `LEVEL name: message` lines to `sink` (default stderr with a timestamp). */
export function createLogger(name: string, sink?: (line: string) => void, level: LogLevel = levelFromEnv()): Logger {
  const write = sink ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
  const at = (l: LogLevel) => (msg: string) => {
    if (ORDER[l] <= ORDER[level]) write(`${l.toUpperCase().padEnd(5)} ${name}: ${msg}`);
  };
  return { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}
