// Load limits for a relay's unauthenticated inputs (docs/delivery.md, "Limits"):
//   RateLimiter  at most `max` requests per key (consumer address, client IP, Streamr publisher)
//                in any window of `windowMs`;
//   IntakeQueue  a bounded FIFO worked off one item at a time; beyond its bound it drops.
// Hand-written rather than @fastify/rate-limit (which bounds the relay's other HTTP requests):
// these windows slide, so the (max+1)th request inside any window is refused however it is
// spread, and they also key on buyers and Streamr publishers. Both are in memory: a restart
// forgets the windows, which only ever lets a client in sooner.

export interface RateLimit {
  /** Requests allowed in any window of `windowMs`. */
  max: number;
  windowMs: number;
}

export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * A sliding-window log per key: the times of its last `max` admitted requests. A request is
 * admitted when fewer than `max` of them fall inside the last `windowMs` — so the (max+1)th
 * request within any window is refused, however it is spread — and refusals take nothing.
 * At most `maxKeys` keys are tracked: keys with nothing in their window are forgotten first,
 * then the oldest.
 */
export class RateLimiter {
  private readonly logs = new Map<string, number[]>();

  constructor(
    readonly limit: RateLimit,
    private readonly maxKeys = 10_000,
  ) {
    if (!(limit.max >= 1) || !(limit.windowMs > 0)) throw new Error(`invalid rate limit ${JSON.stringify(limit)}`);
  }

  take(key: string, now = Date.now()): Admission {
    const k = key.toLowerCase();
    let times = this.logs.get(k);
    if (!times) {
      if (this.logs.size >= this.maxKeys) this.evict(now);
      times = [];
      this.logs.set(k, times);
    }
    if (times.length >= this.limit.max) {
      const oldest = times[times.length - this.limit.max];
      if (oldest > now - this.limit.windowMs) return { ok: false, retryAfterMs: oldest + this.limit.windowMs - now };
      times.splice(0, times.length - this.limit.max + 1);
    }
    times.push(now);
    return { ok: true };
  }

  get size(): number {
    return this.logs.size;
  }

  private evict(now: number): void {
    for (const [k, times] of this.logs) if (times[times.length - 1] <= now - this.limit.windowMs) this.logs.delete(k);
    while (this.logs.size >= this.maxKeys) this.logs.delete(this.logs.keys().next().value!);
  }
}

export interface IntakeStats {
  /** Items waiting now (not counting the one being worked on). */
  queued: number;
  /** The most ever waiting at once. */
  highWater: number;
  max: number;
  /** Items refused because the queue was full (since start). */
  dropped: number;
}

/**
 * A FIFO of at most `max` waiting items, worked off by `work` one at a time (in order, so two
 * items never interleave). `push` returns false — and the item is dropped — when it is full.
 * `onIdle` runs whenever the queue has been worked off.
 */
export class IntakeQueue<T> {
  private readonly items: T[] = [];
  private head = 0;
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private settle: () => void = () => {};
  readonly stats: IntakeStats;

  constructor(
    max: number,
    private readonly work: (item: T) => Promise<void>,
    private readonly onIdle?: () => void,
  ) {
    if (!(max >= 1)) throw new Error(`invalid queue bound ${max}`);
    this.stats = { queued: 0, highWater: 0, max, dropped: 0 };
  }

  push(item: T): boolean {
    if (this.stats.queued >= this.stats.max) {
      this.stats.dropped++;
      return false;
    }
    this.items.push(item);
    this.stats.queued++;
    if (this.stats.queued > this.stats.highWater) this.stats.highWater = this.stats.queued;
    if (!this.running) {
      this.running = true;
      this.idle = new Promise((r) => (this.settle = r));
      void this.drain();
    }
    return true;
  }

  /** Resolves once every item pushed so far has been worked off. */
  drained(): Promise<void> {
    return this.idle;
  }

  private async drain(): Promise<void> {
    while (this.head < this.items.length) {
      const item = this.items[this.head];
      this.items[this.head++] = undefined as T; // let it be collected
      this.stats.queued--;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      try {
        await this.work(item);
      } catch {
        // `work` reports its own failures; one bad item must not stop the queue
      }
    }
    this.items.length = 0;
    this.head = 0;
    this.running = false;
    try {
      this.onIdle?.();
    } finally {
      this.settle();
    }
  }
}
