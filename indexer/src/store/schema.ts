// The entity model of a subgraph schema (schema.graphql): entities, their fields and column
// types, enums, references, @derivedFrom fields and the @fulltext search definitions.
import { readFileSync } from "node:fs";
import {
  Kind,
  parse,
  valueFromASTUntyped,
  type DirectiveNode,
  type FieldDefinitionNode,
  type TypeNode,
} from "graphql";

export const SCALARS = ["ID", "String", "Int", "Int8", "BigInt", "BigDecimal", "Bytes", "Boolean", "Timestamp"] as const;
export type ScalarType = (typeof SCALARS)[number];

export interface FieldModel {
  name: string;
  /** scalar: a built-in scalar; enum: an enum name; entity: a reference to (or derived list of) an entity */
  kind: "scalar" | "enum" | "entity";
  /** the scalar, enum or entity name */
  type: string;
  list: boolean;
  /** the field itself is non-null (`T!` / `[T]!`) */
  nonNull: boolean;
  /** for @derivedFrom(field: ...): the field of `type` that points back here; virtual, not stored */
  derivedFrom?: string;
  description?: string;
}

export interface EntityModel {
  name: string;
  /** SQL table name (snake_case, like graph-node) */
  table: string;
  immutable: boolean;
  /** the scalar type of `id`: ID, String, Bytes or Int8 */
  idType: ScalarType;
  fields: FieldModel[];
  fieldMap: Map<string, FieldModel>;
  /** the stored (non-derived) fields, `id` first */
  stored: FieldModel[];
  description?: string;
}

export interface FulltextModel {
  /** the query field name, e.g. productSearch */
  name: string;
  /** graph-node language code (en, fr, ...) and the Postgres text-search config it maps to */
  language: string;
  config: string;
  /** rank → ts_rank, proximityRank → ts_rank_cd */
  algorithm: "rank" | "proximityRank";
  entity: string;
  fields: string[];
  /** the generated tsvector column */
  column: string;
}

export interface SchemaModel {
  entities: Map<string, EntityModel>;
  enums: Map<string, string[]>;
  fulltext: FulltextModel[];
  /** the schema text, for hashing and the query schema's descriptions */
  source: string;
}

// graph-node's language codes → Postgres text search configurations.
const LANGUAGES: Record<string, string> = {
  simple: "simple", da: "danish", nl: "dutch", en: "english", fi: "finnish", fr: "french", de: "german",
  hu: "hungarian", it: "italian", no: "norwegian", pt: "portuguese", ro: "romanian", ru: "russian",
  es: "spanish", sv: "swedish", tr: "turkish",
};

export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

function directive(node: { directives?: readonly DirectiveNode[] }, name: string): DirectiveNode | undefined {
  return node.directives?.find((d) => d.name.value === name);
}

function directiveArgs(d: DirectiveNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of d.arguments ?? []) out[a.name.value] = valueFromASTUntyped(a.value);
  return out;
}

function unwrap(t: TypeNode): { name: string; list: boolean; nonNull: boolean } {
  let nonNull = false;
  let list = false;
  if (t.kind === Kind.NON_NULL_TYPE) {
    nonNull = true;
    t = t.type;
  }
  if (t.kind === Kind.LIST_TYPE) {
    list = true;
    t = t.type;
    if (t.kind === Kind.NON_NULL_TYPE) t = t.type;
    if (t.kind === Kind.LIST_TYPE) throw new Error("nested lists are not supported");
  }
  if (t.kind !== Kind.NAMED_TYPE) throw new Error("unexpected type");
  return { name: t.name.value, list, nonNull };
}

/** Parses a subgraph schema into its entity model. */
export function parseSchema(source: string): SchemaModel {
  const doc = parse(source);
  const enums = new Map<string, string[]>();
  const entityDefs: { name: string; immutable: boolean; fields: readonly FieldDefinitionNode[]; description?: string }[] = [];
  const fulltextDirs: DirectiveNode[] = [];
  for (const def of doc.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION) {
      enums.set(def.name.value, (def.values ?? []).map((v) => v.name.value));
    } else if (def.kind === Kind.OBJECT_TYPE_DEFINITION) {
      if (def.name.value === "_Schema_") {
        for (const d of def.directives ?? []) if (d.name.value === "fulltext") fulltextDirs.push(d);
        continue;
      }
      const ent = directive(def, "entity");
      if (!ent) throw new Error(`type ${def.name.value} has no @entity directive`);
      const args = directiveArgs(ent);
      entityDefs.push({
        name: def.name.value,
        immutable: args.immutable === true,
        fields: def.fields ?? [],
        description: def.description?.value,
      });
    } else if (def.kind === Kind.INTERFACE_TYPE_DEFINITION) {
      throw new Error(`interfaces are not supported by the local indexer (${def.name.value})`);
    }
  }
  const entityNames = new Set(entityDefs.map((e) => e.name));
  const entities = new Map<string, EntityModel>();
  for (const e of entityDefs) {
    const fields: FieldModel[] = e.fields.map((f) => {
      const t = unwrap(f.type);
      let kind: FieldModel["kind"];
      if ((SCALARS as readonly string[]).includes(t.name)) kind = "scalar";
      else if (enums.has(t.name)) kind = "enum";
      else if (entityNames.has(t.name)) kind = "entity";
      else throw new Error(`${e.name}.${f.name}: unknown type ${t.name}`);
      const derived = directive(f, "derivedFrom");
      const fm: FieldModel = { name: f.name.value, kind, type: t.name, list: t.list, nonNull: t.nonNull };
      if (f.description) fm.description = f.description.value;
      if (derived) {
        if (kind !== "entity") throw new Error(`${e.name}.${f.name.value}: @derivedFrom on a non-entity field`);
        fm.derivedFrom = String(directiveArgs(derived).field);
      }
      return fm;
    });
    const id = fields.find((f) => f.name === "id");
    if (!id || id.kind !== "scalar" || id.list || !["ID", "String", "Bytes", "Int8"].includes(id.type)) {
      throw new Error(`${e.name} needs an id field of type ID, String, Bytes or Int8`);
    }
    const stored = [id, ...fields.filter((f) => f.name !== "id" && !f.derivedFrom)];
    entities.set(e.name, {
      name: e.name,
      table: snakeCase(e.name),
      immutable: e.immutable,
      idType: id.type as ScalarType,
      fields,
      fieldMap: new Map(fields.map((f) => [f.name, f])),
      stored,
      description: e.description,
    });
  }
  for (const e of entities.values()) {
    for (const f of e.fields) {
      if (!f.derivedFrom) continue;
      const target = entities.get(f.type)!.fieldMap.get(f.derivedFrom);
      if (!target || target.kind !== "entity" || target.type !== e.name || target.derivedFrom) {
        throw new Error(`${e.name}.${f.name}: @derivedFrom(field: "${f.derivedFrom}") must name a ${e.name} reference of ${f.type}`);
      }
    }
  }
  const fulltext: FulltextModel[] = fulltextDirs.map((d) => {
    const a = directiveArgs(d) as {
      name: string;
      language?: string;
      algorithm?: string;
      include: { entity: string; fields: { name: string }[] }[];
    };
    if (a.include.length !== 1) throw new Error(`@fulltext ${a.name}: exactly one included entity is supported`);
    const inc = a.include[0];
    const ent = entities.get(inc.entity);
    if (!ent) throw new Error(`@fulltext ${a.name}: unknown entity ${inc.entity}`);
    for (const f of inc.fields) {
      const fm = ent.fieldMap.get(f.name);
      if (!fm || fm.kind !== "scalar" || fm.type !== "String" || fm.list) {
        throw new Error(`@fulltext ${a.name}: ${inc.entity}.${f.name} is not a String field`);
      }
    }
    const language = a.language ?? "en";
    const config = LANGUAGES[language];
    if (!config) throw new Error(`@fulltext ${a.name}: unsupported language ${language}`);
    return {
      name: a.name,
      language,
      config,
      algorithm: a.algorithm === "proximityRank" ? "proximityRank" : "rank",
      entity: inc.entity,
      fields: inc.fields.map((f) => f.name),
      column: snakeCase(a.name),
    };
  });
  return { entities, enums, fulltext, source };
}

export function loadSchema(file: string): SchemaModel {
  return parseSchema(readFileSync(file, "utf8"));
}

/** The id type of entity `name` (how references to it are stored: Bytes ids as 0x-hex text). */
export function isBytesLike(model: SchemaModel, f: FieldModel): boolean {
  if (f.kind === "scalar") return f.type === "Bytes";
  if (f.kind === "entity") return model.entities.get(f.type)!.idType === "Bytes";
  return false;
}
