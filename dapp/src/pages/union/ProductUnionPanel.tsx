// The union panel on the product page of a DATA_UNION product: the union selling it, its members
// against the minimum, the admin fee and who may join, with a link to the union page (to join).
import { getAddress, type Address } from "viem";
import type { GraphUnion } from "@kraken/sdk";
import { useGraph } from "../../hooks/graph.ts";
import { useUnionState } from "../../hooks/union.ts";
import { Link } from "../../router.tsx";
import { PRODUCT_UNION_QUERY } from "./data.ts";
import { UnionFacts } from "./parts.tsx";

export function ProductUnionPanel({ productId, seller }: { productId: string; seller: string }) {
  const q = useGraph<{ product: { union: GraphUnion | null } | null }>(PRODUCT_UNION_QUERY, { id: productId });
  // The union is the product's seller; the subgraph links them once it has indexed the union.
  const address: Address | undefined = q.data?.product?.union?.id ? getAddress(q.data.product.union.id) : q.isSuccess ? getAddress(seller) : undefined;
  const state = useUnionState(address);
  return (
    <section aria-labelledby="union-panel-title" className="card">
      <h2 id="union-panel-title">Data union</h2>
      <p>This product is sold by a data union: its members pool their data in one stream and share the revenue after the admin's fee.</p>
      {state.data ? <UnionFacts u={state.data} /> : state.error ? <p className="muted">The union could not be read from the chain.</p> : <p role="status" className="muted">Loading the union…</p>}
      {address ? (
        <p>
          <Link to={`/unions/${address}`}>Open the union page</Link> to join it or see your earnings.
        </p>
      ) : null}
    </section>
  );
}
