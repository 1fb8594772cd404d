// Host functions, AssemblyScript memory layouts, number semantics and event decoding.
import { describe, expect, it } from "vitest";
import { keccak256, parseAbiItem, toHex, encodeEventTopics, encodeAbiParameters, type AbiEvent, type Hex } from "viem";
import { AscHeap, StoreValueKind, type AscExports } from "../../src/runtime/asc.ts";
import { createHostFunctions, type HostContext } from "../../src/runtime/host.ts";
import {
  bigDecimalDividedBy,
  bigDecimalToString,
  bigIntFromSignedBytesLE,
  bigIntToSignedBytesLE,
  parseBigDecimal,
  toBase58,
} from "../../src/runtime/numbers.ts";
import { readEntity, writeEntity } from "../../src/runtime/values.ts";
import { decodeEventParams, HandlerError, MapEntityAccess } from "../../src/runtime/index.ts";
import { HandlerWrites } from "../../src/runtime/writes.ts";
import { readWasm } from "./helpers.ts";

function instantiate(): { heap: AscHeap; fns: ReturnType<typeof createHostFunctions>; logs: string[] } {
  const module = new WebAssembly.Module(readWasm("Policies") as BufferSource);
  const logs: string[] = [];
  let heap!: AscHeap;
  const ctx: HostContext = {
    heap: () => heap,
    writes: () => new HandlerWrites(new MapEntityAccess(), undefined),
    dataSourceName: "Policies",
    address: Uint8Array.from(Buffer.from("5fbdb2315678afecb367f032d93f642f64180aa3", "hex")),
    network: "localhost",
    context: { answer: 42, name: "x" },
    log: (level, msg) => logs.push(`${level}:${msg}`),
  };
  const fns = createHostFunctions(ctx);
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) (imports[imp.module] ??= {})[imp.name] = fns[imp.name]!;
  const inst = new WebAssembly.Instance(module, imports);
  (inst.exports._start as () => void)();
  heap = new AscHeap(inst.exports as unknown as AscExports);
  return { heap, fns, logs };
}

describe("BigInt bytes", () => {
  it("round-trips little-endian two's complement like num-bigint", () => {
    expect([...bigIntToSignedBytesLE(0n)]).toEqual([0]);
    expect([...bigIntToSignedBytesLE(255n)]).toEqual([255, 0]);
    expect([...bigIntToSignedBytesLE(-1n)]).toEqual([255]);
    expect([...bigIntToSignedBytesLE(-129n)]).toEqual([127, 255]);
    expect([...bigIntToSignedBytesLE(128n)]).toEqual([128, 0]);
    expect(bigIntFromSignedBytesLE(new Uint8Array())).toBe(0n);
    for (const v of [0n, 1n, -1n, 127n, 128n, -128n, -129n, 2n ** 31n, -(2n ** 31n), 2n ** 255n, -(2n ** 255n), 10n ** 40n, -(10n ** 40n) + 7n, 2n ** 256n - 1n]) {
      expect(bigIntFromSignedBytesLE(bigIntToSignedBytesLE(v))).toBe(v);
    }
  });
});

describe("BigDecimal", () => {
  it("parses, normalises and prints like graph-node", () => {
    expect(bigDecimalToString(parseBigDecimal("1.500"))).toBe("1.5");
    expect(parseBigDecimal("100")).toEqual({ digits: 1n, exp: 2n });
    expect(bigDecimalToString(parseBigDecimal("100"))).toBe("100");
    expect(bigDecimalToString(parseBigDecimal("-0.0012"))).toBe("-0.0012");
    expect(bigDecimalToString(parseBigDecimal("1e18"))).toBe("1000000000000000000");
    expect(bigDecimalToString(parseBigDecimal("0.000"))).toBe("0");
    expect(bigDecimalToString(bigDecimalDividedBy(parseBigDecimal("1"), parseBigDecimal("3")))).toBe(
      "0.3333333333333333333333333333333333",
    );
    expect(bigDecimalToString(bigDecimalDividedBy(parseBigDecimal("2"), parseBigDecimal("3")))).toBe(
      "0.6666666666666666666666666666666667",
    );
    expect(() => parseBigDecimal("abc")).toThrow(HandlerError);
  });
  it("base58", () => {
    expect(toBase58(Uint8Array.from([0, 0, 1]))).toBe("112");
    expect(toBase58(new TextEncoder().encode("hello world"))).toBe("StV1DL6CwTryKyV");
  });
});

describe("host functions over AssemblyScript memory", () => {
  it("bigInt arithmetic", () => {
    const { heap, fns } = instantiate();
    const b = (v: bigint) => heap.writeBigInt(v);
    const r = (p: unknown) => heap.readBigInt(p as number);
    expect(r(fns["bigInt.plus"]!(b(2n ** 200n), b(1n)))).toBe(2n ** 200n + 1n);
    expect(r(fns["bigInt.minus"]!(b(5n), b(7n)))).toBe(-2n);
    expect(r(fns["bigInt.times"]!(b(-3n), b(10n ** 30n)))).toBe(-3n * 10n ** 30n);
    expect(r(fns["bigInt.dividedBy"]!(b(-7n), b(2n)))).toBe(-3n); // truncates like num-bigint
    expect(r(fns["bigInt.mod"]!(b(-7n), b(2n)))).toBe(-1n);
    expect(r(fns["bigInt.pow"]!(b(10n), 18))).toBe(10n ** 18n);
    expect(r(fns["bigInt.bitOr"]!(b(0b1010n), b(0b0101n)))).toBe(0b1111n);
    expect(r(fns["bigInt.bitAnd"]!(b(0b1110n), b(0b0111n)))).toBe(0b0110n);
    expect(r(fns["bigInt.leftShift"]!(b(1n), 200))).toBe(1n << 200n);
    expect(r(fns["bigInt.rightShift"]!(b(-5n), 1))).toBe(-3n); // arithmetic shift
    expect(r(fns["bigInt.fromString"]!(heap.writeString("-123456789012345678901234567890")))).toBe(
      -123456789012345678901234567890n,
    );
    expect(() => fns["bigInt.dividedBy"]!(b(1n), b(0n))).toThrow(HandlerError);
    expect(() => fns["bigInt.fromString"]!(heap.writeString("12a"))).toThrow(HandlerError);
    const q = fns["bigInt.dividedByDecimal"]!(b(1n), heap.writeBigDecimal(parseBigDecimal("4")));
    expect(bigDecimalToString(heap.readBigDecimal(q as number))).toBe("0.25");
  });

  it("bigDecimal", () => {
    const { heap, fns } = instantiate();
    const d = (s: string) => heap.writeBigDecimal(parseBigDecimal(s));
    const s = (p: unknown) => heap.readString(p as number);
    expect(s(fns["bigDecimal.toString"]!(fns["bigDecimal.plus"]!(d("1.25"), d("0.75")) as number))).toBe("2");
    expect(s(fns["bigDecimal.toString"]!(fns["bigDecimal.minus"]!(d("1"), d("1.5")) as number))).toBe("-0.5");
    expect(s(fns["bigDecimal.toString"]!(fns["bigDecimal.times"]!(d("1.5"), d("1.5")) as number))).toBe("2.25");
    expect(s(fns["bigDecimal.toString"]!(fns["bigDecimal.dividedBy"]!(d("1"), d("8")) as number))).toBe("0.125");
    expect(fns["bigDecimal.equals"]!(d("1.0"), d("1"))).toBe(1);
    expect(s(fns["bigDecimal.toString"]!(fns["bigDecimal.fromString"]!(heap.writeString("3.140")) as number))).toBe("3.14");
  });

  it("typeConversion, crypto, log, dataSource, ens", () => {
    const { heap, fns, logs } = instantiate();
    const s = (p: unknown) => heap.readString(p as number);
    const bytes = (hex: string) => heap.writeUint8Array(Buffer.from(hex, "hex"));
    expect(s(fns["typeConversion.bytesToHex"]!(bytes("00ff10")))).toBe("0x00ff10");
    expect(s(fns["typeConversion.bytesToHex"]!(bytes("")))).toBe("0x");
    expect(s(fns["typeConversion.bytesToString"]!(heap.writeUint8Array(Buffer.from("héllo\0\0"))))).toBe("héllo");
    expect(s(fns["typeConversion.bigIntToString"]!(heap.writeBigInt(-42n)))).toBe("-42");
    expect(s(fns["typeConversion.bigIntToHex"]!(heap.writeBigInt(255n)))).toBe("0xff");
    expect(s(fns["typeConversion.bigIntToHex"]!(heap.writeBigInt(0n)))).toBe("0x0");
    const h160 = fns["typeConversion.stringToH160"]!(heap.writeString("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"));
    expect(Buffer.from(heap.readBytes(h160 as number)).toString("hex")).toBe("70997970c51812dc3a010c7d01b50e0d17dc79c8");
    expect(() => fns["typeConversion.stringToH160"]!(heap.writeString("0x1234"))).toThrow(HandlerError);
    expect(s(fns["typeConversion.bytesToBase58"]!(bytes("000001")))).toBe("112");
    const k = fns["crypto.keccak256"]!(heap.writeUint8Array(new TextEncoder().encode("abc")));
    expect("0x" + Buffer.from(heap.readBytes(k as number)).toString("hex")).toBe(keccak256(toHex("abc")));

    fns["log.log"]!(3, heap.writeString("hello"));
    fns["log.log"]!(1, heap.writeString("bad"));
    expect(logs).toEqual(["info:hello", "error:bad"]);
    expect(() => fns["log.log"]!(0, heap.writeString("boom"))).toThrow(/Critical error logged in mapping.*boom/);

    expect(Buffer.from(heap.readBytes(fns["dataSource.address"]!() as number)).toString("hex")).toBe(
      "5fbdb2315678afecb367f032d93f642f64180aa3",
    );
    expect(s(fns["dataSource.network"]!())).toBe("localhost");
    expect(readEntity(heap, fns["dataSource.context"]!() as number)).toEqual({ answer: 42, name: "x" });
    expect(fns["ens.nameByHash"]!(heap.writeString("0x00"))).toBe(0);

    expect(() => fns.abort!(heap.writeString("msg"), heap.writeString("src/x.ts"), 12, 5)).toThrow(
      expect.objectContaining({ message: "msg", file: "src/x.ts", line: 12, column: 5, kind: "abort" }),
    );
  });

  it("entities round-trip through Value / TypedMap layouts", () => {
    const { heap } = instantiate();
    const data = {
      id: "x",
      s: "ünïcødé ✓ 𝄞",
      i: -7,
      b: true,
      f: false,
      n: null,
      bytes: Uint8Array.from([1, 2, 3]),
      big: -(10n ** 40n),
      dec: { bigDecimal: "-12.5" },
      list: ["a", "b"],
      nested: [[1, 2], []],
    };
    const ptr = writeEntity(heap, data);
    expect(readEntity(heap, ptr)).toEqual(data);
    // Int8 / Timestamp kinds from the schema type
    const v = heap.readEnumKind(heap.field(heap.readPointerArray(heap.field(writeEntity(heap, { t: 5n }, {
      name: "T", immutable: false, idType: "String",
      fields: new Map([["t", { name: "t", type: "Timestamp", typeName: "Timestamp", list: false, required: true, requiredElements: false, derived: false }]]),
    }), 0))[0]!, 4));
    expect(v).toBe(StoreValueKind.TIMESTAMP);
  });

  it("survives memory growth between writes", () => {
    const { heap } = instantiate();
    const before = heap.byteLength;
    const big = "x".repeat(300_000);
    const p = heap.writeString(big);
    expect(heap.byteLength).toBeGreaterThan(before);
    expect(heap.readString(p)).toBe(big);
  });
});

describe("decodeEventParams", () => {
  it("produces graph-node kinds in ABI order", () => {
    const ev = parseAbiItem(
      "event Mixed(uint256 indexed id, address indexed who, string indexed label, uint8 small, int16 neg, bytes32 h, bytes blob, bool ok, string s, string[] tags, address[] agents, uint64[2] pair, (uint8 a, string b) t)",
    );
    const who = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const h = ("0x" + "ab".repeat(32)) as Hex;
    // Every indexed argument is given, so each topic is one hash (no null or OR-list topics).
    const topics = encodeEventTopics({ abi: [ev], eventName: "Mixed", args: { id: 5n, who, label: "lbl" } }) as Hex[];
    const event: AbiEvent = ev;
    const nonIndexed = event.inputs.filter((i) => !i.indexed);
    const data = encodeAbiParameters(nonIndexed, [200, -5, h, "0x0102", true, "str", ["x", "y"], [who], [1n, 2n], { a: 3, b: "q" }]);
    const params = decodeEventParams(ev, { topics, data });
    expect(params.map((p) => p.name)).toEqual(["id", "who", "label", "small", "neg", "h", "blob", "ok", "s", "tags", "agents", "pair", "t"]);
    expect(params[0]!.value).toEqual({ kind: "uint", value: 5n });
    expect(params[1]!.value).toEqual({ kind: "address", value: who.toLowerCase() });
    expect(params[2]!.value).toEqual({ kind: "fixedBytes", value: keccak256(toHex("lbl")) });
    expect(params[3]!.value).toEqual({ kind: "uint", value: 200n });
    expect(params[4]!.value).toEqual({ kind: "int", value: -5n });
    expect(params[5]!.value).toEqual({ kind: "fixedBytes", value: h });
    expect(params[6]!.value).toEqual({ kind: "bytes", value: "0x0102" });
    expect(params[7]!.value).toEqual({ kind: "bool", value: true });
    expect(params[8]!.value).toEqual({ kind: "string", value: "str" });
    expect(params[9]!.value).toEqual({ kind: "array", value: [{ kind: "string", value: "x" }, { kind: "string", value: "y" }] });
    expect(params[10]!.value).toEqual({ kind: "array", value: [{ kind: "address", value: who.toLowerCase() }] });
    expect(params[11]!.value).toEqual({ kind: "fixedArray", value: [{ kind: "uint", value: 1n }, { kind: "uint", value: 2n }] });
    expect(params[12]!.value).toEqual({ kind: "tuple", value: [{ kind: "uint", value: 3n }, { kind: "string", value: "q" }] });
  });
});
