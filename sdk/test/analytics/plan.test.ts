// Plans: cells, filters (encoded column indexes), reveals, sensitivities; merging filters.
import { describe, expect, it } from "vitest";
import { encodedColumns, filterKey, mergeFilters, planQuery, validateQuery, type Query } from "../../src/analytics/index.ts";
import { manifestFor, SCHEMA } from "./fixtures.ts";

const manifest = manifestFor(SCHEMA, 100);
const ids = encodedColumns(SCHEMA).map((c) => c.id);
const idx = (id: string) => ids.indexOf(id);
const plan = (q: Omit<Query, "v">) => planQuery(validateQuery({ v: 1, ...q } as Query, manifest), SCHEMA);

describe("plans", () => {
  it("a mean with a range and a value condition, grouped", () => {
    const p = plan({ op: "mean", column: "length_of_stay", where: [{ column: "sex", in: ["F"] }, { column: "age", from: 40, to: 111 }], groupBy: "region" });
    expect(p.filter).toEqual([
      { column: "age", indexes: [idx("age#2"), idx("age#3"), idx("age#4")] },
      { column: "sex", indexes: [idx("sex=F")] },
    ]);
    expect(p.cells.map((c) => c.key)).toEqual(["north", "centre", "south", "islands"]);
    expect(p.cells[0].filter).toEqual([...p.filter, { column: "region", indexes: [idx("region=north")] }].sort((a, b) => (a.column < b.column ? -1 : 1)));
    expect(p.reveals).toEqual(["count", "sum"]);
    expect(p.value).toEqual({ column: "length_of_stay", decimals: 1, x: idx("length_of_stay"), x2: idx("length_of_stay^2") });
    expect(p.sensitivity).toEqual({ count: 1n, sum: 3650n, sumsq: 3650n * 3650n });
    expect(p.linear).toBe(false);
  });

  it("a histogram with a group: one cell per group and bin, labels of the edges", () => {
    const p = plan({ op: "histogram", column: "age", groupBy: "sex" });
    expect(p.cells.map((c) => c.key)).toEqual(["F|0–18", "F|18–40", "F|40–65", "F|65–80", "F|80–111", "M|0–18", "M|18–40", "M|40–65", "M|65–80", "M|80–111"]);
    expect(p.cells[3]).toMatchObject({ group: "F", bin: "65–80" });
    expect(p.reveals).toEqual(["count"]);
    expect(p.sensitivity.count).toBe(1n);
  });

  it("a condition and a group or histogram on one column intersect (empty cells have no filter)", () => {
    const p = plan({ op: "count", where: [{ column: "region", in: ["north", "south"] }], groupBy: "region" });
    expect(p.cells.map((c) => c.filter?.[0].indexes ?? null)).toEqual([[idx("region=north")], null, [idx("region=south")], null]);
    expect(p.linear).toBe(true);
    const h = plan({ op: "histogram", column: "age", where: [{ column: "age", from: 18, to: 65 }] });
    expect(h.cells.map((c) => (c.filter ? c.filter.length : null))).toEqual([null, 1, 1, null, null]);
    expect(plan({ op: "count" }).cells).toEqual([{ key: "all", filter: [] }]);
  });

  it("mergeFilters intersects per column; an empty intersection is null", () => {
    const a = [{ column: "age", indexes: [1, 2, 3] }, { column: "sex", indexes: [10] }];
    const b = [{ column: "age", indexes: [3, 4] }, { column: "region", indexes: [20, 21] }];
    expect(mergeFilters(a, b)).toEqual([{ column: "age", indexes: [3] }, { column: "region", indexes: [20, 21] }, { column: "sex", indexes: [10] }]);
    expect(mergeFilters(a, [{ column: "sex", indexes: [11] }])).toBeNull();
    expect(mergeFilters([], a)).toEqual(a);
    expect(filterKey(mergeFilters(a, a)!)).toBe(filterKey(a));
  });
});
