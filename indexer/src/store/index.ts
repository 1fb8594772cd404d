export * from "./types.ts";
export { parseSchema, loadSchema, type SchemaModel, type EntityModel, type FieldModel, type FulltextModel } from "./schema.ts";
export { CacheMiss, DEFAULT_CACHE_ENTITIES, EntityCache, type EntityCacheOptions } from "./cache.ts";
export { PgStore, type PgStoreOptions, type Checkpoint, type QueryOptions, type SqlClient, type SqlExecutor } from "./pg-store.ts";
export { bytesToHex, hexToBytes } from "./columns.ts";
export { decodeContext, encodeContext, type StoredDataSource } from "./data-sources.ts";
