// The relay's load limits on their own (relay-limits.ts): the token buckets behind the
// per-consumer, per-IP and per-publisher rate limits, and the bounded share intake queue.
// (relay/test/load.test.ts drives the same limits through a running relay.)
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../src/relay.ts";
import { IntakeQueue, RateLimiter } from "../src/relay-limits.ts";

describe("rate limiter (sliding window)", () => {
  it("refuses the 21st re-delivery request of one consumer within a minute, and tells when to retry", () => {
    expect(DEFAULT_LIMITS.redeliveriesPerConsumer).toEqual({ max: 20, windowMs: 60_000 });
    const l = new RateLimiter(DEFAULT_LIMITS.redeliveriesPerConsumer);
    const t0 = 1_000_000;
    for (let i = 0; i < 20; i++) expect(l.take("0xAbC", t0 + i * 1000).ok).toBe(true); // 20 inside 20 s
    const refused = l.take("0xabc", t0 + 20_000); // the same address in another case
    expect(refused.ok).toBe(false);
    expect(refused).toMatchObject({ retryAfterMs: expect.any(Number) });
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBe(40_000); // when the first leaves the window
    expect(l.take("0xabc", t0 + 59_999).ok).toBe(false); // still 20 inside the minute
    expect(l.take("0xdef", t0 + 20_000).ok).toBe(true); // another consumer is not affected
    expect(l.take("0xabc", t0 + 60_000).ok).toBe(true); // the first request left the window
    expect(l.take("0xabc", t0 + 60_001).ok).toBe(false);
  });

  it("a steady client below the rate is never refused; a flood gets max per window", () => {
    const l = new RateLimiter({ max: 20, windowMs: 60_000 });
    for (let t = 0; t < 600_000; t += 3000) expect(l.take("steady", t).ok).toBe(true); // collectShares retries every 3 s
    let ok = 0;
    for (let i = 0; i < 1000; i++) if (l.take("flood", 5_000 + i).ok) ok++; // 1,000 in one second
    expect(ok).toBe(20);
  });

  it("tracks at most maxKeys keys (forgetting full buckets first)", () => {
    const l = new RateLimiter({ max: 2, windowMs: 1000 }, 100);
    for (let i = 0; i < 10_000; i++) l.take(`k${i}`, i);
    expect(l.size).toBeLessThanOrEqual(100);
  });
});

describe("share intake queue", () => {
  it("never holds more than its bound under a burst of 10,000 messages; the rest are dropped and counted", async () => {
    const seen: number[] = [];
    let idle = 0;
    const q = new IntakeQueue<number>(1000, async (n) => {
      await new Promise((r) => setTimeout(r, 0)); // a chain read
      seen.push(n);
    }, () => idle++);
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) {
      if (q.push(i)) accepted++;
      expect(q.stats.queued).toBeLessThanOrEqual(1000);
    }
    expect(q.stats.highWater).toBe(1000);
    expect(q.stats.dropped).toBe(10_000 - accepted);
    expect(accepted).toBe(1001); // one taken up at once, 1,000 waiting
    await q.drained();
    expect(seen).toEqual([...Array(1001).keys()]); // in order, one at a time
    expect(q.stats.queued).toBe(0);
    expect(idle).toBe(1);
  });

  it("a failing item does not stop the queue", async () => {
    const seen: number[] = [];
    const q = new IntakeQueue<number>(10, async (n) => {
      if (n === 1) throw new Error("boom");
      seen.push(n);
    });
    for (const n of [0, 1, 2]) q.push(n);
    await q.drained();
    expect(seen).toEqual([0, 2]);
  });
});
