import type { GraphProduct } from "../lib/subgraph.ts";
import type { AnonymisationFields } from "./AnonymitySection.tsx";
import { Link } from "../router.tsx";
import { modalityWords, priceWords, productTypeWords, shortAddress } from "../lib/words.ts";

export function ProductCard({ p, eligibility }: { p: GraphProduct & AnonymisationFields; eligibility?: { eligible: boolean; label: string } }) {
  return (
    <article className="card product-card" aria-labelledby={`product-${p.id}-title`}>
      <h2 id={`product-${p.id}-title`}>
        <Link to={`/product/${p.id}`}>{p.title}</Link>
      </h2>
      <div className="meta">
        <span className="badge">{productTypeWords(p.productType)}</span>
        <span className="badge">{modalityWords(p.modality)}</span>
        {p.anonymisationReportURI && p.anonymisationK ? (
          <span className="badge ok" data-anonymisation-k={p.anonymisationK} title={`Anonymisation report: every record shares its quasi-identifiers with at least ${p.anonymisationK - 1} others`}>
            k ≥ {p.anonymisationK}
          </span>
        ) : null}
        {p.category ? <span className="badge">{p.category}</span> : null}
        {p.requiresApproval ? <span className="badge">Seller approves</span> : null}
        {eligibility ? <span className={`badge ${eligibility.eligible ? "ok" : "bad"}`}>{eligibility.label}</span> : null}
      </div>
      <p className="muted">{p.summary}</p>
      <p>
        <span className="price">{priceWords(p.price, p.pricingUnit)}</span>
        <span className="muted"> · sold {p.salesCount}× · seller <span className="address">{shortAddress(p.seller.id)}</span></span>
      </p>
    </article>
  );
}
