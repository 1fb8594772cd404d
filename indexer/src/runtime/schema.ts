// What the runtime needs to know about the subgraph schema (optional but recommended): the
// value type of every entity field, so store values round-trip with the right graph-ts ValueKind
// (BigInt vs Int8 vs Timestamp), ids of Bytes-id entities are normalised, and store.set checks
// what graph-node checks (undefined fields, id conflicts, missing non-nullable fields, types).

import {
  Kind,
  parse,
  type DirectiveNode,
  type FieldDefinitionNode,
  type ObjectTypeDefinitionNode,
  type TypeNode,
} from "graphql";

/** The value types a stored field can have (enums are String, references their target's id). */
export type ValueType = "String" | "Int" | "BigInt" | "BigDecimal" | "Bytes" | "Boolean" | "Int8" | "Timestamp";

export interface FieldInfo {
  name: string;
  type: ValueType;
  /** GraphQL type name as written (enum, entity or scalar name). */
  typeName: string;
  list: boolean;
  /** The field itself is non-null. */
  required: boolean;
  /** List elements are non-null. */
  requiredElements: boolean;
  derived: boolean;
}

export interface EntityTypeInfo {
  name: string;
  immutable: boolean;
  idType: "String" | "Bytes" | "Int8";
  fields: Map<string, FieldInfo>;
}

export interface RuntimeSchema {
  entities: Map<string, EntityTypeInfo>;
}

const SCALARS: Record<string, ValueType> = {
  ID: "String",
  String: "String",
  Int: "Int",
  BigInt: "BigInt",
  BigDecimal: "BigDecimal",
  Bytes: "Bytes",
  Boolean: "Boolean",
  Int8: "Int8",
  Timestamp: "Timestamp",
};

function directive(node: { directives?: readonly DirectiveNode[] }, name: string): DirectiveNode | undefined {
  return node.directives?.find((d) => d.name.value === name);
}

function unwrap(t: TypeNode): { name: string; list: boolean; required: boolean; requiredElements: boolean } {
  let required = false;
  let list = false;
  let requiredElements = false;
  if (t.kind === Kind.NON_NULL_TYPE) {
    required = true;
    t = t.type;
  }
  if (t.kind === Kind.LIST_TYPE) {
    list = true;
    t = t.type;
    if (t.kind === Kind.NON_NULL_TYPE) {
      requiredElements = true;
      t = t.type;
    }
    while (t.kind !== Kind.NAMED_TYPE) t = t.type; // nested lists: treat as list of the base
  }
  if (t.kind !== Kind.NAMED_TYPE) throw new Error("unexpected GraphQL type");
  return { name: t.name.value, list, required, requiredElements };
}

/** Parses the subgraph's schema.graphql (SDL with graph-node directives; no definitions needed). */
export function parseSubgraphSchema(sdl: string): RuntimeSchema {
  const doc = parse(sdl, { noLocation: true });
  const objects: ObjectTypeDefinitionNode[] = [];
  const enums = new Set<string>();
  const interfaces = new Map<string, string[]>(); // interface → implementing types
  for (const def of doc.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION) enums.add(def.name.value);
    else if (def.kind === Kind.OBJECT_TYPE_DEFINITION && directive(def, "entity")) objects.push(def);
    else if (def.kind === Kind.INTERFACE_TYPE_DEFINITION) interfaces.set(def.name.value, []);
  }
  for (const o of objects) for (const i of o.interfaces ?? []) interfaces.get(i.name.value)?.push(o.name.value);

  const idTypes = new Map<string, "String" | "Bytes" | "Int8">();
  for (const o of objects) {
    const idField = o.fields?.find((f) => f.name.value === "id");
    const t = idField ? unwrap(idField.type).name : "ID";
    idTypes.set(o.name.value, t === "Bytes" ? "Bytes" : t === "Int8" ? "Int8" : "String");
  }
  for (const [iface, impls] of interfaces) {
    const first = impls[0];
    if (first) idTypes.set(iface, idTypes.get(first)!);
  }

  const valueType = (typeName: string): ValueType => {
    const scalar = SCALARS[typeName];
    if (scalar) return scalar;
    if (enums.has(typeName)) return "String";
    const ref = idTypes.get(typeName);
    if (ref) return ref === "String" ? "String" : ref;
    return "String"; // unknown scalar: treat as String
  };

  const entities = new Map<string, EntityTypeInfo>();
  for (const o of objects) {
    const entity = directive(o, "entity")!;
    const immutableArg = entity.arguments?.find((a) => a.name.value === "immutable");
    const immutable = immutableArg?.value.kind === Kind.BOOLEAN && immutableArg.value.value;
    const fields = new Map<string, FieldInfo>();
    for (const f of o.fields ?? ([] as FieldDefinitionNode[])) {
      const u = unwrap(f.type);
      fields.set(f.name.value, {
        name: f.name.value,
        type: valueType(u.name),
        typeName: u.name,
        list: u.list,
        required: u.required,
        requiredElements: u.requiredElements,
        derived: directive(f, "derivedFrom") !== undefined,
      });
    }
    entities.set(o.name.value, { name: o.name.value, immutable, idType: idTypes.get(o.name.value)!, fields });
  }
  return { entities };
}
