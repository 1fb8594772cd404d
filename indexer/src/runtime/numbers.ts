// BigInt / BigDecimal semantics of graph-node's host functions.
//
// graph-ts BigInt is a Uint8Array holding the little-endian two's complement bytes (num-bigint's
// `to_signed_bytes_le`); BigDecimal is `digits * 10^exp`, normalised by graph-node to at most
// 34 significant digits without trailing zeros (old `bigdecimal` 0.1 semantics).

import { HandlerError } from "./errors.ts";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** bigint → minimal little-endian two's complement bytes (0 → [0], as num-bigint does). */
export function bigIntToSignedBytesLE(v: bigint): Uint8Array {
  if (v >= -0x80000000n && v <= 0x7fffffffn) {
    // Fast path for i32-sized values.
    let n = Number(v);
    const out: number[] = [];
    for (;;) {
      const byte = n & 0xff;
      n >>= 8;
      out.push(byte);
      if ((n === 0 && (byte & 0x80) === 0) || (n === -1 && (byte & 0x80) !== 0)) break;
    }
    return Uint8Array.from(out);
  }
  const negative = v < 0n;
  // Number of bytes: enough for the magnitude plus a sign bit.
  const mag = negative ? -v - 1n : v; // for negatives, ~v has the same bit length as needed
  let hex = mag.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  let len = hex.length / 2;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) len += 1;
  const out = new Uint8Array(len);
  let x = negative ? (1n << BigInt(len * 8)) + v : v;
  for (let i = 0; i < len; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Little-endian two's complement bytes → bigint (empty → 0). */
export function bigIntFromSignedBytesLE(bytes: Uint8Array): bigint {
  const len = bytes.length;
  if (len === 0) return 0n;
  if (len <= 6) {
    let n = 0;
    for (let i = len - 1; i >= 0; i--) n = n * 256 + bytes[i]!;
    if (bytes[len - 1]! & 0x80) n -= 2 ** (8 * len);
    return BigInt(n);
  }
  let hex = "0x";
  for (let i = len - 1; i >= 0; i--) hex += HEX[bytes[i]!];
  let v = BigInt(hex);
  if (bytes[len - 1]! & 0x80) v -= 1n << BigInt(8 * len);
  return v;
}

/** Little-endian bytes as an unsigned integer (graph-ts `BigInt.fromUnsignedBytes` semantics). */
export function bigIntFromUnsignedBytesLE(bytes: Uint8Array): bigint {
  let hex = "0x0";
  for (let i = bytes.length - 1; i >= 0; i--) hex += HEX[bytes[i]!];
  return BigInt(hex);
}

/** graph-node `typeConversion.bigIntToHex`: the magnitude in hex, no leading zeros, "0x0" for 0. */
export function bigIntToHex(v: bigint): string {
  if (v === 0n) return "0x0";
  return "0x" + (v < 0n ? -v : v).toString(16);
}

/** graph-node `bigInt.fromString`: a decimal integer with an optional sign. */
export function parseBigInt(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new HandlerError(`Failed to parse BigInt from string '${s}'`);
  return BigInt(s.startsWith("+") ? s.slice(1) : s);
}

// ---------------------------------------------------------------------------------------------
// BigDecimal

/** value = digits * 10^exp (graph-node's AscBigDecimal: digits BigInt, exp BigInt). */
export interface BigDec {
  digits: bigint;
  exp: bigint;
}

export const MAX_SIGNIFICANT_DIGITS = 34;
const DIVISION_PRECISION = 100;

function pow10(n: number | bigint): bigint {
  return 10n ** BigInt(n);
}

function digitCount(v: bigint): number {
  return (v < 0n ? -v : v).toString().length;
}

/** bigdecimal 0.1's rounding digit for a remainder: 1 if its leading digit is ≥ 5. */
function roundingTerm(r: bigint): bigint {
  if (r === 0n) return 0n;
  const lead = r.toString().charCodeAt(0) - 48;
  return lead >= 5 ? 1n : 0n;
}

/**
 * graph-node's normalisation: round to 34 significant digits (old bigdecimal `with_prec`: positive
 * values round half up, negative ones truncate) and strip trailing zeros.
 */
export function normalizeBigDecimal(d: BigDec): BigDec {
  let { digits, exp } = d;
  if (digits === 0n) return { digits: 0n, exp: 0n };
  const n = digitCount(digits);
  if (n > MAX_SIGNIFICANT_DIGITS) {
    const diff = n - MAX_SIGNIFICANT_DIGITS;
    const p = pow10(diff);
    let q = digits / p; // truncates toward zero
    const r = digits % p;
    if (p < 10n * r) q += roundingTerm(r);
    digits = q;
    exp += BigInt(diff);
  }
  if (digits === 0n) return { digits: 0n, exp: 0n };
  while (digits % 10n === 0n) {
    digits /= 10n;
    exp += 1n;
  }
  return { digits, exp };
}

/** Parses a decimal string ("1.5", "-0.001", "1e18"), normalised. */
export function parseBigDecimal(s: string): BigDec {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(s);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) {
    throw new HandlerError(`Failed to parse BigDecimal from string '${s}'`);
  }
  const frac = m[3] ?? "";
  let digits = BigInt((m[2] || "0") + frac);
  if (m[1] === "-") digits = -digits;
  const exp = BigInt(m[4] ?? "0") - BigInt(frac.length);
  return normalizeBigDecimal({ digits, exp });
}

/** Plain decimal notation, as old bigdecimal's Display prints it. */
export function bigDecimalToString(d: BigDec): string {
  const { digits, exp } = d;
  const negative = digits < 0n;
  const abs = (negative ? -digits : digits).toString();
  let out: string;
  if (exp >= 0n) {
    out = digits === 0n ? "0" : abs + "0".repeat(Number(exp));
  } else {
    const scale = Number(-exp);
    if (scale >= abs.length) out = "0." + "0".repeat(scale - abs.length) + abs;
    else out = abs.slice(0, abs.length - scale) + "." + abs.slice(abs.length - scale);
  }
  return negative ? "-" + out : out;
}

function align(a: BigDec, b: BigDec): [bigint, bigint, bigint] {
  if (a.exp === b.exp) return [a.digits, b.digits, a.exp];
  if (a.exp > b.exp) return [a.digits * pow10(a.exp - b.exp), b.digits, b.exp];
  return [a.digits, b.digits * pow10(b.exp - a.exp), a.exp];
}

export function bigDecimalPlus(a: BigDec, b: BigDec): BigDec {
  const [x, y, exp] = align(a, b);
  return normalizeBigDecimal({ digits: x + y, exp });
}

export function bigDecimalMinus(a: BigDec, b: BigDec): BigDec {
  const [x, y, exp] = align(a, b);
  return normalizeBigDecimal({ digits: x - y, exp });
}

export function bigDecimalTimes(a: BigDec, b: BigDec): BigDec {
  return normalizeBigDecimal({ digits: a.digits * b.digits, exp: a.exp + b.exp });
}

export function bigDecimalEquals(a: BigDec, b: BigDec): boolean {
  const x = normalizeBigDecimal(a);
  const y = normalizeBigDecimal(b);
  return x.digits === y.digits && x.exp === y.exp;
}

/** Old bigdecimal division (100 significant digits, last digit rounded), then normalised. */
export function bigDecimalDividedBy(a: BigDec, b: BigDec): BigDec {
  if (b.digits === 0n) throw new HandlerError("Division by zero");
  if (a.digits === 0n) return { digits: 0n, exp: 0n };
  let exp = a.exp - b.exp;
  if (b.digits === 1n) return normalizeBigDecimal(a);
  if (a.digits === b.digits) return normalizeBigDecimal({ digits: 1n, exp });
  const negative = a.digits < 0n !== b.digits < 0n;
  let num = a.digits < 0n ? -a.digits : a.digits;
  const den = b.digits < 0n ? -b.digits : b.digits;
  while (num < den) {
    exp -= 1n;
    num *= 10n;
  }
  let quotient = num / den;
  let remainder = num % den;
  if (remainder !== 0n) {
    let precision = digitCount(quotient);
    remainder *= 10n;
    while (remainder !== 0n && precision < DIVISION_PRECISION) {
      quotient = quotient * 10n + remainder / den;
      remainder = (remainder % den) * 10n;
      precision += 1;
      exp -= 1n;
    }
    if (remainder !== 0n) quotient += roundingTerm(remainder / den);
  }
  return normalizeBigDecimal({ digits: negative ? -quotient : quotient, exp });
}

export function bigIntToBigDecimal(v: bigint): BigDec {
  return normalizeBigDecimal({ digits: v, exp: 0n });
}

// ---------------------------------------------------------------------------------------------
// Base58 (bitcoin alphabet), for typeConversion.bytesToBase58.

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

export function toBase58(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = "";
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  return "1".repeat(zeros) + out;
}
