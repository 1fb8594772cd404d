// Store values and entities between AssemblyScript memory (graph-ts Value / Entity) and
// EntityData.

import { AscHeap, StoreValueKind, TypeId } from "./asc.ts";
import type { EntityData, EntityValue } from "./entities.ts";
import { HandlerError } from "./errors.ts";
import { hexToBytesFast } from "./ethereum.ts";
import { bigDecimalToString, normalizeBigDecimal, parseBigDecimal } from "./numbers.ts";
import type { EntityTypeInfo, FieldInfo, ValueType } from "./schema.ts";

/** graph-ts Value → EntityValue. */
export function readStoreValue(heap: AscHeap, ptr: number): EntityValue {
  if (ptr === 0) return null;
  const kind = heap.readEnumKind(ptr);
  switch (kind) {
    case StoreValueKind.STRING:
      return heap.readString(heap.payloadPtr(ptr));
    case StoreValueKind.INT:
      return heap.payloadI32(ptr);
    case StoreValueKind.BIGDECIMAL:
      return { bigDecimal: bigDecimalToString(normalizeBigDecimal(heap.readBigDecimal(heap.payloadPtr(ptr)))) };
    case StoreValueKind.BOOL:
      return heap.payloadI64(ptr) !== 0n;
    case StoreValueKind.ARRAY:
      return heap.readPointerArray(heap.payloadPtr(ptr)).map((p) => readStoreValue(heap, p));
    case StoreValueKind.NULL:
      return null;
    case StoreValueKind.BYTES:
      return heap.readBytes(heap.payloadPtr(ptr));
    case StoreValueKind.BIGINT:
      return heap.readBigInt(heap.payloadPtr(ptr));
    case StoreValueKind.INT8:
    case StoreValueKind.TIMESTAMP:
      return heap.payloadI64(ptr);
    default:
      throw new HandlerError(`Unknown store value kind ${kind}`);
  }
}

/** graph-ts Entity (TypedMap<string, Value>) → EntityData. Later entries win, as in graph-node. */
export function readEntity(heap: AscHeap, ptr: number): EntityData {
  const entries = heap.readPointerArray(heap.field(ptr, 0));
  const out: EntityData = {};
  for (const e of entries) {
    if (e === 0) continue;
    heap.sync();
    const key = heap.readString(heap.field(e, 0));
    out[key] = readStoreValue(heap, heap.field(e, 4));
  }
  return out;
}

function i32(n: number, where: string): number {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) {
    throw new HandlerError(`${where}: ${n} is not an Int (i32)`, { kind: "store" });
  }
  return n;
}

/** EntityValue → graph-ts Value, typed by the schema field when known. */
export function writeStoreValue(heap: AscHeap, v: EntityValue | undefined, type?: ValueType): number {
  const K = StoreValueKind;
  if (v === null || v === undefined) return heap.writeEnum(TypeId.StoreValue, K.NULL, 0);
  if (Array.isArray(v)) {
    const ptrs = v.map((x) => writeStoreValue(heap, x, type));
    return heap.writeEnum(TypeId.StoreValue, K.ARRAY, heap.writePointerArray(ptrs, TypeId.ArrayStoreValue));
  }
  switch (typeof v) {
    case "string":
      if (type === "Bytes") return heap.writeEnum(TypeId.StoreValue, K.BYTES, heap.writeUint8Array(hexToBytesFast(v as `0x${string}`)));
      if (type === "BigInt") return heap.writeEnum(TypeId.StoreValue, K.BIGINT, heap.writeBigInt(BigInt(v)));
      if (type === "BigDecimal") return heap.writeEnum(TypeId.StoreValue, K.BIGDECIMAL, heap.writeBigDecimal(parseBigDecimal(v)));
      if (type === "Int8" || type === "Timestamp")
        return heap.writeEnumI64(TypeId.StoreValue, type === "Int8" ? K.INT8 : K.TIMESTAMP, BigInt(v));
      return heap.writeEnum(TypeId.StoreValue, K.STRING, heap.writeString(v));
    case "number":
      if (type === "BigInt") return heap.writeEnum(TypeId.StoreValue, K.BIGINT, heap.writeBigInt(BigInt(v)));
      if (type === "Int8" || type === "Timestamp")
        return heap.writeEnumI64(TypeId.StoreValue, type === "Int8" ? K.INT8 : K.TIMESTAMP, BigInt(v));
      if (type === "BigDecimal")
        return heap.writeEnum(TypeId.StoreValue, K.BIGDECIMAL, heap.writeBigDecimal(parseBigDecimal(String(v))));
      return heap.writeEnum(TypeId.StoreValue, K.INT, i32(v, "store value") | 0, v < 0 ? 0xffffffff : 0);
    case "bigint":
      if (type === "Int8") return heap.writeEnumI64(TypeId.StoreValue, K.INT8, v);
      if (type === "Timestamp") return heap.writeEnumI64(TypeId.StoreValue, K.TIMESTAMP, v);
      if (type === "Int") {
        const n = i32(Number(v), "store value");
        return heap.writeEnum(TypeId.StoreValue, K.INT, n | 0, n < 0 ? 0xffffffff : 0);
      }
      return heap.writeEnum(TypeId.StoreValue, K.BIGINT, heap.writeBigInt(v));
    case "boolean":
      return heap.writeEnum(TypeId.StoreValue, K.BOOL, v ? 1 : 0);
    case "object":
      if (v instanceof Uint8Array) return heap.writeEnum(TypeId.StoreValue, K.BYTES, heap.writeUint8Array(v));
      if ("bigDecimal" in v)
        return heap.writeEnum(TypeId.StoreValue, K.BIGDECIMAL, heap.writeBigDecimal(parseBigDecimal(v.bigDecimal)));
  }
  throw new HandlerError(`Cannot convert ${String(v)} to a store value`, { kind: "store" });
}

/** EntityData → graph-ts Entity. Derived fields are left out, as graph-node does. */
export function writeEntity(heap: AscHeap, data: EntityData, info?: EntityTypeInfo): number {
  const entries: number[] = [];
  for (const key in data) {
    const v = data[key];
    if (v === undefined) continue;
    let field: FieldInfo | undefined;
    if (info) {
      field = info.fields.get(key);
      if (!field || field.derived) continue;
    }
    const k = heap.writeString(key);
    const value = writeStoreValue(heap, v, field?.type);
    entries.push(heap.writeObject(TypeId.TypedMapEntryStringStoreValue, [k, value]));
  }
  const arr = heap.writePointerArray(entries, TypeId.ArrayTypedMapEntryStringStoreValue);
  return heap.writeObject(TypeId.TypedMapStringStoreValue, [arr]);
}
