// AssemblyScript memory of a graph-ts mapping module (AS 0.19 "stub" runtime, apiVersion 0.0.9).
//
// Object layout: every managed object is preceded by a 20-byte header (mmInfo, gcInfo, gcInfo2,
// rtId, rtSize); the object pointer points just past it, so rtId is at ptr-8 and rtSize at ptr-4.
// Objects are allocated with the module's exported `__new(size, rtId)`; the rtId of each class
// graph-node knows comes from the exported `id_of_type(IndexForAscTypeId)`.
//
//  String                     UTF-16LE code units at ptr, length = rtSize / 2
//  ArrayBuffer                bytes at ptr, byteLength = rtSize
//  Uint8Array (Bytes, BigInt) { buffer: ArrayBuffer, dataStart: usize, byteLength: i32 }
//  Array<T>                   { buffer, dataStart, byteLength (capacity), length: i32 }
//  class instances            fields in declaration order, naturally aligned (pointers are u32)
//  Value / ethereum.Value     { kind: u32, (pad), data: u64 }        (16 bytes)
//  TypedMap<K,V>              { entries: Array<TypedMapEntry<K,V>> }
//  TypedMapEntry<K,V>         { key: K, value: V }
//  BigDecimal                 { digits: BigInt, exp: BigInt }
//  BigInt                     Uint8Array, little-endian two's complement

import { bigIntFromSignedBytesLE, bigIntToSignedBytesLE, type BigDec } from "./numbers.ts";

/** graph-node's IndexForAscTypeId (graph-ts `TypeId`), the ones this host allocates. */
export const TypeId = {
  String: 0,
  ArrayBuffer: 1,
  Int8Array: 2,
  Int16Array: 3,
  Int32Array: 4,
  Int64Array: 5,
  Uint8Array: 6,
  Uint16Array: 7,
  Uint32Array: 8,
  Uint64Array: 9,
  Float32Array: 10,
  Float64Array: 11,
  BigDecimal: 12,
  ArrayBool: 13,
  ArrayUint8Array: 14,
  ArrayEthereumValue: 15,
  ArrayStoreValue: 16,
  ArrayJsonValue: 17,
  ArrayString: 18,
  ArrayEventParam: 19,
  ArrayTypedMapEntryStringJsonValue: 20,
  ArrayTypedMapEntryStringStoreValue: 21,
  SmartContractCall: 22,
  EventParam: 23,
  EthereumTransaction: 24,
  EthereumBlock: 25,
  EthereumCall: 26,
  WrappedTypedMapStringJsonValue: 27,
  WrappedBool: 28,
  WrappedJsonValue: 29,
  EthereumValue: 30,
  StoreValue: 31,
  JsonValue: 32,
  EthereumEvent: 33,
  TypedMapEntryStringStoreValue: 34,
  TypedMapEntryStringJsonValue: 35,
  TypedMapStringStoreValue: 36,
  TypedMapStringJsonValue: 37,
  TypedMapStringTypedMapStringJsonValue: 38,
  ResultTypedMapStringJsonValueBool: 39,
  ResultJsonValueBool: 40,
  TransactionReceipt: 1000,
  Log: 1001,
  ArrayH256: 1002,
  ArrayLog: 1003,
} as const;
export type TypeIdValue = (typeof TypeId)[keyof typeof TypeId];

/** graph-ts `ValueKind` (store values). */
export const StoreValueKind = {
  STRING: 0,
  INT: 1,
  BIGDECIMAL: 2,
  BOOL: 3,
  ARRAY: 4,
  NULL: 5,
  BYTES: 6,
  BIGINT: 7,
  INT8: 8,
  TIMESTAMP: 9,
} as const;

/** graph-ts `ethereum.ValueKind`. */
export const EthValueKind = {
  ADDRESS: 0,
  FIXED_BYTES: 1,
  BYTES: 2,
  INT: 3,
  UINT: 4,
  BOOL: 5,
  STRING: 6,
  FIXED_ARRAY: 7,
  ARRAY: 8,
  TUPLE: 9,
} as const;

export interface AscExports {
  memory: WebAssembly.Memory;
  __new: (size: number, id: number) => number;
  id_of_type: (typeId: number) => number;
}

const CHUNK = 4096;

/** Typed access to one instance's linear memory. Views are refreshed when memory grows. */
export class AscHeap {
  private buffer: ArrayBuffer | null = null;
  u8!: Uint8Array;
  u16!: Uint16Array;
  u32!: Uint32Array;
  i32!: Int32Array;
  dv!: DataView;
  private readonly rtIds = new Map<number, number>();
  private readonly memory: WebAssembly.Memory;
  private readonly newFn: (size: number, id: number) => number;
  private readonly idOfType: (typeId: number) => number;

  constructor(exports: AscExports) {
    this.memory = exports.memory;
    this.newFn = exports.__new;
    this.idOfType = exports.id_of_type;
    this.sync();
  }

  /** Re-creates the views if the memory grew (growing detaches the old ArrayBuffer). */
  sync(): void {
    const b = this.memory.buffer as ArrayBuffer;
    if (b !== this.buffer) {
      this.buffer = b;
      this.u8 = new Uint8Array(b);
      this.u16 = new Uint16Array(b);
      this.u32 = new Uint32Array(b);
      this.i32 = new Int32Array(b);
      this.dv = new DataView(b);
    }
  }

  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  rtId(typeId: number): number {
    let id = this.rtIds.get(typeId);
    if (id === undefined) {
      id = this.idOfType(typeId) >>> 0;
      this.rtIds.set(typeId, id);
    }
    return id;
  }

  /** Allocates a managed object of `size` bytes of graph-node type `typeId`. */
  alloc(size: number, typeId: number): number {
    const ptr = this.newFn(size, this.rtId(typeId)) >>> 0;
    this.sync();
    return ptr;
  }

  // ----------------------------------------------------------------------------- readers

  /** The rtSize of an object (its payload size in bytes). */
  objectSize(ptr: number): number {
    this.sync();
    return this.u32[(ptr - 4) >>> 2]!;
  }

  field(ptr: number, offset: number): number {
    return this.u32[(ptr + offset) >>> 2]!;
  }

  readString(ptr: number): string {
    this.sync();
    const len = this.u32[(ptr - 4) >>> 2]! >>> 1;
    const start = ptr >>> 1;
    if (len <= CHUNK) return String.fromCharCode.apply(null, this.u16.subarray(start, start + len) as unknown as number[]);
    let out = "";
    for (let i = 0; i < len; i += CHUNK) {
      const end = Math.min(len, i + CHUNK);
      out += String.fromCharCode.apply(null, this.u16.subarray(start + i, start + end) as unknown as number[]);
    }
    return out;
  }

  readArrayBuffer(ptr: number): Uint8Array {
    this.sync();
    const len = this.u32[(ptr - 4) >>> 2]!;
    return this.u8.slice(ptr, ptr + len);
  }

  /** A Uint8Array / Bytes / ByteArray / Address object → copy of its bytes. */
  readBytes(ptr: number): Uint8Array {
    this.sync();
    const dataStart = this.u32[(ptr + 4) >>> 2]!;
    const byteLength = this.u32[(ptr + 8) >>> 2]!;
    return this.u8.slice(dataStart, dataStart + byteLength);
  }

  readBigInt(ptr: number): bigint {
    this.sync();
    const dataStart = this.u32[(ptr + 4) >>> 2]!;
    const byteLength = this.u32[(ptr + 8) >>> 2]!;
    return bigIntFromSignedBytesLE(this.u8.subarray(dataStart, dataStart + byteLength));
  }

  readBigDecimal(ptr: number): BigDec {
    this.sync();
    const digits = this.u32[ptr >>> 2]!;
    const exp = this.u32[(ptr + 4) >>> 2]!;
    return { digits: this.readBigInt(digits), exp: this.readBigInt(exp) };
  }

  /** The element pointers of an Array<T> of reference types. */
  readPointerArray(ptr: number): number[] {
    this.sync();
    const dataStart = this.u32[(ptr + 4) >>> 2]! >>> 2;
    const length = this.i32[(ptr + 12) >>> 2]!;
    const out = new Array<number>(length);
    for (let i = 0; i < length; i++) out[i] = this.u32[dataStart + i]!;
    return out;
  }

  readStringArray(ptr: number): string[] {
    return this.readPointerArray(ptr).map((p) => (p === 0 ? "" : this.readString(p)));
  }

  /** `Value`/`ethereum.Value`: kind and the payload address (payload is a u64 at +8). */
  readEnumKind(ptr: number): number {
    this.sync();
    return this.u32[ptr >>> 2]!;
  }

  payloadPtr(ptr: number): number {
    return this.u32[(ptr + 8) >>> 2]!;
  }

  payloadI32(ptr: number): number {
    return this.i32[(ptr + 8) >>> 2]!;
  }

  payloadI64(ptr: number): bigint {
    this.sync();
    return this.dv.getBigInt64(ptr + 8, true);
  }

  // ----------------------------------------------------------------------------- writers

  writeString(s: string): number {
    const len = s.length;
    const ptr = this.alloc(len << 1, TypeId.String);
    const u16 = this.u16;
    const base = ptr >>> 1;
    for (let i = 0; i < len; i++) u16[base + i] = s.charCodeAt(i);
    return ptr;
  }

  writeArrayBuffer(bytes: Uint8Array): number {
    const ptr = this.alloc(bytes.length, TypeId.ArrayBuffer);
    this.u8.set(bytes, ptr);
    return ptr;
  }

  /** A Uint8Array object (graph-ts Bytes, ByteArray, Address, BigInt). */
  writeUint8Array(bytes: Uint8Array): number {
    const buffer = this.writeArrayBuffer(bytes);
    const ptr = this.alloc(12, TypeId.Uint8Array);
    const u32 = this.u32;
    const i = ptr >>> 2;
    u32[i] = buffer;
    u32[i + 1] = buffer;
    u32[i + 2] = bytes.length;
    return ptr;
  }

  writeBigInt(v: bigint): number {
    return this.writeUint8Array(bigIntToSignedBytesLE(v));
  }

  writeBigDecimal(d: BigDec): number {
    const digits = this.writeBigInt(d.digits);
    const exp = this.writeBigInt(d.exp);
    const ptr = this.alloc(8, TypeId.BigDecimal);
    this.u32[ptr >>> 2] = digits;
    this.u32[(ptr >>> 2) + 1] = exp;
    return ptr;
  }

  /** An Array<T> of reference types whose elements are the given pointers. */
  writePointerArray(ptrs: readonly number[], typeId: number): number {
    const n = ptrs.length;
    const buffer = this.alloc(n << 2, TypeId.ArrayBuffer);
    let u32 = this.u32;
    const b = buffer >>> 2;
    for (let i = 0; i < n; i++) u32[b + i] = ptrs[i]!;
    const ptr = this.alloc(16, typeId);
    u32 = this.u32;
    const i = ptr >>> 2;
    u32[i] = buffer;
    u32[i + 1] = buffer;
    u32[i + 2] = n << 2;
    u32[i + 3] = n;
    return ptr;
  }

  writeStringArray(values: readonly string[]): number {
    return this.writePointerArray(
      values.map((s) => this.writeString(s)),
      TypeId.ArrayString,
    );
  }

  /** An object whose fields are all pointers (or null = 0), in declaration order. */
  writeObject(typeId: number, fields: readonly number[]): number {
    const ptr = this.alloc(fields.length << 2, typeId);
    const u32 = this.u32;
    const b = ptr >>> 2;
    for (let i = 0; i < fields.length; i++) u32[b + i] = fields[i]!;
    return ptr;
  }

  /** A Value-like enum: { kind: u32, data: u64 } with a pointer or small integer payload. */
  writeEnum(typeId: number, kind: number, payloadLow: number, payloadHigh = 0): number {
    const ptr = this.alloc(16, typeId);
    const u32 = this.u32;
    const b = ptr >>> 2;
    u32[b] = kind;
    u32[b + 1] = 0;
    u32[b + 2] = payloadLow;
    u32[b + 3] = payloadHigh;
    return ptr;
  }

  writeEnumI64(typeId: number, kind: number, payload: bigint): number {
    const ptr = this.alloc(16, typeId);
    this.u32[ptr >>> 2] = kind;
    this.u32[(ptr >>> 2) + 1] = 0;
    this.dv.setBigInt64(ptr + 8, payload, true);
    return ptr;
  }
}
