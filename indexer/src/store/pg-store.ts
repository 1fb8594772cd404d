// Entity storage in Postgres: PGlite (embedded, the default; a data directory on disk or
// memory://) or a PostgreSQL server through a connection string (node-postgres, loaded then).
// One table per entity in the `subgraph` schema, typed columns, a generated tsvector column with
// a GIN index per @fulltext definition (graph-node's approach), and a one-row checkpoint table.
// applyBlock writes a block's changes and the checkpoint in one transaction.
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { BLOCKS_TABLE, fieldLiteral, historyRef, idKey, literal, PG_SCHEMA, q, quoteText, rowToEntity, selectExpr, tableRef, toSql } from "./columns.ts";
import { loadSchema, parseSchema, type EntityModel, type SchemaModel } from "./schema.ts";
import type { BlockPtr, EntityChange, EntityData } from "./types.ts";
import { decodeContext, encodeContext, type StoredDataSource } from "./data-sources.ts";
import { storeDdl } from "./ddl.ts";

export type Row = Record<string, unknown>;

export interface QueryOptions {
  /** Cancel the statement after this long. Real Postgres only: PGlite runs a statement
   * synchronously in wasm and ignores statement_timeout, so callers bound PGlite's work with
   * row LIMITs and checks between statements. */
  timeoutMs?: number;
}

/** The minimal SQL surface the store and the GraphQL server use. */
export interface SqlExecutor {
  query<T = Row>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script (no parameters) as one transaction: all of it or nothing. */
  execAtomic(script: string): Promise<void>;
  close(): Promise<void>;
}

export interface Checkpoint {
  /** the last block whose changes are stored; null before the first block */
  block: { number: number; hash: string; timestamp: number | null } | null;
  hasIndexingErrors: boolean;
  /** the failure that stopped indexing, if any */
  error: { block: BlockPtr; message: string } | null;
  deployment: string;
}

export interface PgStoreOptions {
  /** the entity model, or the path of schema.graphql */
  schema: SchemaModel | string;
  /** PGlite data directory (default `.data/indexer/pg` under the cwd); `memory://` for tests */
  dataDir?: string;
  /** a postgres:// connection string: use a PostgreSQL server instead of PGlite */
  connectionString?: string;
  /** the deployment id reported in `_meta` (default: derived from the schema text) */
  deployment?: string;
  /** logger for notices such as a schema change reset (default console.error) */
  log?: (msg: string) => void;
}

class PgliteClient implements SqlClient {
  private tail: Promise<unknown> = Promise.resolve();
  readonly db: PGlite;
  constructor(db: PGlite) {
    this.db = db;
  }
  /** Serialises calls so nothing runs between a failed atomic script and its ROLLBACK. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }
  query<T>(sql: string, params?: unknown[], _opts?: QueryOptions) {
    // opts.timeoutMs is not applied: PGlite accepts SET statement_timeout but never fires it
    return this.locked(async () => ({ rows: (await this.db.query<T>(sql, params as unknown[])).rows }));
  }
  exec(sql: string) {
    return this.locked(async () => {
      await this.db.exec(sql);
    });
  }
  execAtomic(script: string) {
    // one round trip: BEGIN; …; COMMIT — on error the rest is skipped and we roll back
    return this.locked(async () => {
      try {
        await this.db.exec(`BEGIN;\n${script}\nCOMMIT;`);
      } catch (e) {
        await this.db.exec("ROLLBACK").catch(() => {});
        throw e;
      }
    });
  }
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.locked(() => this.db.transaction(async (tx) =>
      fn({
        query: async <R>(sql: string, params?: unknown[]) => ({ rows: (await tx.query<R>(sql, params as unknown[])).rows }),
        exec: async (sql: string) => {
          await tx.exec(sql);
        },
      }),
    ));
  }
  close() {
    return this.locked(() => this.db.close());
  }
}

/** node-postgres adapter, loaded only when a connection string is given. */
async function connectPg(connectionString: string, log: (msg: string) => void): Promise<SqlClient> {
  const { default: pg } = await import("pg");
  pg.types.setTypeParser(20, (v: string) => BigInt(v)); // int8 → bigint, like PGlite
  // An idle connection that the server drops (restart, admin kill) is reported on the pool, not
  // to a caller; unhandled, that event would end the process. The pool replaces the connection.
  const onIdleError = (e: Error) => log(`PostgreSQL connection lost while idle (it is replaced): ${e.message}`);
  const newPool = (extra: { statement_timeout?: number } = {}) => {
    const p = new pg.Pool({ connectionString, max: 4, ...extra });
    p.on("error", onIdleError);
    return p;
  };
  const pool = newPool();
  const wrap = (c: { query: (s: string, p?: unknown[]) => Promise<{ rows: any[] }> }): SqlExecutor => ({
    query: async (sql, params) => ({ rows: (await c.query(sql, params)).rows }),
    exec: async (sql) => {
      await c.query(sql);
    },
  });
  // statements with a timeout go through their own connections, so indexing writes never get one
  const timed = new Map<number, InstanceType<typeof pg.Pool>>();
  const timedPool = (ms: number) => {
    const key = Math.max(1, Math.ceil(ms));
    let p = timed.get(key);
    if (!p) timed.set(key, (p = newPool({ statement_timeout: key })));
    return p;
  };
  const base = wrap(pool);
  const client: SqlClient = {
    ...base,
    query: async (sql, params, opts) =>
      ({ rows: (await (opts?.timeoutMs ? timedPool(opts.timeoutMs) : pool).query(sql, params)).rows }),
    execAtomic: (script) => client.transaction((tx) => tx.exec(script)),
    async transaction(fn) {
      const c = await pool.connect();
      try {
        await c.query("BEGIN");
        const out = await fn(wrap(c));
        await c.query("COMMIT");
        return out;
      } catch (e) {
        await c.query("ROLLBACK").catch(() => {});
        throw e;
      } finally {
        c.release();
      }
    },
    close: async () => {
      await Promise.all([pool.end(), ...[...timed.values()].map((p) => p.end())]);
    },
  };
  return client;
}

const META = `${PG_SCHEMA}._indexer_meta`;
/** Changes when the tables' layout does: a store of another layout is indexed again from scratch. */
const STORE_LAYOUT = "layout 2: history tables\n";
/** Dynamic data sources (template instances), in creation order (`seq`). Text, not jsonb, for
 * params and context: jsonb refuses \u0000 in strings, which a mapping may well pass. */
const DATA_SOURCES = `${PG_SCHEMA}._indexer_data_sources`;
const DATA_SOURCES_DDL = `CREATE TABLE IF NOT EXISTS ${DATA_SOURCES} (
      seq bigserial PRIMARY KEY, template text NOT NULL, address text NOT NULL, params text NOT NULL,
      block_number int8 NOT NULL, context text)`;

export class PgStore {
  readonly model: SchemaModel;
  /** the SQL connection (the GraphQL server queries through it) */
  readonly sql: SqlClient;
  readonly deployment: string;
  private readonly schemaHash: string;
  private readonly log: (msg: string) => void;
  private kept: Promise<Checkpoint> | null = null;

  private constructor(model: SchemaModel, sql: SqlClient, deployment: string, schemaHash: string, log: (msg: string) => void) {
    this.model = model;
    this.sql = sql;
    this.deployment = deployment;
    this.schemaHash = schemaHash;
    this.log = log;
  }

  static async open(opts: PgStoreOptions): Promise<PgStore> {
    const model = typeof opts.schema === "string" ? loadSchema(opts.schema) : opts.schema;
    const schemaHash = createHash("sha256").update(STORE_LAYOUT).update(model.source).digest("hex");
    let client: SqlClient;
    if (opts.connectionString) {
      client = await connectPg(opts.connectionString, opts.log ?? ((m) => console.error(m)));
    } else {
      const dir = opts.dataDir ?? resolve(".data/indexer/pg");
      if (!dir.startsWith("memory://") && !dir.includes("://")) mkdirSync(dir, { recursive: true });
      const db = await PGlite.create(dir);
      client = new PgliteClient(db);
    }
    const deployment = opts.deployment ?? `local-${schemaHash.slice(0, 16)}`;
    const store = new PgStore(model, client, deployment, schemaHash, opts.log ?? ((m) => console.error(m)));
    await store.migrate();
    return store;
  }

  /** Opens a store on a schema given as text (convenience for tests). */
  static async fromSdl(sdl: string, opts: Omit<PgStoreOptions, "schema"> = {}): Promise<PgStore> {
    return PgStore.open({ ...opts, schema: parseSchema(sdl) });
  }

  entity(name: string): EntityModel {
    const e = this.model.entities.get(name);
    if (!e) throw new Error(`unknown entity type ${name}`);
    return e;
  }

  private async migrate(): Promise<void> {
    await this.sql.exec(`CREATE SCHEMA IF NOT EXISTS ${PG_SCHEMA}`);
    const exists = await this.sql.query<{ t: string | null }>(`SELECT to_regclass('${META}')::text AS t`);
    if (exists.rows[0]?.t) {
      const r = await this.sql.query<{ schema_hash: string }>(`SELECT schema_hash FROM ${META} WHERE id = 1`);
      if (r.rows[0]?.schema_hash === this.schemaHash) {
        await this.sql.exec(DATA_SOURCES_DDL); // a database written before templates were supported
        return;
      }
      this.log(`[indexer] the subgraph schema changed: dropping the stored entities and indexing from scratch`);
      await this.sql.exec(`DROP SCHEMA ${PG_SCHEMA} CASCADE; CREATE SCHEMA ${PG_SCHEMA}`);
    }
    await this.sql.transaction(async (tx) => {
      for (const ddl of storeDdl(this.model, META, DATA_SOURCES_DDL)) await tx.exec(ddl);
      await tx.query(
        `INSERT INTO ${META} (id, schema_hash, deployment, has_errors) VALUES (1, $1, $2, false)`,
        [this.schemaHash, this.deployment],
      );
    });
  }

  /** Every stored entity, by type and id (ids of Bytes-id entities as lowercase 0x-hex). */
  async loadAll(): Promise<Map<string, Map<string, EntityData>>> {
    const out = new Map<string, Map<string, EntityData>>();
    for (const e of this.model.entities.values()) out.set(e.name, await this.loadMany(e.name));
    return out;
  }

  /** The stored entities of a type with these ids (id keys as idKey gives them), or all of them. */
  async loadMany(entity: string, ids?: readonly string[]): Promise<Map<string, EntityData>> {
    const e = this.entity(entity);
    const idType = e.idType === "Int8" ? "int8" : "text";
    const rows = await this.sql.query<Row>(
      `SELECT ${e.stored.map((f) => selectExpr(this.model, f)).join(", ")} FROM ${tableRef(e)} c` + (ids ? ` WHERE c.id = ANY($1::${idType}[])` : ""),
      ids ? [ids] : undefined,
    );
    const m = new Map<string, EntityData>();
    for (const row of rows.rows) m.set(String(row.id), rowToEntity(this.model, e, row));
    return m;
  }

  /** Number of stored entities of a type. */
  async count(entity: string): Promise<number> {
    const r = await this.sql.query<{ n: unknown }>(`SELECT count(*)::int AS n FROM ${tableRef(this.entity(entity))}`);
    return Number(r.rows[0].n);
  }

  /** Calls `fn` with every stored id of a type (as text), reading them `page` at a time. */
  async eachId(entity: string, fn: (id: string) => void, page = 50_000): Promise<void> {
    const e = this.entity(entity);
    let after: string | null = null;
    for (;;) {
      const r: { rows: { id: unknown }[] } = await this.sql.query<{ id: unknown }>(
        `SELECT c.id FROM ${tableRef(e)} c${after === null ? "" : " WHERE c.id > $1"} ORDER BY c.id LIMIT ${page}`,
        after === null ? [] : [after],
      );
      for (const row of r.rows) fn(String(row.id));
      if (r.rows.length < page) return;
      after = String(r.rows[r.rows.length - 1].id);
    }
  }

  /** Loads one entity (mostly for tests and tools; the mappings use the EntityCache). */
  async get(entity: string, id: string): Promise<EntityData | null> {
    const e = this.entity(entity);
    const r = await this.sql.query<Row>(
      `SELECT ${e.stored.map((f) => selectExpr(this.model, f)).join(", ")} FROM ${tableRef(e)} c WHERE c.id = $1`,
      [idKey(e, id)],
    );
    return r.rows[0] ? rowToEntity(this.model, e, r.rows[0]) : null;
  }

  /**
   * The checkpoint, read once and then kept until this store writes it again (applyBlock,
   * recordFailure, clearFailure): the indexer is its store's only writer, and `_meta` and the
   * GraphQL answer cache ask for it on every request (on PGlite a statement costs ~1 ms).
   */
  checkpoint(): Promise<Checkpoint> {
    const kept = (this.kept ??= this.readCheckpoint());
    kept.catch(() => {
      if (this.kept === kept) this.kept = null;
    });
    return kept;
  }

  /** Runs a write of the checkpoint table; the kept checkpoint is read again afterwards. */
  private async writingCheckpoint<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.kept = null;
    }
  }

  private async readCheckpoint(): Promise<Checkpoint> {
    const r = await this.sql.query<Row>(`SELECT * FROM ${META} WHERE id = 1`);
    const m = r.rows[0];
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return {
      block:
        m.block_number === null
          ? null
          : { number: num(m.block_number)!, hash: String(m.block_hash), timestamp: num(m.block_timestamp) },
      hasIndexingErrors: Boolean(m.has_errors),
      error: m.error_message == null
        ? null
        : { block: { number: num(m.error_block_number)!, hash: String(m.error_block_hash ?? "") }, message: String(m.error_message) },
      deployment: String(m.deployment),
    };
  }

  /** The dynamic data sources created so far, in creation order. */
  async loadDataSources(): Promise<StoredDataSource[]> {
    const r = await this.sql.query<Row>(`SELECT template, address, params, block_number, context FROM ${DATA_SOURCES} ORDER BY seq`);
    return r.rows.map((row) => ({
      template: String(row.template),
      address: String(row.address),
      params: JSON.parse(String(row.params)) as string[],
      blockNumber: Number(row.block_number),
      context: decodeContext(row.context),
    }));
  }

  /** A written block's hash and timestamp, by number or by hash (time travel, `_meta`). */
  async storedBlock(at: { number: number } | { hash: string }): Promise<BlockPtr | null> {
    const r = "number" in at
      ? await this.sql.query<Row>(`SELECT number, hash, timestamp FROM ${BLOCKS_TABLE} WHERE number = $1`, [at.number])
      : await this.sql.query<Row>(`SELECT number, hash, timestamp FROM ${BLOCKS_TABLE} WHERE hash = $1`, [at.hash.toLowerCase()]);
    const row = r.rows[0];
    return row ? { number: Number(row.number), hash: String(row.hash), timestamp: row.timestamp == null ? undefined : Number(row.timestamp) } : null;
  }

  /**
   * Writes entity changes and moves the checkpoint to `block`, atomically: after a crash the
   * database holds either the whole write or none of it. Changes are full entity states
   * (null = removed); the last change of an entity wins. The version each change replaces goes to
   * the entity's history table, as do the versions in between when a change lists several blocks
   * (`versions`). `dataSources` are the dynamic data sources created by the handlers of the
   * blocks written (in creation order), stored in the same transaction; `blocks` are the written
   * blocks whose hashes are kept for time travel (`block` itself always is).
   */
  async applyBlock(block: BlockPtr, changes: Iterable<EntityChange>, dataSources: readonly StoredDataSource[] = [], blocks: readonly BlockPtr[] = []): Promise<void> {
    const byEntity = new Map<string, Map<string, EntityChange>>();
    for (const c of changes) {
      const e = this.entity(c.entity);
      let m = byEntity.get(e.name);
      if (!m) byEntity.set(e.name, (m = new Map()));
      const key = idKey(e, c.id);
      m.delete(key); // keep the last change last
      m.set(key, c);
    }
    const script: string[] = [];
    for (const [name, m] of byEntity) {
      const e = this.entity(name);
      const cols = e.stored.map((f) => q(f.name));
      const prior: string[] = []; // (id, block): the stored version is valid until that block
      const past: string[] = []; // versions that begin and end within this write
      const removed: string[] = [];
      const upserts: [string, EntityData, number][] = [];
      for (const [id, c] of m) {
        const versions = c.versions?.length ? c.versions : [{ block: block.number, data: c.data }];
        if (c.stored !== false) prior.push(`(${quoteText(id)}, ${versions[0].block | 0})`);
        for (let i = 0; i + 1 < versions.length; i++) {
          const v = versions[i];
          if (v.data) past.push(this.rowValues(e, id, v.data, [v.block, versions[i + 1].block]));
        }
        const last = versions[versions.length - 1].block;
        c.data === null ? removed.push(id) : upserts.push([id, c.data, last]);
      }
      if (prior.length) {
        const cast = e.idType === "Int8" ? "::int8" : "";
        script.push(
          `INSERT INTO ${historyRef(e)} (${cols.join(", ")}, "_from", "_to") SELECT ${cols.map((c) => `c.${c}`).join(", ")}, c."_block", x.b ` +
            `FROM ${tableRef(e)} c JOIN (VALUES ${prior.join(", ")}) AS x(id, b) ON c.id = x.id${cast} WHERE c."_block" < x.b;`,
        );
      }
      if (past.length) script.push(`INSERT INTO ${historyRef(e)} (${cols.join(", ")}, "_from", "_to") VALUES ${past.join(", ")};`);
      if (removed.length) script.push(`DELETE FROM ${tableRef(e)} WHERE id IN (${removed.map(quoteText).join(", ")});`);
      if (upserts.length) script.push(this.upsertSql(e, upserts));
    }
    if (dataSources.length) {
      const rows = dataSources.map((d) => {
        const ctx = encodeContext(d.context);
        return `(${quoteText(d.template)}, ${quoteText(d.address.toLowerCase())}, ${quoteText(JSON.stringify(d.params))}, ` +
          `${literal(this.model, "Int8", d.blockNumber)}, ${ctx === null ? "NULL" : quoteText(ctx)})`;
      });
      script.push(`INSERT INTO ${DATA_SOURCES} (template, address, params, block_number, context) VALUES ${rows.join(", ")};`);
    }
    const tsOf = (b: BlockPtr) => (b.timestamp === undefined || b.timestamp === null ? "NULL" : literal(this.model, "Int8", b.timestamp));
    const written = new Map<number, BlockPtr>();
    for (const b of [...blocks, block]) written.set(b.number, b);
    script.push(
      `INSERT INTO ${BLOCKS_TABLE} (number, hash, timestamp) VALUES ` +
        [...written.values()].map((b) => `(${literal(this.model, "Int8", b.number)}, ${quoteText(b.hash.toLowerCase())}, ${tsOf(b)})`).join(", ") +
        ` ON CONFLICT (number) DO UPDATE SET hash = EXCLUDED.hash, timestamp = EXCLUDED.timestamp;`,
    );
    script.push(
      `UPDATE ${META} SET block_number = ${literal(this.model, "Int8", block.number)}, block_hash = ${quoteText(block.hash)}, ` +
        `block_timestamp = ${tsOf(block)}, updated_at = now() WHERE id = 1;`,
    );
    // one atomic round trip: the block's entities and the checkpoint, or nothing
    await this.writingCheckpoint(() => this.sql.execAtomic(script.join("\n")));
  }

  /** `(values…, extra…)` of one entity's stored fields, for an INSERT. */
  private rowValues(e: EntityModel, id: string, data: EntityData, extra: readonly number[]): string {
    const vals = e.stored.map((f) => {
      try {
        return f.name === "id" ? quoteText(id) : fieldLiteral(this.model, f, toSql(this.model, f, data[f.name]));
      } catch (err) {
        throw new Error(`${e.name}[${id}].${f.name}: ${(err as Error).message}`);
      }
    });
    for (const x of extra) vals.push(String(x | 0));
    return `(${vals.join(", ")})`;
  }

  private upsertSql(e: EntityModel, rows: [string, EntityData, number][]): string {
    const cols = [...e.stored.map((f) => q(f.name)), `"_block"`];
    const update = cols.filter((c) => c !== `"id"`).map((c) => `${c} = EXCLUDED.${c}`).join(", ");
    const values = rows.map(([id, data, blockNumber]) => this.rowValues(e, id, data, [blockNumber]));
    return `INSERT INTO ${tableRef(e)} (${cols.join(", ")}) VALUES ${values.join(", ")} ON CONFLICT (id) DO UPDATE SET ${update};`;
  }

  /**
   * Records that indexing stopped at `block` with a mapping error: `_meta.hasIndexingErrors`
   * becomes true; the checkpoint stays at the last good block.
   */
  async recordFailure(block: BlockPtr | number, message: string): Promise<void> {
    const b = typeof block === "number" ? { number: block, hash: "" } : block;
    await this.writingCheckpoint(() => this.sql.query(
      `UPDATE ${META} SET has_errors = true, error_block_number = $1, error_block_hash = $2, error_message = $3, updated_at = now() WHERE id = 1`,
      [b.number, b.hash, message],
    ));
  }

  /** Forgets a recorded failure (e.g. before retrying with fixed mappings). */
  async clearFailure(): Promise<void> {
    await this.writingCheckpoint(() => this.sql.query(
      `UPDATE ${META} SET has_errors = false, error_block_number = NULL, error_block_hash = NULL, error_message = NULL WHERE id = 1`,
    ));
  }

  async close(): Promise<void> {
    await this.sql.close();
  }
}
