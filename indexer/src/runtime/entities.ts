// The host's view of the entity store, as the mappings see it through store.get/set/remove.
// graph-node's store API is synchronous from the mapping's point of view; so is this one.

/** A BigDecimal in its canonical decimal string form (graph-node's normalised BigDecimal). */
export interface BigDecimalValue {
  bigDecimal: string;
}

/**
 * One field value. `number` is GraphQL Int (i32); `bigint` is BigInt, Int8 and Timestamp
 * (microseconds); `Uint8Array` is Bytes; `{ bigDecimal }` is BigDecimal; arrays are lists.
 */
export type EntityValue =
  | string
  | number /* Int */
  | bigint /* BigInt, Int8, Timestamp */
  | boolean
  | Uint8Array /* Bytes */
  | BigDecimalValue
  | null
  | EntityValue[];

/** All fields of one entity, `id` included (string for ID/String ids, Uint8Array for Bytes ids). */
export type EntityData = Record<string, EntityValue>;

/**
 * Entity access for one mapping run. Ids of Bytes-id entities are lowercase 0x-hex strings.
 *
 * `set` always receives the complete entity (graph-node merges the mapping's fields into the
 * stored entity; the runtime does that merge), with a field the mapping set to null present as
 * `null`. `get` returns null for an entity that does not exist (or was removed).
 */
export interface EntityAccess {
  get(entity: string, id: string): EntityData | null;
  set(entity: string, id: string, data: EntityData): void;
  remove(entity: string, id: string): void;
  /**
   * Optional: the entity only if it was created or updated in the current block (graph-ts
   * `Entity.loadInBlock`). Without it the runtime answers from the current handler's writes only.
   */
  getInBlock?(entity: string, id: string): EntityData | null;
}

/** A trivial Map-backed EntityAccess (tests, tools). Values are stored as given. */
export class MapEntityAccess implements EntityAccess {
  readonly entities = new Map<string, Map<string, EntityData>>();

  get(entity: string, id: string): EntityData | null {
    return this.entities.get(entity)?.get(id) ?? null;
  }

  set(entity: string, id: string, data: EntityData): void {
    let table = this.entities.get(entity);
    if (!table) this.entities.set(entity, (table = new Map()));
    table.set(id, data);
  }

  remove(entity: string, id: string): void {
    this.entities.get(entity)?.delete(id);
  }

  /** All entities of one type. */
  all(entity: string): EntityData[] {
    return [...(this.entities.get(entity)?.values() ?? [])];
  }

  count(entity?: string): number {
    if (entity) return this.entities.get(entity)?.size ?? 0;
    let n = 0;
    for (const t of this.entities.values()) n += t.size;
    return n;
  }
}

/** Deep equality of two entity values (Bytes by content, BigDecimal by string). */
export function entityValuesEqual(a: EntityValue, b: EntityValue): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!entityValuesEqual(a[i]!, b[i]!)) return false;
    return true;
  }
  if (typeof a === "object" && typeof b === "object" && !Array.isArray(b) && !(b instanceof Uint8Array)) {
    return a.bigDecimal === b.bigDecimal;
  }
  return false;
}
