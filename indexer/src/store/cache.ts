// The entity cache the mapping host reads and writes synchronously. It merges `set`s like
// graph-node does (fields not given keep their value, null clears), and records changes since
// the last takeChanges() so the indexer can write them with PgStore.applyBlock;
// discardChanges() rolls back a failed block.
//
// Bounded working set: the cache holds at most `maxEntries` entities once written (least recently
// used ones are evicted at takeChanges(), never an unwritten change), and reads through to the
// database. The host's store.get is synchronous and the database is not, so a read of an entity
// that is not cached but may be stored cannot wait for it: the cache records the id as missed
// and throws CacheMiss; the indexer rolls the block back (discardBlock), loads the missed ids
// with loadMissed() (one query per entity type) and runs the block again, which now finds them
// (nothing is evicted before the next write). "May be stored" is answered without the database:
// a type that never evicted has everything stored in memory (a miss is "not stored"), and for
// the others a Bloom filter of every stored id (rebuilt from the ids at load, added to when an
// entity is first written) says "certainly not" for new ids, so creating entities costs no query. The handlers see
// exactly what they would with everything in memory; a test runs the same chain with 10
// entries and unbounded and compares every stored entity.
import { ScalableBloom } from "./bloom.ts";
import { idKey } from "./columns.ts";
import type { EntityModel, SchemaModel } from "./schema.ts";
import type { PgStore } from "./pg-store.ts";
import type { EntityAccess, EntityChange, EntityData, EntityValue } from "./types.ts";

/** Default bound of a cache loaded from a store: entities kept after a write. */
export const DEFAULT_CACHE_ENTITIES = 10_000;

export interface EntityCacheOptions {
  /** check entity types, field names and required fields on set (default true) */
  validate?: boolean;
  /** entities kept in memory after a write (default: no bound; EntityCache.load: 10,000) */
  maxEntries?: number;
}

/** A handler read an entity that may be stored but is not cached: load it and run again. */
export class CacheMiss extends Error {
  override name = "CacheMiss";
}

/** `before` value of an entity that was not cached when first changed but may be stored. */
const MAYBE_STORED = Symbol("maybe stored");
type Before = EntityData | undefined | typeof MAYBE_STORED;

const SEP = "\u0000";

export class EntityCache implements EntityAccess {
  /** `${entity}\0${id}` → entity, least recently used first */
  private readonly data = new Map<string, EntityData>();
  /** `${entity}\0${id}` → state at the last flush (undefined = did not exist) */
  private readonly before = new Map<string, Before>();
  /** types whose every stored entity is in `data` (none evicted since load) */
  private readonly complete = new Set<string>();
  /** ids possibly stored, per type (kept for every type, consulted once it evicted) */
  private readonly stored = new Map<string, ScalableBloom>();
  /** ids found not stored by loadMissed, until the next write */
  private readonly absent = new Set<string>();
  /** the current block's first change of each entity: state before it, and whether it was in `before` */
  private readonly blockUndo = new Map<string, { data: EntityData | undefined; changed: boolean }>();
  /** per changed entity since the last takeChanges(): its state at the end of each block that
   * changed it (endBlock), for the store's history of versions */
  private readonly versions = new Map<string, { block: number; data: EntityData | null }[]>();
  /** ids a handler asked for that may be stored: loadMissed loads them */
  private readonly missed = new Map<string, Set<string>>();
  private readonly store: PgStore | null;
  /** entities looked up in the database after a miss (found or not), since the start */
  loads = 0;
  private readonly validate: boolean;
  private readonly maxEntries: number;
  readonly model: SchemaModel;

  constructor(model: SchemaModel, initial?: Map<string, Map<string, EntityData>>, opts: EntityCacheOptions = {}, store: PgStore | null = null) {
    this.model = model;
    this.validate = opts.validate ?? true;
    this.maxEntries = opts.maxEntries ?? Infinity;
    this.store = store;
    for (const name of model.entities.keys()) {
      this.complete.add(name);
      this.stored.set(name, new ScalableBloom());
      for (const [id, d] of initial?.get(name) ?? []) this.put(name, id, d), this.stored.get(name)!.add(id);
    }
  }

  /**
   * A cache reading through to `store`. A type with at most `maxEntries` stored entities is
   * loaded whole (as before the bound existed); of a bigger one only the ids are read, into
   * its Bloom filter, page by page.
   */
  static async load(store: PgStore, opts: EntityCacheOptions = {}): Promise<EntityCache> {
    const maxEntries = opts.maxEntries ?? DEFAULT_CACHE_ENTITIES;
    const cache = new EntityCache(store.model, undefined, { ...opts, maxEntries }, store);
    for (const e of store.model.entities.values()) {
      const n = await store.count(e.name);
      if (!n) continue;
      const bloom = new ScalableBloom(n * 2);
      cache.stored.set(e.name, bloom);
      if (n <= maxEntries - cache.data.size) {
        for (const [id, d] of await store.loadMany(e.name)) cache.put(e.name, id, d), bloom.add(id);
      } else {
        cache.complete.delete(e.name);
        await store.eachId(e.name, (id) => bloom.add(id));
      }
    }
    return cache;
  }

  private entity(name: string): EntityModel {
    const e = this.model.entities.get(name);
    if (!e) throw new Error(`Entity type \`${name}\` is not part of the schema`);
    return e;
  }

  private put(entity: string, key: string, d: EntityData) {
    const k = entity + SEP + key;
    this.data.delete(k); // most recently used last
    this.data.set(k, d);
  }

  /** Whether `key` may be stored although it is not cached. */
  private mayBeStored(entity: string, k: string, key: string): boolean {
    return !this.complete.has(entity) && !this.absent.has(k) && this.stored.get(entity)!.mightContain(key);
  }

  /** The cached entity; throws CacheMiss when it is not cached but may be stored. */
  private lookup(entity: string, key: string): EntityData | undefined {
    const k = entity + SEP + key;
    const v = this.data.get(k);
    if (v) {
      this.data.delete(k);
      this.data.set(k, v);
      return v;
    }
    if (this.before.has(k) || !this.mayBeStored(entity, k, key)) return undefined; // removed, or not stored
    let m = this.missed.get(entity);
    if (!m) this.missed.set(entity, (m = new Set()));
    m.add(key);
    throw new CacheMiss(`${entity} ${key} is not in the entity cache`);
  }

  get(entity: string, id: string): EntityData | null {
    const e = this.entity(entity);
    const v = this.lookup(e.name, idKey(e, id));
    return v ? { ...v } : null;
  }

  /** The entity only if it was created or updated since the last takeChanges() (graph-ts
   * `Entity.loadInBlock`). */
  getInBlock(entity: string, id: string): EntityData | null {
    const e = this.entity(entity);
    const k = e.name + SEP + idKey(e, id);
    if (!this.before.has(k)) return null;
    const v = this.data.get(k);
    return v ? { ...v } : null;
  }

  set(entity: string, id: string, data: EntityData): void {
    const e = this.entity(entity);
    const key = idKey(e, id);
    const old = this.lookup(e.name, key);
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
    this.put(e.name, key, merged);
  }

  remove(entity: string, id: string): void {
    const e = this.entity(entity);
    const key = idKey(e, id);
    const k = e.name + SEP + key;
    const old = this.data.get(k);
    if (!old && !this.before.has(k) && !this.mayBeStored(e.name, k, key)) return;
    this.remember(e.name, key, old);
    this.data.delete(k);
  }

  private remember(entity: string, key: string, old: EntityData | undefined) {
    const k = entity + SEP + key;
    if (!this.blockUndo.has(k)) this.blockUndo.set(k, { data: old, changed: this.before.has(k) });
    if (this.before.has(k)) return;
    // not cached but maybe stored: its removal must still reach the database
    this.before.set(k, old === undefined && this.mayBeStored(entity, k, key) ? MAYBE_STORED : old);
  }

  hasChanges(): boolean {
    return this.before.size > 0;
  }

  /** The changes since the last call (full entity states, null = removed), and forgets them;
   * then evicts the least recently used entities above the bound. */
  takeChanges(): EntityChange[] {
    const out: EntityChange[] = [];
    for (const [k, old] of this.before) {
      const now = this.data.get(k);
      const versions = this.versions.get(k);
      // created and removed again (unless it lived through a block: then that is a version)
      if (now === undefined && old === undefined && !versions?.some((v) => v.data)) continue;
      const i = k.indexOf(SEP);
      const entity = k.slice(0, i);
      const id = k.slice(i + 1);
      // the filter holds the stored ids: added when written, not when set (a block run again
      // after a miss would otherwise find its own new ids "maybe stored")
      if (now && old === undefined) this.stored.get(entity)!.add(id);
      out.push({ entity, id, data: now ? { ...now } : null, ...(old === undefined ? { stored: false } : {}), ...(versions ? { versions } : {}) });
    }
    this.before.clear();
    this.versions.clear();
    this.blockUndo.clear();
    this.absent.clear();
    this.evict();
    return out;
  }

  private evict() {
    let over = this.data.size - this.maxEntries;
    if (over <= 0) return;
    for (const k of this.data.keys()) {
      if (over-- <= 0) break;
      this.data.delete(k);
      this.complete.delete(k.slice(0, k.indexOf(SEP)));
    }
  }

  /** Rolls the cache back to its state at the last takeChanges() (a failed block). */
  discardChanges(): void {
    for (const [k, old] of this.before) old === undefined || old === MAYBE_STORED ? this.data.delete(k) : this.data.set(k, old);
    this.before.clear();
    this.blockUndo.clear();
    this.versions.clear();
  }

  /** Starts a block: discardBlock() rolls back to here. */
  beginBlock(): void {
    this.blockUndo.clear();
  }

  /** Ends block `number`, run without a miss: the state of each entity it changed is a version
   * of its own (objects in `data` are replaced on change, never mutated, so none is copied). */
  endBlock(number: number): void {
    for (const k of this.blockUndo.keys()) {
      const v = { block: number, data: this.data.get(k) ?? null };
      const list = this.versions.get(k);
      list ? list.push(v) : this.versions.set(k, [v]);
    }
    this.blockUndo.clear();
  }

  /** Rolls the cache back to its state at the last beginBlock() (a block that missed). */
  discardBlock(): void {
    for (const [k, u] of this.blockUndo) {
      u.data === undefined ? this.data.delete(k) : this.data.set(k, u.data);
      if (!u.changed) this.before.delete(k);
    }
    this.blockUndo.clear();
  }

  /** Whether a handler missed an entity since the last loadMissed(). */
  hasMissed(): boolean {
    return this.missed.size > 0;
  }

  /**
   * Loads the missed entities (one query per type) into the cache, where they stay until the
   * next takeChanges(). Call it after discardBlock(): a missed entity is not cached and was not
   * changed since the last write, so what is loaded is its current state.
   */
  async loadMissed(): Promise<void> {
    if (!this.store) throw new Error("the entity cache has no store to load from");
    for (const [entity, ids] of this.missed) {
      const found = await this.store.loadMany(entity, [...ids]);
      this.loads += ids.size;
      for (const id of ids) {
        const d = found.get(id);
        if (d) this.put(entity, id, d);
        else this.absent.add(entity + SEP + id);
      }
    }
    this.missed.clear();
  }

  /** Number of cached entities of a type, and iteration over them (tests, tools). */
  count(entity: string): number {
    let n = 0;
    for (const _ of this.all(entity)) n++;
    return n;
  }

  /** Entities in memory (all of them when the cache has no bound). */
  *all(entity: string): IterableIterator<[string, EntityData]> {
    const prefix = this.entity(entity).name + SEP;
    for (const [k, d] of this.data) if (k.startsWith(prefix)) yield [k.slice(prefix.length), { ...d }];
  }

  /** Entities in memory, all types. */
  get size(): number {
    return this.data.size;
  }
}
