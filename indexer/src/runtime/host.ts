// Host functions graph-node exports to mappings (the `@external` declarations of graph-ts),
// keyed by import name. Imports a module needs but this host does not implement get a stub that
// fails the handler with a clear "not supported" error when called.

import { keccak256 } from "viem";
import type { AscHeap } from "./asc.ts";
import type { EntityData } from "./entities.ts";
import { HandlerError } from "./errors.ts";
import {
  bigDecimalDividedBy,
  bigDecimalEquals,
  bigDecimalMinus,
  bigDecimalPlus,
  bigDecimalTimes,
  bigDecimalToString,
  bigIntToBigDecimal,
  bigIntToHex,
  parseBigDecimal,
  parseBigInt,
  toBase58,
} from "./numbers.ts";
import { readEntity, writeEntity } from "./values.ts";
import type { HandlerWrites } from "./writes.ts";

export type LogLevel = "critical" | "error" | "warning" | "info" | "debug";
const LEVELS: LogLevel[] = ["critical", "error", "warning", "info", "debug"];

export interface HostContext {
  /** The heap of the running instance. */
  heap(): AscHeap;
  /** The writes of the running handler (throws outside a handler). */
  writes(): HandlerWrites;
  dataSourceName: string;
  /** `dataSource.address()`: the running data source's (or template instance's) address. */
  address: Uint8Array;
  network: string;
  /** `dataSource.context()`: the running data source's (or template instance's) context. */
  context: EntityData;
  log(level: LogLevel, msg: string): void;
  /**
   * `dataSource.create` / `createWithContext`: a handler asks for a new data source from the
   * template `name` (params[0] is the contract address for ethereum templates). Optional: without
   * it, creating a data source fails the handler as not supported.
   */
  createDataSource?(name: string, params: string[], context: EntityData | null): void;
}

type HostFn = (...args: number[]) => number | bigint | void;

/** Names of graph-node host functions this runtime knows but does not support. */
export const UNSUPPORTED_HOST_FUNCTIONS = [
  "ethereum.call",
  "ethereum.getBalance",
  "ethereum.hasCode",
  "ethereum.encode",
  "ethereum.decode",
  "ipfs.cat",
  "ipfs.map",
  "ipfs.getBlock",
  "store.loadRelated",
  "json.fromBytes",
  "json.try_fromBytes",
  "yaml.fromBytes",
  "yaml.try_fromBytes",
  "arweave.transactionData",
  "box.profile",
];

export function createHostFunctions(ctx: HostContext): Record<string, HostFn> {
  const h = () => ctx.heap();
  const bigInt = (p: number) => h().readBigInt(p);
  const retBigInt = (v: bigint) => h().writeBigInt(v);
  const bigDec = (p: number) => h().readBigDecimal(p);
  const str = (p: number) => h().readString(p);
  const readStringArray = (p: number) => h().readStringArray(p);
  const createDataSource = (name: string, params: string[], context: EntityData | null) => {
    if (!ctx.createDataSource) throw new HandlerError(`Host function dataSource.create is not supported here (no templates)`);
    ctx.createDataSource(name, params, context);
  };

  const fns: Record<string, HostFn> = {
    // ---------------------------------------------------------------- AssemblyScript runtime
    abort(msg: number, file: number, line: number, column: number) {
      const message = msg ? str(msg) : "";
      const fileName = file ? str(file) : undefined;
      throw new HandlerError(message, { kind: "abort", file: fileName, line, column });
    },

    // ---------------------------------------------------------------- store
    "store.get"(entity: number, id: number) {
      const type = str(entity);
      const w = ctx.writes();
      const data = w.get(type, str(id));
      return data ? writeEntity(h(), data, w.info(type)) : 0;
    },
    "store.get_in_block"(entity: number, id: number) {
      const type = str(entity);
      const w = ctx.writes();
      const data = w.getInBlock(type, str(id));
      return data ? writeEntity(h(), data, w.info(type)) : 0;
    },
    "store.set"(entity: number, id: number, data: number) {
      ctx.writes().set(str(entity), str(id), readEntity(h(), data));
    },
    "store.remove"(entity: number, id: number) {
      ctx.writes().remove(str(entity), str(id));
    },

    // ---------------------------------------------------------------- log, crypto, ens
    "log.log"(level: number, msg: number) {
      const text = str(msg);
      const name = LEVELS[level] ?? "info";
      ctx.log(name, text);
      if (name === "critical") throw new HandlerError(`Critical error logged in mapping with log message: ${text}`);
    },
    "crypto.keccak256"(input: number) {
      return h().writeUint8Array(keccak256(h().readBytes(input), "bytes"));
    },
    "ens.nameByHash"(_hash: number) {
      return 0; // no ENS data loaded: null
    },

    // ---------------------------------------------------------------- dataSource
    "dataSource.address"() {
      return h().writeUint8Array(ctx.address);
    },
    "dataSource.network"() {
      return h().writeString(ctx.network);
    },
    "dataSource.context"() {
      return writeEntity(h(), ctx.context);
    },
    "dataSource.create"(name: number, params: number) {
      createDataSource(str(name), readStringArray(params), null);
    },
    "dataSource.createWithContext"(name: number, params: number, context: number) {
      createDataSource(str(name), readStringArray(params), readEntity(h(), context));
    },

    // ---------------------------------------------------------------- typeConversion
    "typeConversion.bytesToString"(bytes: number) {
      const s = Buffer.from(h().readBytes(bytes)).toString("utf8"); // lossy, like from_utf8_lossy
      return h().writeString(s.replace(/\u0000+$/, ""));
    },
    "typeConversion.bytesToHex"(bytes: number) {
      return h().writeString("0x" + Buffer.from(h().readBytes(bytes)).toString("hex"));
    },
    "typeConversion.bigIntToString"(n: number) {
      return h().writeString(bigInt(n).toString());
    },
    "typeConversion.bigIntToHex"(n: number) {
      return h().writeString(bigIntToHex(bigInt(n)));
    },
    "typeConversion.stringToH160"(s: number) {
      const text = str(s);
      const body = text.startsWith("0x") ? text.slice(2) : text;
      if (!/^[0-9a-fA-F]{40}$/.test(body)) {
        throw new HandlerError(`Failed to convert string to Address/H160: '${text}'`);
      }
      return h().writeUint8Array(Buffer.from(body, "hex"));
    },
    "typeConversion.bytesToBase58"(bytes: number) {
      return h().writeString(toBase58(h().readBytes(bytes)));
    },

    // ---------------------------------------------------------------- bigInt
    "bigInt.plus": (x: number, y: number) => retBigInt(bigInt(x) + bigInt(y)),
    "bigInt.minus": (x: number, y: number) => retBigInt(bigInt(x) - bigInt(y)),
    "bigInt.times": (x: number, y: number) => retBigInt(bigInt(x) * bigInt(y)),
    "bigInt.dividedBy"(x: number, y: number) {
      const d = bigInt(y);
      if (d === 0n) throw new HandlerError("attempted to divide BigInt by zero");
      return retBigInt(bigInt(x) / d);
    },
    "bigInt.dividedByDecimal"(x: number, y: number) {
      return h().writeBigDecimal(bigDecimalDividedBy(bigIntToBigDecimal(bigInt(x)), bigDec(y)));
    },
    "bigInt.mod"(x: number, y: number) {
      const d = bigInt(y);
      if (d === 0n) throw new HandlerError("attempted to calculate the remainder of a division by zero");
      return retBigInt(bigInt(x) % d);
    },
    "bigInt.pow": (x: number, exp: number) => retBigInt(bigInt(x) ** BigInt(exp & 0xff)),
    "bigInt.fromString": (s: number) => retBigInt(parseBigInt(str(s))),
    "bigInt.bitOr": (x: number, y: number) => retBigInt(bigInt(x) | bigInt(y)),
    "bigInt.bitAnd": (x: number, y: number) => retBigInt(bigInt(x) & bigInt(y)),
    "bigInt.leftShift": (x: number, bits: number) => retBigInt(bigInt(x) << BigInt(bits & 0xff)),
    "bigInt.rightShift": (x: number, bits: number) => retBigInt(bigInt(x) >> BigInt(bits & 0xff)),

    // ---------------------------------------------------------------- bigDecimal
    "bigDecimal.plus": (x: number, y: number) => h().writeBigDecimal(bigDecimalPlus(bigDec(x), bigDec(y))),
    "bigDecimal.minus": (x: number, y: number) => h().writeBigDecimal(bigDecimalMinus(bigDec(x), bigDec(y))),
    "bigDecimal.times": (x: number, y: number) => h().writeBigDecimal(bigDecimalTimes(bigDec(x), bigDec(y))),
    "bigDecimal.dividedBy": (x: number, y: number) => h().writeBigDecimal(bigDecimalDividedBy(bigDec(x), bigDec(y))),
    "bigDecimal.equals": (x: number, y: number) => (bigDecimalEquals(bigDec(x), bigDec(y)) ? 1 : 0),
    "bigDecimal.toString": (x: number) => h().writeString(bigDecimalToString(bigDec(x))),
    "bigDecimal.fromString": (s: number) => h().writeBigDecimal(parseBigDecimal(str(s))),

    // ---------------------------------------------------------------- json number parsing
    "json.toI64"(s: number) {
      const v = parseBigInt(str(s));
      if (v < -(1n << 63n) || v >= 1n << 63n) throw new HandlerError(`JSON number ${v} out of range for i64`);
      return v;
    },
    "json.toU64"(s: number) {
      const v = parseBigInt(str(s));
      if (v < 0n || v >= 1n << 64n) throw new HandlerError(`JSON number ${v} out of range for u64`);
      return BigInt.asIntN(64, v); // u64 travels as an i64 across the boundary
    },
    "json.toF64"(s: number) {
      const text = str(s);
      const v = Number(text);
      if (text.trim() === "" || Number.isNaN(v)) throw new HandlerError(`Failed to parse f64 from '${text}'`);
      return v;
    },
    "json.toBigInt": (s: number) => retBigInt(parseBigInt(str(s))),
  };
  return fns;
}

/** A stub for a host function that is not supported: calling it fails the handler. */
export function unsupportedHostFunction(name: string): HostFn {
  return () => {
    throw new HandlerError(`Host function ${name} is not supported by this indexer`);
  };
}

/** Names of the host functions this runtime implements. */
export function supportedHostFunctions(): string[] {
  const dummy = () => {
    throw new Error("not running");
  };
  return Object.keys(
    createHostFunctions({
      heap: dummy,
      writes: dummy,
      dataSourceName: "",
      address: new Uint8Array(20),
      network: "",
      context: {},
      log: () => {},
    }),
  );
}
