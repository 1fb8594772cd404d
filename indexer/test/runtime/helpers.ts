// Test helpers: synthetic logs built from the real ABIs, turned into graph-node events.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  encodeAbiParameters,
  encodeEventTopics,
  keccak256,
  toHex,
  type Abi,
  type AbiEvent,
  type Hex,
} from "viem";
import { decodeEventParams, type EthereumEvent } from "../../src/runtime/index.ts";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export function readAbi(name: string): Abi {
  return JSON.parse(readFileSync(`${ROOT}subgraph/abis/${name}.json`, "utf8")) as Abi;
}

export function readWasm(dataSource: string): Uint8Array {
  return readFileSync(`${ROOT}subgraph/build/${dataSource}/${dataSource}.wasm`);
}

export function readSchema(): string {
  return readFileSync(`${ROOT}subgraph/build/schema.graphql`, "utf8");
}

export function abiEvent(abi: Abi, name: string): AbiEvent {
  const e = abi.find((x) => x.type === "event" && x.name === name);
  if (!e) throw new Error(`no event ${name}`);
  return e as AbiEvent;
}

/** Encodes `args` as a log of `event` (topics + data), the way the contract would emit it. */
export function encodeLog(event: AbiEvent, args: Record<string, unknown>): { topics: Hex[]; data: Hex } {
  const topics = encodeEventTopics({
    abi: [event],
    eventName: event.name,
    args: Object.fromEntries(event.inputs.filter((i) => i.indexed).map((i) => [i.name!, args[i.name!]])),
  }) as Hex[];
  const nonIndexed = event.inputs.filter((i) => !i.indexed);
  const data = encodeAbiParameters(
    nonIndexed,
    nonIndexed.map((i) => args[i.name!]),
  );
  return { topics, data };
}

let txCounter = 0;

export interface EventOpts {
  address?: Hex;
  blockNumber?: bigint;
  timestamp?: bigint;
  logIndex?: bigint;
  txHash?: Hex;
}

/** A full graph-node event for `eventName` with `args`, decoded with decodeEventParams. */
export function makeEvent(abi: Abi, eventName: string, args: Record<string, unknown>, o: EventOpts = {}): EthereumEvent {
  const ev = abiEvent(abi, eventName);
  const log = encodeLog(ev, args);
  const number = o.blockNumber ?? 100n;
  const txHash = o.txHash ?? keccak256(toHex(`tx-${++txCounter}`));
  return {
    address: o.address ?? "0x5fbdb2315678afecb367f032d93f642f64180aa3",
    logIndex: o.logIndex ?? 0n,
    transactionLogIndex: o.logIndex ?? 0n,
    logType: null,
    block: {
      hash: keccak256(toHex(`block-${number}`)),
      parentHash: keccak256(toHex(`block-${number - 1n}`)),
      number,
      gasUsed: 21000n,
      gasLimit: 30_000_000n,
      timestamp: o.timestamp ?? 1_700_000_000n,
      difficulty: 0n,
      totalDifficulty: 0n,
      baseFeePerGas: 1_000_000_000n,
    },
    transaction: {
      hash: txHash,
      index: 0n,
      from: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
      to: o.address ?? "0x5fbdb2315678afecb367f032d93f642f64180aa3",
      value: 0n,
      gasLimit: 500_000n,
      gasPrice: 1_000_000_000n,
      input: "0x",
      nonce: 1n,
    },
    receipt: null,
    params: decodeEventParams(ev, log),
  };
}
