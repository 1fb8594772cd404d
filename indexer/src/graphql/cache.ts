// Caches of the GraphQL server. A query's answer is a pure function of (query, variables,
// operation name) and the indexed block, so answers are kept per block: the indexing status is
// read for every request (one read shared by the requests that arrive while the previous one
// runs, and always started after the request arrived, so a block written before a request is
// seen by it), and when it changes (a new block, a recorded failure, a re-index) every kept answer
// is dropped. Concurrent requests for the same answer share one execution. Answers are kept
// serialised, bounded in entries and bytes; answers with execution errors (timeouts, store
// errors, a block not indexed yet) are not kept, refusals (invalid for every block) are.
import type { ExecutionResult } from "graphql";
import type { GraphqlRequest, MetaInfo } from "./execute.ts";

/**
 * A least-recently-used map bounded in entries and in a byte cost per entry. A Map keeps insertion
 * order, so a hit re-inserts its key and eviction takes the first; lru-cache is only a transitive
 * dependency here, and this is all we need of it.
 */
export class LruCache<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private total = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** the summed cost of the entries */
  get bytes(): number {
    return this.total;
  }

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  /** Keeps `value` unless it alone costs more than an eighth of maxBytes; false if not kept. */
  set(key: string, value: V, bytes: number): boolean {
    this.delete(key);
    if (bytes > this.maxBytes / 8 || this.maxEntries < 1) return false;
    this.map.set(key, { value, bytes });
    this.total += bytes;
    while (this.map.size > this.maxEntries || this.total > this.maxBytes) this.delete(this.map.keys().next().value!);
    return true;
  }

  delete(key: string): void {
    const e = this.map.get(key);
    if (!e) return;
    this.map.delete(key);
    this.total -= e.bytes;
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }
}

/** A value read by `read()`, numbered in the order the reads started. */
export interface Reading<T> {
  value: T;
  seq: number;
}

/**
 * Shares reads of a changing value between concurrent callers while guaranteeing each caller a
 * read started after it called: while a read runs, callers wait for the next one (one for all of
 * them). At most two reads are pending at any time, and their results come in `seq` order.
 */
export class CoalescedReader<T> {
  private running: Promise<Reading<T>> | null = null;
  private queued: Promise<Reading<T>> | null = null;
  private seq = 0;

  constructor(private readonly fn: () => Promise<T>) {}

  read(): Promise<Reading<T>> {
    if (!this.running) return this.launch();
    return (this.queued ??= this.running.then(
      () => this.next(),
      () => this.next(),
    ));
  }

  private next(): Promise<Reading<T>> {
    this.queued = null;
    return this.launch();
  }

  private launch(): Promise<Reading<T>> {
    const seq = ++this.seq;
    const p = this.fn().then((value) => ({ value, seq }));
    this.running = p;
    const done = () => {
      if (this.running === p) this.running = null;
    };
    p.then(done, done);
    return p;
  }
}

/** How a request was answered: ok, refused (not run: invalid, over a limit), error (failed while running). */
export type AnswerOutcome = "ok" | "error" | "refused";

export interface Answer {
  /** the serialised ExecutionResult */
  body: string;
  outcome: AnswerOutcome;
  /** answered from the cache (or by joining an identical execution under way) */
  cached: boolean;
}

export interface ResultCacheLimits {
  /** answers kept (default 1000) */
  maxEntries: number;
  /** bytes of kept answers and their keys (default 32 MiB); one answer may use an eighth */
  maxBytes: number;
}

export const DEFAULT_RESULT_CACHE: ResultCacheLimits = { maxEntries: 1000, maxBytes: 32 << 20 };

export function outcomeOf(result: ExecutionResult): AnswerOutcome {
  return !result.errors?.length ? "ok" : "data" in result ? "error" : "refused";
}

/** The answers of the current indexed block, in front of an executor. */
export class ResultCache {
  private readonly answers: LruCache<{ body: string; outcome: AnswerOutcome }>;
  private readonly running = new Map<string, Promise<{ body: string; outcome: AnswerOutcome }>>();
  private readonly status: CoalescedReader<MetaInfo>;
  /** the latest indexing status read, and its read's number */
  private version = "";
  private seq = 0;
  hits = 0;
  misses = 0;

  constructor(
    meta: () => Promise<MetaInfo>,
    /** runs a query; `meta`: the indexing status to answer `_meta` with (default: read it) */
    private readonly execute: (req: GraphqlRequest, meta?: Promise<MetaInfo>) => Promise<ExecutionResult>,
    limits: Partial<ResultCacheLimits> = {},
  ) {
    const l = { ...DEFAULT_RESULT_CACHE, ...limits };
    this.answers = new LruCache(l.maxEntries, l.maxBytes);
    this.status = new CoalescedReader(meta);
  }

  get size(): number {
    return this.answers.size;
  }

  get bytes(): number {
    return this.answers.bytes;
  }

  async answer(req: GraphqlRequest): Promise<Answer> {
    let reading: Reading<MetaInfo>;
    try {
      reading = await this.status.read();
    } catch {
      // no indexing status (e.g. the store is closing): run uncached, the executor reports it
      return { ...(await this.run(req)), cached: false };
    }
    const meta = reading.value;
    const version = JSON.stringify([meta.block?.number ?? null, meta.block?.hash ?? null, meta.hasIndexingErrors, meta.deployment ?? null]);
    if (reading.seq > this.seq) {
      this.seq = reading.seq;
      if (version !== this.version) {
        this.version = version;
        this.answers.clear();
      }
    }
    // a status older than the latest read (its read started earlier): answer, do not keep
    const current = version === this.version;
    const key = JSON.stringify([req.query, req.operationName ?? null, req.variables ?? null]);
    const hit = current ? this.answers.get(key) : undefined;
    if (hit) {
      this.hits++;
      return { ...hit, cached: true };
    }
    const runKey = `${version}\n${key}`;
    const joined = this.running.get(runKey);
    if (joined) {
      this.hits++;
      return { ...(await joined), cached: true };
    }
    this.misses++;
    const p = this.run(req, Promise.resolve(meta));
    this.running.set(runKey, p);
    try {
      const a = await p;
      // refusals are the same for every block; execution errors may not be (a timeout)
      if (a.outcome !== "error" && version === this.version) this.answers.set(key, a, 2 * (key.length + a.body.length));
      return { ...a, cached: false };
    } finally {
      this.running.delete(runKey);
    }
  }

  private async run(req: GraphqlRequest, meta?: Promise<MetaInfo>): Promise<{ body: string; outcome: AnswerOutcome }> {
    const result = await this.execute(req, meta);
    return { body: JSON.stringify(result), outcome: outcomeOf(result) };
  }
}
