// Query plans (docs/analytics.md, "Computation"): which cells a query has, which rows each cell
// sums over (its filter: per column, the encoded indicator columns to add up, all multiplied),
// which aggregates a cell reveals and their sensitivities. The SMPC engine and the buyer's
// reconstruction both work from the plan; filters also serve the differencing check.
import { canonicalJson } from "./canonical.ts";
import { QueryError } from "./errors.ts";
import { isLinear, isRange, type Query } from "./query.ts";
import { binLabel, encodedColumns, findColumn, maxAbs, type NumericColumn, type Schema } from "./schema.ts";

export type Aggregate = "count" | "sum" | "sumsq";

/** One condition of a filter: the row's indicator is the sum of these encoded columns. */
export interface FilterCondition {
  column: string;
  /** encoded column indexes, ascending */
  indexes: number[];
}

/** A conjunction of conditions, one per column, sorted by column; [] selects every row. */
export type CohortFilter = FilterCondition[];

export interface PlanCell {
  /** "all", a group value ("F"), a bin label ("65–80") or both ("F|65–80") */
  key: string;
  group?: string;
  bin?: string;
  /** the rows the cell sums over: the query's filter and the cell's group / bin; null: no row can match */
  filter: CohortFilter | null;
}

export interface QueryPlan {
  query: Query;
  /** the cohort: the rows the query's `where` selects */
  filter: CohortFilter;
  cells: PlanCell[];
  /** what each unsuppressed cell reveals to the buyer (the count is always computed, for suppression) */
  reveals: Aggregate[];
  /** the value column of sum / mean / variance / stddev: its encoded x and x² columns */
  value?: { column: string; decimals: number; x: number; x2: number };
  /** largest change of one revealed aggregate when one row changes (fixed-point units) */
  sensitivity: Record<Aggregate, bigint>;
  /** two nodes can answer it (no cell needs a product of shared values) */
  linear: boolean;
}

const REVEALS: Record<Query["op"], Aggregate[]> = {
  count: ["count"],
  histogram: ["count"],
  sum: ["sum"],
  mean: ["count", "sum"],
  variance: ["count", "sum", "sumsq"],
  stddev: ["count", "sum", "sumsq"],
};

/** Canonical text of a filter (equal filters, equal keys). */
export const filterKey = (f: CohortFilter): string => canonicalJson(f);

/**
 * The intersection of two filters: per column the intersection of the allowed encoded columns
 * (a column in only one filter stays as it is). null when a column's intersection is empty: no
 * row is in both.
 */
export function mergeFilters(a: CohortFilter, b: CohortFilter): CohortFilter | null {
  const byColumn = new Map<string, number[]>();
  for (const c of a) byColumn.set(c.column, [...c.indexes]);
  for (const c of b) {
    const prev = byColumn.get(c.column);
    if (!prev) byColumn.set(c.column, [...c.indexes]);
    else {
      const both = prev.filter((i) => c.indexes.includes(i));
      if (both.length === 0) return null;
      byColumn.set(c.column, both);
    }
  }
  return [...byColumn.entries()]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([column, indexes]) => ({ column, indexes: indexes.sort((x, y) => x - y) }));
}

/** The plan of a validated query (validateQuery) over a schema. */
export function planQuery(query: Query, schema: Schema): QueryPlan {
  const enc = encodedColumns(schema);
  const index = new Map(enc.map((e, i) => [e.id, i]));
  const at = (id: string): number => {
    const i = index.get(id);
    if (i === undefined) throw new QueryError("unknown-column", `the schema has no encoded column ${id}`);
    return i;
  };
  const column = (name: string) => findColumn(schema, name) ?? (() => { throw new QueryError("unknown-column", `the dataset has no column "${name}"`); })();

  const filter: CohortFilter = (query.where ?? [])
    .map((w): FilterCondition => {
      const c = column(w.column);
      if (isRange(w)) {
        if (c.kind !== "numeric" || !c.bins) throw new QueryError("wrong-kind", `condition on "${c.name}": not a binned numeric column`);
        const bins = c.bins;
        const indexes = bins.slice(0, -1).flatMap((lo, b) => (lo >= w.from && bins[b + 1] <= w.to ? [at(`${c.name}#${b}`)] : []));
        if (indexes.length === 0) throw new QueryError("bad-range", `condition on "${c.name}": the range ${w.from}..${w.to} holds no bin`);
        return { column: c.name, indexes };
      }
      if (c.kind !== "categorical") throw new QueryError("wrong-kind", `condition on "${c.name}": not a categorical column`);
      return { column: c.name, indexes: w.in.map((v) => at(`${c.name}=${v}`)).sort((x, y) => x - y) };
    })
    .sort((x, y) => (x.column < y.column ? -1 : x.column > y.column ? 1 : 0));
  const cohort = mergeFilters(filter, []) ?? [];

  const groups: { label: string; cond: FilterCondition }[] | undefined = query.groupBy
    ? (() => {
        const g = column(query.groupBy);
        if (g.kind !== "categorical") throw new QueryError("wrong-kind", `groupBy "${g.name}": not categorical`);
        return g.values.map((v) => ({ label: v, cond: { column: g.name, indexes: [at(`${g.name}=${v}`)] } }));
      })()
    : undefined;
  let bins: { label: string; cond: FilterCondition }[] | undefined;
  let value: QueryPlan["value"];
  let sens = { count: 1n, sum: 0n, sumsq: 0n };
  if (query.column !== undefined) {
    const c = column(query.column);
    if (c.kind !== "numeric") throw new QueryError("wrong-kind", `"${c.name}" is not numeric`);
    if (query.op === "histogram") {
      if (!c.bins) throw new QueryError("wrong-kind", `histogram of "${c.name}": no bins`);
      const edges = c.bins;
      bins = edges.slice(0, -1).map((_, b) => ({ label: binLabel(edges, b), cond: { column: c.name, indexes: [at(`${c.name}#${b}`)] } }));
    } else {
      value = { column: c.name, decimals: (c as NumericColumn).decimals, x: at(c.name), x2: at(`${c.name}^2`) };
      const m = maxAbs(c);
      sens = { count: 1n, sum: m, sumsq: m * m };
    }
  }

  const cells: PlanCell[] = [];
  for (const g of groups ?? [undefined]) {
    for (const b of bins ?? [undefined]) {
      let f: CohortFilter | null = cohort;
      if (g) f = mergeFilters(f, [g.cond]);
      if (b && f) f = mergeFilters(f, [b.cond]);
      const key = g && b ? `${g.label}|${b.label}` : (g?.label ?? b?.label ?? "all");
      const cell: PlanCell = { key, filter: f };
      if (g) cell.group = g.label;
      if (b) cell.bin = b.label;
      cells.push(cell);
    }
  }
  return { query, filter: cohort, cells, reveals: REVEALS[query.op], ...(value ? { value } : {}), sensitivity: sens, linear: isLinear(query) };
}

/** Factors of an aggregate of a cell: its filter's conditions, and the value column (x or x²). */
export function aggregateDegree(plan: QueryPlan, cell: PlanCell, aggregate: Aggregate): number {
  if (!cell.filter) return 0;
  return cell.filter.length + (aggregate === "count" ? 0 : 1);
}
