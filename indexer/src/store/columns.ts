// How entity fields map to Postgres columns, and value conversions in both directions.
import type { EntityModel, FieldModel, SchemaModel } from "./schema.ts";
import type { EntityData, EntityValue } from "./types.ts";

/** Postgres schema (namespace) holding the entity tables. */
export const PG_SCHEMA = "subgraph";

export function q(ident: string): string {
  return `"${ident.replace(/"/g, '""')}"`;
}

export function tableRef(e: EntityModel): string {
  return `${PG_SCHEMA}.${q(e.table)}`;
}

/** The table of an entity's earlier versions, each valid in blocks [_from, _to) (time travel). */
export function historyRef(e: EntityModel): string {
  return `${PG_SCHEMA}.${q(`${e.table}__history`)}`;
}

/** The table of the indexed blocks' hashes and timestamps. */
export const BLOCKS_TABLE = `${PG_SCHEMA}._indexer_blocks`;

/** The scalar a stored field holds in SQL terms: references hold the referenced entity's id. */
export function storedScalar(model: SchemaModel, f: FieldModel): string {
  if (f.kind === "enum") return "String";
  if (f.kind === "entity") {
    const idType = model.entities.get(f.type)!.idType;
    return idType === "Int8" ? "Int8" : "ID"; // Bytes ids are stored as 0x-hex text
  }
  if (f.name === "id" && f.type === "Bytes") return "ID";
  return f.type;
}

const SQL_TYPES: Record<string, string> = {
  ID: "text",
  String: "text",
  Int: "int4",
  Int8: "int8",
  Timestamp: "int8",
  BigInt: "numeric",
  BigDecimal: "numeric",
  Bytes: "bytea",
  Boolean: "boolean",
};

export function sqlType(model: SchemaModel, f: FieldModel): string {
  const base = SQL_TYPES[storedScalar(model, f)];
  return f.list ? `${base}[]` : base;
}

export function bytesToHex(b: Uint8Array): string {
  return "0x" + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

export function hexToBytes(s: string): Uint8Array {
  const h = s.startsWith("0x") || s.startsWith("0X") ? s.slice(2) : s;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error(`not a hex string: ${s}`);
  return new Uint8Array(Buffer.from(h, "hex"));
}

function scalarToSql(scalar: string, v: EntityValue): unknown {
  if (v === null || v === undefined) return null;
  switch (scalar) {
    case "ID":
    case "String":
      if (v instanceof Uint8Array) return bytesToHex(v);
      return typeof v === "string" ? v : String(v);
    case "Int":
      return Number(v);
    case "Int8":
    case "Timestamp":
    case "BigInt":
      return typeof v === "object" && v !== null && "bigDecimal" in v ? v.bigDecimal : String(v);
    case "BigDecimal":
      return typeof v === "object" && v !== null && "bigDecimal" in v ? v.bigDecimal : String(v);
    case "Bytes":
      return v instanceof Uint8Array ? v : hexToBytes(String(v));
    case "Boolean":
      return Boolean(v);
  }
  return v;
}

/** Converts a field value from the mappings into a SQL parameter. */
export function toSql(model: SchemaModel, f: FieldModel, v: EntityValue | undefined): unknown {
  if (v === null || v === undefined) return null;
  const scalar = storedScalar(model, f);
  const bytesId = scalar === "ID" && (f.kind === "entity" ? model.entities.get(f.type)!.idType === "Bytes" : f.type === "Bytes");
  const one = (x: EntityValue) => {
    const out = scalarToSql(scalar, x);
    return bytesId && typeof out === "string" ? out.toLowerCase() : out;
  };
  if (f.list) return (Array.isArray(v) ? v : [v]).map(one);
  return one(v);
}

/** The SQL expression selecting a stored column so that values come back unambiguous. */
export function selectExpr(model: SchemaModel, f: FieldModel, alias = "c", as = f.name): string {
  const col = `${alias}.${q(f.name)}`;
  const scalar = storedScalar(model, f);
  if (scalar === "BigInt" || scalar === "BigDecimal" || scalar === "Int8" || scalar === "Timestamp") {
    return `${col}::text${f.list ? "[]" : ""} AS ${q(as)}`;
  }
  return `${col} AS ${q(as)}`;
}

/** Converts one selected column (see selectExpr) back into a mapping value. */
export function fromSql(model: SchemaModel, f: FieldModel, raw: unknown): EntityValue {
  if (raw === null || raw === undefined) return null;
  const bytesId = f.kind === "entity" ? model.entities.get(f.type)!.idType === "Bytes" : f.name === "id" && f.type === "Bytes";
  const scalar = storedScalar(model, f);
  const one = (x: unknown): EntityValue => {
    if (x === null || x === undefined) return null;
    if (bytesId) return hexToBytes(String(x));
    switch (scalar) {
      case "Int":
        return Number(x);
      case "Int8":
      case "Timestamp":
      case "BigInt":
        return BigInt(String(x));
      case "BigDecimal":
        return { bigDecimal: String(x) };
      case "Bytes":
        return x instanceof Uint8Array ? new Uint8Array(x) : hexToBytes(String(x));
      case "Boolean":
        return Boolean(x);
      default:
        return typeof x === "string" ? x : String(x);
    }
  };
  if (f.list) return (raw as unknown[]).map(one);
  return one(raw);
}

export function rowToEntity(model: SchemaModel, e: EntityModel, row: Record<string, unknown>): EntityData {
  const out: EntityData = {};
  for (const f of e.stored) out[f.name] = fromSql(model, f, row[f.name]);
  return out;
}

/** The cache/store key of an entity id value: Bytes ids as lowercase 0x-hex. */
export function idKey(e: EntityModel, id: EntityValue | string): string {
  if (id instanceof Uint8Array) return bytesToHex(id);
  if (e.idType === "Bytes") return String(id).toLowerCase();
  return String(id);
}

// SQL literals, for the one-round-trip block write (standard_conforming_strings is on).

export function quoteText(s: string): string {
  if (s.includes("\0")) throw new Error("text must not contain NUL characters");
  return `'${s.replace(/'/g, "''")}'`;
}

const NUMERIC_RE = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/** A literal of one stored scalar (as produced by toSql), typed by its stored scalar kind. */
export function literal(_model: SchemaModel, scalar: string, v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  switch (scalar) {
    case "Int": {
      const n = Number(v);
      if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) throw new Error(`not an Int: ${String(v)}`);
      return String(n);
    }
    case "Int8":
    case "Timestamp":
    case "BigInt":
    case "BigDecimal": {
      const s = String(v);
      if (!NUMERIC_RE.test(s) || ((scalar !== "BigDecimal") && !/^-?\d+$/.test(s))) throw new Error(`not a ${scalar}: ${s}`);
      return scalar === "BigInt" || scalar === "BigDecimal" ? `'${s}'::numeric` : s;
    }
    case "Bytes":
      if (!(v instanceof Uint8Array)) throw new Error("not Bytes");
      return `'\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex")}'::bytea`;
    case "Boolean":
      if (typeof v !== "boolean") throw new Error(`not a Boolean: ${String(v)}`);
      return v ? "true" : "false";
    default:
      return quoteText(String(v));
  }
}

export function fieldLiteral(model: SchemaModel, f: FieldModel, v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  const scalar = storedScalar(model, f);
  if (!f.list) return literal(model, scalar, v);
  const items = (v as unknown[]).map((x) => literal(model, scalar, x));
  return `ARRAY[${items.join(", ")}]::${sqlType(model, f)}`;
}
