// Mondrian multidimensional partitioning (LeFevre, DeWitt, Ramakrishnan 2006), strict variant:
// start from all rows, cut the widest quasi-identifier (normalised by its span) at its median
// while both halves keep ≥ k rows (and ≥ ℓ distinct sensitive values), and recurse; a partition
// that cannot be cut is released as one class, each column generalised to the partition's range.
// No row is suppressed. Written here because no maintained npm package implements it; it works
// on typed arrays of row numbers (O(n · columns) per level, O(n log n) overall).
import { MISSING, spanOf, type QiColumn } from "./columns.ts";

export interface Partitioning {
  /** the class (leaf) of every row */
  classOf: Int32Array;
  classes: number;
  /** per class and column: finite min, finite max, 1 when blank values are present (flat: (class · columns + column) · 3) */
  bounds: Float64Array;
}

/** k-th smallest of a[0, n) (in place; Hoare partitioning copes with many equal values). */
export function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const x = a[lo];
    const y = a[(lo + hi) >> 1];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

export interface MondrianInput {
  rows: number;
  columns: QiColumn[];
  k: number;
  l: number;
  /** sensitive value codes per row (needed when l > 1) */
  sensitive?: Int32Array;
  sensitiveValues?: number;
  onProgress?: (classified: number) => void;
}

export function mondrian(o: MondrianInput): Partitioning {
  const { rows: n, columns, k, l } = o;
  const d = columns.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const scratch = new Float64Array(n);
  const classOf = new Int32Array(n);
  const spans = columns.map((c) => spanOf(c));
  const stamp = l > 1 ? new Int32Array(o.sensitiveValues ?? 0) : undefined;
  let generation = 0;
  const diverse = (a: number, b: number): boolean => {
    if (!stamp || !o.sensitive) return true;
    generation++;
    let distinct = 0;
    for (let i = a; i < b; i++) {
      const s = o.sensitive[idx[i]];
      if (stamp[s] !== generation) {
        stamp[s] = generation;
        if (++distinct >= l) return true;
      }
    }
    return false;
  };

  let bounds = new Float64Array(1024 * d * 3);
  let classes = 0;
  let classified = 0;
  const mins = new Float64Array(d);
  const maxs = new Float64Array(d);
  const blank = new Uint8Array(d);
  const widths = new Float64Array(d);
  const order: number[] = [];
  const stack: number[] = [0, n];

  while (stack.length > 0) {
    const e = stack.pop()!;
    const s = stack.pop()!;
    const size = e - s;
    // Ranges of the partition, per column.
    for (let j = 0; j < d; j++) {
      const v = columns[j].values;
      let mn = Infinity;
      let mx = -Infinity;
      let bl = 0;
      for (let i = s; i < e; i++) {
        const x = v[idx[i]];
        if (x === MISSING) bl = 1;
        else {
          if (x < mn) mn = x;
          if (x > mx) mx = x;
        }
      }
      mins[j] = mn;
      maxs[j] = mx;
      blank[j] = bl;
      // Blank mixed with values counts as the widest: separating them is the cheapest cut.
      widths[j] = bl && mn <= mx ? 2 : mn < mx && spans[j] > 0 ? (mx - mn) / spans[j] : 0;
    }
    let cut = false;
    if (size >= 2 * k) {
      order.length = 0;
      for (let j = 0; j < d; j++) if (widths[j] > 0) order.push(j);
      order.sort((a, b) => widths[b] - widths[a]);
      for (const j of order) {
        const v = columns[j].values;
        for (let i = 0; i < size; i++) scratch[i] = v[idx[s + i]];
        const median = select(scratch, size, size >> 1);
        let less = 0;
        let leq = 0;
        for (let i = s; i < e; i++) {
          const x = v[idx[i]];
          if (x < median) less++;
          if (x <= median) leq++;
        }
        // Two candidate cuts: (< median | ≥ median) and (≤ median | > median); the more balanced valid one first.
        const candidates: [number, boolean][] = [];
        if (less >= k && size - less >= k) candidates.push([less, false]);
        if (leq >= k && size - leq >= k && leq !== less) candidates.push([leq, true]);
        candidates.sort((a, b) => Math.abs(size / 2 - a[0]) - Math.abs(size / 2 - b[0]));
        for (const [left, inclusive] of candidates) {
          // Partition idx[s, e) in place: left side first.
          let a = s;
          let b = e - 1;
          while (a <= b) {
            const x = v[idx[a]];
            if (inclusive ? x <= median : x < median) a++;
            else {
              const t = idx[a];
              idx[a] = idx[b];
              idx[b] = t;
              b--;
            }
          }
          if (a - s !== left) throw new Error("mondrian: partition size mismatch"); // an invariant, never expected
          if (!diverse(s, s + left) || !diverse(s + left, e)) continue;
          stack.push(s, s + left, s + left, e);
          cut = true;
          break;
        }
        if (cut) break;
      }
    }
    if (!cut) {
      if ((classes + 1) * d * 3 > bounds.length) {
        const grown = new Float64Array(bounds.length * 2);
        grown.set(bounds);
        bounds = grown;
      }
      for (let j = 0; j < d; j++) {
        const at = (classes * d + j) * 3;
        bounds[at] = mins[j];
        bounds[at + 1] = maxs[j];
        bounds[at + 2] = blank[j];
      }
      for (let i = s; i < e; i++) classOf[idx[i]] = classes;
      classes++;
      classified += size;
      o.onProgress?.(classified);
    }
  }
  return { classOf, classes, bounds: bounds.subarray(0, classes * d * 3) };
}
