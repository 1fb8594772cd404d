// The bundle format: header first, rows of 16-byte elements; strict reading.
import { describe, expect, it } from "vitest";
import { BundleError, BundleReader, bundleSize, BundleWriter, encodeBundleHeader, P, randomElements, readBundle, type BundleHeader } from "../../src/analytics/index.ts";
import { collect, NODES } from "./fixtures.ts";

const header: BundleHeader = { v: 1, productId: "4", node: NODES[1], index: 1, rows: 5, columns: 3, schemaHash: `0x${"ab".repeat(32)}` };
const rows = Array.from({ length: 5 }, () => randomElements(3));

function write(h = header, rs = rows): Uint8Array[] {
  const w = new BundleWriter(h);
  const chunks = [w.start(), w.writeRows(rs.slice(0, 2)), w.writeRows(rs.slice(2))];
  w.finish();
  return chunks;
}
async function* pieces(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}
const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BundleError);
    return (e as BundleError).code;
  }
  return "no error";
};

describe("bundle", () => {
  it("round-trips through any chunking; the header comes first", async () => {
    const chunks = write();
    expect(new TextDecoder().decode(chunks[0].subarray(0, 4))).toBe("KRAB");
    expect(chunks[0][4]).toBe(1);
    const all = await collect((async function* () { yield* chunks; })());
    expect(all.length).toBe(bundleSize(header));
    for (const size of [1, 7, 16, 48, 1000]) {
      const { header: h, rows: rs } = await readBundle(pieces(all, size));
      expect(h).toEqual(header);
      expect(rs).toEqual(rows);
    }
    const reader = await BundleReader.open(pieces(all, 5), { productId: "4", index: 1, node: NODES[1].toUpperCase().replace("0X", "0x") as `0x${string}` });
    const batches = [];
    for await (const b of reader.batches(2)) batches.push([b.firstRow, b.rows, b.data.length]);
    expect(batches).toEqual([[0, 2, 96], [2, 2, 96], [4, 1, 48]]);
  });

  it("the writer checks row widths and counts", () => {
    const w = new BundleWriter(header);
    expect(() => w.writeRows(rows)).toThrow(/header first/);
    w.start();
    expect(() => w.writeRows([[1n]])).toThrow(/3 elements/);
    w.writeRows(rows.slice(0, 4));
    expect(() => w.finish()).toThrow(/4 rows written/);
    expect(() => w.writeRows(rows)).toThrow(/more rows/);
    expect(() => new BundleWriter({ ...header, index: 3 })).toThrow(BundleError);
  });

  it("the reader refuses a bad magic, header, truncation, trailing bytes, elements ≥ p and other expectations", async () => {
    const all = await collect((async function* () { yield* write(); })());
    expect(await codeOf(readBundle(all.slice(0, all.length - 1)))).toBe("truncated");
    expect(await codeOf(readBundle(new Uint8Array([...all, 0])))).toBe("trailing-bytes");
    expect(await codeOf(readBundle(new Uint8Array([0x4b, 0x52, 0x41, 0x43, 1, 0, 0, 0, 2, 0x7b, 0x7d])))).toBe("bad-bundle");
    const bad = all.slice();
    bad[bad.length - 1] = 0x80; // top byte of the last element
    expect(await codeOf(readBundle(bad))).toBe("bad-element");
    const pElem = all.slice();
    pElem.fill(0xff, pElem.length - 16, pElem.length - 1);
    pElem[pElem.length - 1] = 0x7f; // exactly p
    expect(await codeOf(readBundle(pElem))).toBe("bad-element");
    expect(await codeOf(readBundle(all, { index: 2 }))).toBe("bad-bundle");
    const h = encodeBundleHeader(header);
    const json = new TextDecoder().decode(h.subarray(9)).replace('"v":1', '"v":1,"x":1');
    const forged = new Uint8Array([...h.subarray(0, 5), 0, 0, 0, json.length, ...new TextEncoder().encode(json)]);
    expect(await codeOf(readBundle(forged))).toBe("bad-bundle");
    expect(P).toBeGreaterThan(0n);
  });
});
