// Arithmetic modulo the Mersenne prime p = 2^127 − 1 (docs/analytics.md, "Arithmetic").
// Elements are bigints in [0, p). Signed values v are stored as v mod p and read back in
// (−p/2, p/2]. Randomness comes from globalThis.crypto (browser and Node), never Math.random.
import { FieldError } from "./errors.ts";

export const P = (1n << 127n) - 1n;
/** Largest element read back as non-negative (p = 2·HALF + 1). */
export const HALF = P >> 1n;
export const ELEMENT_BYTES = 16;
const MASK64 = (1n << 64n) - 1n;

/** Reduces a non-negative value below 2^254 (a product of two elements, or a short sum of them). */
export function reduce(x: bigint): bigint {
  x = (x & P) + (x >> 127n);
  x = (x & P) + (x >> 127n);
  return x >= P ? x - P : x;
}

/** x mod p for any integer (negative too, any size). */
export function mod(x: bigint): bigint {
  if (x < 0n) {
    const r = mod(-x);
    return r === 0n ? 0n : P - r;
  }
  while (x >> 254n) x = (x & P) + (x >> 127n);
  return reduce(x);
}

export const add = (a: bigint, b: bigint): bigint => {
  const s = a + b;
  return s >= P ? s - P : s;
};
export const sub = (a: bigint, b: bigint): bigint => {
  const d = a - b;
  return d < 0n ? d + P : d;
};
export const neg = (a: bigint): bigint => (a === 0n ? 0n : P - a);
export const mul = (a: bigint, b: bigint): bigint => reduce(a * b);

/** a^e mod p. */
export function pow(a: bigint, e: bigint): bigint {
  let r = 1n;
  let b = mod(a);
  while (e > 0n) {
    if (e & 1n) r = mul(r, b);
    b = mul(b, b);
    e >>= 1n;
  }
  return r;
}

/** The multiplicative inverse (a ≠ 0). */
export function inv(a: bigint): bigint {
  const x = mod(a);
  if (x === 0n) throw new FieldError("0 has no inverse");
  return pow(x, P - 2n);
}

/** Whether x is an element: an integer in [0, p). */
export const isElement = (x: unknown): x is bigint => typeof x === "bigint" && x >= 0n && x < P;

/** The element of a signed integer |v| < p/2. */
export function fromSigned(v: bigint | number): bigint {
  if (typeof v === "number" && !Number.isSafeInteger(v)) throw new FieldError(`${v} is not a safe integer`);
  const b = BigInt(v);
  if (b > HALF || -b > HALF) throw new FieldError(`${b} does not fit in the field (|v| must be below p/2)`);
  return b < 0n ? P + b : b;
}

/** The signed integer an element stands for, in (−p/2, p/2]. */
export function toSigned(e: bigint): bigint {
  if (!isElement(e)) throw new FieldError("not a field element");
  return e > HALF ? e - P : e;
}

// Random bytes in pieces of at most 65536 (the getRandomValues limit).
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** A uniformly random element (127 random bits; the single value 2^127 − 1 = p is rejected). */
export function randomElement(): bigint {
  return randomElements(1)[0];
}

/** `n` uniformly random elements. */
export function randomElements(n: number): bigint[] {
  const out: bigint[] = [];
  while (out.length < n) {
    const want = Math.min(n - out.length, 4096);
    const bytes = randomBytes(want * ELEMENT_BYTES);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < want; i++) {
      const lo = view.getBigUint64(i * 16, true);
      const hi = view.getBigUint64(i * 16 + 8, true) & 0x7fffffffffffffffn;
      const x = lo | (hi << 64n);
      if (x !== P) out.push(x); // rejection: keeps the distribution uniform on [0, p)
    }
  }
  return out;
}

/** A uniformly random integer in [0, n) (n ≥ 1), by rejection sampling. */
export function randomBelow(n: bigint): bigint {
  if (n <= 0n) throw new FieldError("randomBelow needs n ≥ 1");
  if (n === 1n) return 0n;
  const bits = (n - 1n).toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    const b = randomBytes(bytes);
    let x = 0n;
    for (let i = 0; i < bytes; i++) x = (x << 8n) | BigInt(b[i]);
    x &= mask;
    if (x < n) return x;
  }
}

/** Whether typed arrays are little-endian here (16-byte elements are then two BigUint64 / four Uint32 limbs in place). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Random elements as four 32-bit words (little-endian limbs) from the crypto RNG, drawn 64 KiB at a time. */
export class RandomWords {
  private words: Uint32Array = new Uint32Array(0);
  private at = 0;

  /** Index in `buf` of 4 fresh words forming a uniform element below p (rejection sampling); read them before the next call. */
  next(): number {
    for (;;) {
      if (this.at + 4 > this.words.length) {
        const b = randomBytes(65536);
        this.words = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
        this.at = 0;
      }
      const i = this.at;
      this.at += 4;
      const w = this.words;
      w[i + 3] &= 0x7fffffff;
      if (w[i + 3] === 0x7fffffff && w[i] === 0xffffffff && w[i + 1] === 0xffffffff && w[i + 2] === 0xffffffff) continue; // = p
      return i;
    }
  }

  get buf(): Uint32Array {
    return this.words;
  }
}

/** `n` uniform random elements as 4n words (32-bit little-endian limbs), by rejection sampling. */
export function randomElementWords(n: number): Uint32Array {
  const bytes = randomBytes(n * ELEMENT_BYTES);
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset, 4 * n);
  for (let k = 0; k < 4 * n; k += 4) {
    for (;;) {
      w[k + 3] &= 0x7fffffff;
      if (!(w[k + 3] === 0x7fffffff && w[k] === 0xffffffff && w[k + 1] === 0xffffffff && w[k + 2] === 0xffffffff)) break;
      globalThis.crypto.getRandomValues(w.subarray(k, k + 4)); // = p: draw again
    }
  }
  return w;
}

/**
 * dst[d..d+4) = src[s..s+4) + (a0..a3) mod p, elements as four 32-bit limbs (little-endian),
 * both operands below p: no bigint, for the hot loops (sharing, resharing).
 */
export function addWordsMod(src: Uint32Array, s: number, a0: number, a1: number, a2: number, a3: number, dst: Uint32Array, d: number): void {
  let t0 = src[s] + a0;
  let c = t0 > 0xffffffff ? 1 : 0;
  let t1 = src[s + 1] + a1 + c;
  c = t1 > 0xffffffff ? 1 : 0;
  let t2 = src[s + 2] + a2 + c;
  c = t2 > 0xffffffff ? 1 : 0;
  let t3 = src[s + 3] + a3 + c; // < 2^32: both operands are below 2^127
  t0 >>>= 0;
  t1 >>>= 0;
  t2 >>>= 0;
  if (t3 >= 0x80000000) {
    // x ≥ 2^127: x − p = (x − 2^127) + 1
    t3 -= 0x80000000;
    if (++t0 > 0xffffffff) {
      t0 = 0;
      if (++t1 > 0xffffffff) {
        t1 = 0;
        if (++t2 > 0xffffffff) {
          t2 = 0;
          t3++;
        }
      }
    }
  } else if (t3 === 0x7fffffff && t2 === 0xffffffff && t1 === 0xffffffff && t0 === 0xffffffff) {
    t0 = t1 = t2 = t3 = 0; // x = p
  }
  dst[d] = t0;
  dst[d + 1] = t1;
  dst[d + 2] = t2;
  dst[d + 3] = t3;
}

/** dst[d..d+4) = −src[s..s+4) mod p (limbs). */
export function negWordsMod(src: Uint32Array, s: number, dst: Uint32Array, d: number): void {
  const w0 = src[s], w1 = src[s + 1], w2 = src[s + 2], w3 = src[s + 3];
  if ((w0 | w1 | w2 | w3) === 0) {
    dst[d] = dst[d + 1] = dst[d + 2] = dst[d + 3] = 0;
    return;
  }
  dst[d] = ~w0 >>> 0; // p − w: p's limbs are all ones (the top one 31 bits), no borrow
  dst[d + 1] = ~w1 >>> 0;
  dst[d + 2] = ~w2 >>> 0;
  dst[d + 3] = 0x7fffffff - w3;
}

// Products of elements as 16-bit pieces in doubles: 16 × 16-bit products are exact, a column of
// the schoolbook product adds at most 8 of them (< 2^35), so column sums over 2^17 rows stay
// below 2^53 — exact, with no bigint per row (the SMPC engine's hot loops).
const DOT_ROWS = 1 << 17;
const LO = new Uint32Array(4);
const INV16 = 1 / 65536; // exact: scaling by a power of two

/** out[o..o+4) = a[i..i+4) · b[j..j+4) mod p (limbs, both below p). */
export function mulWordsMod(a: Uint32Array, i: number, b: Uint32Array, j: number, out: Uint32Array, o: number): void {
  const a0 = a[i], a1 = a[i + 1], a2 = a[i + 2], a3 = a[i + 3];
  const b0 = b[j], b1 = b[j + 1], b2 = b[j + 2], b3 = b[j + 3];
  const x0 = a0 & 0xffff, x1 = a0 >>> 16, x2 = a1 & 0xffff, x3 = a1 >>> 16, x4 = a2 & 0xffff, x5 = a2 >>> 16, x6 = a3 & 0xffff, x7 = a3 >>> 16;
  const y0 = b0 & 0xffff, y1 = b0 >>> 16, y2 = b1 & 0xffff, y3 = b1 >>> 16, y4 = b2 & 0xffff, y5 = b2 >>> 16, y6 = b3 & 0xffff, y7 = b3 >>> 16;
  // columns of 16 bits, carried into 32-bit words W0..W7 of the 254-bit product
  let v = x0 * y0;
  let c = Math.floor(v * INV16);
  let l = v - c * 65536;
  v = x0 * y1 + x1 * y0 + c;
  c = Math.floor(v * INV16);
  let h = v - c * 65536;
  const W0 = l + h * 65536;
  v = x0 * y2 + x1 * y1 + x2 * y0 + c;
  c = Math.floor(v * INV16);
  l = v - c * 65536;
  v = x0 * y3 + x1 * y2 + x2 * y1 + x3 * y0 + c;
  c = Math.floor(v * INV16);
  h = v - c * 65536;
  const W1 = l + h * 65536;
  v = x0 * y4 + x1 * y3 + x2 * y2 + x3 * y1 + x4 * y0 + c;
  c = Math.floor(v * INV16);
  l = v - c * 65536;
  v = x0 * y5 + x1 * y4 + x2 * y3 + x3 * y2 + x4 * y1 + x5 * y0 + c;
  c = Math.floor(v * INV16);
  h = v - c * 65536;
  const W2 = l + h * 65536;
  v = x0 * y6 + x1 * y5 + x2 * y4 + x3 * y3 + x4 * y2 + x5 * y1 + x6 * y0 + c;
  c = Math.floor(v * INV16);
  l = v - c * 65536;
  v = x0 * y7 + x1 * y6 + x2 * y5 + x3 * y4 + x4 * y3 + x5 * y2 + x6 * y1 + x7 * y0 + c;
  c = Math.floor(v * INV16);
  h = v - c * 65536;
  const W3 = l + h * 65536;
  v = x1 * y7 + x2 * y6 + x3 * y5 + x4 * y4 + x5 * y3 + x6 * y2 + x7 * y1 + c;
  c = Math.floor(v * INV16);
  l = v - c * 65536;
  v = x2 * y7 + x3 * y6 + x4 * y5 + x5 * y4 + x6 * y3 + x7 * y2 + c;
  c = Math.floor(v * INV16);
  h = v - c * 65536;
  const W4 = l + h * 65536;
  v = x3 * y7 + x4 * y6 + x5 * y5 + x6 * y4 + x7 * y3 + c;
  c = Math.floor(v * INV16);
  l = v - c * 65536;
  v = x4 * y7 + x5 * y6 + x6 * y5 + x7 * y4 + c;
  c = Math.floor(v * INV16);
  h = v - c * 65536;
  const W5 = l + h * 65536;
  v = x5 * y7 + x6 * y6 + x7 * y5 + c;
  c = Math.floor(v * INV16);
  l = v - c * 65536;
  v = x6 * y7 + x7 * y6 + c;
  c = Math.floor(v * INV16);
  h = v - c * 65536;
  const W6 = l + h * 65536;
  v = x7 * y7 + c; // < 2^30: the product is below 2^254
  const W7 = v;
  // t mod p = (t mod 2^127) + (t >> 127), both below p (the low part may be p itself: then 0)
  LO[0] = W0;
  LO[1] = W1;
  LO[2] = W2;
  LO[3] = W3 & 0x7fffffff;
  if (LO[3] === 0x7fffffff && LO[2] === 0xffffffff && LO[1] === 0xffffffff && LO[0] === 0xffffffff) LO[0] = LO[1] = LO[2] = LO[3] = 0;
  addWordsMod(LO, 0, ((W3 >>> 31) | (W4 << 1)) >>> 0, ((W4 >>> 31) | (W5 << 1)) >>> 0, ((W5 >>> 31) | (W6 << 1)) >>> 0, ((W6 >>> 31) | (W7 << 1)) >>> 0, out, o);
}

/** Σ_r a_r (rows of 4 limbs), mod p. */
export function sumWords(a: Uint32Array, n: number): bigint {
  let total = 0n;
  for (let start = 0; start < n; start += 1 << 20) {
    const end = Math.min(n, start + (1 << 20));
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 4 * start; i < 4 * end; i += 4) {
      s0 += a[i];
      s1 += a[i + 1];
      s2 += a[i + 2];
      s3 += a[i + 3];
    }
    total += BigInt(s0) + (BigInt(s1) << 32n) + (BigInt(s2) << 64n) + (BigInt(s3) << 96n);
  }
  return mod(total);
}

/** Σ_r a_r · b_r mod p for each b (rows of 4 limbs); a's pieces are taken once per row. */
export function dotWords(a: Uint32Array, bs: readonly Uint32Array[], n: number): bigint[] {
  const m = bs.length;
  const acc = new Float64Array(15 * m);
  const totals = bs.map(() => 0n);
  for (let start = 0; start < n; start += DOT_ROWS) {
    const end = Math.min(n, start + DOT_ROWS);
    for (let r = start; r < end; r++) {
      const i = 4 * r;
      const a0 = a[i], a1 = a[i + 1], a2 = a[i + 2], a3 = a[i + 3];
      const x0 = a0 & 0xffff, x1 = a0 >>> 16, x2 = a1 & 0xffff, x3 = a1 >>> 16, x4 = a2 & 0xffff, x5 = a2 >>> 16, x6 = a3 & 0xffff, x7 = a3 >>> 16;
      for (let k = 0, o = 0; k < m; k++, o += 15) {
        const b = bs[k];
        const b0 = b[i], b1 = b[i + 1], b2 = b[i + 2], b3 = b[i + 3];
        const y0 = b0 & 0xffff, y1 = b0 >>> 16, y2 = b1 & 0xffff, y3 = b1 >>> 16, y4 = b2 & 0xffff, y5 = b2 >>> 16, y6 = b3 & 0xffff, y7 = b3 >>> 16;
        acc[o] += x0 * y0;
        acc[o + 1] += x0 * y1 + x1 * y0;
        acc[o + 2] += x0 * y2 + x1 * y1 + x2 * y0;
        acc[o + 3] += x0 * y3 + x1 * y2 + x2 * y1 + x3 * y0;
        acc[o + 4] += x0 * y4 + x1 * y3 + x2 * y2 + x3 * y1 + x4 * y0;
        acc[o + 5] += x0 * y5 + x1 * y4 + x2 * y3 + x3 * y2 + x4 * y1 + x5 * y0;
        acc[o + 6] += x0 * y6 + x1 * y5 + x2 * y4 + x3 * y3 + x4 * y2 + x5 * y1 + x6 * y0;
        acc[o + 7] += x0 * y7 + x1 * y6 + x2 * y5 + x3 * y4 + x4 * y3 + x5 * y2 + x6 * y1 + x7 * y0;
        acc[o + 8] += x1 * y7 + x2 * y6 + x3 * y5 + x4 * y4 + x5 * y3 + x6 * y2 + x7 * y1;
        acc[o + 9] += x2 * y7 + x3 * y6 + x4 * y5 + x5 * y4 + x6 * y3 + x7 * y2;
        acc[o + 10] += x3 * y7 + x4 * y6 + x5 * y5 + x6 * y4 + x7 * y3;
        acc[o + 11] += x4 * y7 + x5 * y6 + x6 * y5 + x7 * y4;
        acc[o + 12] += x5 * y7 + x6 * y6 + x7 * y5;
        acc[o + 13] += x6 * y7 + x7 * y6;
        acc[o + 14] += x7 * y7;
      }
    }
    for (let k = 0; k < m; k++) {
      let t = 0n;
      for (let c = 0; c < 15; c++) t += BigInt(acc[15 * k + c]) << BigInt(16 * c);
      totals[k] += t;
    }
    acc.fill(0);
  }
  return totals.map(mod);
}

/** Writes an element as 16 little-endian bytes into `out` at `offset` (a fresh array when omitted). */
export function encodeElement(e: bigint, out: Uint8Array = new Uint8Array(ELEMENT_BYTES), offset = 0): Uint8Array {
  if (!isElement(e)) throw new FieldError("not a field element");
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setBigUint64(offset, e & MASK64, true);
  view.setBigUint64(offset + 8, e >> 64n, true);
  return out;
}

/** Reads 16 little-endian bytes at `offset`; throws FieldError when the value is not below p. */
export function decodeElement(bytes: Uint8Array, offset = 0): bigint {
  if (offset < 0 || offset + ELEMENT_BYTES > bytes.length) throw new FieldError("an element has 16 bytes");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const e = view.getBigUint64(offset, true) | (view.getBigUint64(offset + 8, true) << 64n);
  if (e >= P) throw new FieldError("a 16-byte value is not below p = 2^127 − 1");
  return e;
}

/** Encodes elements one after the other (16 bytes each), into `out` at `offset` when given. */
export function encodeElements(es: readonly bigint[], out: Uint8Array = new Uint8Array(es.length * ELEMENT_BYTES), offset = 0): Uint8Array {
  if (offset < 0 || offset + es.length * ELEMENT_BYTES > out.length) throw new FieldError("no room for the elements");
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0, o = offset; i < es.length; i++, o += ELEMENT_BYTES) {
    const e = es[i];
    if (typeof e !== "bigint" || e < 0n || e >= P) throw new FieldError("not a field element");
    view.setBigUint64(o, e & MASK64, true);
    view.setBigUint64(o + 8, e >> 64n, true);
  }
  return out;
}

/** Decodes a whole byte array of 16-byte elements (each must be below p). */
export function decodeElements(bytes: Uint8Array): bigint[] {
  if (bytes.length % ELEMENT_BYTES !== 0) throw new FieldError("not a whole number of 16-byte elements");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: bigint[] = new Array(bytes.length / ELEMENT_BYTES);
  for (let i = 0, o = 0; i < out.length; i++, o += ELEMENT_BYTES) {
    const e = view.getBigUint64(o, true) | (view.getBigUint64(o + 8, true) << 64n);
    if (e >= P) throw new FieldError("a 16-byte value is not below p = 2^127 − 1");
    out[i] = e;
  }
  return out;
}

/** An element as 0x-prefixed hex (no padding), and back (strict: hex, below p). */
export const elementToHex = (e: bigint): `0x${string}` => {
  if (!isElement(e)) throw new FieldError("not a field element");
  return `0x${e.toString(16)}`;
};
export function elementFromHex(h: unknown): bigint {
  if (typeof h !== "string" || !/^0x[0-9a-f]{1,32}$/.test(h)) throw new FieldError("a field element is 0x-prefixed lower-case hex of at most 32 digits");
  const e = BigInt(h);
  if (e >= P) throw new FieldError("a field element is below p = 2^127 − 1");
  return e;
}
