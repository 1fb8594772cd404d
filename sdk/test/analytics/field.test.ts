// The field modulo p = 2^127 − 1: reduction, signed values, randomness, encoding.
import { describe, expect, it } from "vitest";
import {
  add, addWordsMod, decodeElement, dotWords, mulWordsMod, negWordsMod, randomElementWords, sumWords, decodeElements, elementFromHex, elementToHex, encodeElement, encodeElements, FieldError, fromSigned, HALF, inv, mod, mul, neg, P, randomBelow,
  randomElement, randomElements, reduce, sub, toSigned,
} from "../../src/analytics/index.ts";

describe("field", () => {
  it("p is the Mersenne prime 2^127 − 1", () => {
    expect(P).toBe(2n ** 127n - 1n);
    expect(HALF * 2n + 1n).toBe(P);
  });

  it("reduces products and arbitrary integers like % p", () => {
    const xs = [0n, 1n, P - 1n, HALF, 2n ** 126n + 12345n, ...randomElements(50)];
    for (const a of xs)
      for (const b of xs.slice(0, 8)) {
        expect(mul(a, b)).toBe((a * b) % P);
        expect(add(a, b)).toBe((a + b) % P);
        expect(sub(a, b)).toBe((((a - b) % P) + P) % P);
      }
    expect(reduce((P - 1n) * (P - 1n))).toBe(1n);
    expect(mod(-1n)).toBe(P - 1n);
    expect(mod(-P)).toBe(0n);
    expect(mod(P * P * P + 5n)).toBe(5n);
    expect(mod(-(P * 7n) - 3n)).toBe(P - 3n);
    expect(neg(0n)).toBe(0n);
    expect(add(neg(5n), 5n)).toBe(0n);
    expect(mul(inv(12345n), 12345n)).toBe(1n);
    expect(() => inv(0n)).toThrow(FieldError);
  });

  it("signed values round-trip through (−p/2, p/2]", () => {
    for (const v of [0n, 1n, -1n, 123456789n, -(2n ** 100n), HALF, -HALF]) expect(toSigned(fromSigned(v))).toBe(v);
    expect(fromSigned(-3)).toBe(P - 3n);
    expect(() => fromSigned(HALF + 1n)).toThrow(FieldError);
    expect(() => fromSigned(0.5)).toThrow(FieldError);
    expect(() => toSigned(P)).toThrow(FieldError);
  });

  it("random elements are in range and look uniform in the top bit and low bits", () => {
    const xs = randomElements(4000);
    expect(xs.every((x) => x >= 0n && x < P)).toBe(true);
    const top = xs.filter((x) => x >> 126n === 1n).length;
    expect(top).toBeGreaterThan(1800);
    expect(top).toBeLessThan(2200);
    const odd = xs.filter((x) => x & 1n).length;
    expect(odd).toBeGreaterThan(1800);
    expect(odd).toBeLessThan(2200);
    expect(new Set(xs).size).toBe(xs.length);
    expect(randomElement()).not.toBe(randomElement());
    for (let i = 0; i < 200; i++) expect(randomBelow(7n)).toBeLessThan(7n);
  });

  it("encodes 16 bytes little-endian and refuses values ≥ p", () => {
    const b = encodeElement(0x0102n);
    expect([...b.slice(0, 3)]).toEqual([2, 1, 0]);
    expect(b.length).toBe(16);
    const e = P - 2n;
    expect(decodeElement(encodeElement(e))).toBe(e);
    const pBytes = new Uint8Array(16).fill(0xff);
    pBytes[15] = 0x7f;
    expect(() => decodeElement(pBytes)).toThrow(FieldError);
    const xs = randomElements(10);
    expect(decodeElements(encodeElements(xs))).toEqual(xs);
    expect(() => encodeElement(P)).toThrow(FieldError);
    expect(elementFromHex(elementToHex(e))).toBe(e);
    expect(() => elementFromHex("0x" + P.toString(16))).toThrow(FieldError);
    expect(() => elementFromHex("0xABC")).toThrow(FieldError);
  });
});

describe("field on 32-bit limbs (the engine's hot loops)", () => {
  const toWords = (xs: bigint[]) => new Uint32Array(encodeElements(xs).buffer);
  const get = (w: Uint32Array, i: number) => BigInt(w[4 * i]) | (BigInt(w[4 * i + 1]) << 32n) | (BigInt(w[4 * i + 2]) << 64n) | (BigInt(w[4 * i + 3]) << 96n);
  const edge = [0n, 1n, 2n, P - 1n, P - 2n, HALF, HALF + 1n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 96n + 7n, 2n ** 126n, (1n << 127n) - 2n];
  const xs = [...edge, ...randomElements(500)];
  const ys = [...edge.slice().reverse(), ...randomElements(500)];

  it("add, neg, mul agree with bigint arithmetic", () => {
    const a = toWords(xs);
    const b = toWords(ys);
    const out = new Uint32Array(a.length);
    for (let i = 0; i < xs.length; i++) {
      addWordsMod(a, 4 * i, b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3], out, 4 * i);
      expect(get(out, i)).toBe(add(xs[i], ys[i]));
      negWordsMod(a, 4 * i, out, 4 * i);
      expect(get(out, i)).toBe(neg(xs[i]));
      mulWordsMod(a, 4 * i, b, 4 * i, out, 4 * i);
      expect(get(out, i), `${xs[i]} · ${ys[i]}`).toBe(mul(xs[i], ys[i]));
    }
    for (const x of edge) for (const y of edge) {
      const o = new Uint32Array(4);
      mulWordsMod(toWords([x]), 0, toWords([y]), 0, o, 0);
      expect(get(o, 0)).toBe(mul(x, y));
    }
  });

  it("sums and dot products agree with bigint arithmetic", () => {
    const a = toWords(xs);
    const b = toWords(ys);
    const n = xs.length;
    expect(sumWords(a, n)).toBe(mod(xs.reduce((s, x) => s + x, 0n)));
    const [d1, d2] = dotWords(a, [b, a], n);
    expect(d1).toBe(mod(xs.reduce((s, x, i) => s + x * ys[i], 0n)));
    expect(d2).toBe(mod(xs.reduce((s, x) => s + x * x, 0n)));
    // 300,000 rows of p − 1: column sums cross the 2^17-row flush
    const big = 300_000;
    const w = new Uint32Array(4 * big);
    for (let i = 0; i < big; i++) w.set([0xfffffffe, 0xffffffff, 0xffffffff, 0x7fffffff], 4 * i);
    expect(dotWords(w, [w], big)[0]).toBe(mod(BigInt(big)));
    expect(sumWords(w, big)).toBe(mod(-BigInt(big)));
    const words = randomElementWords(1000);
    for (let i = 0; i < 1000; i++) expect(get(words, i) < P).toBe(true);
  });
});
