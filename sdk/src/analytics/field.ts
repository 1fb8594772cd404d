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
