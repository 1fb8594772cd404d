// The DDL of the store: one table per entity in the `subgraph` schema (typed columns, the block
// of the row's last change, a generated tsvector column per @fulltext definition), the indexes
// the GraphQL filters and orderings use, and the checkpoint and data-source tables.
// Time travel: each entity also has a history table of its earlier versions, each valid in blocks
// [_from, _to). Unlike graph-node, which keeps every version in one table with a block range, the
// current versions stay alone in the entity table, so queries at the head (nearly all of them)
// read and index exactly what they did before; a query at an older block reads the union of the
// current rows written by then and the history rows valid then. The blocks table holds the hash
// and timestamp of every block written, for `block: { hash }` and `_meta` at a block.
// Indexes: (field, id) b-trees for the orderings the dApp and CLI use (numbers and timestamps:
// price, createdAt, salesCount, productId…; `id` breaks ties, so an ordered scan can stop after
// `first`), a b-tree or GIN per reference, and a GIN per list of scalars or enums, so that
// `_contains` filters (jurisdictions, purposes…) combine as bitmaps instead of filtering every row.
import { BLOCKS_TABLE, historyRef, q, sqlType, tableRef } from "./columns.ts";
import type { SchemaModel } from "./schema.ts";

/** The statements creating a new store for `model`; `meta` is the checkpoint table's name. */
export function storeDdl(model: SchemaModel, meta: string, dataSourcesDdl: string): string[] {
  const out: string[] = [];
  out.push(`CREATE TABLE ${meta} (
      id int PRIMARY KEY, schema_hash text NOT NULL, deployment text NOT NULL,
      block_number int8, block_hash text, block_timestamp int8,
      has_errors boolean NOT NULL DEFAULT false, error_block_number int8, error_block_hash text, error_message text,
      updated_at timestamptz NOT NULL DEFAULT now())`);
  out.push(dataSourcesDdl);
  out.push(`CREATE TABLE ${BLOCKS_TABLE} (number int8 PRIMARY KEY, hash text NOT NULL, timestamp int8)`);
  out.push(`CREATE INDEX _indexer_blocks_hash ON ${BLOCKS_TABLE} (hash)`);
  for (const e of model.entities.values()) {
    const t = tableRef(e);
    const cols = e.stored.map((f) => `${q(f.name)} ${sqlType(model, f)}${f.name === "id" ? " PRIMARY KEY" : ""}`);
    cols.push(`"_block" int8 NOT NULL`);
    const history = e.stored.map((f) => `${q(f.name)} ${sqlType(model, f)}`);
    history.push(`"_from" int8 NOT NULL`, `"_to" int8 NOT NULL`);
    for (const ft of model.fulltext.filter((x) => x.entity === e.name)) {
      const weights = ["A", "B", "C", "D"];
      const parts = ft.fields.map(
        (name, i) => `setweight(to_tsvector('${ft.config}'::regconfig, coalesce(${q(name)}, '')), '${weights[Math.min(i, 3)]}')`,
      );
      const generated = `${q(ft.column)} tsvector GENERATED ALWAYS AS (${parts.join(" || ")}) STORED`;
      cols.push(generated);
      history.push(generated);
    }
    out.push(`CREATE TABLE ${t} (${cols.join(", ")})`);
    const h = historyRef(e);
    out.push(`CREATE TABLE ${h} (${history.join(", ")})`);
    // versions of one entity (references at a block), and those still valid at a recent block
    out.push(`CREATE INDEX ${q(`${e.table}__history_id`.slice(0, 60))} ON ${h} (id, "_from")`);
    out.push(`CREATE INDEX ${q(`${e.table}__history_to`.slice(0, 60))} ON ${h} ("_to")`);
    for (const f of e.stored) {
      if (f.name === "id") continue;
      const idx = `${q(`${e.table}_${f.name}`.slice(0, 60))}`;
      if (f.kind === "entity") {
        out.push(`CREATE INDEX ${idx} ON ${t} ${f.list ? "USING gin " : ""}(${q(f.name)})`);
      } else if (f.list) {
        // New entries wait in a pending list and go into the index in batches (backfill writes
        // ~1.5× faster than with fastupdate off); 256 kB bounds what a read scans of that list.
        out.push(`CREATE INDEX ${idx} ON ${t} USING gin (${q(f.name)}) WITH (fastupdate = on, gin_pending_list_limit = 256)`);
      } else if (f.kind === "scalar" && ["Int", "Int8", "BigInt", "BigDecimal", "Timestamp"].includes(f.type)) {
        out.push(`CREATE INDEX ${idx} ON ${t} (${q(f.name)}, id)`);
      }
    }
    for (const ft of model.fulltext.filter((x) => x.entity === e.name)) {
      out.push(`CREATE INDEX ${q(`${e.table}_${ft.column}`)} ON ${t} USING gin (${q(ft.column)})`);
    }
  }
  return out;
}
