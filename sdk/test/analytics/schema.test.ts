// Schemas, canonical JSON, manifests: strict parsing with the limits of docs/analytics.md.
import { describe, expect, it } from "vitest";
import {
  canonicalJson, checkHeadroom, encodedColumns, epsilonThousandths, ManifestError, manifestHash, parseManifest, parseSchema, SchemaError, schemaHash, toDatasetInput,
} from "../../src/analytics/index.ts";
import { manifestFor, NODES, SCHEMA } from "./fixtures.ts";

const schemaError = (json: unknown, re: RegExp) => {
  let err: unknown;
  try {
    parseSchema(json);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SchemaError);
  expect((err as SchemaError).message).toMatch(re);
};
const num = (over: object = {}) => ({ columns: [{ name: "x", kind: "numeric", min: 0, max: 10, decimals: 0, ...over }] });

describe("canonical JSON", () => {
  it("sorts keys at every depth, no spaces, drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" }, u: undefined })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(() => canonicalJson({ a: NaN })).toThrow();
    expect(() => canonicalJson({ a: 1n })).toThrow();
    expect(() => canonicalJson(new Date())).toThrow();
  });
});

describe("schema", () => {
  it("parses the doc's example and lists the encoded columns", () => {
    const ids = encodedColumns(SCHEMA).map((c) => c.id);
    expect(ids.slice(0, 7)).toEqual(["age", "age^2", "age#0", "age#1", "age#2", "age#3", "age#4"]);
    expect(ids).toContain("sex=F");
    expect(ids).toContain("region=islands");
    expect(ids).toContain("temp#2");
    expect(ids.length).toBe(7 + 2 + 2 + 4 + 2 + 5);
  });

  it("refuses every broken rule", () => {
    schemaError(null, /not an object/);
    schemaError({ columns: [] }, /non-empty/);
    schemaError({ columns: [], extra: 1 }, /unknown field/);
    schemaError({ columns: Array.from({ length: 33 }, (_, i) => ({ name: `c${i}`, kind: "categorical", values: ["a"] })) }, /at most 32 columns/);
    schemaError({ columns: [{ name: "Age", kind: "numeric", min: 0, max: 1, decimals: 0 }] }, /name must match/);
    schemaError({ columns: [{ name: "a".repeat(33), kind: "numeric", min: 0, max: 1, decimals: 0 }] }, /name must match/);
    schemaError({ columns: [{ name: "x", kind: "categorical", values: ["a"] }, { name: "x", kind: "categorical", values: ["b"] }] }, /two columns/);
    schemaError(num({ min: 5, max: 5 }), /min must be below max/);
    schemaError(num({ decimals: 7 }), /decimals/);
    schemaError(num({ decimals: 1.5 }), /decimals/);
    schemaError(num({ bins: [0, 5, 5, 11] }), /strictly ascending/);
    schemaError(num({ bins: [1, 11] }), /first bin edge/);
    schemaError(num({ bins: [0, 10] }), /last bin edge/);
    schemaError(num({ bins: Array.from({ length: 34 }, (_, i) => i) }), /1 to 32 bins/);
    schemaError(num({ max: 2 ** 50 }), /2\^100/);
    schemaError(num({ min: "0" }), /finite number/);
    schemaError(num({ extra: true }), /unknown field/);
    schemaError({ columns: [{ name: "c", kind: "categorical", values: [] }] }, /1 to 64 values/);
    schemaError({ columns: [{ name: "c", kind: "categorical", values: Array.from({ length: 65 }, (_, i) => `v${i}`) }] }, /1 to 64 values/);
    schemaError({ columns: [{ name: "c", kind: "categorical", values: ["a", "a"] }] }, /duplicate/);
    for (const v of ["", " a", "a,b", "a|b", "x".repeat(65), "a\n", 3]) schemaError({ columns: [{ name: "c", kind: "categorical", values: [v] }] }, /values\[0\]/);
    schemaError({ columns: [{ name: "c", kind: "date" }] }, /kind/);
  });

  it("hashes the canonical JSON: key order does not matter", () => {
    const a = parseSchema({ columns: [{ kind: "numeric", name: "x", decimals: 0, max: 10, min: 0 }] });
    const b = parseSchema({ columns: [{ name: "x", kind: "numeric", min: 0, max: 10, decimals: 0 }] });
    expect(schemaHash(a)).toBe(schemaHash(b));
    expect(schemaHash(a)).not.toBe(schemaHash(parseSchema(num({ max: 11 }))));
  });

  it("refuses a schema without headroom for its rows: rows · (max|v|·10^d)² < 2^100", () => {
    const s = parseSchema(num({ min: -1000, max: 1000, decimals: 6 })); // M = 10^9, M² ≈ 2^59.8
    checkHeadroom(s, 2 ** 40 - 1);
    expect(() => checkHeadroom(s, 2 ** 41)).toThrow(SchemaError);
    try {
      checkHeadroom(s, 2 ** 41);
    } catch (e) {
      expect((e as SchemaError).code).toBe("no-headroom");
    }
  });
});

describe("manifest", () => {
  it("parses, hashes canonically and builds the on-chain dataset input", () => {
    const m = manifestFor(SCHEMA, 1000, { privacy: { minCohort: 10, epsilonPerQuery: 0.5, epsilonBudget: 20 } });
    expect(m.nodes[0]).toBe("0x1111111111111111111111111111111111111111");
    const reordered = parseManifest(JSON.parse(JSON.stringify({ ...m, privacy: { epsilonBudget: 20, epsilonPerQuery: 0.5, minCohort: 10 } })));
    expect(manifestHash(reordered)).toBe(manifestHash(m));
    const input = toDatasetInput(m, "ipfs://bafkreiabc");
    expect(input).toEqual({
      manifestHash: manifestHash(m), manifestURI: "ipfs://bafkreiabc", bundleHashes: m.bundleHashes, rows: 1000, minCohort: 10, epsilonPerQuery: 500, epsilonBudget: 20000, jobTimeout: 600,
    });
    expect(toDatasetInput(manifestFor(SCHEMA, 5, { jobTimeout: 120 }), "https://x.example/m.json").jobTimeout).toBe(120);
    expect(() => toDatasetInput(m, "http://insecure")).toThrow(ManifestError);
    expect(epsilonThousandths(0.001)).toBe(1);
    expect(() => epsilonThousandths(0.0005)).toThrow(ManifestError);
  });

  it("refuses a malformed manifest with a reason", () => {
    const m = manifestFor(SCHEMA, 100);
    const broken: [object, RegExp][] = [
      [{ kind: "x" }, /kind/],
      [{ v: 2 }, /version/],
      [{ productId: "04" }, /productId/],
      [{ rows: 0 }, /rows/],
      [{ schema: { columns: [] } }, /non-empty/],
      [{ allowed: { ...m.allowed, columns: ["nope"] } }, /allowed.columns/],
      [{ allowed: { ...m.allowed, operations: [] } }, /operations is empty/],
      [{ allowed: { ...m.allowed, operations: ["median"] } }, /unknown operation/],
      [{ allowed: { ...m.allowed, groupBy: ["age"] } }, /not categorical/],
      [{ allowed: { ...m.allowed, columns: ["age"], groupBy: ["sex"] } }, /not in allowed.columns/],
      [{ privacy: { ...m.privacy, minCohort: 0 } }, /minCohort/],
      [{ privacy: { ...m.privacy, epsilonPerQuery: 0.0001, epsilonBudget: 1 } }, /3 decimals/],
      [{ privacy: { ...m.privacy, epsilonPerQuery: 2, epsilonBudget: 1 } }, /epsilonBudget/],
      [{ nodes: [NODES[0], NODES[0], NODES[1]] }, /duplicate/],
      [{ nodes: NODES.slice(0, 2) }, /3 addresses/],
      [{ threshold: 3 }, /threshold/],
      [{ bundleHashes: ["0x12", "0x34", "0x56"] }, /bundleHashes\[0\]/],
      [{ jobTimeout: 5 }, /jobTimeout/],
      [{ extra: 1 }, /unknown field/],
    ];
    for (const [over, re] of broken) expect(() => parseManifest({ ...m, ...over }), re.source).toThrow(re);
    let err: unknown;
    try {
      parseManifest({ ...m, schema: parseSchema(num({ min: -1e9, max: 1e9, decimals: 6 })), allowed: { columns: [], operations: ["count"], groupBy: [] }, rows: 2 });
    } catch (e) {
      err = e;
    }
    expect((err as ManifestError).code).toBe("no-headroom");
  });
});
