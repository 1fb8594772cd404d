// The buyer's reconstruction: payload parsing, combining 2 or 3 nodes' shares, detection of a
// wrong share, fixed-point decoding and exact variance.
import { describe, expect, it } from "vitest";
import {
  cellResult, combineResults, elementToHex, fromSigned, InconsistentShareError, planQuery, parseResultPayload, queryHash, ratioToNumber, ResultError, share, validateQuery,
  type Query, type ResultPayload,
} from "../../src/analytics/index.ts";
import { manifestFor, NODES, SCHEMA } from "./fixtures.ts";

const manifest = manifestFor(SCHEMA, 100);
const query = validateQuery({ v: 1, op: "stddev", column: "length_of_stay", groupBy: "sex" } as Query, manifest);
const plan = planQuery(query, SCHEMA);
// Cell F: values 1.5, 2.5, 3.0 (fixed 15, 25, 30); cell M suppressed.
const truth = { count: 3n, sum: 70n, sumsq: 225n + 625n + 900n };

function payloads(participants = [0, 1, 2]): ResultPayload[] {
  const shares = { count: share(fromSigned(truth.count)), sum: share(fromSigned(truth.sum)), sumsq: share(fromSigned(truth.sumsq)) };
  return participants.map((i) => ({
    kind: "kraken.analytics-result", v: 1, jobId: "9", productId: "4", node: NODES[i], index: i, participants, queryHash: queryHash(query), epsilon: 0,
    cells: [
      { key: "F", suppressed: false, shares: { count: elementToHex(shares.count[i]), sum: elementToHex(shares.sum[i]), sumsq: elementToHex(shares.sumsq[i]) } },
      { key: "M", suppressed: true, shares: {} },
    ],
  }));
}

describe("results", () => {
  it("three agreeing payloads give the exact result", () => {
    const r = combineResults(plan, payloads());
    expect(r.nodes).toEqual([0, 1, 2]);
    expect(r.consistent).toBe(true);
    const mean = 7 / 3; // correctly rounded from the exact ratio
    const variance = 7 / 18; // sumsq/n − mean² = (3·1750 − 70²) / (9 · 100)
    expect(r.cells[0]).toEqual({ key: "F", group: "F", suppressed: false, count: 3, sum: 7, mean, variance, stddev: Math.sqrt(variance) });
    expect(r.cells[1]).toEqual({ key: "M", group: "M", suppressed: true });
  });

  it("any two payloads suffice (not cross-checked)", () => {
    const all = payloads();
    for (const pair of [[0, 1], [0, 2], [1, 2]]) {
      const r = combineResults(plan, pair.map((i) => all[i]));
      expect(r.consistent).toBe(false);
      expect(r.cells[0].sum).toBe(7);
    }
    const two = payloads([0, 2]);
    expect(combineResults(plan, two).nodes).toEqual([0, 2]);
  });

  it("a wrong share among three is detected, naming the nodes", () => {
    const ps = payloads();
    ps[1].cells[0].shares.sum = elementToHex(fromSigned(123n));
    let err: unknown;
    try {
      combineResults(plan, ps);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InconsistentShareError);
    expect((err as InconsistentShareError).nodes).toEqual([0, 1, 2]);
    expect((err as Error).message).toMatch(/sum of cell "F"/);
  });

  it("refuses payloads that do not fit together", () => {
    const ps = payloads();
    expect(() => combineResults(plan, [ps[0]])).toThrow(ResultError);
    expect(() => combineResults(plan, [ps[0], { ...ps[1], jobId: "10" }])).toThrow(/another job/);
    expect(() => combineResults(plan, [ps[0], { ...ps[1], queryHash: `0x${"00".repeat(32)}` }])).toThrow(/another query/);
    expect(() => combineResults(plan, [ps[0], { ...ps[1], cells: [{ ...ps[1].cells[0], suppressed: true, shares: {} }, ps[1].cells[1]] }])).toThrow(/suppressed/);
    expect(() => combineResults(plan, [ps[0], ps[0]])).toThrow(/two payloads/);
    expect(() => combineResults(plan, [ps[0], { ...ps[1], cells: [{ ...ps[1].cells[0], shares: { count: ps[1].cells[0].shares.count } }, ps[1].cells[1]] }])).toThrow(/no sum share/);
  });

  it("parses payloads strictly", () => {
    const p = payloads()[0];
    expect(parseResultPayload(JSON.parse(JSON.stringify(p)))).toEqual(p);
    const bad: Record<string, unknown>[] = [
      { kind: "x" }, { v: 2 }, { index: 3 }, { participants: [0] }, { participants: [1, 0] }, { participants: [1, 2] }, { queryHash: "0x1" }, { node: "nope" },
      { cells: [] }, { cells: [{ key: "F", suppressed: false, shares: { count: "0xZZ" } }] }, { cells: [{ key: "F", suppressed: true, shares: { count: "0x1" } }] },
      { cells: [{ key: "F", suppressed: false, shares: {} }, { key: "F", suppressed: false, shares: {} }] }, { epsilon: -1 }, { extra: 1 },
    ];
    for (const over of bad) expect(() => parseResultPayload({ ...p, ...over }), JSON.stringify(over)).toThrow(ResultError);
  });

  it("decodes fixed point and ratios exactly", () => {
    expect(ratioToNumber(1n, 3n)).toBe(1 / 3);
    expect(ratioToNumber(-7n, 2n)).toBe(-3.5);
    expect(ratioToNumber(10n ** 30n + 1n, 10n ** 10n)).toBe(1e20);
    const c = cellResult(plan, plan.cells[0], false, { count: 0n, sum: 0n, sumsq: 0n });
    expect(c.mean).toBeUndefined();
  });
});
