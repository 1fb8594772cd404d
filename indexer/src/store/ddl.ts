// The DDL of the store: one table per entity in the `subgraph` schema (typed columns, the block
// that last wrote the row, a generated tsvector column per @fulltext definition), the indexes
// the GraphQL filters and orderings use, and the checkpoint and data-source tables.
// Indexes: (field, id) b-trees for the orderings the dApp and CLI use (numbers and timestamps:
// price, createdAt, salesCount, productId…; `id` breaks ties, so an ordered scan can stop after
// `first`), a b-tree or GIN per reference, and a GIN per list of scalars or enums, so that
// `_contains` filters (jurisdictions, purposes…) combine as bitmaps instead of filtering every row.
import { q, sqlType, tableRef } from "./columns.ts";
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
  for (const e of model.entities.values()) {
    const t = tableRef(e);
    const cols = e.stored.map((f) => `${q(f.name)} ${sqlType(model, f)}${f.name === "id" ? " PRIMARY KEY" : ""}`);
    cols.push(`"_block" int8 NOT NULL`);
    for (const ft of model.fulltext.filter((x) => x.entity === e.name)) {
      const weights = ["A", "B", "C", "D"];
      const parts = ft.fields.map(
        (name, i) => `setweight(to_tsvector('${ft.config}'::regconfig, coalesce(${q(name)}, '')), '${weights[Math.min(i, 3)]}')`,
      );
      cols.push(`${q(ft.column)} tsvector GENERATED ALWAYS AS (${parts.join(" || ")}) STORED`);
    }
    out.push(`CREATE TABLE ${t} (${cols.join(", ")})`);
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
