// Outstanding single-use challenges (login, registration), bounded in memory and in work.
//
// Anyone may ask for a challenge without authenticating, so the store must not grow with the
// number of requests. Entries live in a Map, which keeps insertion order; all entries of one store
// share one time to live, so they also expire in insertion order. Pruning therefore removes from
// the front until the first entry still to be kept (O(1) amortised, no full scans), and when the
// cap is reached the oldest entries are evicted first: a flood of challenge requests can only push
// out outstanding challenges (which are then refused as unknown), never grow memory.

/** Default cap on outstanding challenges per store. */
export const DEFAULT_MAX_CHALLENGES = 10_000;

/**
 * How long an entry is kept after it expires: a used challenge presented again during this time
 * is refused as replayed (or expired), and only afterwards as unknown.
 */
export const CHALLENGE_GRACE_MS = 60_000;

export interface ChallengeStoreOptions {
  /** Time to live of every challenge, in ms. */
  ttlMs: number;
  /** Cap on entries kept; the oldest are evicted first. Default DEFAULT_MAX_CHALLENGES. */
  maxChallenges?: number;
  now: () => number;
}

export class ChallengeStore<V> {
  private readonly entries = new Map<string, { dropAt: number; value: V }>();
  private readonly max: number;

  constructor(private readonly o: ChallengeStoreOptions) {
    const max = o.maxChallenges ?? DEFAULT_MAX_CHALLENGES;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError("maxChallenges: expected a positive integer");
    this.max = max;
  }

  /** Number of entries kept (outstanding, used or recently expired). */
  get size(): number {
    return this.entries.size;
  }

  /** Adds a challenge expiring ttlMs from now (`make` builds it from that expiry, in ms) and returns it. */
  add(id: string, make: (expiresAt: number) => V): V {
    const now = this.o.now();
    this.prune(now);
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    const expiresAt = now + this.o.ttlMs;
    const value = make(expiresAt);
    this.entries.delete(id); // a re-used id goes to the back, keeping insertion order = expiry order
    this.entries.set(id, { dropAt: expiresAt + CHALLENGE_GRACE_MS, value });
    return value;
  }

  /** The entry for `id`, if kept; the caller checks used and expiry. */
  get(id: unknown): V | undefined {
    return typeof id === "string" ? this.entries.get(id)?.value : undefined;
  }

  /** Drops entries past their grace time, from the front, stopping at the first one to keep. */
  private prune(now: number): void {
    for (const [k, e] of this.entries) {
      if (e.dropAt >= now) break;
      this.entries.delete(k);
    }
  }
}
