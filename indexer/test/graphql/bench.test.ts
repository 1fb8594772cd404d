import { describe, expect, it } from "vitest";
import { runQueryBenchmark } from "../../src/graphql/bench.ts";

describe("query benchmark helper", () => {
  it("seeds a catalogue and measures latency (small run)", async () => {
    const r = await runQueryBenchmark({ products: 300, iterations: 10 });
    expect(r.products).toBe(300);
    expect(r.queries).toHaveLength(2);
    for (const q of r.queries) {
      expect(q.medianMs).toBeGreaterThan(0);
      expect(q.p95Ms).toBeGreaterThanOrEqual(q.medianMs);
    }
  });
});
