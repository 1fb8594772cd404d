// The entity operations of one handler run: store.get/set/remove against an overlay of the
// handler's own writes, with graph-node's store.set semantics (merge into the existing entity,
// id checks, schema validation). Applied to the EntityAccess only if the handler succeeds.

import { bytesToHex } from "viem";
import type { EntityAccess, EntityData, EntityValue } from "./entities.ts";
import { HandlerError } from "./errors.ts";
import type { EntityTypeInfo, FieldInfo, RuntimeSchema } from "./schema.ts";

interface Pending {
  entity: string;
  id: string;
  data: EntityData | null; // null = removed
}

function storeError(op: string, err: unknown): HandlerError {
  const msg = err instanceof Error ? err.message : String(err);
  return new HandlerError(`store.${op} failed: ${msg}`, { kind: "store", cause: err });
}

function display(v: EntityValue): string {
  if (v === null) return "null";
  if (v instanceof Uint8Array) return bytesToHex(v);
  if (Array.isArray(v)) return "[" + v.map(display).join(", ") + "]";
  if (typeof v === "object") return v.bigDecimal;
  return String(v);
}

function kindName(v: EntityValue): string {
  if (v === null) return "null";
  if (v instanceof Uint8Array) return "Bytes";
  if (Array.isArray(v)) return "List";
  switch (typeof v) {
    case "string":
      return "String";
    case "number":
      return "Int";
    case "bigint":
      return "BigInt";
    case "boolean":
      return "Boolean";
    default:
      return "BigDecimal";
  }
}

function scalarMatches(field: FieldInfo, v: EntityValue): boolean {
  switch (field.type) {
    case "String":
      return typeof v === "string";
    case "Int":
      return typeof v === "number";
    case "BigInt":
    case "Int8":
    case "Timestamp":
      return typeof v === "bigint";
    case "Boolean":
      return typeof v === "boolean";
    case "Bytes":
      return v instanceof Uint8Array;
    case "BigDecimal":
      return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
  }
}

function typeText(f: FieldInfo): string {
  const inner = f.typeName + (f.list && f.requiredElements ? "!" : "");
  return (f.list ? `[${inner}]` : inner) + (f.required ? "!" : "");
}

/** Normalises an entity id the way graph-node parses keys (Bytes ids: lowercase 0x-hex). */
export function normalizeId(info: EntityTypeInfo | undefined, entity: string, id: string): string {
  if (!info || info.idType !== "Bytes") return id;
  const body = id.startsWith("0x") || id.startsWith("0X") ? id.slice(2) : id;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) {
    throw new HandlerError(`Invalid id \`${id}\` for entity type \`${entity}\`: expected hex Bytes`);
  }
  return "0x" + body.toLowerCase();
}

function idValue(info: EntityTypeInfo | undefined, id: string): EntityValue {
  if (!info || info.idType === "String") return id;
  if (info.idType === "Int8") return BigInt(id);
  return Uint8Array.from(Buffer.from(id.slice(2), "hex"));
}

function idMatches(v: EntityValue, key: EntityValue): boolean {
  if (typeof v === "string" || typeof v === "bigint") return v === key;
  if (v instanceof Uint8Array && key instanceof Uint8Array) return Buffer.compare(v, key) === 0;
  // Without a schema the key is the id string; a Bytes id must be its hex.
  if (v instanceof Uint8Array && typeof key === "string") return "0x" + Buffer.from(v).toString("hex") === key.toLowerCase();
  return false;
}

export class HandlerWrites {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly store: EntityAccess,
    private readonly schema: RuntimeSchema | undefined,
  ) {}

  private typeInfo(entity: string): EntityTypeInfo | undefined {
    if (!this.schema) return undefined;
    const info = this.schema.entities.get(entity);
    if (!info) throw new HandlerError(`Entity type \`${entity}\` is not defined in the schema`);
    return info;
  }

  info(entity: string): EntityTypeInfo | undefined {
    return this.typeInfo(entity);
  }

  get(entity: string, rawId: string): EntityData | null {
    const id = normalizeId(this.typeInfo(entity), entity, rawId);
    const p = this.pending.get(entity + "\u0000" + id);
    if (p) return p.data;
    try {
      return this.store.get(entity, id);
    } catch (err) {
      throw storeError("get", err);
    }
  }

  getInBlock(entity: string, rawId: string): EntityData | null {
    const id = normalizeId(this.typeInfo(entity), entity, rawId);
    const p = this.pending.get(entity + "\u0000" + id);
    if (p) return p.data;
    if (!this.store.getInBlock) return null;
    try {
      return this.store.getInBlock(entity, id);
    } catch (err) {
      throw storeError("get_in_block", err);
    }
  }

  set(entity: string, rawId: string, data: EntityData): void {
    const info = this.typeInfo(entity);
    // Without a schema, a Bytes `id` value tells the id type.
    const id = info ? normalizeId(info, entity, rawId) : data.id instanceof Uint8Array ? rawId.toLowerCase() : rawId;
    const key = idValue(info, id);

    // graph-node: set the id if there isn't one, make sure a previously set id agrees.
    const given = data.id;
    if (given === undefined || given === null) {
      data.id = key;
    } else if (!idMatches(given, key)) {
      if (info && kindName(given) !== (info.idType === "Int8" ? "BigInt" : info.idType)) {
        throw new HandlerError(
          `Attribute \`${entity}.id\` has wrong type: expected ${info.idType} but got ${kindName(given)}`,
        );
      }
      throw new HandlerError(
        `Value of ${entity} attribute 'id' conflicts with ID passed to \`store.set()\`: ${display(given)} != ${id}`,
      );
    }

    if (info) {
      // apiVersion ≥ 0.0.8: setting fields the schema does not define is an error.
      const invalid = Object.keys(data)
        .filter((f) => !info.fields.has(f))
        .sort();
      if (invalid.length > 0) {
        throw new HandlerError(
          `Attempted to set undefined fields [${invalid.join(", ")}] for the entity type \`${entity}\`. ` +
            "Make sure those fields are defined in the schema.",
        );
      }
    }

    // Merge the update into the current entity (EntityOp::Update).
    const existing = this.get(entity, id);
    const merged: EntityData = existing ? { ...existing, ...data } : { ...data };
    if (info) this.validate(info, id, merged);
    this.pending.delete(entity + "\u0000" + id); // keep write order = last write
    this.pending.set(entity + "\u0000" + id, { entity, id, data: merged });
  }

  remove(entity: string, rawId: string): void {
    const id = normalizeId(this.typeInfo(entity), entity, rawId);
    this.pending.delete(entity + "\u0000" + id);
    this.pending.set(entity + "\u0000" + id, { entity, id, data: null });
  }

  /** graph-node's Entity::validate for the merged entity. */
  private validate(info: EntityTypeInfo, id: string, e: EntityData): void {
    for (const field of info.fields.values()) {
      const v = e[field.name];
      const present = v !== undefined && v !== null;
      if (field.derived) {
        if (present) {
          throw new HandlerError(`Entity ${info.name}[${id}]: field \`${field.name}\` is derived and can not be set`);
        }
        continue;
      }
      if (!present) {
        if (field.required) {
          throw new HandlerError(`Entity ${info.name}[${id}]: missing value for non-nullable field \`${field.name}\``);
        }
        continue;
      }
      let ok: boolean;
      if (field.list) {
        ok =
          Array.isArray(v) &&
          v.every((x) => (x === null ? !field.requiredElements : !Array.isArray(x) && scalarMatches(field, x)));
      } else {
        ok = !Array.isArray(v) && scalarMatches(field, v);
      }
      if (!ok) {
        throw new HandlerError(
          `Entity ${info.name}[${id}]: the value \`${display(v)}\` for field \`${field.name}\` must have type ` +
            `${typeText(field)} but has type ${kindName(v)}`,
        );
      }
    }
  }

  /** Number of pending entity operations. */
  get size(): number {
    return this.pending.size;
  }

  /** Applies the handler's writes to the EntityAccess, in order. */
  commit(): void {
    for (const p of this.pending.values()) {
      if (p.data === null) this.store.remove(p.entity, p.id);
      else this.store.set(p.entity, p.id, p.data);
    }
    this.pending.clear();
  }
}
