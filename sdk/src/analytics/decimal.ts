// Exact decimals for fixed-point encoding: a CSV field is parsed as digits, never through a
// float, so round(v · 10^d) (half away from zero) is exact and range checks are exact.

/** m · 10^(−scale), scale ≥ 0. */
export interface Decimal {
  m: bigint;
  scale: number;
}

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/;

/** Parses a decimal number ("12", "-0.5", "3.", ".25", "1e3", "1.5E-2"); undefined when it is not one. */
export function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const [, sign, int = "", frac = "", exp] = match;
  if (int.length === 0 && frac.length === 0) return undefined;
  if (int.length + frac.length > 400) return undefined;
  let m = BigInt((int || "0") + frac);
  let scale = frac.length - (exp ? Number(exp) : 0);
  if (scale < 0) {
    m *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { m: sign === "-" ? -m : m, scale };
}

/** The exact decimal of a finite JS number (its shortest round-trip representation). */
export function decimalOfNumber(n: number): Decimal {
  const d = parseDecimal(String(n));
  if (!d) throw new RangeError(`${n} is not a finite number`);
  return d;
}

const POW10: bigint[] = [];
for (let i = 0, x = 1n; i <= 64; i++, x *= 10n) POW10.push(x);
const pow10 = (n: number): bigint => POW10[n] ?? 10n ** BigInt(n);

/** −1, 0 or 1 as a <, =, > b. */
export function compareDecimal(a: Decimal, b: Decimal): number {
  const s = Math.max(a.scale, b.scale);
  const x = a.m * pow10(s - a.scale);
  const y = b.m * pow10(s - b.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** round(v · 10^decimals), halves rounded away from zero. */
export function toFixedPoint(v: Decimal, decimals: number): bigint {
  if (decimals >= v.scale) return v.m * pow10(decimals - v.scale);
  const div = pow10(v.scale - decimals);
  const abs = v.m < 0n ? -v.m : v.m;
  let q = abs / div;
  if ((abs % div) * 2n >= div) q += 1n;
  return v.m < 0n ? -q : q;
}
