export * from "./types.js";
export { parseSchema, loadSchema, type SchemaModel, type EntityModel, type FieldModel, type FulltextModel } from "./schema.js";
export { EntityCache, type EntityCacheOptions } from "./cache.js";
export { PgStore, type PgStoreOptions, type Checkpoint, type SqlClient, type SqlExecutor } from "./pg-store.js";
export { bytesToHex, hexToBytes } from "./columns.js";
