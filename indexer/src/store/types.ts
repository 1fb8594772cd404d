// Entity values as the mapping runtime sees them (mirror of runtime/entities.ts; keep identical).

/** One field value: Int → number; BigInt, Int8, Timestamp → bigint; Bytes → Uint8Array. */
export type EntityValue =
  | string
  | number /* Int */
  | bigint /* BigInt, Int8, Timestamp */
  | boolean
  | Uint8Array /* Bytes */
  | { bigDecimal: string }
  | null
  | EntityValue[];

export type EntityData = Record<string, EntityValue>;

/** Synchronous entity access for the WASM host; ids of Bytes-id entities are lowercase 0x-hex. */
export interface EntityAccess {
  get(entity: string, id: string): EntityData | null;
  set(entity: string, id: string, data: EntityData): void;
  remove(entity: string, id: string): void;
}

/** One entity change of a block: `data` is the entity's full new state, `null` = removed. */
export interface EntityChange {
  entity: string;
  id: string;
  data: EntityData | null;
}

/** A block pointer: number, 0x-hash and unix timestamp (seconds). */
export interface BlockPtr {
  number: number;
  hash: string;
  timestamp?: number;
}
