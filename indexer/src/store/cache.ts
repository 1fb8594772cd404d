// The in-memory entity cache the mapping host reads and writes synchronously. It starts from
// everything in the database (PgStore.loadAll), merges `set`s like graph-node does (fields not
// given keep their value, null clears), and records changes since the last takeChanges() so the
// indexer can write them with PgStore.applyBlock. discardChanges() rolls back a failed block.
import { idKey } from "./columns.ts";
import type { EntityModel, SchemaModel } from "./schema.ts";
import type { PgStore } from "./pg-store.ts";
import type { EntityAccess, EntityChange, EntityData, EntityValue } from "./types.ts";

export interface EntityCacheOptions {
  /** check entity types, field names and required fields on set (default true) */
  validate?: boolean;
}

export class EntityCache implements EntityAccess {
  private readonly data = new Map<string, Map<string, EntityData>>();
  /** entity → id → state at the last flush (undefined = did not exist) */
  private readonly before = new Map<string, Map<string, EntityData | undefined>>();
  private readonly validate: boolean;
  readonly model: SchemaModel;

  constructor(model: SchemaModel, initial?: Map<string, Map<string, EntityData>>, opts: EntityCacheOptions = {}) {
    this.model = model;
    this.validate = opts.validate ?? true;
    for (const name of model.entities.keys()) this.data.set(name, new Map(initial?.get(name) ?? []));
  }

  /** A cache holding every entity the store has. */
  static async load(store: PgStore, opts?: EntityCacheOptions): Promise<EntityCache> {
    return new EntityCache(store.model, await store.loadAll(), opts);
  }

  private entity(name: string): EntityModel {
    const e = this.model.entities.get(name);
    if (!e) throw new Error(`Entity type \`${name}\` is not part of the schema`);
    return e;
  }

  get(entity: string, id: string): EntityData | null {
    const e = this.entity(entity);
    const v = this.data.get(e.name)!.get(idKey(e, id));
    return v ? { ...v } : null;
  }

  /** The entity only if it was created or updated since the last takeChanges() (graph-ts
   * `Entity.loadInBlock`). */
  getInBlock(entity: string, id: string): EntityData | null {
    const e = this.entity(entity);
    const key = idKey(e, id);
    if (!this.before.get(e.name)?.has(key)) return null;
    const v = this.data.get(e.name)!.get(key);
    return v ? { ...v } : null;
  }

  set(entity: string, id: string, data: EntityData): void {
    const e = this.entity(entity);
    const key = idKey(e, id);
    const table = this.data.get(e.name)!;
    const old = table.get(key);
    const merged: EntityData = { ...(old ?? {}) };
    for (const [k, v] of Object.entries(data)) {
      if (this.validate) {
        const f = e.fieldMap.get(k);
        if (!f) throw new Error(`Entity ${e.name}[${key}]: unknown field \`${k}\`. It is probably not part of the schema`);
        if (f.derivedFrom) throw new Error(`Entity ${e.name}[${key}]: field \`${k}\` is derived and can not be set`);
      }
      if (v === undefined) continue;
      merged[k] = v;
    }
    if (merged.id === undefined || merged.id === null) merged.id = id;
    if (this.validate) {
      if (idKey(e, merged.id as EntityValue) !== key) {
        throw new Error(`Entity ${e.name}[${key}]: the id field (${String(idKey(e, merged.id as EntityValue))}) does not match the id it is saved under`);
      }
      for (const f of e.stored) {
        if (f.nonNull && (merged[f.name] === null || merged[f.name] === undefined)) {
          throw new Error(`Entity ${e.name}[${key}]: missing value for non-nullable field \`${f.name}\``);
        }
      }
    }
    this.remember(e.name, key, old);
    table.set(key, merged);
  }

  remove(entity: string, id: string): void {
    const e = this.entity(entity);
    const key = idKey(e, id);
    const table = this.data.get(e.name)!;
    if (!table.has(key) && !this.before.get(e.name)?.has(key)) return;
    this.remember(e.name, key, table.get(key));
    table.delete(key);
  }

  private remember(entity: string, key: string, old: EntityData | undefined) {
    let m = this.before.get(entity);
    if (!m) this.before.set(entity, (m = new Map()));
    if (!m.has(key)) m.set(key, old);
  }

  hasChanges(): boolean {
    return this.before.size > 0;
  }

  /** The changes since the last call (full entity states, null = removed), and forgets them. */
  takeChanges(): EntityChange[] {
    const out: EntityChange[] = [];
    for (const [entity, m] of this.before) {
      const table = this.data.get(entity)!;
      for (const [id, old] of m) {
        const now = table.get(id);
        if (now === undefined && old === undefined) continue; // created and removed again
        out.push({ entity, id, data: now ? { ...now } : null });
      }
    }
    this.before.clear();
    return out;
  }

  /** Rolls the cache back to its state at the last takeChanges() (a failed block). */
  discardChanges(): void {
    for (const [entity, m] of this.before) {
      const table = this.data.get(entity)!;
      for (const [id, old] of m) old === undefined ? table.delete(id) : table.set(id, old);
    }
    this.before.clear();
  }

  /** Number of entities of a type, and iteration (tests, tools). */
  count(entity: string): number {
    return this.data.get(this.entity(entity).name)!.size;
  }

  *all(entity: string): IterableIterator<[string, EntityData]> {
    for (const [id, d] of this.data.get(this.entity(entity).name)!) yield [id, { ...d }];
  }
}
