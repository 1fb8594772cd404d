// Executes graph-node style queries against the entity tables: query analysis (depth,
// first/skip bounds, complexity), then resolution level by level with one SQL statement per
// nested field and level (LATERAL joins for per-parent pagination), so there is no N+1.
import {
  execute,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLList,
  GraphQLObjectType,
  GraphQLSkipDirective,
  isObjectType,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from "graphql";
import { bytesToHex, q, selectExpr, storedScalar, tableRef } from "../store/columns.ts";
import type { PgStore, Row } from "../store/pg-store.ts";
import type { EntityModel, FieldModel, SchemaModel } from "../store/schema.ts";
import { buildQuerySchema, type QuerySchema } from "./query-schema.ts";
import { compileFilter, compileOrder, SqlBuilder, toTsQueryText } from "./sql.ts";

export interface QueryLimits {
  /** max `first` (graph-node: GRAPH_GRAPHQL_MAX_FIRST, 1000) */
  maxFirst: number;
  /** max `skip` */
  maxSkip: number;
  /** max selection depth (introspection excluded) */
  maxDepth: number;
  /** max entities a query could return, estimated from `first` along each path */
  maxComplexity: number;
  /** max entities actually loaded by one query */
  maxRows: number;
  /** wall-clock budget of one query, checked before each SQL statement */
  timeoutMs: number;
  /** max query text length */
  maxQueryLength: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxFirst: 1000,
  maxSkip: 5000,
  maxDepth: 10,
  maxComplexity: 5_000_000,
  maxRows: 200_000,
  timeoutMs: 10_000,
  maxQueryLength: 100_000,
};

export interface MetaInfo {
  block: { number: number; hash: string | null; timestamp?: number | null; parentHash?: string | null } | null;
  hasIndexingErrors: boolean;
  deployment?: string;
}

export interface GraphqlRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

const RAW = Symbol("raw");
const PLAIN = Symbol("plain");
type Obj = Record<string | symbol, unknown> & { [RAW]?: Row };

interface Ctx {
  model: SchemaModel;
  qs: QuerySchema;
  store: PgStore;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  deadline: number;
  rows: number;
  limits: QueryLimits;
  meta: () => Promise<MetaInfo>;
  metaCache?: Promise<MetaInfo>;
}

export class QueryEngine {
  readonly qs: QuerySchema;
  private readonly docs = new Map<string, DocumentNode | readonly GraphQLError[]>();
  readonly limits: QueryLimits;
  readonly store: PgStore;
  readonly meta: () => Promise<MetaInfo>;

  constructor(store: PgStore, meta: () => Promise<MetaInfo>, limits: Partial<QueryLimits> = {}) {
    this.store = store;
    this.meta = meta;
    this.qs = buildQuerySchema(store.model);
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get schema() {
    return this.qs.schema;
  }

  /** Parses and validates a query (cached by its text). */
  private document(query: string): DocumentNode | readonly GraphQLError[] {
    const hit = this.docs.get(query);
    if (hit) return hit;
    let out: DocumentNode | readonly GraphQLError[];
    try {
      const doc = parse(query, { maxTokens: 20_000 });
      const errors = validate(this.schema, doc, [...specifiedRules, depthRule(this.limits.maxDepth)]);
      out = errors.length ? errors : doc;
    } catch (e) {
      out = [e instanceof GraphQLError ? e : new GraphQLError(String(e))];
    }
    if (this.docs.size > 500) this.docs.delete(this.docs.keys().next().value!);
    this.docs.set(query, out);
    return out;
  }

  async run(req: GraphqlRequest): Promise<ExecutionResult> {
    if (typeof req.query !== "string" || !req.query.trim()) return { errors: [new GraphQLError("Missing query")] };
    if (req.query.length > this.limits.maxQueryLength) {
      return { errors: [new GraphQLError(`The query is longer than ${this.limits.maxQueryLength} characters`)] };
    }
    const doc = this.document(req.query);
    if (!("kind" in doc)) return { errors: doc as GraphQLError[] };
    const op = findOperation(doc, req.operationName ?? undefined);
    if (op instanceof GraphQLError) return { errors: [op] };
    if (op.operation !== "query") return { errors: [new GraphQLError(`${op.operation} operations are not supported`, { nodes: op })] };
    const vars = getVariableValues(this.schema, op.variableDefinitions ?? [], req.variables ?? {});
    if (vars.errors) return { errors: vars.errors };
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
    const ctx: Ctx = {
      model: this.store.model,
      qs: this.qs,
      store: this.store,
      fragments,
      variables: vars.coerced,
      deadline: Date.now() + this.limits.timeoutMs,
      rows: 0,
      limits: this.limits,
      meta: this.meta,
    };
    const errors = analyze(ctx, this.schema.getQueryType()!, op.selectionSet);
    if (errors.length) return { errors };
    return execute({
      schema: this.schema,
      document: doc,
      operationName: req.operationName ?? undefined,
      variableValues: req.variables ?? {},
      contextValue: ctx,
      fieldResolver: resolver,
    });
  }
}

function findOperation(doc: DocumentNode, name?: string): OperationDefinitionNode | GraphQLError {
  const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (name) {
    const op = ops.find((o) => o.name?.value === name);
    return op ?? new GraphQLError(`Unknown operation named "${name}".`);
  }
  if (ops.length !== 1) return new GraphQLError("Must provide operation name if query contains multiple operations.");
  return ops[0];
}

/** Validation rule: selection depth (fragments followed, introspection fields not counted). */
function depthRule(max: number): ValidationRule {
  return (context) => {
    const fragDepth = new Map<string, number>();
    const depthOf = (set: SelectionSetNode, seen: Set<string>): number => {
      let d = 0;
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          if (s.name.value.startsWith("__")) continue;
          d = Math.max(d, s.selectionSet ? 1 + depthOf(s.selectionSet, seen) : 1);
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          d = Math.max(d, depthOf(s.selectionSet, seen));
        } else {
          const name = s.name.value;
          if (seen.has(name)) continue;
          let fd = fragDepth.get(name);
          if (fd === undefined) {
            const frag = context.getFragment(name);
            fd = frag ? depthOf(frag.selectionSet, new Set([...seen, name])) : 0;
            fragDepth.set(name, fd);
          }
          d = Math.max(d, fd);
        }
      }
      return d;
    };
    return {
      OperationDefinition(node) {
        const d = depthOf(node.selectionSet, new Set());
        if (d > max) context.reportError(new GraphQLError(`Query has a depth of ${d}, which exceeds the limit of ${max}`, { nodes: node }));
      },
    };
  };
}

function include(ctx: Pick<Ctx, "variables">, node: FieldNode | { directives?: FieldNode["directives"] }): boolean {
  const skip = getDirectiveValues(GraphQLSkipDirective, node as FieldNode, ctx.variables);
  if (skip?.if === true) return false;
  const inc = getDirectiveValues(GraphQLIncludeDirective, node as FieldNode, ctx.variables);
  return inc?.if !== false;
}

/** Fields of a selection by response key, fragments expanded (like graphql-js collectFields). */
function collect(
  ctx: Pick<Ctx, "variables" | "fragments">,
  typeName: string,
  sets: readonly (SelectionSetNode | undefined)[],
): Map<string, FieldNode[]> {
  const out = new Map<string, FieldNode[]>();
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const s of set.selections) {
      if (!include(ctx, s)) continue;
      if (s.kind === Kind.FIELD) {
        const key = s.alias?.value ?? s.name.value;
        const list = out.get(key);
        list ? list.push(s) : out.set(key, [s]);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        if (!s.typeCondition || s.typeCondition.name.value === typeName) visit(s.selectionSet, seen);
      } else {
        const name = s.name.value;
        const frag = ctx.fragments[name];
        if (!frag || seen.has(name) || frag.typeCondition.name.value !== typeName) continue;
        seen.add(name);
        visit(frag.selectionSet, seen);
      }
    }
  };
  for (const set of sets) if (set) visit(set, new Set());
  return out;
}

/** first/skip bounds and the complexity estimate, before anything runs. */
function analyze(ctx: Ctx, root: GraphQLObjectType, set: SelectionSetNode): GraphQLError[] {
  const errors: GraphQLError[] = [];
  let cost = 0;
  const walk = (type: GraphQLObjectType, sets: readonly (SelectionSetNode | undefined)[], mult: number, depth: number) => {
    if (depth > 64) return;
    for (const [, nodes] of collect(ctx, type.name, sets)) {
      const name = nodes[0].name.value;
      if (name.startsWith("__")) continue;
      const def = type.getFields()[name];
      if (!def) continue;
      const named = getNamedType(def.type);
      if (!isObjectType(named)) continue;
      let args: Record<string, unknown>;
      try {
        args = getArgumentValues(def, nodes[0], ctx.variables);
      } catch (e) {
        errors.push(e as GraphQLError);
        continue;
      }
      let m = mult;
      if ("first" in args) {
        const first = args.first as number;
        const skip = (args.skip as number | undefined) ?? 0;
        if (first < 0 || first > ctx.limits.maxFirst) {
          errors.push(new GraphQLError(`The \`first\` argument must be between 0 and ${ctx.limits.maxFirst}, but is ${first}`, { nodes: nodes[0] }));
        }
        if (skip < 0 || skip > ctx.limits.maxSkip) {
          errors.push(new GraphQLError(`The \`skip\` argument must be between 0 and ${ctx.limits.maxSkip}, but is ${skip}`, { nodes: nodes[0] }));
        }
        m = mult * Math.max(0, Math.min(first, ctx.limits.maxFirst));
      }
      cost += m;
      walk(named, nodes.map((n) => n.selectionSet), m, depth + 1);
    }
  };
  walk(root, [set], 1, 0);
  if (cost > ctx.limits.maxComplexity) {
    errors.push(
      new GraphQLError(
        `The query is too expensive: it may return up to ${cost} entities, more than the limit of ${ctx.limits.maxComplexity}; lower \`first\` on nested fields`,
      ),
    );
  }
  return errors;
}

const resolver: GraphQLFieldResolver<unknown, Ctx, FieldArgs> = (source, args, ctx, info) => {
  if (info.parentType === info.schema.getQueryType()) return resolveRoot(ctx, args, info);
  const src = source as Obj;
  return src[PLAIN] ? src[info.fieldName] : src[info.path.key];
};

function check(ctx: Ctx) {
  if (Date.now() > ctx.deadline) throw new GraphQLError(`The query took longer than ${ctx.limits.timeoutMs} ms and was stopped`);
}

async function sqlRows(ctx: Ctx, sql: string, params: unknown[]): Promise<Row[]> {
  check(ctx);
  let rows: Row[];
  try {
    rows = (await ctx.store.sql.query<Row>(sql, params)).rows;
  } catch (e) {
    const msg = (e as Error).message;
    if (/tsquery/i.test(msg)) throw new GraphQLError(`Invalid full-text search text: ${msg}`);
    throw new GraphQLError(`Store error: ${msg}`);
  }
  ctx.rows += rows.length;
  if (ctx.rows > ctx.limits.maxRows) {
    throw new GraphQLError(`The query loads more than ${ctx.limits.maxRows} entities; narrow it with where / first`);
  }
  return rows;
}

function columns(model: SchemaModel, e: EntityModel, alias = "c"): string {
  return e.stored.map((f) => selectExpr(model, f, alias)).join(", ");
}

function getMeta(ctx: Ctx): Promise<MetaInfo> {
  return (ctx.metaCache ??= ctx.meta());
}

/** The arguments of a query field as the query schema declares them; graphql-js has validated
 * and coerced them against it before a resolver runs. */
interface FieldArgs {
  id?: string;
  block?: { number?: number; number_gte?: number; hash?: string };
  where?: Record<string, unknown> | null;
  orderBy?: string;
  orderDirection?: string;
  first?: number;
  skip?: number;
  text?: string;
}

async function checkBlock(ctx: Ctx, block: FieldArgs["block"]) {
  if (!block) return;
  const meta = await getMeta(ctx);
  const head = meta.block?.number ?? -1;
  const deployment = meta.deployment ?? ctx.store.deployment;
  const wanted = block.number ?? block.number_gte;
  if (wanted !== undefined && wanted > head) {
    throw new GraphQLError(
      `Failed to decode \`block.number\` value: \`subgraph ${deployment} has only indexed up to block number ${head} and data for block number ${wanted} is therefore not yet available\``,
    );
  }
  if (block.number !== undefined && block.number < head) {
    throw new GraphQLError(
      `Time-travel queries are not supported by the local indexer: block ${block.number} is older than the latest indexed block ${head}; omit \`block\` or use \`number_gte\``,
    );
  }
  if (block.hash !== undefined && block.hash.toLowerCase() !== (meta.block?.hash ?? "").toLowerCase()) {
    throw new GraphQLError(`Time-travel queries are not supported by the local indexer: block ${block.hash} is not the latest indexed block`);
  }
}

function objectType(ctx: Ctx, e: EntityModel): GraphQLObjectType {
  return ctx.qs.schema.getType(e.name) as GraphQLObjectType;
}

async function resolveRoot(ctx: Ctx, args: FieldArgs, info: GraphQLResolveInfo): Promise<unknown> {
  const name = info.fieldName;
  if (name === "_meta") {
    await checkBlock(ctx, args.block);
    const meta = await getMeta(ctx);
    const blk = meta.block;
    const block = Object.assign(Object.create(null), {
      [PLAIN]: true,
      number: blk?.number ?? 0,
      hash: blk?.hash ?? null,
      timestamp: blk?.timestamp ?? null,
      parentHash: blk?.parentHash ?? null,
    });
    return Object.assign(Object.create(null), {
      [PLAIN]: true,
      block,
      deployment: meta.deployment ?? ctx.store.deployment,
      hasIndexingErrors: meta.hasIndexingErrors,
    });
  }
  const root = ctx.qs.roots.get(name);
  if (!root) throw new GraphQLError(`Unknown query field ${name}`);
  await checkBlock(ctx, args.block);
  const e = root.entity;
  const b = new SqlBuilder();
  let sql: string;
  if (root.kind === "single") {
    sql = `SELECT ${columns(ctx.model, e)} FROM ${tableRef(e)} c WHERE c.id = ${b.p(idParam(e, args.id!))}`;
  } else if (root.kind === "collection") {
    const where = compileFilter(ctx.qs, b, e, args.where, "c");
    const order = compileOrder(ctx.model, e, args.orderBy, args.orderDirection, "c");
    sql = `SELECT ${columns(ctx.model, e)} FROM ${tableRef(e)} c WHERE ${where} ORDER BY ${order} LIMIT ${Number(args.first)} OFFSET ${Number(args.skip ?? 0)}`;
  } else if (root.kind === "search") {
    const text = toTsQueryText(String(args.text));
    if (text === null) return [];
    const ft = root.fulltext;
    const tsq = `to_tsquery('${ft.config}'::regconfig, ${b.p(text, "::text")})`;
    const where = compileFilter(ctx.qs, b, e, args.where, "c");
    const rank = ft.algorithm === "proximityRank" ? "ts_rank_cd" : "ts_rank";
    sql =
      `SELECT ${columns(ctx.model, e)} FROM ${tableRef(e)} c, ${tsq} AS tsq ` +
      `WHERE c.${q(ft.column)} @@ tsq AND ${where} ` +
      `ORDER BY ${rank}(c.${q(ft.column)}, tsq) DESC, c.id ASC LIMIT ${Number(args.first)} OFFSET ${Number(args.skip ?? 0)}`;
  } else {
    throw new GraphQLError(`Unknown query field ${name}`);
  }
  const rows = await sqlRows(ctx, sql, b.params);
  const objs = rows.map(mkObj);
  await fetchNested(ctx, e, objs, info.fieldNodes);
  return root.kind === "single" ? (objs[0] ?? null) : objs;
}

function idParam(e: EntityModel, id: string): string {
  return e.idType === "Bytes" ? id.toLowerCase() : id;
}

function mkObj(raw: Row): Obj {
  const o = Object.create(null) as Obj;
  o[RAW] = raw;
  return o;
}

/** A stored value as graph-node serialises it: BigInt/BigDecimal as strings, Bytes as 0x-hex. */
function output(model: SchemaModel, f: FieldModel, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (f.list) return (v as unknown[]).map((x) => output(model, { ...f, list: false }, x));
  if (v instanceof Uint8Array) return bytesToHex(v);
  if (typeof v === "bigint") return v.toString();
  if (storedScalar(model, f) === "Int") return Number(v);
  return v;
}

/** Resolves the selection of `objs` (entities of type e): scalars from their rows, entity
 * fields with one SQL statement per field for all objects at once, then recursively. */
async function fetchNested(ctx: Ctx, e: EntityModel, objs: Obj[], nodes: readonly FieldNode[]): Promise<void> {
  if (objs.length === 0) return;
  const type = objectType(ctx, e);
  const fields = collect(ctx, e.name, nodes.map((n) => n.selectionSet));
  for (const [key, fnodes] of fields) {
    const name = fnodes[0].name.value;
    if (name.startsWith("__")) continue;
    const f = e.fieldMap.get(name);
    if (!f) continue;
    if (f.kind !== "entity") {
      for (const o of objs) o[key] = output(ctx.model, f, o[RAW]![f.name]);
      continue;
    }
    const t = ctx.model.entities.get(f.type)!;
    const def = type.getFields()[name] as GraphQLField<unknown, unknown>;
    const args: FieldArgs = getArgumentValues(def, fnodes[0], ctx.variables); // validated against the schema
    let children: Obj[];
    if (!f.list && !f.derivedFrom) {
      // a single reference: one lookup by ids
      const ids = [...new Set(objs.map((o) => o[RAW]![f.name]).filter((x) => x != null))];
      const b = new SqlBuilder();
      const rows = ids.length
        ? await sqlRows(ctx, `SELECT ${columns(ctx.model, t)} FROM ${tableRef(t)} c WHERE c.id = ANY(${b.p(ids)})`, b.params)
        : [];
      const byId = new Map(rows.map((r) => [String(r.id), mkObj(r)]));
      for (const o of objs) {
        const id = o[RAW]![f.name];
        o[key] = id == null ? null : (byId.get(String(id)) ?? null);
      }
      children = [...byId.values()];
    } else {
      // a list: derived (reverse lookup) or a list of references, paginated per parent
      const b = new SqlBuilder();
      const parents = [...new Set(objs.map((o) => String(o[RAW]!.id)))];
      const where = compileFilter(ctx.qs, b, t, args.where, "c");
      const order = compileOrder(ctx.model, t, args.orderBy, args.orderDirection, "c");
      const page = `LIMIT ${Number(args.first ?? 100)} OFFSET ${Number(args.skip ?? 0)}`;
      let sql: string;
      if (f.derivedFrom) {
        const tf = t.fieldMap.get(f.derivedFrom)!;
        const link = tf.list ? `p.pid = ANY(c.${q(tf.name)})` : `c.${q(tf.name)} = p.pid`;
        const pidType = e.idType === "Int8" ? "int8[]" : "text[]";
        sql =
          `SELECT p.pid AS "__parent", x.* FROM unnest(${b.p(parents, `::${pidType}`)}) AS p(pid) CROSS JOIN LATERAL ` +
          `(SELECT ${columns(ctx.model, t)} FROM ${tableRef(t)} c WHERE ${link} AND ${where} ORDER BY ${order} ${page}) x`;
      } else {
        const lists: Record<string, unknown[]> = {};
        for (const o of objs) lists[String(o[RAW]!.id)] = (o[RAW]![f.name] as unknown[] | null) ?? [];
        sql =
          `SELECT p.key AS "__parent", x.* FROM jsonb_each(${b.p(JSON.stringify(lists), "::jsonb")}) AS p CROSS JOIN LATERAL ` +
          `(SELECT ${columns(ctx.model, t)} FROM ${tableRef(t)} c WHERE c.id::text IN (SELECT jsonb_array_elements_text(p.value)) AND ${where} ORDER BY ${order} ${page}) x`;
      }
      const rows = await sqlRows(ctx, sql, b.params);
      const byParent = new Map<string, Obj[]>();
      children = [];
      for (const r of rows) {
        const o = mkObj(r);
        children.push(o);
        const pid = String(r.__parent);
        const list = byParent.get(pid);
        list ? list.push(o) : byParent.set(pid, [o]);
      }
      const single = !f.list; // a derived single value (e.g. `owner: X @derivedFrom`)
      for (const o of objs) {
        const list = byParent.get(String(o[RAW]!.id)) ?? [];
        o[key] = single ? (list[0] ?? null) : list;
      }
    }
    await fetchNested(ctx, t, children, fnodes);
  }
}

