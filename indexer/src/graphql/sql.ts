// Compiles graph-node `where` filters and `orderBy` into SQL over the entity tables.
import { GraphQLError } from "graphql";
import { bytesToHex, q, storedScalar, tableRef, toSql } from "../store/columns.ts";
import type { EntityModel, FieldModel, SchemaModel } from "../store/schema.ts";
import type { EntityValue } from "../store/types.ts";
import type { QuerySchema } from "./query-schema.ts";

/** Collects the parameters of one SQL statement and hands out fresh table aliases. */
export class SqlBuilder {
  readonly params: unknown[] = [];
  private n = 0;
  p(v: unknown, cast = ""): string {
    this.params.push(v);
    return `$${this.params.length}${cast}`;
  }
  alias(): string {
    return `t${++this.n}`;
  }
}

export const MAX_FILTER_DEPTH = 8;

function col(alias: string, f: FieldModel): string {
  return f.name === "id" ? `${alias}.id` : `${alias}.${q(f.name)}`;
}

function isBytesText(model: SchemaModel, f: FieldModel): boolean {
  // Bytes ids and references to Bytes-id entities are stored as lowercase 0x-hex text
  return storedScalar(model, f) === "ID" && (f.kind === "entity" ? model.entities.get(f.type)!.idType === "Bytes" : f.type === "Bytes");
}

function param(model: SchemaModel, f: FieldModel, v: unknown, list: boolean): unknown {
  try {
    // A filter value of a scalar field, coerced by graphql-js to its input type: a string,
    // number or boolean (BigInt, BigDecimal and Bytes are strings), or a list of them.
    return toSql(model, { ...f, list }, v as EntityValue);
  } catch (e) {
    throw new GraphQLError(`Invalid value for ${f.name}: ${(e as Error).message}`);
  }
}

export function compileFilter(
  qs: QuerySchema,
  b: SqlBuilder,
  e: EntityModel,
  where: Record<string, unknown> | null | undefined,
  alias: string,
  /** what to read as an entity's table (its rows at an older block, for time travel) */
  rel: (t: EntityModel) => string = tableRef,
  depth = 0,
): string {
  if (!where) return "true";
  if (depth > MAX_FILTER_DEPTH) throw new GraphQLError(`Filter nesting exceeds the limit of ${MAX_FILTER_DEPTH} levels`);
  const model = qs.model;
  const conds: string[] = [];
  const keys = qs.filters.get(e.name)!;
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (key === "and" || key === "or") {
      const items = (value as Record<string, unknown>[] | null) ?? [];
      if (items.length === 0) continue;
      const parts = items.map((w) => `(${compileFilter(qs, b, e, w, alias, rel, depth + 1)})`);
      conds.push(`(${parts.join(key === "and" ? " AND " : " OR ")})`);
      continue;
    }
    if (key === "_change_block") {
      conds.push(`${alias}."_block" >= ${b.p((value as { number_gte: number }).number_gte, "::int8")}`);
      continue;
    }
    const fk = keys.get(key);
    if (!fk) throw new GraphQLError(`Unknown filter \`${key}\` on ${e.name}`);
    const { field: f, op } = fk;
    if (op === "_") {
      const t = model.entities.get(f.type)!;
      const sub = b.alias();
      let link: string;
      if (f.derivedFrom) {
        const tf = t.fieldMap.get(f.derivedFrom)!;
        link = tf.list ? `${alias}.id = ANY(${sub}.${q(tf.name)})` : `${sub}.${q(tf.name)} = ${alias}.id`;
      } else if (f.list) {
        link = `${sub}.id = ANY(${col(alias, f)})`;
      } else {
        link = `${sub}.id = ${col(alias, f)}`;
      }
      const inner = compileFilter(qs, b, t, value as Record<string, unknown>, sub, rel, depth + 1);
      conds.push(`EXISTS (SELECT 1 FROM ${rel(t)} ${sub} WHERE ${link} AND (${inner}))`);
      continue;
    }
    const c = col(alias, f);
    if (value === null) {
      if (op === "") conds.push(`${c} IS NULL`);
      else if (op === "_not") conds.push(`${c} IS NOT NULL`);
      else throw new GraphQLError(`Filter \`${key}\` does not accept null`);
      continue;
    }
    if (f.list) {
      const arr = param(model, f, value, true) as unknown[];
      switch (op) {
        case "":
          conds.push(`${c} = ${b.p(arr)}`);
          break;
        case "_not":
          conds.push(`${c} <> ${b.p(arr)}`);
          break;
        case "_contains":
          conds.push(`${c} @> ${b.p(arr)}`);
          break;
        case "_not_contains":
          conds.push(`NOT (${c} @> ${b.p(arr)})`);
          break;
        case "_contains_nocase":
        case "_not_contains_nocase": {
          const lowered = arr.map((x) => (typeof x === "string" ? x.toLowerCase() : x));
          const expr =
            typeof arr[0] === "string" || arr.length === 0
              ? `(SELECT coalesce(array_agg(lower(x)), '{}') FROM unnest(${c}) x) @> ${b.p(lowered, "::text[]")}`
              : `${c} @> ${b.p(arr)}`;
          conds.push(op === "_contains_nocase" ? expr : `NOT (${expr})`);
          break;
        }
        default:
          throw new GraphQLError(`Filter \`${key}\` is not supported on list fields`);
      }
      continue;
    }
    const bytesText = isBytesText(model, f);
    switch (op) {
      case "":
      case "_not":
      case "_gt":
      case "_lt":
      case "_gte":
      case "_lte": {
        const sym = { "": "=", _not: "<>", _gt: ">", _lt: "<", _gte: ">=", _lte: "<=" }[op];
        conds.push(`${c} ${sym} ${b.p(param(model, f, value, false))}`);
        break;
      }
      case "_in":
        conds.push(`${c} = ANY(${b.p(param(model, f, value, true))})`);
        break;
      case "_not_in":
        conds.push(`NOT (${c} = ANY(${b.p(param(model, f, value, true))}))`);
        break;
      default: {
        const isBytea = storedScalar(model, f) === "Bytes";
        if (isBytea) {
          // Bytes: _contains / _not_contains by byte sequence
          const v = param(model, f, value, false);
          const expr = `position(${b.p(v, "::bytea")} in ${c}) > 0`;
          conds.push(op === "_contains" ? expr : `NOT (${expr})`);
          break;
        }
        let s = String(value);
        if (bytesText) s = (s.startsWith("0x") ? s.slice(2) : s).toLowerCase();
        const nocase = op.endsWith("_nocase");
        const negate = op.startsWith("_not_");
        const base = op.replace(/^_not/, "").replace(/_nocase$/, "");
        const cc = nocase ? `lower(${c})` : c;
        const pv = b.p(nocase ? s.toLowerCase() : s, "::text");
        let expr: string;
        if (base === "_contains") expr = `strpos(${cc}, ${pv}) > 0`;
        else if (base === "_starts_with") expr = bytesText ? `starts_with(${cc}, '0x' || ${pv})` : `starts_with(${cc}, ${pv})`;
        else if (base === "_ends_with") expr = `right(${cc}, length(${pv})) = ${pv}`;
        else throw new GraphQLError(`Unsupported filter \`${key}\``);
        conds.push(negate ? `NOT coalesce(${expr}, false)` : expr);
      }
    }
  }
  return conds.length ? conds.join(" AND ") : "true";
}

/** `ORDER BY` terms for orderBy / orderDirection (default: id ascending). */
export function compileOrder(
  model: SchemaModel,
  e: EntityModel,
  orderBy: string | undefined | null,
  direction: string | undefined | null,
  alias: string,
  rel: (t: EntityModel) => string = tableRef,
): string {
  const dir = direction === "desc" ? "DESC" : "ASC";
  if (!orderBy || orderBy === "id") return `${alias}.id ${dir}`;
  let expr: string;
  const nested = orderBy.indexOf("__");
  if (nested > 0) {
    const ref = e.fieldMap.get(orderBy.slice(0, nested));
    const t = ref && model.entities.get(ref.type);
    const sub = t?.fieldMap.get(orderBy.slice(nested + 2));
    if (!ref || !t || !sub || ref.list || ref.derivedFrom) throw new GraphQLError(`Cannot order ${e.name} by ${orderBy}`);
    expr = `(SELECT o.${q(sub.name)} FROM ${rel(t)} o WHERE o.id = ${alias}.${q(ref.name)})`;
  } else {
    const f = e.fieldMap.get(orderBy);
    if (!f || f.derivedFrom) throw new GraphQLError(`Cannot order ${e.name} by ${orderBy}`);
    expr = `${alias}.${q(f.name)}`;
  }
  return `${expr} ${dir}, ${alias}.id ${dir}`;
}

/** Turns free text into a to_tsquery expression: plain words are ANDed; text using tsquery
 * operators (& | ! <-> ( ) :*) is passed through as graph-node does. */
export function toTsQueryText(text: string): string | null {
  if (/[&|!()<>:*]/.test(text)) return text;
  const words = text.match(/[\p{L}\p{N}_]+/gu);
  return words && words.length ? words.join(" & ") : null;
}

export { bytesToHex };
