// Shamir sharing of degree 1 at x = 1, 2, 3: any two reconstruct, three must be collinear.
import { describe, expect, it } from "vitest";
import { add, checkConsistency, InconsistentShareError, interpolateAtZero, lagrangeAtZero, mod, P, randomElement, reconstruct, share } from "../../src/analytics/index.ts";

describe("shamir", () => {
  it("any two of three shares reconstruct the secret", () => {
    for (let i = 0; i < 50; i++) {
      const s = randomElement();
      const [a, b, c] = share(s);
      expect(reconstruct([{ x: 1, y: a }, { x: 2, y: b }])).toBe(s);
      expect(reconstruct([{ x: 1, y: a }, { x: 3, y: c }])).toBe(s);
      expect(reconstruct([{ x: 3, y: c }, { x: 2, y: b }])).toBe(s);
      expect(reconstruct([{ x: 1, y: a }, { x: 2, y: b }, { x: 3, y: c }])).toBe(s);
    }
  });

  it("shares are linear: the sum of shares shares the sum", () => {
    const [s, t] = [randomElement(), randomElement()];
    const a = share(s);
    const b = share(t);
    expect(reconstruct(a.map((y, i) => ({ x: i + 1, y: add(y, b[i]) })).slice(1))).toBe(add(s, t));
  });

  it("Lagrange coefficients at 0 of 1, 2, 3 are 3, −3, 1", () => {
    expect(lagrangeAtZero([1, 2, 3])).toEqual([3n, P - 3n, 1n]);
    expect(lagrangeAtZero([1, 2])).toEqual([2n, P - 1n]);
    // degree 2 through 3 points: f(x) = 5 + 2x + 7x²
    const f = (x: bigint) => mod(5n + 2n * x + 7n * x * x);
    expect(interpolateAtZero([1, 2, 3].map((x) => ({ x, y: f(BigInt(x)) })))).toBe(5n);
  });

  it("a wrong third share is detected and names the nodes and each pair's value", () => {
    const s = 42n;
    const [a, b, c] = share(s);
    const points = [{ x: 1, y: a }, { x: 2, y: b }, { x: 3, y: add(c, 1n) }];
    expect(checkConsistency(points).consistent).toBe(false);
    let err: unknown;
    try {
      reconstruct(points, "the count of cell all");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InconsistentShareError);
    const e = err as InconsistentShareError;
    expect(e.code).toBe("inconsistent-shares");
    expect(e.nodes).toEqual([0, 1, 2]);
    expect(e.reconstructions.find((r) => r.xs.join() === "1,2")?.value).toBe(42n);
    expect(e.message).toMatch(/nodes 0, 1, 2 for the count of cell all/);
  });

  it("refuses fewer than two shares or repeated points", () => {
    expect(() => reconstruct([{ x: 1, y: 1n }])).toThrow();
    expect(() => reconstruct([{ x: 1, y: 1n }, { x: 1, y: 2n }])).toThrow();
  });
});
