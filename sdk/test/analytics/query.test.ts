// The query language: parsing, the CLI form, validation against a manifest (every error code),
// canonical form and hash, linearity.
import { describe, expect, it } from "vitest";
import { isLinear, parseQuery, queryFromArgs, QueryError, queryHash, validateQuery, type Query } from "../../src/analytics/index.ts";
import { manifestFor, SCHEMA } from "./fixtures.ts";

const manifest = manifestFor(SCHEMA, 100, {
  allowed: { columns: ["age", "length_of_stay", "sex", "region", "temp"], operations: ["count", "mean", "sum", "histogram"], groupBy: ["region"] },
});
const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(QueryError);
    expect((e as QueryError).message.length).toBeGreaterThan(10);
    return (e as QueryError).code;
  }
  return "no error";
};
const v = (q: unknown) => codeOf(() => validateQuery(q as Query, manifest));

describe("queries", () => {
  it("validates the doc's example and canonicalises it", () => {
    const q = validateQuery(
      { v: 1, op: "mean", column: "length_of_stay", where: [{ column: "sex", in: ["F"] }, { column: "age", from: 65, to: 111 }], groupBy: "region" },
      manifest,
    );
    expect(q.where?.map((w) => w.column)).toEqual(["age", "sex"]);
    const same = validateQuery({ groupBy: "region", where: [{ column: "age", to: 111, from: 65 }, { in: ["F"], column: "sex" }], column: "length_of_stay", op: "mean", v: 1 } as Query, manifest);
    expect(queryHash(same)).toBe(queryHash(q));
    expect(validateQuery({ v: 1, op: "count", where: [{ column: "region", in: ["south", "north"] }] }, manifest).where).toEqual([{ column: "region", in: ["north", "south"] }]);
    expect(queryHash(q)).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("every error code, with a message", () => {
    expect(v({ v: 2, op: "count" })).toBe("malformed");
    expect(v({ v: 1, op: "median", column: "age" })).toBe("malformed");
    expect(v({ v: 1, op: "count", column: "age" })).toBe("malformed");
    expect(v({ v: 1, op: "mean" })).toBe("malformed");
    expect(v({ v: 1, op: "count", extra: 1 })).toBe("malformed");
    expect(v({ v: 1, op: "count", where: [{ column: "sex" }] })).toBe("malformed");
    expect(v({ v: 1, op: "count", where: [{ column: "sex", in: [] }] })).toBe("malformed");
    expect(v({ v: 1, op: "count", where: [{ column: "sex", in: ["F", "F"] }] })).toBe("malformed");
    expect(v({ v: 1, op: "count", where: [{ column: "sex", in: ["F"], from: 1 }] })).toBe("malformed");
    expect(v({ v: 1, op: "count", where: "sex=F" })).toBe("malformed");
    expect(v("count")).toBe("malformed");
    expect(v({ v: 1, op: "mean", column: "weight" })).toBe("unknown-column");
    expect(v({ v: 1, op: "count", where: [{ column: "weight", in: ["1"] }] })).toBe("unknown-column");
    expect(v({ v: 1, op: "mean", column: "readmitted" })).toBe("not-allowed"); // column not allowed
    expect(v({ v: 1, op: "variance", column: "age" })).toBe("not-allowed"); // operation not allowed
    expect(v({ v: 1, op: "count", groupBy: "sex" })).toBe("not-allowed"); // grouping not allowed
    expect(v({ v: 1, op: "mean", column: "sex" })).toBe("wrong-kind");
    expect(v({ v: 1, op: "histogram", column: "length_of_stay" })).toBe("wrong-kind");
    expect(v({ v: 1, op: "count", where: [{ column: "age", in: ["65"] }] })).toBe("wrong-kind");
    expect(v({ v: 1, op: "count", where: [{ column: "sex", from: 0, to: 1 }] })).toBe("wrong-kind");
    expect(v({ v: 1, op: "count", where: [{ column: "length_of_stay", from: 0, to: 1 }] })).toBe("wrong-kind");
    expect(v({ v: 1, op: "count", groupBy: "age" })).toBe("wrong-kind");
    expect(v({ v: 1, op: "count", where: [{ column: "age", from: 60, to: 111 }] })).toBe("bad-range");
    expect(v({ v: 1, op: "count", where: [{ column: "age", from: 65, to: 65 }] })).toBe("bad-range");
    expect(v({ v: 1, op: "count", where: [{ column: "age", from: 80, to: 65 }] })).toBe("bad-range");
    expect(v({ v: 1, op: "count", where: [{ column: "sex", in: ["X"] }] })).toBe("unknown-value");
    const five = [{ column: "sex", in: ["F"] }, { column: "region", in: ["north"] }, { column: "age", from: 0, to: 18 }, { column: "temp", from: 0, to: 20 }, { column: "length_of_stay", from: 0, to: 1 }];
    expect(v({ v: 1, op: "count", where: five })).toBe("too-many-conditions");
    expect(v({ v: 1, op: "count", where: [{ column: "sex", in: ["F"] }, { column: "sex", in: ["M"] }] })).toBe("duplicate-column");
  });

  it("builds a query from CLI arguments", () => {
    const q = queryFromArgs({ op: "mean", column: "length_of_stay", where: ["sex=F", "age=65..111", "region=north,south", "temp=-20..0"], groupBy: "region" });
    expect(q).toEqual({
      v: 1, op: "mean", column: "length_of_stay", groupBy: "region",
      where: [{ column: "sex", in: ["F"] }, { column: "age", from: 65, to: 111 }, { column: "region", in: ["north", "south"] }, { column: "temp", from: -20, to: 0 }],
    });
    expect(codeOf(() => queryFromArgs({ op: "count", where: ["sex"] }))).toBe("malformed");
    expect(codeOf(() => queryFromArgs({ op: "count", where: ["sex=F,"] }))).toBe("malformed");
    expect(queryFromArgs({ op: "count" })).toEqual({ v: 1, op: "count" });
    expect(parseQuery({ v: 1, op: "count", where: [] })).toEqual({ v: 1, op: "count" });
  });

  it("tells linear queries (two nodes can answer) from the others", () => {
    const L = (q: Omit<Query, "v">) => isLinear({ v: 1, ...q } as Query);
    expect(L({ op: "count" })).toBe(true);
    expect(L({ op: "count", where: [{ column: "sex", in: ["F"] }] })).toBe(true);
    expect(L({ op: "count", groupBy: "region" })).toBe(true);
    expect(L({ op: "count", where: [{ column: "region", in: ["north"] }], groupBy: "region" })).toBe(true);
    expect(L({ op: "count", where: [{ column: "sex", in: ["F"] }], groupBy: "region" })).toBe(false);
    expect(L({ op: "histogram", column: "age" })).toBe(true);
    expect(L({ op: "histogram", column: "age", where: [{ column: "age", from: 18, to: 80 }] })).toBe(true);
    expect(L({ op: "histogram", column: "age", where: [{ column: "sex", in: ["F"] }] })).toBe(false);
    expect(L({ op: "mean", column: "age" })).toBe(true);
    expect(L({ op: "stddev", column: "age" })).toBe(true);
    expect(L({ op: "mean", column: "age", where: [{ column: "sex", in: ["F"] }] })).toBe(false);
    expect(L({ op: "sum", column: "age", groupBy: "sex" })).toBe(false);
  });
});
