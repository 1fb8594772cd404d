// Types of the entity store: changes and block pointers; values come from the runtime.

// The value and access types are the runtime's: one definition for both sides of the host.
export type { EntityAccess, EntityData, EntityValue } from "../runtime/entities.ts";
import type { EntityData } from "../runtime/entities.ts";

/** One entity change of a block: `data` is the entity's full new state, `null` = removed. */
export interface EntityChange {
  entity: string;
  id: string;
  data: EntityData | null;
  /** When several blocks are written at once: the blocks that changed the entity, in order, with
   * its state at the end of each (the last one is `data`); kept as versions for time travel.
   * Without it, the change is the written block's. */
  versions?: readonly { block: number; data: EntityData | null }[];
  /** false when the entity certainly was not stored before this change (no earlier version to
   * keep); default true */
  stored?: boolean;
}

/** A block pointer: number, 0x-hash and unix timestamp (seconds). */
export interface BlockPtr {
  number: number;
  hash: string;
  timestamp?: number;
}
