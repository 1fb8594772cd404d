// Shamir sharing of degree 1 over the points x = 1, 2, 3 (node index + 1): any 2 shares
// reconstruct the value, and 3 shares of a degree-1 value must be collinear — how a wrong share
// is detected (docs/analytics.md, "Arithmetic").
import { add, inv, mod, mul, P, randomElement, reduce } from "./field.ts";
import { FieldError, InconsistentShareError, type Reconstruction } from "./errors.ts";

/** A share: the value of the polynomial at x (x = node index + 1). */
export interface SharePoint {
  x: number;
  y: bigint;
}

/** Shares `secret` (an element) with a fresh random degree-1 polynomial: [f(1), …, f(n)]. */
export function share(secret: bigint, n = 3, slope: bigint = randomElement()): bigint[] {
  if (secret < 0n || secret >= P) throw new FieldError("the secret is not a field element");
  const out: bigint[] = [];
  let y = secret;
  for (let x = 1; x <= n; x++) {
    y = add(y, slope);
    out.push(y);
  }
  return out;
}

/** Lagrange coefficients at 0 for the points `xs` (distinct, non-zero): value = Σ λ_i · y_i. */
export function lagrangeAtZero(xs: readonly number[]): bigint[] {
  if (new Set(xs).size !== xs.length || xs.some((x) => !Number.isSafeInteger(x) || x === 0)) throw new FieldError("Lagrange points must be distinct non-zero integers");
  return xs.map((xi, i) => {
    let num = 1n;
    let den = 1n;
    xs.forEach((xj, j) => {
      if (j === i) return;
      num = mul(num, mod(BigInt(xj)));
      den = mul(den, mod(BigInt(xj - xi)));
    });
    return mul(num, inv(den));
  });
}

/** The value at 0 of the polynomial through all `points` (degree < points.length); no check. */
export function interpolateAtZero(points: readonly SharePoint[]): bigint {
  const lambda = lagrangeAtZero(points.map((p) => p.x));
  let acc = 0n;
  for (let i = 0; i < points.length; i++) acc += lambda[i] * points[i].y;
  return reduce(mod(acc));
}

/**
 * Whether 3+ shares lie on one degree-1 polynomial; the reconstructions from each pair (all
 * equal when consistent).
 */
export function checkConsistency(points: readonly SharePoint[]): { consistent: boolean; reconstructions: Reconstruction[] } {
  const reconstructions: Reconstruction[] = [];
  for (let i = 0; i < points.length; i++)
    for (let j = i + 1; j < points.length; j++) reconstructions.push({ xs: [points[i].x, points[j].x], value: interpolateAtZero([points[i], points[j]]) });
  return { consistent: reconstructions.every((r) => r.value === reconstructions[0].value), reconstructions };
}

/**
 * The value of a degree-1 sharing from 2 or more shares. With 3 or more the shares must be
 * collinear, else InconsistentShareError (naming the nodes and each pair's reconstruction).
 */
export function reconstruct(points: readonly SharePoint[], what?: string): bigint {
  if (points.length < 2) throw new FieldError("reconstruction needs at least 2 shares");
  if (new Set(points.map((p) => p.x)).size !== points.length) throw new FieldError("two shares at the same point");
  if (points.length === 2) return interpolateAtZero(points);
  const { consistent, reconstructions } = checkConsistency(points);
  if (!consistent) throw new InconsistentShareError(reconstructions, points.map((p) => p.x - 1).sort(), what);
  return reconstructions[0].value;
}

/** y at x of the degree-1 polynomial with f(0) = value and the given slope. */
export const evalLine = (value: bigint, slope: bigint, x: number): bigint => reduce(value + slope * BigInt(x));

