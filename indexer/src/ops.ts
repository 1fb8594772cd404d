// The indexer's operations endpoints, through @kraken/sdk/ops, on the GraphQL server's port:
//   /health   200 while the process answers
//   /ready    200 when every check passes, else 503 naming the failing ones:
//             chain     the chain's RPC answered recently (no failed request since its last answer)
//             caughtUp  at most MAX_LAG_BLOCKS behind the chain head the indexer has seen
//             indexing  no mapping failure recorded (indexing stops there, as in graph-node) and
//                       no failed indexing attempt being retried (store or runtime trouble)
//   /metrics  kraken_indexer_* below, plus Node's process metrics, labelled service="indexer"
// Labels are fixed words only (an outcome, a kind): never a query, a path, an id or an address.
// Check details are short and hold no data of the index: a data source and handler name from
// the manifest and a block number at most (no transaction, address or mapping message).
import { createOps, LATENCY_BUCKETS, type Checks, type Ops } from "@kraken/sdk/ops";
import type { QueryOutcome } from "./graphql/server.ts";

/** What a GraphQL request came to (see graphql/server.ts): ok; refused before running (not a
 * GraphQL request, invalid, or over a limit: the result has no `data`, as the GraphQL spec says
 * of errors raised before execution); error while running (errors next to `data`, or a 500). */
export type { QueryOutcome };
/** An indexing failure: a mapping handler failed (indexing stops at its block), or an indexing
 * attempt failed for another reason than the chain (store, runtime) and is retried. */
export type IndexingErrorKind = "mapping" | "retried";

/** The indexer's progress, read when metrics or readiness are asked for. */
export interface IndexerProgress {
  /** latest chain block seen (polled between indexed ranges) */
  head: number | null;
  /** last block written to the index */
  indexed: number | null;
  /** every block up to this one is indexed (before the first write: the start block - 1) */
  done: number;
  /** the recorded mapping failure that stopped indexing */
  failed: string | null;
  /** events handled by this process */
  events: number;
}

export interface IndexerOpsOptions {
  progress(): IndexerProgress;
  /** readiness: at most this many blocks behind the head (default 5) */
  maxLagBlocks?: number;
  /** readiness: the chain's RPC must have answered within this time (default 30 s; a hung
   * request fails after viem's 10 s timeout, which fails the check at once) */
  chainStaleMs?: number;
  now?: () => number;
}

export interface IndexerOps {
  readonly ops: Ops;
  /** brings the gauges and the events counter to the indexer's progress (before a scrape) */
  refresh(): void;
  /** a GraphQL request ended */
  query(outcome: QueryOutcome, seconds: number): void;
  /** the chain's RPC answered a request */
  chainAnswered(): void;
  /** a request to the chain's RPC failed (unreachable, HTTP error, timeout) */
  chainFailed(): void;
  /** the chain head polled */
  sawHead(head: number): void;
  indexingError(kind: IndexingErrorKind): void;
  /** an indexing attempt failed and will be retried (true), or a later one succeeded (false) */
  retrying(on: boolean): void;
}

export const MAX_LAG_BLOCKS = 5;
const CHAIN_STALE_MS = 30_000;

export function createIndexerOps(o: IndexerOpsOptions): IndexerOps {
  const now = o.now ?? Date.now;
  const maxLag = o.maxLagBlocks ?? MAX_LAG_BLOCKS;
  const staleMs = o.chainStaleMs ?? CHAIN_STALE_MS;
  let chainAnsweredAt: number | null = null;
  let chainFailedAt: number | null = null;
  let retryingNow = false;
  const clock = new HeadClock();

  const ops = createOps({
    service: "indexer",
    checks: (): Checks => {
      const p = o.progress();
      const t = now();
      const lag = p.head === null ? null : Math.max(0, p.head - p.done);
      return {
        chain: chainCheck(t),
        caughtUp: lag === null
          ? { ok: false, detail: "the chain head is not known yet" }
          : { ok: lag <= maxLag, detail: `${lag} blocks behind the chain head (at most ${maxLag})` },
        indexing: p.failed
          ? { ok: false, detail: failureSummary(p.failed) }
          : retryingNow
            ? { ok: false, detail: "an indexing attempt failed (store or runtime) and is being retried; see the log" }
            : { ok: true },
      };
    },
  });
  const chainCheck = (t: number) => {
    if (chainAnsweredAt === null) return { ok: false, detail: "the chain's RPC has not answered yet" };
    const ago = `${Math.round((t - chainAnsweredAt) / 1000)} s ago`;
    if (chainFailedAt !== null && chainFailedAt >= chainAnsweredAt) return { ok: false, detail: `requests to the chain's RPC fail (last answer ${ago})` };
    if (t - chainAnsweredAt > staleMs) return { ok: false, detail: `the chain's RPC has not answered for ${ago.replace(" ago", "")}` };
    return { ok: true };
  };

  const headGauge = ops.gauge("chain_head_block", "Latest chain block the indexer has seen (the head is polled between indexed ranges)");
  const indexedGauge = ops.gauge("indexed_block", "Last block written to the index");
  const lagBlocks = ops.gauge("lag_blocks", "Blocks between the chain head seen and the last block indexed");
  const lagSeconds = ops.gauge(
    "lag_seconds",
    "Seconds since this process first saw the oldest chain block it has not indexed yet; 0 when caught up",
  );
  const events = ops.counter("events_total", "Events handled by the mapping handlers");
  const indexingErrors = ops.counter(
    "handler_errors_total",
    "Indexing failures: kind=mapping, a handler failed and indexing stopped at its block; kind=retried, an attempt failed (store, runtime) and is retried",
    ["kind"] as const,
  );
  const queries = ops.counter("queries_total", "GraphQL requests by outcome: ok, error (failed while running), refused (invalid, over a limit, not a GraphQL request)", ["outcome"] as const);
  const querySeconds = ops.histogram("query_seconds", "Time to answer a GraphQL request", LATENCY_BUCKETS);
  for (const kind of ["mapping", "retried"] as const) indexingErrors.inc({ kind }, 0);
  for (const outcome of ["ok", "error", "refused"] as const) queries.inc({ outcome }, 0);

  let eventsCounted = 0;
  /** Brings the gauges and the events counter to the indexer's progress (before a scrape). */
  const refresh = () => {
    const p = o.progress();
    // Events of a block rolled back (a cache miss, a failed block) are handled again: counted
    // once, when the total passes what was already counted.
    if (p.events > eventsCounted) {
      events.inc(p.events - eventsCounted);
      eventsCounted = p.events;
    }
    if (p.indexed !== null) indexedGauge.set(p.indexed);
    if (p.head !== null) {
      headGauge.set(p.head);
      lagBlocks.set(Math.max(0, p.head - p.done));
    }
    lagSeconds.set(clock.lagSeconds(p.done, now()));
  };

  return {
    ops,
    refresh,
    query(outcome, seconds) {
      queries.inc({ outcome });
      querySeconds.observe(seconds);
    },
    chainAnswered: () => void (chainAnsweredAt = now()),
    chainFailed: () => void (chainFailedAt = now()),
    sawHead: (head) => clock.saw(head, now()),
    indexingError: (kind) => indexingErrors.inc({ kind }),
    retrying: (on) => void (retryingNow = on),
  };
}

/**
 * When each new chain head was first seen, so the lag in seconds is the time the oldest block
 * not yet indexed has been waiting since this process saw it. Block timestamps would not do on
 * a chain that mines on demand: a block after an idle hour would show an hour of lag. It is a
 * lower bound after a restart (blocks mined while the indexer was down count from its start).
 */
export class HeadClock {
  private seen: { block: number; at: number }[] = [];
  private static readonly MAX = 10_000;

  saw(head: number, at: number): void {
    const last = this.seen[this.seen.length - 1];
    if (last && head <= last.block) return;
    // Bounded: when full, newer heads join the last entry, which keeps its (earlier) time:
    // the lag of those blocks is then over-, never under-stated.
    if (last && this.seen.length >= HeadClock.MAX) last.block = head;
    else this.seen.push({ block: head, at });
  }

  /** Seconds the oldest block above `done` has waited; 0 when there is none. */
  lagSeconds(done: number, now: number): number {
    let i = 0;
    while (i < this.seen.length && this.seen[i].block <= done) i++;
    if (i) this.seen.splice(0, i);
    return this.seen.length ? Math.max(0, (now - this.seen[0].at) / 1000) : 0;
  }
}

/**
 * A recorded failure ("<dataSource>[ <address>].<handler> failed at block N (tx …, log …): <mapping
 * message>") in a few words without the transaction, the address or the mapping's message.
 */
export function failureSummary(failure: string): string {
  const m = /^([A-Za-z0-9_-]+)(?: 0x[0-9a-fA-F]+)?\.([A-Za-z0-9_]+) failed at block (\d+)/.exec(failure);
  return m ? `handler ${m[1]}.${m[2]} failed at block ${m[3]}; indexing stopped there (see the log)` : "indexing stopped at a failed handler (see the log)";
}
