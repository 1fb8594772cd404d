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
} from "graphql";
import { bytesToHex, historyRef, q, selectExpr, storedScalar, tableRef } from "../store/columns.ts";
import type { PgStore, Row } from "../store/pg-store.ts";
import type { BlockPtr } from "../store/types.ts";
import type { EntityModel, FieldModel, SchemaModel } from "../store/schema.ts";
import { LruCache } from "./cache.ts";
import { buildQuerySchema, type QuerySchema } from "./query-schema.ts";
import { compileFilter, compileOrder, SqlBuilder, toTsQueryText } from "./sql.ts";

export interface QueryLimits {
  /** max `first` (graph-node: GRAPH_GRAPHQL_MAX_FIRST, 1000) */
  maxFirst: number;
  /** max `skip` */
  maxSkip: number;
  /** max selection depth (introspection excluded; checked before validation) */
  maxDepth: number;
  /** max entities a query could return, estimated from `first` along each path */
  maxComplexity: number;
  /** max fields in one selection set, fragments expanded */
  maxFieldsPerSelection: number;
  /** max fields of the whole query, counted along every path with fragments expanded (the
   * shape validation and execution walk, independent of `first`) */
  maxFields: number;
  /** max aliased fields, counted like maxFields */
  maxAliases: number;
  /** max pairs of fields sharing a response key in one merged selection set (a field selected
   * again, e.g. by two fragments); validation compares each pair */
  maxFieldMerges: number;
  /** max fragment definitions in a query */
  maxFragments: number;
  /** max entities actually loaded by one query */
  maxRows: number;
  /** wall-clock budget of one query, checked before each SQL statement */
  timeoutMs: number;
  /** per-statement timeout; real Postgres only, PGlite cannot interrupt a running statement */
  statementTimeoutMs: number;
  /** max query text length */
  maxQueryLength: number;
  /** max lexical tokens of the query text */
  maxTokens: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxFirst: 1000,
  maxSkip: 5000,
  maxDepth: 10,
  maxComplexity: 5_000_000,
  maxFieldsPerSelection: 100,
  maxFields: 2000,
  maxAliases: 100,
  maxFieldMerges: 1000,
  maxFragments: 50,
  maxRows: 200_000,
  timeoutMs: 10_000,
  statementTimeoutMs: 5000,
  maxQueryLength: 100_000,
  maxTokens: 5000,
};

export interface MetaInfo {
  block: { number: number; hash: string | null; timestamp?: number | null; parentHash?: string | null } | null;
  hasIndexingErrors: boolean;
  deployment?: string;
}

/** Finds a block the store did not write (no entity changed in it), e.g. on the chain by RPC. */
export type BlockResolver = (at: { number: number } | { hash: string }) => Promise<BlockPtr | null>;

export interface GraphqlRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

const RAW = Symbol("raw");
const PLAIN = Symbol("plain");
/** single references read in the parent's own statement: field name → the referenced object */
const JOINED = Symbol("joined");
type Obj = Record<string | symbol, unknown> & { [RAW]?: Row; [JOINED]?: Map<string, Obj | null> };

interface Ctx {
  model: SchemaModel;
  qs: QuerySchema;
  store: PgStore;
  fragments: Record<string, FragmentDefinitionNode>;
  /** fragment name → its fields, expanded once per request */
  expanded: Map<string, readonly FieldNode[]>;
  variables: Record<string, unknown>;
  deadline: number;
  rows: number;
  limits: QueryLimits;
  meta: () => Promise<MetaInfo>;
  metaCache?: Promise<MetaInfo>;
  resolveBlock?: BlockResolver;
}

export class QueryEngine {
  readonly qs: QuerySchema;
  /** parsed and validated query texts (or their errors), bounded by an estimate of their memory */
  private readonly docs = new LruCache<DocumentNode | readonly GraphQLError[]>(500, 64 << 20);
  readonly limits: QueryLimits;
  readonly store: PgStore;
  readonly meta: () => Promise<MetaInfo>;
  private readonly resolveBlock?: BlockResolver;

  constructor(store: PgStore, meta: () => Promise<MetaInfo>, limits: Partial<QueryLimits> = {}, resolveBlock?: BlockResolver) {
    this.store = store;
    this.meta = meta;
    this.resolveBlock = resolveBlock;
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
      const doc = parse(query, { maxTokens: this.limits.maxTokens });
      // size first: some validation rules walk every path through the fragments
      const tooBig = sizeCheck(doc, this.limits);
      const errors = tooBig ? [tooBig] : validate(this.schema, doc, specifiedRules);
      out = errors.length ? errors : doc;
    } catch (e) {
      out = [e instanceof GraphQLError ? e : new GraphQLError(String(e))];
    }
    this.docs.set(query, out, documentBytes(query, out));
    return out;
  }

  /** Runs a query; `meta`: the indexing status `_meta` and `block` arguments see (default: read
   * when needed). */
  async run(req: GraphqlRequest, meta?: Promise<MetaInfo>): Promise<ExecutionResult> {
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
      expanded: new Map(),
      variables: vars.coerced,
      deadline: Date.now() + this.limits.timeoutMs,
      rows: 0,
      limits: this.limits,
      meta: this.meta,
      metaCache: meta,
      resolveBlock: this.resolveBlock,
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

/** A rough upper bound of a cached document's memory: the text, and ~250 bytes per token for
 * its tokens and AST nodes (parse keeps each token, linked from the nodes' locations). */
function documentBytes(query: string, doc: DocumentNode | readonly GraphQLError[]): number {
  if (!("kind" in doc)) return 2 * query.length + 1000;
  let tokens = 0;
  for (let t = doc.loc?.startToken ?? null; t; t = t.next) tokens++;
  return 2 * query.length + 250 * tokens;
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

/** Thrown inside a walk to stop it at the first bound passed. */
class LimitExceeded {
  readonly error: GraphQLError;
  constructor(message: string, node?: OperationDefinitionNode) {
    this.error = new GraphQLError(message, { nodes: node });
  }
}

/**
 * Bounds the document before validation, whose rules are not all linear: graphql-js's
 * introspection-depth rule walks every path through the fragments, and the overlapping-fields
 * rule compares every pair of fields under one response key (recursively) and walks each
 * selection's fragment spreads transitively. Counted here, in time linear in the document and
 * stopping at the first bound passed: fragment definitions; fields and aliases along every path
 * with fragments expanded (memoised per selection set and fragment); then, over the merged
 * selection sets execution sees, the fields per set and the pairs of fields that validation must
 * compare. Directives and type conditions are ignored: an upper bound of what executes.
 */
export function sizeCheck(doc: DocumentNode, limits: QueryLimits): GraphQLError | null {
  try {
    sizeWalk(doc, limits);
    return null;
  } catch (e) {
    if (e instanceof LimitExceeded) return e.error;
    throw e;
  }
}

function sizeWalk(doc: DocumentNode, limits: QueryLimits): void {
  interface Size {
    fields: number;
    aliases: number;
    /** fields of this selection set itself, fragments expanded */
    flat: number;
    /** selection depth, introspection fields not counted */
    depth: number;
  }
  const EMPTY: Size = { fields: 0, aliases: 0, flat: 0, depth: 0 };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  if (fragments.size > limits.maxFragments) throw new LimitExceeded(`The query defines more than ${limits.maxFragments} fragments`);
  const tooManyFields = () => new LimitExceeded(`A selection set of the query has more than ${limits.maxFieldsPerSelection} fields (fragments expanded)`);
  const exceeded = (s: Size) => {
    if (s.flat > limits.maxFieldsPerSelection) throw tooManyFields();
    if (s.fields > limits.maxFields) {
      throw new LimitExceeded(`The query selects more than ${limits.maxFields} fields (counted along every path, fragments expanded); ask for less or split it`);
    }
    if (s.aliases > limits.maxAliases) {
      throw new LimitExceeded(`The query uses more than ${limits.maxAliases} aliases (counted along every path, fragments expanded)`);
    }
  };

  // 1. fields and aliases along every path
  const sizes = new Map<SelectionSetNode, Size>();
  const inProgress = new Set<SelectionSetNode>();
  const used = new Set<string>();
  const sizeOf = (set: SelectionSetNode): Size => {
    const hit = sizes.get(set);
    if (hit) return hit;
    inProgress.add(set);
    const s: Size = { fields: 0, aliases: 0, flat: 0, depth: 0 };
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        s.fields++;
        s.flat++;
        if (sel.alias) s.aliases++;
        const sub = sel.selectionSet ? sizeOf(sel.selectionSet) : EMPTY;
        s.fields += sub.fields;
        s.aliases += sub.aliases;
        if (!sel.name.value.startsWith("__")) s.depth = Math.max(s.depth, 1 + sub.depth);
      } else {
        const frag = sel.kind === Kind.INLINE_FRAGMENT ? sel : fragments.get(sel.name.value);
        if (sel.kind === Kind.FRAGMENT_SPREAD) {
          used.add(sel.name.value);
          // what graphql-js reports too; the walks below may then assume no cycles
          if (frag && inProgress.has(frag.selectionSet)) throw new LimitExceeded(`Cannot spread fragment "${sel.name.value}" within itself.`);
        }
        const sub = frag ? sizeOf(frag.selectionSet) : EMPTY;
        s.fields += sub.fields;
        s.aliases += sub.aliases;
        s.flat += sub.flat;
        s.depth = Math.max(s.depth, sub.depth);
      }
      exceeded(s);
    }
    inProgress.delete(set);
    sizes.set(set, s);
    return s;
  };
  const roots: SelectionSetNode[] = [];
  for (const d of doc.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    roots.push(d.selectionSet);
    const { depth } = sizeOf(d.selectionSet);
    if (depth > limits.maxDepth) throw new LimitExceeded(`Query has a depth of ${depth}, which exceeds the limit of ${limits.maxDepth}`, d);
  }
  for (const f of fragments.values()) sizeOf(f.selectionSet);
  // validation also walks fragments no operation uses (and then rejects them)
  for (const [name, f] of fragments) if (!used.has(name)) roots.push(f.selectionSet);
  const total: Size = { fields: 0, aliases: 0, flat: 0, depth: 0 };
  for (const set of roots) {
    const s = sizeOf(set);
    total.fields += s.fields;
    total.aliases += s.aliases;
    exceeded(total);
  }

  // 2. merged selection sets (what execution sees), each counted once
  const fragFields = new Map<string, readonly FieldNode[]>();
  const flatten = (set: SelectionSetNode, into: Set<FieldNode>) => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) into.add(sel);
      else if (sel.kind === Kind.INLINE_FRAGMENT) flatten(sel.selectionSet, into);
      else for (const f of fieldsOf(sel.name.value)) into.add(f);
    }
  };
  const fieldsOf = (name: string): readonly FieldNode[] => {
    const hit = fragFields.get(name);
    if (hit) return hit;
    const frag = fragments.get(name);
    const out = new Set<FieldNode>();
    if (frag) flatten(frag.selectionSet, out);
    const list = [...out];
    fragFields.set(name, list);
    return list;
  };
  let pairs = 0;
  const setIds = new Map<SelectionSetNode, number>();
  const done = new Set<string>(); // merged selections already counted (validation compares them once too)
  const merged = (sets: readonly SelectionSetNode[]) => {
    const id = sets.map((set) => setIds.get(set) ?? (setIds.set(set, setIds.size), setIds.size - 1)).join(",");
    if (done.has(id)) return;
    done.add(id);
    const nodes = new Set<FieldNode>();
    for (const set of sets) flatten(set, nodes);
    if (nodes.size > limits.maxFieldsPerSelection) throw tooManyFields();
    const byKey = new Map<string, FieldNode[]>();
    for (const f of nodes) {
      const key = f.alias?.value ?? f.name.value;
      const list = byKey.get(key);
      list ? list.push(f) : byKey.set(key, [f]);
    }
    for (const [key, group] of byKey) {
      pairs += (group.length * (group.length - 1)) / 2;
      if (pairs > limits.maxFieldMerges) {
        throw new LimitExceeded(
          `The query repeats fields too often: more than ${limits.maxFieldMerges} pairs of fields share a response key (last: "${key}"); select each field once`,
        );
      }
      const subs = group.flatMap((f) => (f.selectionSet ? [f.selectionSet] : []));
      if (subs.length) merged(subs);
    }
  };
  for (const set of roots) merged([set]);
}

function include(ctx: Pick<Ctx, "variables">, node: FieldNode | { directives?: FieldNode["directives"] }): boolean {
  const skip = getDirectiveValues(GraphQLSkipDirective, node as FieldNode, ctx.variables);
  if (skip?.if === true) return false;
  const inc = getDirectiveValues(GraphQLIncludeDirective, node as FieldNode, ctx.variables);
  return inc?.if !== false;
}

/** The fields a fragment contributes to a selection on `typeName` (nested spreads expanded),
 * gathered once per request. */
function fragmentFields(ctx: Pick<Ctx, "variables" | "fragments" | "expanded">, name: string, typeName: string): readonly FieldNode[] {
  const frag = ctx.fragments[name];
  if (!frag || frag.typeCondition.name.value !== typeName) return [];
  const hit = ctx.expanded.get(name);
  if (hit) return hit;
  const out = new Set<FieldNode>();
  ctx.expanded.set(name, []); // a cycle (rejected by validation) ends here
  const visit = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (!include(ctx, s)) continue;
      if (s.kind === Kind.FIELD) out.add(s);
      else if (s.kind === Kind.INLINE_FRAGMENT) {
        if (!s.typeCondition || s.typeCondition.name.value === typeName) visit(s.selectionSet);
      } else for (const f of fragmentFields(ctx, s.name.value, typeName)) out.add(f);
    }
  };
  visit(frag.selectionSet);
  const list = [...out];
  ctx.expanded.set(name, list);
  return list;
}

/** Fields of a selection by response key, fragments expanded (like graphql-js collectFields:
 * a fragment spread twice contributes its fields once). */
function collect(
  ctx: Pick<Ctx, "variables" | "fragments" | "expanded">,
  typeName: string,
  sets: readonly (SelectionSetNode | undefined)[],
): Map<string, FieldNode[]> {
  const out = new Map<string, FieldNode[]>();
  const add = (f: FieldNode) => {
    const key = f.alias?.value ?? f.name.value;
    const list = out.get(key);
    if (!list) out.set(key, [f]);
    else if (!list.includes(f)) list.push(f);
  };
  const visit = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (!include(ctx, s)) continue;
      if (s.kind === Kind.FIELD) add(s);
      else if (s.kind === Kind.INLINE_FRAGMENT) {
        if (!s.typeCondition || s.typeCondition.name.value === typeName) visit(s.selectionSet);
      } else for (const f of fragmentFields(ctx, s.name.value, typeName)) add(f);
    }
  };
  for (const set of sets) if (set) visit(set);
  return out;
}

/**
 * first/skip bounds and the complexity estimate (entities the query may return), before
 * anything runs. The cost of a selection is linear in the multiplier its parent's `first`
 * gives it, so each (selection sets, type) is costed once per unit and reused wherever it
 * recurs; arguments only set the multiplier of their own field, so they need no key. The walk
 * stops as soon as the running total passes maxComplexity.
 */
function analyze(ctx: Ctx, root: GraphQLObjectType, set: SelectionSetNode): GraphQLError[] {
  const errors: GraphQLError[] = [];
  const unitCost = new Map<string, number>();
  const setIds = new Map<SelectionSetNode, number>();
  const reported = new Set<FieldNode>();
  let total = 0;
  const addCost = (c: number) => {
    total += c;
    if (total > ctx.limits.maxComplexity) {
      throw new LimitExceeded(
        `The query is too expensive: it may return ${total} or more entities, more than the limit of ${ctx.limits.maxComplexity}; lower \`first\` on nested fields`,
      );
    }
  };
  const costOf = (type: GraphQLObjectType, sets: readonly (SelectionSetNode | undefined)[], mult: number, depth: number): number => {
    const ids = sets.map((s) => (s ? (setIds.get(s) ?? (setIds.set(s, setIds.size), setIds.size - 1)) : -1));
    const key = `${type.name}:${ids.join(",")}`;
    const hit = unitCost.get(key);
    if (hit !== undefined) {
      addCost(mult * hit);
      return hit;
    }
    let cost = 0;
    if (depth <= 64) {
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
          if (!reported.has(nodes[0])) errors.push(e as GraphQLError);
          reported.add(nodes[0]);
          continue;
        }
        let m = 1;
        if ("first" in args) {
          const first = args.first as number;
          const skip = (args.skip as number | undefined) ?? 0;
          const report = !reported.has(nodes[0]); // once per field, however often it recurs
          reported.add(nodes[0]);
          if (report && (first < 0 || first > ctx.limits.maxFirst)) {
            errors.push(new GraphQLError(`The \`first\` argument must be between 0 and ${ctx.limits.maxFirst}, but is ${first}`, { nodes: nodes[0] }));
          }
          if (report && (skip < 0 || skip > ctx.limits.maxSkip)) {
            errors.push(new GraphQLError(`The \`skip\` argument must be between 0 and ${ctx.limits.maxSkip}, but is ${skip}`, { nodes: nodes[0] }));
          }
          m = Math.max(0, Math.min(first, ctx.limits.maxFirst));
        }
        cost += m;
        addCost(mult * m);
        cost += m * costOf(named, nodes.map((n) => n.selectionSet), mult * m, depth + 1);
      }
    }
    unitCost.set(key, cost);
    return cost;
  };
  try {
    costOf(root, [set], 1, 0);
  } catch (e) {
    if (!(e instanceof LimitExceeded)) throw e;
    errors.push(e.error);
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

/** At most this many rows for the next statement: one past what is left of maxRows, so
 * passing it is detected without loading a big result. */
function rowCap(ctx: Ctx): number {
  return Math.max(1, ctx.limits.maxRows - ctx.rows + 1);
}

/** Runs one statement; `sql` gets the row cap for its LIMIT. */
async function sqlRows(ctx: Ctx, sql: (cap: number) => string, params: unknown[]): Promise<Row[]> {
  // PGlite runs each statement synchronously in wasm: give other requests a turn in between
  await new Promise((resolve) => setImmediate(resolve));
  check(ctx);
  let rows: Row[];
  try {
    rows = (await ctx.store.sql.query<Row>(sql(rowCap(ctx)), params, { timeoutMs: ctx.limits.statementTimeoutMs })).rows;
  } catch (e) {
    const msg = (e as Error).message;
    if ((e as { code?: string }).code === "57014") {
      throw new GraphQLError(`A database statement of the query took longer than ${ctx.limits.statementTimeoutMs} ms and was stopped`);
    }
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

/** An older block a root field reads at (time travel); null = the latest indexed block. The hash
 * and timestamp are known when the block was named by its hash; only `_meta` needs them. */
interface AtBlock {
  number: number;
  hash?: string;
  timestamp?: number;
}

/** The block of a root field's `block` argument: refused past the latest indexed block, or when
 * its hash is unknown. The latest block itself is null, so such queries read the entity tables. */
async function atBlock(ctx: Ctx, block: FieldArgs["block"]): Promise<AtBlock | null> {
  if (!block) return null;
  const meta = await getMeta(ctx);
  const head = meta.block?.number ?? -1;
  const deployment = meta.deployment ?? ctx.store.deployment;
  const notYet = (wanted: number | string) => new GraphQLError(
    `Failed to decode \`block.number\` value: \`subgraph ${deployment} has only indexed up to block number ${head} and data for block number ${wanted} is therefore not yet available\``,
  );
  const wanted = block.number ?? block.number_gte;
  if (wanted !== undefined && wanted > head) throw notYet(wanted);
  if (wanted !== undefined && wanted < 0) throw new GraphQLError(`The block number must not be negative, but is ${wanted}`);
  let found: AtBlock | null = null;
  if (block.hash !== undefined) {
    const hash = block.hash.toLowerCase();
    if (!/^0x[0-9a-f]{64}$/.test(hash)) throw new GraphQLError(`The block hash must be 32 bytes of 0x-hex, but is \`${block.hash.slice(0, 80)}\``);
    if (hash === (meta.block?.hash ?? "").toLowerCase()) return null;
    found = (await ctx.store.storedBlock({ hash })) ?? (await ctx.resolveBlock?.({ hash })) ?? null;
    if (!found) throw new GraphQLError(`Block ${hash} is not known to the indexer (not a block of the indexed chain)`);
    if (found.number > head) throw notYet(`${found.number} (${hash})`);
  } else if (block.number !== undefined && block.number < head) {
    found = { number: block.number }; // the entity queries need the number only
  }
  if (!found || found.number === head) return null; // number_gte, or the latest block
  return found;
}

/** `_meta`'s block at an older block: its hash and timestamp from the store, else the chain. */
async function describeBlock(ctx: Ctx, at: AtBlock): Promise<{ number: number; hash: string | null; timestamp: number | null }> {
  const b = at.hash !== undefined ? at
    : ((await ctx.store.storedBlock({ number: at.number })) ?? (await ctx.resolveBlock?.({ number: at.number }).catch(() => null)) ?? at);
  return { number: at.number, hash: b.hash || null, timestamp: b.timestamp ?? null };
}

/** What a query reads as the entity table `e`: the table itself at the latest block; at an older
 * block, the current rows written by then and the earlier versions valid then (an id has one of
 * either at most: a history row ends where the next version, stored or not, begins). */
function relation(ctx: Ctx, e: EntityModel, at: AtBlock | null): string {
  if (!at) return tableRef(e);
  const n = at.number | 0;
  const cols = [...e.stored.map((f) => q(f.name)), ...ctx.model.fulltext.filter((x) => x.entity === e.name).map((ft) => q(ft.column))].join(", ");
  return `(SELECT ${cols}, "_block" FROM ${tableRef(e)} WHERE "_block" <= ${n} ` +
    `UNION ALL SELECT ${cols}, "_from" FROM ${historyRef(e)} WHERE "_from" <= ${n} AND "_to" > ${n})`;
}

function objectType(ctx: Ctx, e: EntityModel): GraphQLObjectType {
  return ctx.qs.schema.getType(e.name) as GraphQLObjectType;
}

async function resolveRoot(ctx: Ctx, args: FieldArgs, info: GraphQLResolveInfo): Promise<unknown> {
  const name = info.fieldName;
  if (name === "_meta") {
    const at = await atBlock(ctx, args.block);
    const meta = await getMeta(ctx);
    const blk = at ? { ...(await describeBlock(ctx, at)), parentHash: null } : meta.block;
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
  const at = await atBlock(ctx, args.block);
  const rel = (x: EntityModel) => relation(ctx, x, at);
  const e = root.entity;
  const b = new SqlBuilder();
  // Single references (e.g. a product's seller and policy) come in the same statement: on PGlite
  // every statement costs ~1 ms whatever it does, so a catalogue page is one statement, not three.
  const joins = joinedReferences(ctx, e, info.fieldNodes);
  const select = [columns(ctx.model, e), ...joins.map((j) => j.t.stored.map((g, i) => selectExpr(ctx.model, g, j.alias, `${j.alias}_${i}`)).join(", "))].join(", ");
  // At an older block a reference is looked up per row (LATERAL): joined whole, the versions of
  // the referenced type at that block would be read in full for every row.
  const join = (j: JoinedReference) => at
    ? ` LEFT JOIN LATERAL (SELECT * FROM ${relation(ctx, j.t, at)} r WHERE r.id = c.${q(j.f.name)} LIMIT 1) ${j.alias} ON true`
    : ` LEFT JOIN ${tableRef(j.t)} ${j.alias} ON ${j.alias}.id = c.${q(j.f.name)}`;
  const from = `${relation(ctx, e, at)} c${joins.map(join).join("")}`;
  let sql: (cap: number) => string;
  if (root.kind === "single") {
    const id = b.p(idParam(e, args.id!));
    sql = () => `SELECT ${select} FROM ${from} WHERE c.id = ${id}`; // a primary key: one row at most
  } else if (root.kind === "collection") {
    const where = compileFilter(ctx.qs, b, e, args.where, "c", rel);
    const order = compileOrder(ctx.model, e, args.orderBy, args.orderDirection, "c", rel);
    sql = (cap) => `SELECT ${select} FROM ${from} WHERE ${where} ORDER BY ${order} LIMIT ${Math.min(Number(args.first), cap)} OFFSET ${Number(args.skip ?? 0)}`;
  } else if (root.kind === "search") {
    const text = toTsQueryText(String(args.text));
    if (text === null) return [];
    const ft = root.fulltext;
    const tsq = `to_tsquery('${ft.config}'::regconfig, ${b.p(text, "::text")})`;
    const where = compileFilter(ctx.qs, b, e, args.where, "c", rel);
    const rank = ft.algorithm === "proximityRank" ? "ts_rank_cd" : "ts_rank";
    sql = (cap) =>
      `SELECT ${select} FROM ${from}, ${tsq} AS tsq ` +
      `WHERE c.${q(ft.column)} @@ tsq AND ${where} ` +
      `ORDER BY ${rank}(c.${q(ft.column)}, tsq) DESC, c.id ASC LIMIT ${Math.min(Number(args.first), cap)} OFFSET ${Number(args.skip ?? 0)}`;
  } else {
    throw new GraphQLError(`Unknown query field ${name}`);
  }
  const rows = await sqlRows(ctx, sql, b.params);
  const objs = rows.map(mkObj);
  splitJoined(ctx, joins, objs);
  await fetchNested(ctx, e, objs, info.fieldNodes, at);
  return root.kind === "single" ? (objs[0] ?? null) : objs;
}

interface JoinedReference {
  f: FieldModel;
  t: EntityModel;
  /** the SQL alias of the joined table; its columns come as "<alias>_<index of the stored field>"
   * (short: Postgres cuts names at 63 bytes) */
  alias: string;
}

/** The single, stored references selected on `e` (once per field, whatever the aliases). */
function joinedReferences(ctx: Ctx, e: EntityModel, nodes: readonly FieldNode[]): JoinedReference[] {
  const out: JoinedReference[] = [];
  for (const [, fnodes] of collect(ctx, e.name, nodes.map((n) => n.selectionSet))) {
    const f = e.fieldMap.get(fnodes[0].name.value);
    if (!f || f.kind !== "entity" || f.list || f.derivedFrom || out.some((j) => j.f === f)) continue;
    out.push({ f, t: ctx.model.entities.get(f.type)!, alias: `j${out.length}` });
  }
  return out;
}

/** Moves each joined reference's columns into its own object (one per id), counted like rows
 * of a statement of their own. */
function splitJoined(ctx: Ctx, joins: readonly JoinedReference[], objs: readonly Obj[]): void {
  if (!joins.length) return;
  let loaded = 0;
  for (const j of joins) {
    const byId = new Map<string, Obj>();
    for (const o of objs) {
      const raw = o[RAW]!;
      let child: Obj | null = null;
      const id = raw[`${j.alias}_0`]; // stored fields start with id
      if (id != null) {
        child = byId.get(String(id)) ?? null;
        if (!child) {
          const row: Row = {};
          j.t.stored.forEach((g, i) => (row[g.name] = raw[`${j.alias}_${i}`]));
          byId.set(String(id), (child = mkObj(row)));
        }
      }
      (o[JOINED] ??= new Map()).set(j.f.name, child);
    }
    loaded += byId.size;
  }
  ctx.rows += loaded;
  if (ctx.rows > ctx.limits.maxRows) {
    throw new GraphQLError(`The query loads more than ${ctx.limits.maxRows} entities; narrow it with where / first`);
  }
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
async function fetchNested(ctx: Ctx, e: EntityModel, objs: Obj[], nodes: readonly FieldNode[], at: AtBlock | null): Promise<void> {
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
    if (!f.list && !f.derivedFrom && objs[0][JOINED]?.has(f.name)) {
      // a single reference read with its parents (splitJoined)
      const unique = new Set<Obj>();
      for (const o of objs) {
        const child = o[JOINED]!.get(f.name) ?? null;
        o[key] = child;
        if (child) unique.add(child);
      }
      children = [...unique];
    } else if (!f.list && !f.derivedFrom) {
      // a single reference: one lookup by ids
      const ids = [...new Set(objs.map((o) => o[RAW]![f.name]).filter((x) => x != null))];
      const b = new SqlBuilder();
      const idList = b.p(ids);
      const rows = ids.length
        ? await sqlRows(ctx, (cap) => `SELECT ${columns(ctx.model, t)} FROM ${relation(ctx, t, at)} c WHERE c.id = ANY(${idList}) LIMIT ${cap}`, b.params)
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
      const rel = (x: EntityModel) => relation(ctx, x, at);
      const where = compileFilter(ctx.qs, b, t, args.where, "c", rel);
      const order = compileOrder(ctx.model, t, args.orderBy, args.orderDirection, "c", rel);
      const page = `LIMIT ${Number(args.first ?? 100)} OFFSET ${Number(args.skip ?? 0)}`;
      let sql: (cap: number) => string;
      if (f.derivedFrom) {
        const tf = t.fieldMap.get(f.derivedFrom)!;
        const link = tf.list ? `p.pid = ANY(c.${q(tf.name)})` : `c.${q(tf.name)} = p.pid`;
        const pidType = e.idType === "Int8" ? "int8[]" : "text[]";
        sql = (cap) =>
          `SELECT p.pid AS "__parent", x.* FROM unnest(${b.p(parents, `::${pidType}`)}) AS p(pid) CROSS JOIN LATERAL ` +
          `(SELECT ${columns(ctx.model, t)} FROM ${relation(ctx, t, at)} c WHERE ${link} AND ${where} ORDER BY ${order} ${page}) x LIMIT ${cap}`;
      } else {
        const lists: Record<string, unknown[]> = {};
        for (const o of objs) lists[String(o[RAW]!.id)] = (o[RAW]![f.name] as unknown[] | null) ?? [];
        sql = (cap) =>
          `SELECT p.key AS "__parent", x.* FROM jsonb_each(${b.p(JSON.stringify(lists), "::jsonb")}) AS p CROSS JOIN LATERAL ` +
          `(SELECT ${columns(ctx.model, t)} FROM ${relation(ctx, t, at)} c WHERE c.id::text IN (SELECT jsonb_array_elements_text(p.value)) AND ${where} ORDER BY ${order} ${page}) x LIMIT ${cap}`;
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
    await fetchNested(ctx, t, children, fnodes, at);
  }
}

