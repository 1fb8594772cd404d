// Discrete Laplace (two-sided geometric) noise, exact: P(z) ∝ α^|z| with α = exp(−ε/Δ), sampled
// with integer arithmetic only (Canonne, Kamath, Steinke, "The Discrete Gaussian for Differential
// Privacy", 2020, algorithms 1 and 2) from the crypto RNG — no floating point, no Math.random,
// so the distribution is exactly the one the privacy proof assumes.
import { epsilonThousandths } from "./manifest.ts";
import { randomBytes } from "./field.ts";
import { KrakenError } from "../errors.ts";

// A pool of random bytes (getRandomValues in 4 KiB draws).
let pool: Uint8Array = new Uint8Array(0);
let at = 0;
function randomByte(): number {
  if (at >= pool.length) {
    pool = randomBytes(4096);
    at = 0;
  }
  return pool[at++];
}

/** Uniform integer in [0, n), n ≥ 1 (rejection sampling on whole bytes of n − 1's bit length). */
export function uniformBelow(n: bigint): bigint {
  if (n < 1n) throw new KrakenError("bad-noise", "uniformBelow needs n ≥ 1");
  if (n === 1n) return 0n;
  const bits = (n - 1n).toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const topMask = (1 << (bits - (bytes - 1) * 8)) - 1;
  for (;;) {
    let x = BigInt(randomByte() & topMask);
    for (let i = 1; i < bytes; i++) x = (x << 8n) | BigInt(randomByte());
    if (x < n) return x;
  }
}

/** Bernoulli(n/d), 0 ≤ n ≤ d. */
export const bernoulli = (n: bigint, d: bigint): boolean => uniformBelow(d) < n;

/** Bernoulli(exp(−n/d)) for n/d ≥ 0, exactly. */
export function bernoulliExp(n: bigint, d: bigint): boolean {
  while (n > d) {
    if (!bernoulliExp(1n, 1n)) return false;
    n -= d;
  }
  let k = 1n;
  while (bernoulli(n, d * k)) k++;
  return (k & 1n) === 1n;
}

/**
 * A sample of the discrete Laplace distribution of scale num/den: P(z) ∝ exp(−|z| · den/num),
 * i.e. α = exp(−den/num).
 */
export function sampleDiscreteLaplace(num: bigint, den: bigint): bigint {
  if (num < 1n || den < 1n) throw new KrakenError("bad-noise", "the scale of discrete Laplace noise is a positive fraction");
  for (;;) {
    const u = uniformBelow(num);
    if (!bernoulliExp(u, num)) continue;
    let v = 0n;
    while (bernoulliExp(1n, 1n)) v++;
    const y = (u + num * v) / den;
    const negative = bernoulli(1n, 2n);
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/**
 * Noise for one revealed value: ε (the query's, a decimal with ≤ 3 decimals) split evenly over
 * `split` values, sensitivity Δ (fixed-point units): α = exp(−(ε/split)/Δ).
 */
export function laplaceNoise(epsilon: number, sensitivity: bigint, split = 1): bigint {
  const e = BigInt(epsilonThousandths(epsilon));
  if (e === 0n) return 0n;
  if (sensitivity < 1n) throw new KrakenError("bad-noise", "the sensitivity is at least 1");
  return sampleDiscreteLaplace(sensitivity * BigInt(split) * 1000n, e);
}

/** α of laplaceNoise's distribution (floating point, for tests and bounds). */
export const noiseAlpha = (epsilon: number, sensitivity: bigint, split = 1): number => Math.exp(-epsilon / split / Number(sensitivity));

/** Variance 2α/(1 − α)² of the discrete Laplace distribution with parameter α. */
export const discreteLaplaceVariance = (alpha: number): number => (2 * alpha) / (1 - alpha) ** 2;
