// Exact discrete Laplace noise: integer samples with the right mean and variance.
import { describe, expect, it } from "vitest";
import { bernoulliExp, discreteLaplaceVariance, laplaceNoise, noiseAlpha, sampleDiscreteLaplace, uniformBelow } from "../../src/analytics/index.ts";

const stats = (xs: bigint[]) => {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + Number(x), 0) / n;
  const variance = xs.reduce((s, x) => s + (Number(x) - mean) ** 2, 0) / n;
  return { mean, variance };
};

describe("noise", () => {
  it("uniformBelow and bernoulliExp have the right frequencies", () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 6000; i++) counts[Number(uniformBelow(3n))]++;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (bernoulliExp(1n, 2n)) hits++;
    expect(Math.abs(hits / 10_000 - Math.exp(-0.5))).toBeLessThan(0.03);
    hits = 0;
    for (let i = 0; i < 10_000; i++) if (bernoulliExp(5n, 2n)) hits++;
    expect(Math.abs(hits / 10_000 - Math.exp(-2.5))).toBeLessThan(0.02);
  });

  for (const [epsilon, sensitivity] of [[1, 1n], [0.5, 3n], [0.1, 1n]] as const) {
    it(`ε = ${epsilon}, Δ = ${sensitivity}: mean ≈ 0, variance ≈ 2α/(1−α)²`, () => {
      const n = 20_000;
      const xs = Array.from({ length: n }, () => laplaceNoise(epsilon, sensitivity));
      expect(xs.every((x) => typeof x === "bigint")).toBe(true);
      const alpha = noiseAlpha(epsilon, sensitivity);
      const expected = discreteLaplaceVariance(alpha);
      const { mean, variance } = stats(xs);
      expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(expected / n)); // 5 σ of the sample mean
      expect(Math.abs(variance / expected - 1)).toBeLessThan(0.1);
      // P(0) = (1 − α)/(1 + α)
      const zeros = xs.filter((x) => x === 0n).length / n;
      expect(Math.abs(zeros - (1 - alpha) / (1 + alpha))).toBeLessThan(0.015);
    });
  }

  it("huge scales stay exact integers (sum of squares sensitivity)", () => {
    const x = laplaceNoise(0.5, 3650n * 3650n, 3);
    expect(typeof x).toBe("bigint");
    expect(laplaceNoise(0, 10n)).toBe(0n);
    expect(() => sampleDiscreteLaplace(0n, 1n)).toThrow();
  });
});
