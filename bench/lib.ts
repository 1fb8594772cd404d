// Shared benchmark helpers: repeated timing with median and p95, and table printing.
export interface Row {
  operation: string;
  median: number | bigint;
  p95: number | bigint;
}

export function quantiles<T extends number | bigint>(values: T[]): { median: T; p95: T } {
  const s = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { median: at(0.5), p95: at(0.95) };
}

/** Runs `fn` once to warm up, then `runs` times; returns median and p95 of the measured ms. */
export async function time(runs: number, fn: () => Promise<number | void>): Promise<{ median: number; p95: number }> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const measured = await fn();
    ms.push(typeof measured === "number" ? measured : performance.now() - t0);
  }
  const q = quantiles(ms);
  return { median: Math.round(q.median * 10) / 10, p95: Math.round(q.p95 * 10) / 10 };
}

export function table(title: string, unit: string, rows: Row[]): string {
  const width = Math.max(9, ...rows.map((r) => r.operation.length));
  const fmt = (v: number | bigint) => v.toLocaleString("en").padStart(10);
  return [
    title,
    `${"operation".padEnd(width)}  ${("median " + unit).padStart(10)}  ${("p95 " + unit).padStart(10)}`,
    `${"-".repeat(width)}  ${"-".repeat(10)}  ${"-".repeat(10)}`,
    ...rows.map((r) => `${r.operation.padEnd(width)}  ${fmt(r.median)}  ${fmt(r.p95)}`),
    "",
  ].join("\n");
}
