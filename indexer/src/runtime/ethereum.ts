// Ethereum triggers as graph-node hands them to event handlers: the JS shape (EthereumEvent),
// the ABI decoding of a log into ethereum.Value params, and the writer that lays an event out in
// AssemblyScript memory (graph-ts chain/ethereum.ts: Event, Block, Transaction, EventParam, Value).

import { decodeEventLog, type AbiEvent, type AbiParameter, type Hex } from "viem";
import { AscHeap, EthValueKind, TypeId } from "./asc.ts";

export type { Hex };

/** ethereum.Value, tagged by graph-ts ValueKind. Byte values are 0x-hex (or Uint8Array). */
export type EthValue =
  | { kind: "address"; value: Hex | Uint8Array }
  | { kind: "fixedBytes"; value: Hex | Uint8Array }
  | { kind: "bytes"; value: Hex | Uint8Array }
  | { kind: "int"; value: bigint }
  | { kind: "uint"; value: bigint }
  | { kind: "bool"; value: boolean }
  | { kind: "string"; value: string }
  | { kind: "fixedArray"; value: EthValue[] }
  | { kind: "array"; value: EthValue[] }
  | { kind: "tuple"; value: EthValue[] };

export interface EventParam {
  name: string;
  value: EthValue;
}

type Num = bigint | number;

export interface EthereumBlock {
  hash: Hex;
  parentHash: Hex;
  unclesHash?: Hex;
  author?: Hex;
  stateRoot?: Hex;
  transactionsRoot?: Hex;
  receiptsRoot?: Hex;
  number: bigint;
  gasUsed: Num;
  gasLimit: Num;
  timestamp: bigint;
  difficulty: Num;
  totalDifficulty: Num;
  size?: Num | null;
  baseFeePerGas?: Num | null;
}

export interface EthereumTransaction {
  hash: Hex;
  index: bigint;
  from: Hex;
  to: Hex | null;
  value: Num;
  gasLimit: Num;
  gasPrice: Num;
  input: Hex;
  nonce: Num;
}

/** An event trigger (graph-ts ethereum.Event). `receipt` is not supported (receipt: true handlers). */
export interface EthereumEvent {
  address: Hex;
  logIndex: bigint;
  transactionLogIndex: bigint;
  logType: string | null;
  block: EthereumBlock;
  transaction: EthereumTransaction;
  receipt: null;
  params: EventParam[];
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface RawLog {
  topics: readonly Hex[] | [Hex, ...Hex[]];
  data: Hex;
}

function isDynamic(p: AbiParameter): boolean {
  return p.type === "string" || p.type === "bytes" || p.type.endsWith("]") || p.type.startsWith("tuple");
}

/** Converts a viem-decoded value of ABI type `p` into an ethereum.Value. */
export function toEthValue(p: AbiParameter, v: unknown): EthValue {
  const t = p.type;
  if (t.endsWith("]")) {
    const open = t.lastIndexOf("[");
    const inner = { ...p, type: t.slice(0, open) } as AbiParameter;
    const arr = v as readonly unknown[];
    const values = arr.map((x) => toEthValue(inner, x));
    return t.endsWith("[]") ? { kind: "array", value: values } : { kind: "fixedArray", value: values };
  }
  if (t === "tuple") {
    const components = (p as { components?: readonly AbiParameter[] }).components ?? [];
    const values = components.map((c, i) => {
      const x = Array.isArray(v) ? v[i] : (v as Record<string, unknown>)[c.name ?? String(i)];
      return toEthValue(c, x);
    });
    return { kind: "tuple", value: values };
  }
  if (t === "address") return { kind: "address", value: (v as string).toLowerCase() as Hex };
  if (t === "bool") return { kind: "bool", value: v as boolean };
  if (t === "string") return { kind: "string", value: v as string };
  if (t === "bytes") return { kind: "bytes", value: v as Hex };
  if (t.startsWith("bytes")) return { kind: "fixedBytes", value: v as Hex };
  if (t.startsWith("uint")) return { kind: "uint", value: BigInt(v as bigint | number) };
  if (t.startsWith("int")) return { kind: "int", value: BigInt(v as bigint | number) };
  throw new Error(`unsupported ABI type ${t}`);
}

/**
 * Decodes a log with viem's decodeEventLog into graph-node's event params, in ABI order. Indexed
 * parameters of dynamic types (string, bytes, arrays, tuples) are their topic, as FixedBytes,
 * exactly as graph-node gives them.
 */
export function decodeEventParams(abiEvent: AbiEvent, log: RawLog): EventParam[] {
  const decoded = decodeEventLog({
    abi: [abiEvent],
    topics: log.topics as [Hex, ...Hex[]],
    data: log.data,
    strict: true,
  });
  const args = decoded.args as unknown as Record<string, unknown> | unknown[];
  return abiEvent.inputs.map((input, i) => {
    const v = Array.isArray(args) ? args[i] : (args as Record<string, unknown>)[input.name ?? ""];
    const name = input.name ?? "";
    if (input.indexed && isDynamic(input)) return { name, value: { kind: "fixedBytes", value: v as Hex } };
    return { name, value: toEthValue(input, v) };
  });
}

// ---------------------------------------------------------------------------------------------
// Writing into AssemblyScript memory

const ZERO32 = new Uint8Array(32);
const ZERO20 = new Uint8Array(20);

export function hexToBytesFast(hex: Hex | Uint8Array): Uint8Array {
  if (hex instanceof Uint8Array) return hex;
  const body = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) throw new Error(`invalid hex ${hex}`);
  return Buffer.from(body, "hex");
}

function big(n: Num): bigint {
  return typeof n === "bigint" ? n : BigInt(n);
}

export function writeEthValue(heap: AscHeap, v: EthValue): number {
  switch (v.kind) {
    case "address":
      return heap.writeEnum(TypeId.EthereumValue, EthValueKind.ADDRESS, heap.writeUint8Array(hexToBytesFast(v.value)));
    case "fixedBytes":
      return heap.writeEnum(
        TypeId.EthereumValue,
        EthValueKind.FIXED_BYTES,
        heap.writeUint8Array(hexToBytesFast(v.value)),
      );
    case "bytes":
      return heap.writeEnum(TypeId.EthereumValue, EthValueKind.BYTES, heap.writeUint8Array(hexToBytesFast(v.value)));
    case "int":
      return heap.writeEnum(TypeId.EthereumValue, EthValueKind.INT, heap.writeBigInt(v.value));
    case "uint":
      return heap.writeEnum(TypeId.EthereumValue, EthValueKind.UINT, heap.writeBigInt(v.value));
    case "bool":
      return heap.writeEnum(TypeId.EthereumValue, EthValueKind.BOOL, v.value ? 1 : 0);
    case "string":
      return heap.writeEnum(TypeId.EthereumValue, EthValueKind.STRING, heap.writeString(v.value));
    case "fixedArray":
    case "array":
    case "tuple": {
      const ptrs = v.value.map((x) => writeEthValue(heap, x));
      const arr = heap.writePointerArray(ptrs, TypeId.ArrayEthereumValue);
      const kind =
        v.kind === "array" ? EthValueKind.ARRAY : v.kind === "tuple" ? EthValueKind.TUPLE : EthValueKind.FIXED_ARRAY;
      return heap.writeEnum(TypeId.EthereumValue, kind, arr);
    }
    default:
      throw new Error(`unknown ethereum value kind ${(v as { kind: string }).kind}`);
  }
}

function bytesOr(heap: AscHeap, hex: Hex | undefined, zero: Uint8Array): number {
  return heap.writeUint8Array(hex ? hexToBytesFast(hex) : zero);
}

/** ethereum.Block (apiVersion ≥ 0.0.6 layout: 15 pointer fields). */
export function writeBlock(heap: AscHeap, b: EthereumBlock): number {
  const fields = [
    heap.writeUint8Array(hexToBytesFast(b.hash)),
    heap.writeUint8Array(hexToBytesFast(b.parentHash)),
    bytesOr(heap, b.unclesHash, ZERO32),
    bytesOr(heap, b.author, ZERO20),
    bytesOr(heap, b.stateRoot, ZERO32),
    bytesOr(heap, b.transactionsRoot, ZERO32),
    bytesOr(heap, b.receiptsRoot, ZERO32),
    heap.writeBigInt(big(b.number)),
    heap.writeBigInt(big(b.gasUsed)),
    heap.writeBigInt(big(b.gasLimit)),
    heap.writeBigInt(big(b.timestamp)),
    heap.writeBigInt(big(b.difficulty ?? 0n)),
    heap.writeBigInt(big(b.totalDifficulty ?? 0n)),
    b.size == null ? 0 : heap.writeBigInt(big(b.size)),
    b.baseFeePerGas == null ? 0 : heap.writeBigInt(big(b.baseFeePerGas)),
  ];
  return heap.writeObject(TypeId.EthereumBlock, fields);
}

/** ethereum.Transaction (apiVersion ≥ 0.0.6 layout: 9 pointer fields, with nonce). */
export function writeTransaction(heap: AscHeap, t: EthereumTransaction): number {
  const fields = [
    heap.writeUint8Array(hexToBytesFast(t.hash)),
    heap.writeBigInt(big(t.index)),
    heap.writeUint8Array(hexToBytesFast(t.from)),
    t.to == null ? 0 : heap.writeUint8Array(hexToBytesFast(t.to)),
    heap.writeBigInt(big(t.value)),
    heap.writeBigInt(big(t.gasLimit)),
    heap.writeBigInt(big(t.gasPrice)),
    heap.writeUint8Array(hexToBytesFast(t.input)),
    heap.writeBigInt(big(t.nonce)),
  ];
  return heap.writeObject(TypeId.EthereumTransaction, fields);
}

/** ethereum.Event (apiVersion ≥ 0.0.7 layout: 8 pointer fields, receipt last). */
export function writeEvent(heap: AscHeap, e: EthereumEvent): number {
  const params = e.params.map((p) => {
    const name = heap.writeString(p.name);
    const value = writeEthValue(heap, p.value);
    return heap.writeObject(TypeId.EventParam, [name, value]);
  });
  const fields = [
    heap.writeUint8Array(hexToBytesFast(e.address)),
    heap.writeBigInt(big(e.logIndex)),
    heap.writeBigInt(big(e.transactionLogIndex)),
    e.logType == null ? 0 : heap.writeString(e.logType),
    writeBlock(heap, e.block),
    writeTransaction(heap, e.transaction),
    heap.writePointerArray(params, TypeId.ArrayEventParam),
    0, // receipt: null (graph-node only fills it for `receipt: true` handlers)
  ];
  return heap.writeObject(TypeId.EthereumEvent, fields);
}
