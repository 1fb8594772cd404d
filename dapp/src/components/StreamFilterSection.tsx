// "How anonymous is this data" on an anonymised stream (or data union) product's page: the stream
// filter its metadata document configures (ProductMetadata.streamFilter, checked by the SDK's
// parseStreamFilter), in the words of describeStreamFilter. The batch products' counterpart, from
// their anonymisation report, is AnonymitySection.tsx; this one reuses its look (.anonymity).
import { streamFilterOf, type ProductMetadata } from "@kraken/sdk";
import { describeStreamFilter, type StreamFilterConfig } from "@kraken/sdk/anonymise";
import type { GraphProduct } from "../lib/subgraph.ts";

export const isAnonymisedStream = (p: Pick<GraphProduct, "productType" | "modality">) =>
  (p.productType === "STREAM" || p.productType === "DATA_UNION") && p.modality === "ANONYMISED";

type Filter = { status: "ok"; config: StreamFilterConfig } | { status: "none" } | { status: "invalid"; message: string };

function filterOf(metadata: ProductMetadata): Filter {
  try {
    const config = streamFilterOf(metadata);
    return config ? { status: "ok", config } : { status: "none" };
  } catch (err) {
    return { status: "invalid", message: (err as Error).message };
  }
}

export function StreamFilterSection({
  product,
  metadata,
}: {
  product: Pick<GraphProduct, "productType" | "modality">;
  /** the product page's metadata query */
  metadata: { data?: ProductMetadata; error: Error | null; isLoading: boolean };
}) {
  if (!isAnonymisedStream(product)) return null;
  const publishers = product.productType === "DATA_UNION" ? "members' devices and pages" : "seller's publishers";
  let body;
  if (metadata.data) {
    const f = filterOf(metadata.data);
    if (f.status === "ok")
      body = (
        <>
          <p className="muted" data-filter="configured">
            The product's description on IPFS sets this filter; the {publishers} apply it to every message before it leaves them, so buyers never receive what it removes
            or coarsens. It is the seller's statement: the chain does not check the messages.
          </p>
          <ul aria-label="The stream filter in words">
            {describeStreamFilter(f.config).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </>
      );
    else if (f.status === "none")
      body = (
        <p className="notice warn" data-filter="none">
          The seller set no stream filter for this product: messages are published as the devices send them, and “Anonymised” is only the seller's word.
        </p>
      );
    else
      body = (
        <p className="notice error" role="alert" data-filter="invalid">
          The product's stream filter cannot be read ({f.message}), so nothing shows how anonymous the data is.
        </p>
      );
  } else if (metadata.isLoading) body = <p className="muted" role="status">Loading the product's stream filter from IPFS…</p>;
  else if (metadata.error) body = <p className="notice warn" data-filter="unavailable">The product's description cannot be loaded, so its stream filter is unknown: {metadata.error.message}.</p>;
  else body = <p className="muted" role="status">The product's description is not loaded yet.</p>;
  return (
    <section className="anonymity" aria-labelledby="anonymity-title" data-testid="anonymity">
      <h2 id="anonymity-title">How anonymous is this data</h2>
      {body}
    </section>
  );
}
