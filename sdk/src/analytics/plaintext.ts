// The exact reference result of a query over plaintext rows (what the SMPC nodes compute without
// noise): the tests compare the engine's output with it.
import { encodeRowSigned } from "./encode.ts";
import { planQuery, type Aggregate } from "./plan.ts";
import type { Query } from "./query.ts";
import { cellResult, type QueryResult } from "./result.ts";
import type { Schema } from "./schema.ts";

/** Evaluates a validated query on records (fields by column name); cells below `minCohort` are suppressed. */
export function evaluatePlaintext(query: Query, schema: Schema, rows: readonly Readonly<Record<string, unknown>>[], options: { minCohort?: number } = {}): QueryResult {
  const plan = planQuery(query, schema);
  const minCohort = BigInt(options.minCohort ?? 0);
  const totals = plan.cells.map(() => ({ count: 0n, sum: 0n, sumsq: 0n }));
  rows.forEach((record, r) => {
    const enc = encodeRowSigned(schema, record, r + 1);
    const x = plan.value ? BigInt(enc[plan.value.x]) : 0n;
    plan.cells.forEach((cell, i) => {
      if (!cell.filter) return;
      for (const cond of cell.filter) if (!cond.indexes.some((k) => enc[k] === 1)) return;
      const t = totals[i];
      t.count += 1n;
      t.sum += x;
      t.sumsq += x * x;
    });
  });
  const cells = plan.cells.map((cell, i) => {
    const suppressed = totals[i].count < minCohort;
    const values: Partial<Record<Aggregate, bigint>> = {};
    for (const a of plan.reveals) values[a] = totals[i][a];
    return cellResult(plan, cell, suppressed, values);
  });
  return { cells, nodes: [], consistent: true, epsilon: 0 };
}
