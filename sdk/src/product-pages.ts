// Paging through the catalogue without `skip`: each page starts after the last row of the one
// before by its (order field, id) — keyset pagination — so a deep page costs what the first one
// does and none is refused past the subgraph's `skip` limit (5,000 on the local indexer and
// graph-node). Every page is read at the block the first one was (time travel), so products
// published or changed meanwhile neither shift rows between pages nor show twice.
import { PRODUCT_FIELDS, querySubgraph, type GraphProduct } from "./subgraph.ts";

/** Orderings the keyset understands: a field with a total order, then the id. */
export type ProductOrder = "productId" | "price" | "createdAt" | "salesCount";

export interface ProductPagesOptions {
  /** a Product_filter, as the subgraph takes it */
  where?: Record<string, unknown>;
  orderBy?: ProductOrder;
  orderDirection?: "asc" | "desc";
  /** rows per request (default 100, at most 1,000) */
  pageSize?: number;
  /** the fields to read (default PRODUCT_FIELDS; `id` and the order field are added) */
  fields?: string;
  signal?: AbortSignal;
}

/** The products matching `where`, in order, one page per iteration, at one block. */
export async function* productPages(url: string, o: ProductPagesOptions = {}): AsyncGenerator<GraphProduct[]> {
  const orderBy = o.orderBy ?? "productId";
  const dir = o.orderDirection ?? "asc";
  const size = Math.min(Math.max(1, Math.floor(o.pageSize ?? 100)), 1000);
  const fields = `id ${orderBy} ${o.fields ?? PRODUCT_FIELDS}`;
  const cmp = dir === "asc" ? "gt" : "lt";
  let block: number | null = null;
  let after: { value: unknown; id: string } | null = null;
  for (;;) {
    // the ORDER BY is (field, id), both in `dir`: the next page is past the last row in that order
    const keyset = after ? { or: [{ [`${orderBy}_${cmp}`]: after.value }, { [orderBy]: after.value, [`id_${cmp}`]: after.id }] } : null;
    const where = keyset ? { and: [o.where ?? {}, keyset] } : (o.where ?? {});
    const at = block === null ? "" : `block: { number: ${block} }, `;
    const data: { products: GraphProduct[]; _meta?: { block: { number: number } } } = await querySubgraph(
      url,
      `query($where: Product_filter, $first: Int) { products(${at}where: $where, first: $first, orderBy: ${orderBy}, orderDirection: ${dir}) { ${fields} }${block === null ? " _meta { block { number } }" : ""} }`,
      { where, first: size },
      { signal: o.signal },
    );
    if (block === null) block = data._meta!.block.number;
    if (data.products.length) yield data.products;
    if (data.products.length < size) return;
    const last = data.products[data.products.length - 1] as unknown as Record<string, unknown>;
    after = { value: last[orderBy], id: String(last.id) };
  }
}
