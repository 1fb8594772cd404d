// Product page (MKT-FUN-04/07/16): description and cover from IPFS, terms, how anonymous an
// anonymised dataset is (its anonymisation report, checked against the chain) or an anonymised
// stream is (its metadata's stream filter), the consent policy in plain language, an eligibility
// panel (yes, or exactly why not), period chooser for subscriptions and the Buy / Subscribe /
// Request access flow with its progress.
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useState } from "react";
import { useAccount, useReadContract } from "wagmi";
import { agreementsAbi, catalogueAbi, fromMask, policiesAbi, AgreementStatusNames, ProductTypeNames, ModalityNames, PricingUnitNames, PurposeNames, CategoryNames, OrganisationTypeNames, CountryNames } from "@kraken/sdk";
import { useConnectModal } from "@rainbow-me/rainbowkit";
import { TxSteps } from "../components/TxSteps.tsx";
import { EligibilitySection, PurposeSelect, useEligibility } from "../components/Eligibility.tsx";
import { useDataBalance } from "../hooks/chain.ts";
import { useDapp } from "../hooks/dapp.ts";
import { useGraph } from "../hooks/graph.ts";
import { usePurchase, type PaymentMethod } from "../hooks/purchase.ts";
import { fetchMetadata, gatewayUrl } from "../lib/ipfs.ts";
import { policyRules, type PolicyVersion } from "../lib/policy.ts";
import { PRODUCT_FIELDS, type GraphProduct } from "../lib/subgraph.ts";
import { data, date, enumIndex, isTimeBased, maxPeriods, modalityWords, priceWords, productTypeWords, shortAddress, statusWords, toGraphEnum, unitWords } from "../lib/words.ts";
import { Link } from "../router.tsx";
import { ProductUnionPanel } from "./union/ProductUnionPanel.tsx";
import { AnonymitySection } from "../components/AnonymitySection.tsx";
import { StreamFilterSection } from "../components/StreamFilterSection.tsx";

// Analytics products are sold one query at a time: their panel loads with them only.
const AnalyticsPanel = lazy(() => import("./analytics/AnalyticsPanel.tsx"));

const NOT_INDEXED_ANONYMISATION = { anonymisationK: null, anonymisationL: null, anonymisationReportHash: null, anonymisationReportURI: null, anonymisedAt: null };

/** The product as the page needs it: from the subgraph, or straight from the chain while the indexer catches up. */
function useProduct(id: string) {
  const { config } = useDapp();
  const graph = useGraph<{ product: GraphProduct | null }>(`query P($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`, { id });
  const missing = graph.isSuccess && !graph.data?.product;
  const chainProduct = useReadContract({
    address: config.contracts.Catalogue,
    abi: catalogueAbi,
    functionName: "getProduct",
    args: [BigInt(/^\d+$/.test(id) ? id : "0")],
    query: { enabled: missing },
  });
  const chainPolicy = useReadContract({
    address: config.contracts.Policies,
    abi: policiesAbi,
    functionName: "policyOf",
    args: [BigInt(/^\d+$/.test(id) ? id : "0")],
    query: { enabled: missing && !!chainProduct.data, retry: false },
  });
  if (graph.data?.product) return { product: graph.data.product, fromChain: false, loading: false, error: null };
  if (missing && chainProduct.data && chainProduct.data.seller !== "0x0000000000000000000000000000000000000000") {
    const c = chainProduct.data;
    const pol = chainPolicy.data;
    const policy: GraphProduct["policy"] = pol && pol.version > 0
      ? {
          version: pol.version,
          purposes: fromMask(pol.purposes).map((i) => toGraphEnum(PurposeNames[i])),
          consumerCategories: fromMask(pol.consumerCategories).map((i) => toGraphEnum(CategoryNames[i])),
          organisationTypes: fromMask(pol.organisationTypes).map((i) => toGraphEnum(OrganisationTypeNames[i])),
          jurisdictions: fromMask(pol.jurisdictions).map((i) => CountryNames[i]),
          requiresApproval: pol.requiresApproval,
          retentionDays: pol.retentionDays,
          createdAt: String(pol.updatedAt),
        }
      : null;
    const product: GraphProduct = {
      id,
      productId: id,
      title: `Product ${id}`,
      summary: "",
      category: "",
      tags: [],
      productType: toGraphEnum(ProductTypeNames[c.productType]) as GraphProduct["productType"],
      modality: toGraphEnum(ModalityNames[c.modality]) as GraphProduct["modality"],
      price: String(c.price),
      pricingUnit: toGraphEnum(PricingUnitNames[c.pricingUnit]) as GraphProduct["pricingUnit"],
      active: c.active,
      metadataURI: c.metadataURI,
      deliveryAgents: [...c.deliveryAgents],
      threshold: c.threshold,
      createdAt: String(c.createdAt),
      updatedAt: String(c.updatedAt),
      salesCount: 0,
      revenue: "0",
      requiresApproval: policy?.requiresApproval ?? false,
      purposes: policy?.purposes ?? [],
      consumerCategories: policy?.consumerCategories ?? [],
      organisationTypes: policy?.organisationTypes ?? [],
      jurisdictions: policy?.jurisdictions ?? [],
      seller: { id: c.seller.toLowerCase() },
      policy,
      // the report's URI is only in the subgraph (emitted, not stored): the page waits for the indexer
      ...NOT_INDEXED_ANONYMISATION,
    };
    return { product, fromChain: true, loading: false, error: null };
  }
  const loading = graph.isLoading || (missing && chainProduct.isLoading);
  return { product: undefined, fromChain: false, loading, error: graph.error ?? chainProduct.error ?? null, notFound: missing && !chainProduct.isLoading };
}

export default function Product({ params }: { params: Record<string, string> }) {
  const id = params.id ?? "";
  const { config } = useDapp();
  const { product, fromChain, loading, error } = useProduct(id);
  const meta = useQuery({
    queryKey: ["ipfs", product?.metadataURI],
    enabled: !!product?.metadataURI,
    queryFn: ({ signal }) => fetchMetadata(config.ipfsGatewayUrl, product!.metadataURI, signal),
    staleTime: Infinity,
    retry: 1,
  });
  useEffect(() => {
    document.title = product ? `${meta.data?.title ?? product.title} · Kraken` : "Kraken data marketplace";
  }, [product, meta.data]);

  if (!/^\d+$/.test(id)) return <p className="notice error" role="alert">“{id}” is not a product id.</p>;
  if (loading) return <p role="status" className="muted">Loading product {id}…</p>;
  if (error) return <p role="alert" className="notice error">{error.message}</p>;
  if (!product) return (
    <section>
      <h1>Product {id} not found</h1>
      <p>There is no product with this id on the chain. <Link to="/explore">Explore the catalogue</Link></p>
    </section>
  );

  const title = meta.data?.title ?? product.title;
  const cover = gatewayUrl(config.ipfsGatewayUrl, meta.data?.coverImage);
  return (
    <article className={`product-page${product.productType === "ANALYTICS" ? " analytics" : ""}`} aria-labelledby="product-title">
      <div>
        <p><Link to="/explore">← Back to the catalogue</Link></p>
        <h1 id="product-title">{title}</h1>
        {fromChain ? <p className="notice warn" role="status">The catalogue has not indexed this product yet; showing its terms straight from the chain.</p> : null}
        {!product.active ? <p className="notice warn">The seller has deactivated this product.</p> : null}
        {cover ? <img className="cover" src={cover} alt={`Cover image of ${title}`} /> : null}
        <p>{product.summary}</p>
        {meta.data?.description ? <div className="description">{meta.data.description.split(/\n{2,}/).map((para, i) => <p key={i}>{para}</p>)}</div> : null}
        {meta.error ? <p className="muted" role="status">Description: {meta.error.message}</p> : null}
        <h2>Terms</h2>
        <dl className="facts">
          <dt>Type</dt><dd>{productTypeWords(product.productType)}</dd>
          <dt>Modality</dt><dd>{modalityWords(product.modality)}</dd>
          <dt>Price</dt><dd className="price">{priceWords(product.price, product.pricingUnit)}</dd>
          {product.category ? <><dt>Category</dt><dd>{product.category}</dd></> : null}
          {product.tags.length ? <><dt>Tags</dt><dd>{product.tags.join(", ")}</dd></> : null}
          {meta.data?.sampleFields?.length ? <><dt>Fields</dt><dd>{meta.data.sampleFields.join(", ")}</dd></> : null}
          <dt>Seller</dt><dd className="address">{product.seller.id}</dd>
          <dt>Delivery</dt><dd>{product.productType === "ANALYTICS" ? (product.deliveryAgents.length ? `each query is computed by ${product.deliveryAgents.length} independent computation nodes on secret-shared data (any ${product.threshold} rebuild the result); the result is sealed to your registered key` : "no computation nodes yet") : product.deliveryAgents.length ? `${product.threshold} of ${product.deliveryAgents.length} relays hand over the key, sealed to your registered key` : product.productType === "STREAM" || product.productType === "DATA_UNION" ? "stream subscription on the Streamr network" : "directly by the seller"}</dd>
          <dt>Published</dt><dd>{date(product.createdAt)}</dd>
          <dt>Sold</dt><dd>{product.salesCount} times</dd>
        </dl>
        {product.productType === "DATA_UNION" ? <ProductUnionPanel productId={product.id} seller={product.seller.id} /> : null}
        <AnonymitySection product={product} fromChain={fromChain} />
        <StreamFilterSection product={product} metadata={meta} />
        <h2>Consent policy</h2>
        {product.policy ? (
          <dl className="facts" aria-label="Consent policy">
            {policyRules(product.policy as PolicyVersion).map((r) => (
              <FragmentRule key={r.label} label={r.label} text={r.text} />
            ))}
          </dl>
        ) : (
          <p className="notice warn">The seller has not set a consent policy yet, so nobody can buy this product.</p>
        )}
      </div>
      {product.productType === "ANALYTICS" ? (
        <aside aria-label="Query the data">
          <Suspense fallback={<p role="status" className="muted">Loading the query builder…</p>}>
            <AnalyticsPanel product={product} />
          </Suspense>
        </aside>
      ) : (
        <aside aria-label="Get access">
          <BuyPanel product={product} />
        </aside>
      )}
    </article>
  );
}

function FragmentRule({ label, text }: { label: string; text: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{text}</dd>
    </>
  );
}

function BuyPanel({ product }: { product: GraphProduct }) {
  const { config } = useDapp();
  const { address, isConnected } = useAccount();
  const { openConnectModal } = useConnectModal();
  const productId = BigInt(product.productId);
  const allowed = product.policy?.purposes ?? [];
  const elig = useEligibility(productId, address, allowed);
  const { purpose, eligibility, credential, explained } = elig;
  const timeBased = isTimeBased(product.pricingUnit);
  const MAX_PERIODS = maxPeriods(product.pricingUnit);
  const [periodsText, setPeriodsText] = useState("1");
  const periods = Number(periodsText);
  const periodsValid = Number.isInteger(periods) && periods >= 1 && periods <= (timeBased ? MAX_PERIODS : 1);
  const [method, setMethod] = useState<PaymentMethod>("permit");
  const price = BigInt(product.price);
  const total = price * BigInt(periodsValid ? periods : 1);

  const balance = useDataBalance(address);
  const access = useReadContract({
    address: config.contracts.Agreements,
    abi: agreementsAbi,
    functionName: "latestAgreementOf",
    args: address ? [productId, address] : undefined,
    query: { enabled: !!address },
  });
  const latest = useReadContract({
    address: config.contracts.Agreements,
    abi: agreementsAbi,
    functionName: "getAgreement",
    args: access.data ? [access.data] : undefined,
    query: { enabled: !!access.data && access.data > 0n },
  });
  const { purchase, steps, error, result, running, reset } = usePurchase();
  useEffect(() => {
    if (result) {
      void eligibility.refetch();
      void access.refetch();
      void latest.refetch();
      void balance.refetch();
    }
  }, [result?.agreementId, result?.indexed]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(reset, [address, reset]);

  const now = BigInt(Math.floor(Date.now() / 1000));
  const current = latest.data;
  const currentStatus = current ? AgreementStatusNames[Number(current.status)] : undefined;
  const hasAccess = currentStatus === "Active" && (current!.endsAt === 0 || BigInt(current!.endsAt) > now);
  const pending = currentStatus === "Pending";
  const action = product.requiresApproval ? "Request access" : timeBased ? "Subscribe" : price === 0n ? "Get access" : "Buy";
  const insufficient = address && balance.data !== undefined && total > 0n && balance.data < total;

  return (
    <div className="card">
      <h2>{action}</h2>
      {!isConnected ? (
        <>
          <p>Connect a wallet to check whether your credential allows this product and to buy it.</p>
          <button type="button" onClick={openConnectModal}>Connect wallet</button>
        </>
      ) : (
        <>
          <PurposeSelect state={elig} onChange={reset} />
          <EligibilitySection state={elig} />
          {hasAccess ? (
            <p className="notice ok" role="status">
              You have access (agreement #{String(access.data)}){current!.endsAt ? ` until ${date(current!.endsAt)}` : ""}. See your <Link to="/dashboard">dashboard</Link>.
            </p>
          ) : null}
          {pending ? <p className="notice warn" role="status">Your request (agreement #{String(access.data)}) is waiting for the seller's approval.</p> : null}
          {timeBased ? (
            <div className="field">
              <label htmlFor="periods">Number of {unitWords(product.pricingUnit)}s</label>
              <input id="periods" type="number" min={1} max={MAX_PERIODS} value={periodsText} onChange={(e) => setPeriodsText(e.target.value)} aria-invalid={!periodsValid} />
              {!periodsValid ? <span className="error-text">Choose 1 to {MAX_PERIODS}.</span> : null}
            </div>
          ) : null}
          <p>
            Total: <strong>{total === 0n ? "free" : data(total)}</strong>
            {timeBased && periodsValid ? <span className="muted"> ({periods} × {priceWords(product.price, product.pricingUnit)})</span> : null}
            {product.requiresApproval && total > 0n ? <span className="muted"> — held in escrow until the seller approves</span> : null}
          </p>
          {balance.data !== undefined ? <p className="muted">Your balance: {data(balance.data)}</p> : null}
          {total > 0n ? (
            <fieldset>
              <legend>Payment</legend>
              <label><input type="radio" name="method" value="permit" checked={method === "permit"} onChange={() => setMethod("permit")} /> Permit: one signature and one transaction</label>
              <br />
              <label><input type="radio" name="method" value="approve" checked={method === "approve"} onChange={() => setMethod("approve")} /> Approve, then buy: two transactions</label>
            </fieldset>
          ) : null}
          {insufficient ? <p className="notice error" role="alert">Insufficient DATA: you have {data(balance.data!)}, this needs {data(total)}.</p> : null}
          <p className="muted" id="buy-on-chain">This purchase (your address, the product and the purpose) is recorded publicly on the consortium chain; your credential's personal data is not.</p>
          <button
            type="button"
            aria-describedby="buy-on-chain"
            disabled={running || !explained?.eligible || !periodsValid || hasAccess || pending || !!insufficient || !product.active}
            onClick={() => purchase({ productId, purpose, periods: timeBased ? periods : 1, price, pricingUnit: enumIndex(PricingUnitNames, product.pricingUnit), policyVersion: product.policy?.version ?? 0, method, context: { credential: credential.data, allowedPurposes: allowed } })}
          >
            {running ? "Working…" : `${action}${total > 0n ? ` for ${data(total)}` : ""}`}
          </button>
          {steps.length ? <TxSteps steps={steps} label="Purchase progress" /> : null}
          {error ? <p className="notice error" role="alert" data-error-kind={error.kind}>{error.message}</p> : null}
          {result ? (
            <p className="notice ok" role="status">
              {result.status === "Pending"
                ? `Request sent: agreement #${result.agreementId} is waiting for the seller's approval.`
                : `Done: agreement #${result.agreementId} is ${statusWords(result.status).toLowerCase()}${result.endsAt ? ` until ${date(result.endsAt)}` : ""}.`}{" "}
              <Link to="/dashboard">Go to my dashboard</Link>
            </p>
          ) : null}
        </>
      )}
      <p className="muted">
        Seller <span className="address">{shortAddress(product.seller.id)}</span>.
      </p>
    </div>
  );
}
