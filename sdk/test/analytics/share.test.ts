// The seller's sharing of a CSV: three encrypted bundles whose shares reconstruct every encoded
// value, hashes of the ciphertexts, bad values found (with their row) before anything is handed
// out, extra columns reported.
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "viem";
import { describe, expect, it } from "vitest";
import { decryptStream } from "../../src/delivery/file-cipher.ts";
import {
  bundleCiphertextSize, DatasetError, encodeRow, fromSigned, P, readBundle, reconstruct, schemaHash, shareDataset, shareRows, type ShareDatasetOptions,
} from "../../src/analytics/index.ts";
import { collect, makeRows, NODES, once, SCHEMA, toCsv } from "./fixtures.ts";

async function run(csv: ShareDatasetOptions["csv"], over: Partial<ShareDatasetOptions> = {}) {
  const chunks: Uint8Array[][] = [[], [], []];
  const progress: number[] = [];
  const result = await shareDataset({
    csv, schema: SCHEMA, productId: 4n, nodes: NODES, onChunk: (i, c) => void chunks[i].push(c), onProgress: (p) => progress.push(p.rows), ...over,
  });
  return { result, chunks, progress };
}

const textChunks = (text: string, size: number) => () => (function* () {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
})();

describe("sharing a dataset", () => {
  it("three bundles whose shares reconstruct every encoded value", async () => {
    const rows = makeRows(700);
    const csv = toCsv(rows.map((r) => ({ ...r, note: "x" })));
    const { result, chunks, progress } = await run(textChunks(csv, 5000));
    expect(result.rows).toBe(700);
    expect(result.extraColumns).toEqual(["note"]);
    expect(result.schemaHash).toBe(schemaHash(SCHEMA));
    expect(progress.at(-1)).toBe(700);
    const bundles: bigint[][][] = [];
    for (const b of result.bundles) {
      const cipher = await collect((async function* () { yield* chunks[b.index]; })());
      expect(cipher.length).toBe(b.size);
      expect(b.size).toBe(bundleCiphertextSize(b.header));
      expect(bytesToHex(sha256(cipher))).toBe(b.bundleHash);
      const plain = await collect(decryptStream(once(cipher), b.fileKey));
      const { header, rows: shares } = await readBundle(plain, { index: b.index, node: NODES[b.index], productId: "4", schemaHash: result.schemaHash });
      expect(header.rows).toBe(700);
      bundles.push(shares);
    }
    expect(new Set(result.bundles.map((b) => bytesToHex(b.fileKey))).size).toBe(3);
    for (const r of [0, 1, 350, 699]) {
      const expected = encodeRow(SCHEMA, rows[r], r + 1);
      expected.forEach((v, j) => {
        expect(reconstruct([{ x: 1, y: bundles[0][r][j] }, { x: 3, y: bundles[2][r][j] }])).toBe(v);
        expect(reconstruct([1, 2, 3].map((x) => ({ x, y: bundles[x - 1][r][j] })))).toBe(v);
      });
    }
    // A node's shares alone are not the values (indicators would be 0/1).
    expect(bundles[0][0].filter((y) => y <= 1n).length).toBe(0);
  });

  it("finds a bad value in the first pass, before any chunk is handed out", async () => {
    const rows = makeRows(300);
    rows[256].age = "112";
    const { chunks } = await run(textChunks(toCsv(rows), 777)).catch((e) => {
      expect(e).toBeInstanceOf(DatasetError);
      expect(e.code).toBe("out-of-range");
      expect(e.row).toBe(257);
      expect(e.column).toBe("age");
      return { chunks: null };
    });
    expect(chunks).toBeNull();
    const seen: number[] = [];
    await expect(shareDataset({ csv: textChunks(toCsv(rows), 777), schema: SCHEMA, productId: 4n, nodes: NODES, onChunk: (i) => void seen.push(i) })).rejects.toThrow(DatasetError);
    expect(seen).toEqual([]);
  });

  it("refuses a CSV without a schema column, with a wrong field count or another row count", async () => {
    const rows = makeRows(20);
    const missing = toCsv(rows, ["age", "sex", "region", "readmitted", "temp"]);
    await expect(run(textChunks(missing, 100))).rejects.toMatchObject({ code: "missing-column", column: "length_of_stay", row: 0 });
    const ragged = toCsv(rows).replace(/\n([^\n]*)\n$/, "\n$1,extra\n");
    await expect(run(textChunks(ragged, 100))).rejects.toMatchObject({ code: "wrong-field-count", row: 20 });
    await expect(run(textChunks(toCsv(rows), 100)(), { rows: 19 })).rejects.toMatchObject({ code: "row-count" });
    await expect(run(textChunks(toCsv(rows), 100)(), { rows: 21 })).rejects.toMatchObject({ code: "row-count" });
    await expect(run(textChunks(toCsv(rows), 100)())).rejects.toMatchObject({ code: "row-count" }); // single-use source without rows
    await expect(run(textChunks("age,length_of_stay,sex,region,readmitted,temp\n", 100))).rejects.toMatchObject({ code: "empty" });
    await expect(run(textChunks("age,age\n1,2\n", 100))).rejects.toMatchObject({ code: "duplicate-column" });
  });

  it("a single-use source works when the rows are announced; bytes input", async () => {
    const rows = makeRows(50);
    const bytes = new TextEncoder().encode(toCsv(rows));
    const { result } = await run(once(bytes), { rows: 50 });
    expect(result.bundles.map((b) => b.header.rows)).toEqual([50, 50, 50]);
  });

  it("shareRows: limb arithmetic equals bigint arithmetic at the edges", () => {
    const values: (number | bigint)[] = [0, 1, -1, 2 ** 49, -(2 ** 49), 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 100n, -(2n ** 100n), 12345];
    for (let i = 0; i < 2000; i++) values.push(Math.floor((Math.random() - 0.5) * 2 ** 53));
    const parts = shareRows([values], values.length);
    const view = parts.map((p) => new DataView(p.buffer));
    values.forEach((v, j) => {
      const ys = view.map((d) => d.getBigUint64(j * 16, true) | (d.getBigUint64(j * 16 + 8, true) << 64n));
      expect(ys.every((y) => y < P)).toBe(true);
      expect(reconstruct(ys.map((y, i) => ({ x: i + 1, y })))).toBe(fromSigned(v));
    });
  });
});
