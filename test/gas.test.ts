// Gas guard for the three hot user operations of issue #18 item 6 (subscription with its SUBSCRIBE
// grant, paid batch request, subscription renewal), measured by bench/gas.ts on the in-process
// chain with fresh users. Fails when a median goes above its ceiling (the figure reached by the
// gas work, docs/benchmarks.md#gas-targets); the second test records that the targets are not met
// yet and turns red once they all are — then make the targets the ceilings.
import { describe, expect, it } from "vitest";
import "../scripts/lib/quiet-streamr.ts";
import { gasBench, GAS_TARGETS } from "../bench/gas.ts";
import type { Row } from "../bench/lib.ts";

let rows: Row[] | undefined;
const medians = async () => {
  rows ??= await gasBench(3);
  return GAS_TARGETS.map((t) => ({ ...t, median: BigInt(rows!.find((r) => r.operation === t.operation)!.median) }));
};

describe("gas of the hot user operations", () => {
  it("stays within each operation's ceiling", async () => {
    for (const m of await medians()) expect(m.median, m.label).toBeLessThanOrEqual(m.ceiling);
  });

  it.fails("meets every issue #18 target (not yet: below the storage floor of the current design)", async () => {
    for (const m of await medians()) expect(m.median, m.label).toBeLessThanOrEqual(m.target);
  });
});
