// The graph-node style query schema generated from the entity model: for each entity `thing(id)`
// and `things(skip, first, orderBy, orderDirection, where, block)`, `Thing_filter` inputs with
// graph-node's operator suffixes, `Thing_orderBy` enums, the @fulltext query fields and `_meta`.
import { buildSchema, GraphQLError, GraphQLScalarType, Kind, type GraphQLSchema, type ValueNode } from "graphql";
import { storedScalar } from "../store/columns.ts";
import type { EntityModel, FieldModel, FulltextModel, SchemaModel } from "../store/schema.ts";

export type FilterOp =
  | "" | "_not" | "_gt" | "_lt" | "_gte" | "_lte" | "_in" | "_not_in"
  | "_contains" | "_contains_nocase" | "_not_contains" | "_not_contains_nocase"
  | "_starts_with" | "_starts_with_nocase" | "_not_starts_with" | "_not_starts_with_nocase"
  | "_ends_with" | "_ends_with_nocase" | "_not_ends_with" | "_not_ends_with_nocase"
  | "_"; // nested filter on a referenced / derived entity

const CMP: FilterOp[] = ["", "_not", "_gt", "_lt", "_gte", "_lte", "_in", "_not_in"];
const STRING_OPS: FilterOp[] = [
  ...CMP,
  "_contains", "_contains_nocase", "_not_contains", "_not_contains_nocase",
  "_starts_with", "_starts_with_nocase", "_not_starts_with", "_not_starts_with_nocase",
  "_ends_with", "_ends_with_nocase", "_not_ends_with", "_not_ends_with_nocase",
];
const BYTES_OPS: FilterOp[] = [...CMP, "_contains", "_not_contains"];
const EQ_OPS: FilterOp[] = ["", "_not", "_in", "_not_in"];
const LIST_OPS: FilterOp[] = ["", "_not", "_contains", "_contains_nocase", "_not_contains", "_not_contains_nocase"];

export interface FilterKey {
  field: FieldModel;
  op: FilterOp;
}

export interface QuerySchema {
  schema: GraphQLSchema;
  sdl: string;
  /** entity → filter input key (e.g. `price_gte`) → field and operator */
  filters: Map<string, Map<string, FilterKey>>;
  /** root query field → what it resolves */
  roots: Map<string, { kind: "single" | "collection"; entity: EntityModel } | { kind: "search"; entity: EntityModel; fulltext: FulltextModel }>;
  /** the GraphQL type of a filter value of each stored field (for nested list arguments) */
  model: SchemaModel;
}

// A subset of the Rails/Inflector pluralisation rules graph-node uses.
export function pluralize(word: string): string {
  const rules: [RegExp, string][] = [
    [/(quiz)$/i, "$1zes"],
    [/^(oxen)$/i, "$1"],
    [/^(ox)$/i, "$1en"],
    [/^(m|l)ouse$/i, "$1ice"],
    [/(matr|vert|ind)(?:ix|ex)$/i, "$1ices"],
    [/(x|ch|ss|sh)$/i, "$1es"],
    [/([^aeiouy]|qu)y$/i, "$1ies"],
    [/(hive)$/i, "$1s"],
    [/(?:([^f])fe|([lr])f)$/i, "$1$2ves"],
    [/sis$/i, "ses"],
    [/([ti])um$/i, "$1a"],
    [/(buffal|tomat)o$/i, "$1oes"],
    [/(bu)s$/i, "$1ses"],
    [/(alias|status)$/i, "$1es"],
    [/(octop|vir)us$/i, "$1i"],
    [/(ax|test)is$/i, "$1es"],
    [/s$/i, "s"],
  ];
  for (const [re, rep] of rules) if (re.test(word)) return word.replace(re, rep);
  return word + "s";
}

export function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

export function collectionName(e: EntityModel): string {
  const single = lowerFirst(e.name);
  const plural = pluralize(single);
  return plural === single ? `${single}_collection` : plural;
}

function desc(text: string | undefined, indent = ""): string {
  return text ? `${indent}${JSON.stringify(text)}\n` : "";
}

/** The GraphQL scalar a stored field's filter values use (refs: their id type). */
function filterScalar(model: SchemaModel, f: FieldModel): string {
  if (f.kind === "enum") return f.type;
  if (f.kind === "entity") {
    const idType = model.entities.get(f.type)!.idType;
    return idType === "ID" ? "String" : idType;
  }
  return f.type;
}

function opsFor(model: SchemaModel, f: FieldModel): FilterOp[] {
  if (f.derivedFrom) return ["_"];
  if (f.list) return f.kind === "entity" ? [...LIST_OPS, "_"] : LIST_OPS;
  if (f.kind === "entity") return [...(model.entities.get(f.type)!.idType === "Bytes" ? BYTES_OPS : STRING_OPS), "_"];
  if (f.kind === "enum") return EQ_OPS;
  switch (f.type) {
    case "String":
      return STRING_OPS;
    case "ID":
      return CMP;
    case "Bytes":
      return BYTES_OPS;
    case "Boolean":
      return EQ_OPS;
    default:
      return CMP;
  }
}

function bigIntScalar(name: string, re: RegExp, what: string): Partial<GraphQLScalarType> {
  const check = (v: unknown): string => {
    const s = typeof v === "number" && Number.isFinite(v) ? String(v) : v;
    if (typeof s !== "string" || !re.test(s)) throw new GraphQLError(`${name} cannot represent ${what}: ${JSON.stringify(v)}`);
    return s;
  };
  return {
    serialize: (v) => (typeof v === "bigint" ? v.toString() : String(v)),
    parseValue: check,
    parseLiteral: (ast: ValueNode) => {
      if (ast.kind === Kind.STRING || ast.kind === Kind.INT || (ast.kind === Kind.FLOAT && name === "BigDecimal")) return check(ast.value);
      throw new GraphQLError(`${name} cannot represent a non-${what} literal`);
    },
  };
}

const BYTES_RE = /^(0x)?([0-9a-fA-F]{2})*$/;

function patchScalars(schema: GraphQLSchema) {
  const set = (name: string, impl: Partial<GraphQLScalarType>) => {
    const t = schema.getType(name) as GraphQLScalarType | undefined;
    if (t) Object.assign(t, impl);
  };
  set("BigInt", bigIntScalar("BigInt", /^-?\d+$/, "an integer"));
  set("Int8", bigIntScalar("Int8", /^-?\d+$/, "an integer"));
  set("Timestamp", bigIntScalar("Timestamp", /^-?\d+$/, "an integer"));
  set("BigDecimal", bigIntScalar("BigDecimal", /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, "a decimal number"));
  const bytes = (v: unknown) => {
    if (typeof v !== "string" || !BYTES_RE.test(v)) throw new GraphQLError(`Bytes cannot represent ${JSON.stringify(v)}: expected a 0x-prefixed hex string`);
    return (v.startsWith("0x") ? v : `0x${v}`).toLowerCase();
  };
  set("Bytes", {
    serialize: (v) => String(v),
    parseValue: bytes,
    parseLiteral: (ast: ValueNode) => {
      if (ast.kind !== Kind.STRING) throw new GraphQLError("Bytes must be a string literal");
      return bytes(ast.value);
    },
  });
}

export function buildQuerySchema(model: SchemaModel): QuerySchema {
  const out: string[] = [];
  const filters = new Map<string, Map<string, FilterKey>>();
  const roots: QuerySchema["roots"] = new Map();
  out.push(`scalar BigInt\nscalar BigDecimal\nscalar Bytes\nscalar Int8\nscalar Timestamp`);
  out.push(`enum OrderDirection { asc desc }`);
  out.push(`enum _SubgraphErrorPolicy_ {\n  "Data will be returned even if the subgraph has indexing errors"\n  allow\n  "If the subgraph has indexing errors, data will be omitted"\n  deny\n}`);
  out.push(`input Block_height { hash: Bytes number: Int number_gte: Int }`);
  out.push(`input BlockChangedFilter { number_gte: Int! }`);
  out.push(`type _Block_ {\n  hash: Bytes\n  number: Int!\n  timestamp: Int\n  parentHash: Bytes\n}`);
  out.push(
    `"The type for the top-level _meta field"\ntype _Meta_ {\n  block: _Block_!\n  deployment: String!\n  hasIndexingErrors: Boolean!\n}`,
  );
  for (const [name, values] of model.enums) out.push(`enum ${name} { ${values.join(" ")} }`);

  const listArgs = (e: string) =>
    `skip: Int = 0, first: Int = 100, orderBy: ${e}_orderBy, orderDirection: OrderDirection, where: ${e}_filter`;
  const gqlType = (f: FieldModel) => {
    const base = f.type;
    if (f.list) return `[${base}!]${f.nonNull ? "!" : ""}`;
    return `${base}${f.nonNull ? "!" : ""}`;
  };
  const query: string[] = [];
  for (const e of model.entities.values()) {
    // the object type
    const fields = e.fields.map((f) => {
      const args = f.kind === "entity" && f.list ? `(${listArgs(f.type)})` : "";
      return `${desc(f.description, "  ")}  ${f.name}${args}: ${gqlType(f)}`;
    });
    out.push(`${desc(e.description)}type ${e.name} {\n${fields.join("\n")}\n}`);
    // the filter input
    const keys = new Map<string, FilterKey>();
    const inputs: string[] = [];
    for (const f of e.fields) {
      for (const op of opsFor(model, f)) {
        const key = `${f.name}${op}`;
        keys.set(key, { field: f, op });
        let t: string;
        if (op === "_") t = `${f.type}_filter`;
        else if (f.list) t = `[${filterScalar(model, f)}!]`;
        else if (op === "_in" || op === "_not_in") t = `[${filterScalar(model, f)}!]`;
        else t = filterScalar(model, f);
        inputs.push(`  ${key}: ${t}`);
      }
    }
    inputs.push(`  "Filter for the block changed event."\n  _change_block: BlockChangedFilter`);
    inputs.push(`  and: [${e.name}_filter]`);
    inputs.push(`  or: [${e.name}_filter]`);
    filters.set(e.name, keys);
    out.push(`input ${e.name}_filter {\n${inputs.join("\n")}\n}`);
    // the orderBy enum: stored fields, and `ref__field` for scalar fields of single references
    const order: string[] = [];
    for (const f of e.fields) {
      if (f.derivedFrom) continue;
      order.push(f.name);
      if (f.kind === "entity" && !f.list) {
        for (const g of model.entities.get(f.type)!.stored) {
          if (g.kind !== "entity" && !g.list) order.push(`${f.name}__${g.name}`);
        }
      }
    }
    out.push(`enum ${e.name}_orderBy {\n  ${order.join("\n  ")}\n}`);
    // root fields
    const single = lowerFirst(e.name);
    const plural = collectionName(e);
    roots.set(single, { kind: "single", entity: e });
    roots.set(plural, { kind: "collection", entity: e });
    const common = `block: Block_height, subgraphError: _SubgraphErrorPolicy_! = deny`;
    query.push(`  ${single}(id: ID!, ${common}): ${e.name}`);
    query.push(`  ${plural}(${listArgs(e.name)}, ${common}): [${e.name}!]!`);
  }
  for (const ft of model.fulltext) {
    const e = model.entities.get(ft.entity)!;
    roots.set(ft.name, { kind: "search", entity: e, fulltext: ft });
    query.push(
      `  "Full-text search over ${ft.fields.join(", ")}, best matches first"\n  ${ft.name}(text: String!, first: Int = 100, skip: Int = 0, where: ${e.name}_filter, block: Block_height, subgraphError: _SubgraphErrorPolicy_! = deny): [${e.name}!]!`,
    );
  }
  query.push(`  "Access to subgraph metadata"\n  _meta(block: Block_height): _Meta_`);
  out.push(`type Query {\n${query.join("\n")}\n}`);
  const sdl = out.join("\n\n") + "\n";
  const schema = buildSchema(sdl);
  patchScalars(schema);
  void storedScalar;
  return { schema, sdl, filters, roots, model };
}
