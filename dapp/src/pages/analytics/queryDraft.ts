// What a buyer is putting together in the query builder, and the query it becomes. Pure
// functions: QueryBuilder.tsx renders, this decides which choices the manifest offers.
import type { AnalyticsManifest, CategoricalColumn, Column, Condition, NumericColumn, Operation, Query } from "./sdk.ts";
import { columnFits, needsColumn } from "./words.ts";

export type ConditionDraft = { kind: "values"; values: string[] } | { kind: "range"; from: number; to: number };

export interface QueryDraft {
  op: Operation;
  /** "" when the operation takes none (count) or none is chosen yet */
  column: string;
  /** column → condition, in the order they were added */
  where: [string, ConditionDraft][];
  /** "" for no grouping */
  groupBy: string;
}

export const MAX_CONDITIONS = 4;

export const columnOf = (m: AnalyticsManifest, name: string): Column | undefined => m.schema.columns.find((c) => c.name === name);

const allowedColumns = (m: AnalyticsManifest): Column[] => m.allowed.columns.map((n) => columnOf(m, n)).filter((c): c is Column => !!c);

/** Columns the operation may compute on (allowed, and of the right kind). */
export function columnsFor(m: AnalyticsManifest, op: Operation): NumericColumn[] {
  return allowedColumns(m).filter((c): c is NumericColumn => columnFits(op, c));
}

/** Columns a condition may be put on: allowed categorical ones and allowed numeric ones with bins. */
export function conditionColumns(m: AnalyticsManifest): Column[] {
  return allowedColumns(m).filter((c) => c.kind === "categorical" || (c.bins?.length ?? 0) >= 2);
}

/** Columns results may be grouped by (allowed for grouping, categorical). */
export function groupByColumns(m: AnalyticsManifest): CategoricalColumn[] {
  return m.allowed.groupBy
    .filter((n) => m.allowed.columns.includes(n))
    .map((n) => columnOf(m, n))
    .filter((c): c is CategoricalColumn => c?.kind === "categorical");
}

export function initialDraft(m: AnalyticsManifest): QueryDraft {
  const op = m.allowed.operations[0] ?? "count";
  return { op, column: needsColumn(op) ? (columnsFor(m, op)[0]?.name ?? "") : "", where: [], groupBy: "" };
}

/** A new operation keeps the column when it still fits, else takes the first that does. */
export function withOp(m: AnalyticsManifest, d: QueryDraft, op: Operation): QueryDraft {
  if (!needsColumn(op)) return { ...d, op, column: "" };
  const fits = columnsFor(m, op);
  return { ...d, op, column: fits.some((c) => c.name === d.column) ? d.column : (fits[0]?.name ?? "") };
}

/** A fresh condition on `column`: no value chosen yet, or the whole range of its bins. */
export function newCondition(c: Column): ConditionDraft {
  if (c.kind === "categorical") return { kind: "values", values: [] };
  const edges = c.bins ?? [];
  return { kind: "range", from: edges[0], to: edges[edges.length - 1] };
}

/** What is still missing before the draft is a query, in words (checked before the SDK's validateQuery). */
export function draftProblem(m: AnalyticsManifest, d: QueryDraft): string | undefined {
  if (needsColumn(d.op) && !d.column) return columnsFor(m, d.op).length ? "Choose the column to compute on." : "No column allows this operation: choose another one.";
  for (const [column, c] of d.where) {
    if (c.kind === "values" && c.values.length === 0) return `Choose at least one value of ${column}, or remove the condition.`;
    if (c.kind === "range" && !(c.from < c.to)) return `The range of ${column} must start below its end.`;
  }
  return undefined;
}

export function toQuery(d: QueryDraft): Query {
  const q: Query = { v: 1, op: d.op };
  if (needsColumn(d.op) && d.column) q.column = d.column;
  if (d.where.length) {
    q.where = d.where.map(([column, c]): Condition => (c.kind === "values" ? { column, in: c.values } : { column, from: c.from, to: c.to }));
  }
  if (d.groupBy) q.groupBy = d.groupBy;
  return q;
}

/** "mean of length_of_stay where sex is F, grouped by region". */
export function describeQuery(q: Query): string {
  const head = q.op === "count" ? "count of people" : q.op === "histogram" ? `histogram of ${q.column ?? "…"}` : `${q.op === "stddev" ? "standard deviation" : q.op} of ${q.column ?? "…"}`;
  const where = (q.where ?? []).map((c) => ("in" in c ? `${c.column} is ${c.in.length ? c.in.join(" or ") : "…"}` : `${c.column} from ${c.from} to under ${c.to}`));
  return `${head}${where.length ? ` where ${where.join(" and ")}` : ""}${q.groupBy ? `, grouped by ${q.groupBy}` : ""}`;
}
