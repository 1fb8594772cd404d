// Errors of the mapping runtime, on the project's error base: `code` is "handler-<kind>" and
// "mapping-<kind>"; `kind` keeps graph-node's classification the runtime decides on.
import { KrakenError } from "@kraken/sdk";

/**
 * Raised inside a host call (AssemblyScript `abort`, `log.critical`, a failing host function):
 * unwinds the WASM stack. The runtime wraps it into a MappingError.
 */
export class HandlerError extends KrakenError {
  override name = "HandlerError";
  /** abort: AssemblyScript abort/assert/throw; host: a host function refused; store: the EntityAccess failed. */
  readonly kind: "abort" | "host" | "store";
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  constructor(
    message: string,
    opts: { kind?: "abort" | "host" | "store"; file?: string; line?: number; column?: number; cause?: unknown } = {},
  ) {
    super(`handler-${opts.kind ?? "host"}`, message, { cause: opts.cause });
    this.kind = opts.kind ?? "host";
    this.file = opts.file;
    this.line = opts.line;
    this.column = opts.column;
  }
  /** false when the failure came from the EntityAccess (e.g. a database error), not the mapping. */
  get deterministic(): boolean {
    return this.kind !== "store";
  }
}

export type MappingErrorKind = "abort" | "trap" | "host" | "store" | "missing-handler";

/** A handler failed: it aborted, trapped or a host function failed. Nothing it wrote was applied. */
export class MappingError extends KrakenError {
  override name = "MappingError";
  readonly dataSource: string;
  readonly handler: string;
  readonly blockNumber: bigint;
  readonly blockHash: string;
  readonly txHash: string;
  readonly logIndex: bigint;
  readonly kind: MappingErrorKind;
  /** The bare failure message (abort message, trap, host error), without the context prefix. */
  readonly reason: string;
  /** graph-node would mark the subgraph as failed deterministically (true) or retry (false). */
  readonly deterministic: boolean;
  /** Source location of an AssemblyScript abort, when it gave one. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;

  constructor(
    message: string,
    info: {
      dataSource: string;
      handler: string;
      blockNumber: bigint;
      blockHash: string;
      txHash: string;
      logIndex: bigint;
      kind: MappingErrorKind;
      deterministic: boolean;
      file?: string;
      line?: number;
      column?: number;
      cause?: unknown;
    },
  ) {
    const where = info.file ? ` (${info.file}:${info.line ?? 0}:${info.column ?? 0})` : "";
    super(
      `mapping-${info.kind}`,
      `Mapping ${info.dataSource}.${info.handler} failed at block #${info.blockNumber} ` +
        `tx ${info.txHash} log ${info.logIndex}: ${message}${where}`,
      { cause: info.cause },
    );
    this.dataSource = info.dataSource;
    this.handler = info.handler;
    this.blockNumber = info.blockNumber;
    this.blockHash = info.blockHash;
    this.txHash = info.txHash;
    this.logIndex = info.logIndex;
    this.kind = info.kind;
    this.reason = message;
    this.deterministic = info.deterministic;
    this.file = info.file;
    this.line = info.line;
    this.column = info.column;
  }
}
