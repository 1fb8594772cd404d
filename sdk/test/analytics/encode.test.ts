// Row encoding and CSV reading: exact fixed point (half away from zero, from the decimal
// text), indicators, and errors that name the row and the column.
import { describe, expect, it } from "vitest";
import { DatasetError, encodeRow, encodeRowSigned, fromSigned, parseSchema, readCsv, toFixedPoint, parseDecimal } from "../../src/analytics/index.ts";
import { SCHEMA } from "./fixtures.ts";

const S = parseSchema({
  columns: [
    { name: "v", kind: "numeric", min: -100, max: 100, decimals: 1, bins: [-100, 0, 50, 101] },
    { name: "c", kind: "categorical", values: ["a", "b", "c"] },
  ],
});
const row = (v: unknown, c: unknown = "a") => encodeRowSigned(S, { v, c }, 7);
const datasetError = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return e as DatasetError;
  }
  throw new Error("no error");
};

describe("encoding", () => {
  it("rounds half away from zero exactly, from the decimal text", () => {
    expect(row("2.25")[0]).toBe(23);
    expect(row("-2.25")[0]).toBe(-23);
    expect(row("2.24999999999999999999")[0]).toBe(22);
    expect(row("0.05")[0]).toBe(1);
    expect(row("-0.05")[0]).toBe(-1);
    expect(row("-0.04")[0]).toBe(0);
    expect(row("1.15")[0]).toBe(12); // 1.15 * 10 is 11.499999999999998 in floats
    expect(row("1e1")[0]).toBe(100);
    expect(row("+.5")[0]).toBe(5);
    expect(row(" 3 ")[0]).toBe(30);
    expect(row(12.5)[0]).toBe(125);
    expect(toFixedPoint(parseDecimal("1.0000005")!, 6)).toBe(1000001n);
    expect(toFixedPoint(parseDecimal("-1.0000005")!, 6)).toBe(-1000001n);
  });

  it("writes x, x², bin and value indicators", () => {
    expect(row("-3.5", "b")).toEqual([-35, 1225, 1, 0, 0, 0, 1, 0]);
    expect(row("50", "c")).toEqual([500, 250000, 0, 0, 1, 0, 0, 1]);
    expect(row("49.99", "a")).toEqual([500, 250000, 0, 1, 0, 1, 0, 0]); // the bin of the exact value, the rounded fixed point
    expect(row("100")[2 + 2]).toBe(1);
    const f = encodeRow(S, { v: "-1", c: "a" }, 1);
    expect(f[0]).toBe(fromSigned(-10));
    expect(f[1]).toBe(100n);
  });

  it("big squares stay exact (bigint)", () => {
    const s = parseSchema({ columns: [{ name: "x", kind: "numeric", min: 0, max: 1e9, decimals: 3 }] });
    const [x, x2] = encodeRowSigned(s, { x: "999999999.999" }, 1);
    expect(x).toBe(999999999999);
    expect(x2).toBe(999999999999n * 999999999999n);
  });

  it("errors name the row and the column", () => {
    const cases: [unknown, unknown, string][] = [
      ["", "a", "missing-value"],
      [undefined, "a", "missing-value"],
      ["abc", "a", "not-a-number"],
      ["1,5", "a", "not-a-number"],
      ["100.01", "a", "out-of-range"],
      ["-100.0001", "a", "out-of-range"],
      [NaN, "a", "not-a-number"],
      ["1", "A", "unknown-value"],
      ["1", "", "missing-value"],
    ];
    for (const [v, c, code] of cases) {
      const e = datasetError(() => row(v, c));
      expect(e.code, `${v} ${c}`).toBe(code);
      expect(e.row).toBe(7);
      expect(e.column).toBe(code === "unknown-value" || c === "" ? "c" : "v");
      expect(e.message).toMatch(/^row 7, column "[vc]"/);
    }
  });

  it("encodes the fixture schema (temp has 2 decimals, negative bins)", () => {
    const r = encodeRowSigned(SCHEMA, { age: "65", length_of_stay: "3.45", sex: "M", region: "islands", readmitted: "1", temp: "-0.005" }, 1);
    expect(r.slice(0, 7)).toEqual([65, 4225, 0, 0, 0, 1, 0]);
    expect(r.slice(7, 9)).toEqual([35, 1225]);
    expect(r.slice(-5)).toEqual([-1, 1, 1, 0, 0]);
  });
});

describe("CSV reading", () => {
  const read = async (source: Iterable<string> | AsyncIterable<Uint8Array>, piece?: number) => {
    const out: string[][] = [];
    for await (const b of readCsv(source, piece)) {
      expect(b.first).toBe(out.length);
      out.push(...b.records);
    }
    return out;
  };

  it("reads quoted fields across chunk and piece boundaries, CRLF, BOM, empty lines", async () => {
    const text = '\ufeffa,b\r\n1,"x\n""y"""\r\n\r\n2,"z,w"\n3,4';
    const expected = [["a", "b"], ["1", 'x\n"y"'], ["2", "z,w"], ["3", "4"]];
    expect(await read([text])).toEqual(expected);
    expect(await read(text.split(""), 3)).toEqual(expected); // one character at a time, tiny pieces
    const bytes = new TextEncoder().encode("é,ü\nñ,ø\n");
    const split = async function* () {
      for (const b of bytes) yield new Uint8Array([b]); // UTF-8 split inside characters
    };
    expect(await read(split())).toEqual([["é", "ü"], ["ñ", "ø"]]);
    const bom = async function* () {
      for (const b of [0xef, 0xbb, 0xbf, ...new TextEncoder().encode("a,b\n")]) yield new Uint8Array([b]); // a BOM split over chunks
    };
    expect(await read(bom())).toEqual([["a", "b"]]);
    await expect(read((async function* () { yield new Uint8Array([0x61, 0xff, 0x0a]); })())).rejects.toThrow(/not UTF-8/);
  });

  it("reports a CSV error with the row", async () => {
    let err: unknown;
    try {
      await read(["a,b\n1,2\n3,\"x\"y\n"]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe("bad-csv");
    expect((err as DatasetError).row).toBe(2);
  });

  it("refuses a record that never ends (an unbalanced quote)", async () => {
    const chunks = ['a,b\n1,"', ...Array.from({ length: 20 }, () => "x".repeat(100_000))];
    await expect(read(chunks)).rejects.toThrow(/longer than/);
  });
});
