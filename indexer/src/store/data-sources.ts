// Dynamic data sources (instances of the manifest's templates, created by mappings with
// `dataSource.create[WithContext]`) as the store keeps them: one row each in
// `subgraph._indexer_data_sources`, written in the same transaction as the block whose handler
// created it (so they roll back with a failed block like entities do), reloaded at start.
// Contexts are stored as tagged JSON so every EntityValue kind survives the round trip.
import { bytesToHex, hexToBytes } from "./columns.ts";
import type { EntityData, EntityValue } from "./types.ts";

export interface StoredDataSource {
  /** the template's name in the manifest */
  template: string;
  /** lower-case 0x-address (params[0]) */
  address: string;
  /** all params given to dataSource.create */
  params: string[];
  /** the block whose handler created it: the instance handles events from this block on */
  blockNumber: number;
  /** dataSource.createWithContext's context, or null */
  context: EntityData | null;
}

function encodeValue(v: EntityValue): unknown {
  if (typeof v === "bigint") return { $bigint: v.toString() };
  if (v instanceof Uint8Array) return { $bytes: bytesToHex(v) };
  if (Array.isArray(v)) return v.map(encodeValue);
  return v; // string, number, boolean, null, { bigDecimal }
}

function decodeValue(v: unknown): EntityValue {
  if (Array.isArray(v)) return v.map(decodeValue);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, string>;
    if ("$bigint" in o) return BigInt(o.$bigint);
    if ("$bytes" in o) return hexToBytes(o.$bytes);
    if ("bigDecimal" in o) return { bigDecimal: String(o.bigDecimal) };
    throw new Error(`unknown context value ${JSON.stringify(v)}`);
  }
  return v as EntityValue;
}

export function encodeContext(context: EntityData | null): string | null {
  if (context === null) return null;
  return JSON.stringify(Object.fromEntries(Object.entries(context).map(([k, v]) => [k, encodeValue(v)])));
}

export function decodeContext(json: unknown): EntityData | null {
  if (json === null || json === undefined) return null;
  const o = (typeof json === "string" ? JSON.parse(json) : json) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decodeValue(v)]));
}
