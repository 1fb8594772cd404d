// Manage products (MKT-FUN-07/16/17): the seller's products; for one product, edit the catalogue
// record (metadata), the consent policy and the price; deactivate / reactivate; approve or
// reject pending requests; terminate a running agreement early with a refund; retract (or
// restore) consent for a consumer (MKT-FUN-14/17).
// `#/manage` lists, `#/manage/<id>` manages one. Every action shows its progress and decoded errors.
import "./seller.css";
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useAccount, useReadContract } from "wagmi";
import { getAddress, isAddress, type Address, type Hex } from "viem";
import {
  agreementsAbi,
  catalogueAbi,
  encodeMetadata,
  estimateRefund,
  fromMask,
  policiesAbi,
  PricingUnit,
  PricingUnitNames,
  ProductTypeNames,
  type ProductType,
  toPolicyArgs,
  type Category,
  type Country,
  type OrganisationType,
  type Purpose,
} from "@kraken/sdk";
import { Link, useRoute } from "../../router.tsx";
import { useDapp } from "../../hooks/dapp.ts";
import { useGraph } from "../../hooks/graph.ts";
import { fetchMetadata, gatewayUrl } from "../../lib/ipfs.ts";
import { PRODUCT_FIELDS, type GraphProduct } from "../../lib/subgraph.ts";
import { TxSteps } from "../../components/TxSteps.tsx";
import { data, date, isTimeBased, priceWords, productTypeWords, purposeWords, shortAddress } from "../../lib/words.ts";
import { CatalogueFields, DescriptionFields, type DescriptionValue } from "./DescriptionFields.tsx";
import { PriceFields } from "./CreateProduct.tsx";
import { checkStep, emptyDraft, priceWei } from "./draft.ts";
import { explainError } from "./errors.ts";
import { addToIpfs } from "./ipfsUpload.ts";
import { PolicyFields, type Policy } from "./PolicyFields.tsx";
import { useTerminate } from "./terminate.ts";
import { useSellerActions, type ContractCall } from "./useSellerActions.ts";

export default function ManageProducts() {
  const { path } = useRoute();
  const id = /^\/manage\/(\d+)$/.exec(path)?.[1];
  const { address } = useAccount();
  if (!address) {
    return (
      <section>
        <h1>My products</h1>
        <p className="notice warn" role="status">Connect a wallet (or choose a Demo persona) to manage your products.</p>
      </section>
    );
  }
  return id ? <ManageProduct productId={BigInt(id)} seller={address} /> : <MyProducts seller={address} />;
}

// ---------------------------------------------------------------------------------------------
// One action (a signature, or uploads then a signature): its progress and outcome.

type ActionState = { state: "idle" } | { state: "active"; label: string; detail: string } | { state: "done"; message: string } | { state: "failed"; message: string };

function useAction() {
  const actions = useSellerActions();
  const qc = useQueryClient();
  const [status, setStatus] = useState<ActionState>({ state: "idle" });
  const run = async (label: string, fn: (step: (detail: string) => void) => Promise<{ call: ContractCall; done: string }>) => {
    setStatus({ state: "active", label, detail: "preparing…" });
    try {
      const { call, done } = await fn((detail) => setStatus({ state: "active", label, detail }));
      setStatus({ state: "active", label, detail: "confirm in your wallet…" });
      const receipt = await actions.write(call, (hash: Hex) => setStatus({ state: "active", label, detail: `signed (${hash.slice(0, 10)}…); waiting to be mined…` }));
      setStatus({ state: "active", label, detail: `mined in block ${receipt.blockNumber}; waiting for the catalogue…` });
      await actions.waitIndexed(receipt.blockNumber, (behind) => setStatus({ state: "active", label, detail: `mined; the catalogue is ${behind} block${behind === 1 ? "" : "s"} behind…` }));
      await qc.invalidateQueries();
      setStatus({ state: "done", message: done });
      return receipt;
    } catch (err) {
      setStatus({ state: "failed", message: explainError(err) });
    }
  };
  return { status, run, busy: status.state === "active", actions };
}

function ActionStatus({ status }: { status: ActionState }) {
  if (status.state === "idle") return null;
  if (status.state === "active") return <p className="notice" role="status">{status.label}: {status.detail}</p>;
  if (status.state === "done") return <p className="notice ok" role="status">{status.message}</p>;
  return <p className="notice error" role="alert">That did not work. {status.message}</p>;
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------

interface SellerProduct extends GraphProduct {
  pending: { id: string }[];
}

function MyProducts({ seller }: { seller: Address }) {
  const q = useGraph<{ products: GraphProduct[]; agreements: { id: string; product: { id: string } }[] }>(
    // Ids inline (an address, a decimal): reference filters are typed differently by graph-node
    // (String) and the local indexer (the id's scalar), a literal suits both.
    `{
      products(where: { seller: "${seller.toLowerCase()}" }, orderBy: createdAt, orderDirection: desc, first: 200) { ${PRODUCT_FIELDS} }
      agreements(where: { seller: "${seller.toLowerCase()}", status: PENDING }, first: 1000) { id product { id } }
    }`,
  );
  const products: SellerProduct[] = (q.data?.products ?? []).map((p) => ({ ...p, pending: (q.data?.agreements ?? []).filter((a) => a.product.id === p.id) }));
  return (
    <section aria-labelledby="mine-title">
      <h1 id="mine-title">My products</h1>
      <p>
        <Link to="/create" className="button">Create a product</Link>
      </p>
      {q.error ? <p className="notice error" role="alert">{q.error.message}</p> : null}
      {q.isLoading ? <p role="status" className="muted">Loading your products…</p> : null}
      {q.data && products.length === 0 ? <p>You have not published any product yet.</p> : null}
      <ul className="manage-list">
        {products.map((p) => (
          <li key={p.id} className="card manage-item" data-testid="seller-product">
            <header>
              <h2>
                <Link to={`/manage/${p.id}`}>{p.title}</Link>
              </h2>
              <span className={`badge ${p.active ? "ok" : "bad"}`}>{p.active ? "active" : "deactivated"}</span>
            </header>
            <p className="muted">
              #{p.id} · {productTypeWords(p.productType)} · {priceWords(p.price, p.pricingUnit)} · {p.salesCount} sold · {data(p.revenue)} earned
              {p.policy ? ` · policy v${p.policy.version}` : " · no policy yet: nobody can buy"}
            </p>
            {p.pending.length ? (
              <p>
                <span className="badge warn">{p.pending.length} request{p.pending.length === 1 ? "" : "s"} awaiting your approval</span>
              </p>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------

interface ProductDetail {
  product: GraphProduct | null;
  pending: { id: string; agreementId: string; purpose: string; amountPaid: string; createdAt: string; consumer: { id: string; credential: { category: string; organisationType: string; country: string } | null } }[];
  consumers: { consumer: { id: string } }[];
  retractions: { id: string; consumer: { id: string }; updatedAt: string }[];
  running: RunningAgreement[];
}

interface RunningAgreement {
  id: string;
  agreementId: string;
  purpose: string;
  amountPaid: string;
  startsAt: string;
  endsAt: string;
  consumer: { id: string };
  deliveries: { id: string }[];
}

function ManageProduct({ productId, seller }: { productId: bigint; seller: Address }) {
  const id = productId.toString();
  const q = useGraph<ProductDetail>(
    `{
      product(id: "${id}") { ${PRODUCT_FIELDS} }
      pending: agreements(where: { product: "${id}", status: PENDING }, orderBy: createdAt, first: 200) {
        id agreementId purpose amountPaid createdAt consumer { id credential { category organisationType country } }
      }
      consumers: agreements(where: { product: "${id}" }, first: 1000) { consumer { id } }
      retractions(where: { product: "${id}", retracted: true }, first: 1000) { id consumer { id } updatedAt }
      running: agreements(where: { product: "${id}", status: ACTIVE }, orderBy: createdAt, first: 1000) {
        id agreementId purpose amountPaid startsAt endsAt consumer { id } deliveries { id }
      }
    }`,
  );
  const p = q.data?.product;
  if (q.error) return <p className="notice error" role="alert">{q.error.message}</p>;
  if (!q.data) return <p role="status" className="muted">Loading product {id}…</p>;
  if (!p) return <p className="notice warn" role="status">Product {id} is not in the catalogue (yet): it may still be indexing.</p>;
  if (p.seller.id.toLowerCase() !== seller.toLowerCase()) {
    return <p className="notice warn" role="alert">Product {id} is sold by {shortAddress(p.seller.id)}, not by the connected account: switch accounts to manage it.</p>;
  }
  return (
    <section aria-labelledby="manage-title" className="form-grid">
      <p>
        <Link to="/manage">← My products</Link> · <Link to={`/product/${id}`}>Public page</Link>
      </p>
      <h1 id="manage-title">Manage: {p.title}</h1>
      <StatusSection product={p} />
      <PendingSection product={p} pending={q.data.pending} />
      <RunningSection product={p} running={q.data.running} />
      <ConsentSection product={p} consumers={[...new Set(q.data.consumers.map((c) => c.consumer.id))]} retractions={q.data.retractions} />
      <PriceSection product={p} />
      <PolicySection productId={productId} />
      <DescriptionSection product={p} />
    </section>
  );
}

function StatusSection({ product: p }: { product: GraphProduct }) {
  const { config } = useDapp();
  const a = useAction();
  const fn = p.active ? "deactivate" : "reactivate";
  return (
    <Section title="Availability">
      <p>
        {p.active
          ? "Active: eligible buyers can request access. Deactivating stops new requests and renewals; running agreements continue until they end."
          : "Deactivated: nobody can request access. Reactivate to sell again."}
      </p>
      <button type="button" disabled={a.busy} onClick={() => void a.run(p.active ? "Deactivating" : "Reactivating", async () => ({ call: { address: config.contracts.Catalogue, abi: catalogueAbi, functionName: fn, args: [BigInt(p.id)] }, done: p.active ? "Deactivated." : "Reactivated." }))}>
        {p.active ? "Deactivate" : "Reactivate"}
      </button>
      <ActionStatus status={a.status} />
    </Section>
  );
}

function PendingSection({ product: p, pending }: { product: GraphProduct; pending: ProductDetail["pending"] }) {
  const { config } = useDapp();
  const a = useAction();
  const decide = (agreementId: string, approve: boolean) =>
    void a.run(approve ? `Approving request ${agreementId}` : `Rejecting request ${agreementId}`, async () => ({
      call: { address: config.contracts.Agreements, abi: agreementsAbi, functionName: approve ? "approve" : "reject", args: [BigInt(agreementId)] },
      done: approve ? `Approved request ${agreementId}: the payment is released to you and access starts now.` : `Rejected request ${agreementId}: the buyer is refunded.`,
    }));
  return (
    <Section title="Requests awaiting your approval">
      {!p.requiresApproval && pending.length === 0 ? <p className="muted">This product's policy does not ask for approval.</p> : null}
      {p.requiresApproval && pending.length === 0 ? <p className="muted">No pending requests.</p> : null}
      {pending.map((r) => (
        <div key={r.id} className="request-row" data-testid="pending-request">
          <div>
            <strong>Request {r.agreementId}</strong> from <span className="address">{r.consumer.id}</span>
            <div className="muted">
              {r.consumer.credential ? `${r.consumer.credential.category.toLowerCase()}${r.consumer.credential.organisationType !== "NONE" ? ` (${r.consumer.credential.organisationType.toLowerCase().replace(/_/g, " ")})` : ""}, ${r.consumer.credential.country}` : "no credential"} · purpose: {purposeWords(r.purpose)} · {data(r.amountPaid)} in escrow · {date(r.createdAt)}
            </div>
          </div>
          <div className="actions">
            <button type="button" disabled={a.busy} onClick={() => decide(r.agreementId, true)} aria-label={`Approve request ${r.agreementId}`}>
              Approve
            </button>
            <button type="button" className="secondary" disabled={a.busy} onClick={() => decide(r.agreementId, false)} aria-label={`Reject request ${r.agreementId}`}>
              Reject
            </button>
          </div>
        </div>
      ))}
      <ActionStatus status={a.status} />
    </Section>
  );
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const isRunning = (a: RunningAgreement, now = nowSeconds()) => a.endsAt === "0" || Number(a.endsAt) > now;
/** What terminating now would refund (the contract computes it when mined: a little less for subscriptions). */
const refundEstimate = (a: RunningAgreement) =>
  estimateRefund({ amount: BigInt(a.amountPaid), startsAt: BigInt(a.startsAt), endsAt: BigInt(a.endsAt), delivered: a.deliveries.length > 0 }, nowSeconds());

function RunningSection({ product: p, running }: { product: GraphProduct; running: RunningAgreement[] }) {
  const [selected, setSelected] = useState<RunningAgreement>();
  const [busy, setBusy] = useState(false);
  const opener = useRef<HTMLButtonElement | null>(null);
  const live = running.filter((a) => isRunning(a));
  const close = () => {
    setSelected(undefined);
    if (opener.current?.isConnected) opener.current.focus();
  };
  return (
    <Section title="Running agreements">
      <p className="muted">
        Terminating an agreement ends the buyer's access now (deliveries and stream data stop) and refunds them from your DATA, in the same transaction:{" "}
        {isTimeBased(p.pricingUnit) ? "the paid time left, pro rata." : "everything while nothing was delivered yet, nothing once a delivery was recorded."}
      </p>
      {live.length === 0 ? <p className="muted">No agreement on this product is running now.</p> : null}
      {live.map((a) => (
        <div key={a.id} className="request-row" data-testid="running-agreement">
          <div>
            <strong>Agreement {a.agreementId}</strong> with <span className="address">{a.consumer.id}</span>
            <div className="muted">
              purpose: {purposeWords(a.purpose)} · paid {data(a.amountPaid)} · {a.endsAt === "0" ? (a.deliveries.length ? "one-time, delivered" : "one-time, not delivered yet") : `until ${date(a.endsAt)}`}
            </div>
          </div>
          <div className="actions">
            <button
              type="button"
              className="secondary"
              disabled={busy}
              aria-expanded={selected?.id === a.id}
              aria-label={`Terminate and refund agreement ${a.agreementId}`}
              onClick={(e) => {
                opener.current = e.currentTarget;
                setSelected(selected?.id === a.id ? undefined : a);
              }}
            >
              Terminate and refund
            </button>
          </div>
        </div>
      ))}
      {selected ? <TerminatePanel key={selected.id} agreement={selected} onBusy={setBusy} onClose={close} /> : null}
    </Section>
  );
}

function TerminatePanel({ agreement: a, onBusy, onClose }: { agreement: RunningAgreement; onBusy: (busy: boolean) => void; onClose: () => void }) {
  const t = useTerminate();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  useEffect(() => onBusy(t.running), [t.running, onBusy]);
  const [estimate] = useState(() => refundEstimate(a)); // as shown when the seller confirms
  const done = t.result?.agreementId === BigInt(a.agreementId);
  const titleId = `terminate-title-${a.id}`;
  return (
    <section className="card action-panel" aria-labelledby={titleId}>
      <h3 id={titleId} ref={heading} tabIndex={-1}>Terminate agreement {a.agreementId}?</h3>
      {!done ? (
        <p>
          <span className="address">{shortAddress(a.consumer.id)}</span> loses access now, and you refund{" "}
          <strong>{estimate === 0n ? "nothing" : `about ${data(estimate)}`}</strong> from your DATA
          {a.endsAt === "0"
            ? a.deliveries.length ? " (the data was delivered already)." : " (nothing was delivered yet, so everything they paid)."
            : " (their payment for the time left; the contract computes the exact amount when the transaction is mined)."}{" "}
          {estimate > 0n ? "If the marketplace may not take that much of your DATA yet, you approve the refund first. " : ""}This cannot be undone.
        </p>
      ) : null}
      <div className="actions">
        {done ? null : (
          <button type="button" disabled={t.running} onClick={() => void t.terminate(BigInt(a.agreementId))}>
            {t.running ? "Working…" : estimate === 0n ? "Terminate" : `Terminate and refund about ${data(estimate)}`}
          </button>
        )}
        <button type="button" className="secondary" disabled={t.running} onClick={onClose}>{done ? "Close" : "Keep the agreement"}</button>
      </div>
      {t.steps.length ? <TxSteps steps={t.steps} label="Termination progress" /> : null}
      {t.error ? <p className="notice error" role="alert">That did not work. {t.error}</p> : null}
      {done ? (
        <p className="notice ok" role="status">
          Terminated agreement {a.agreementId}: {t.result!.refunded > 0n ? <>{data(t.result!.refunded)} refunded to <span className="address">{a.consumer.id}</span></> : "nothing to refund (the data was delivered already)"}.
          {t.result!.indexed ? "" : " Updating the list…"}
        </p>
      ) : null}
    </section>
  );
}

function ConsentSection({ product: p, consumers, retractions }: { product: GraphProduct; consumers: string[]; retractions: ProductDetail["retractions"] }) {
  const { config } = useDapp();
  const a = useAction();
  const id = useId();
  const [consumer, setConsumer] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const retract = () => {
    if (!isAddress(consumer.trim())) return setProblem("Enter the buyer's address (0x followed by 40 hex digits).");
    setProblem(null);
    const who = getAddress(consumer.trim());
    void a.run("Retracting consent", async () => ({
      call: { address: config.contracts.Policies, abi: policiesAbi, functionName: "retractConsent", args: [BigInt(p.id), who] },
      done: `Consent retracted for ${who}: their new requests and renewals are refused. A running agreement of theirs continues until it ends, unless you terminate it.`,
    }));
  };
  const restore = (who: string) =>
    void a.run("Restoring consent", async () => ({
      call: { address: config.contracts.Policies, abi: policiesAbi, functionName: "restoreConsent", args: [BigInt(p.id), getAddress(who)] },
      done: `Consent restored for ${who}: they may request and renew again.`,
    }));
  return (
    <Section title="Consent for individual buyers">
      <p className="muted">Retracting consent refuses one buyer's new requests and renewals, whatever the policy says. A running agreement of theirs continues until it ends, unless you terminate it (Running agreements, above). It names only their address on chain.</p>
      <form
        className="retract-form"
        onSubmit={(e) => {
          e.preventDefault();
          retract();
        }}
      >
        <div className="field">
          <label htmlFor={`${id}-consumer`}>Buyer address</label>
          <input id={`${id}-consumer`} list={`${id}-consumers`} value={consumer} onChange={(e) => setConsumer(e.target.value)} placeholder="0x…" autoComplete="off" spellCheck={false} />
          <datalist id={`${id}-consumers`}>
            {consumers.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
        </div>
        <button type="submit" disabled={a.busy}>Retract consent</button>
      </form>
      {problem ? <p className="error-text" role="alert">{problem}</p> : null}
      {retractions.length ? (
        <>
          <h3>Retracted</h3>
          <ul>
            {retractions.map((r) => (
              <li key={r.id}>
                <span className="address">{r.consumer.id}</span> since {date(r.updatedAt)}{" "}
                <button type="button" className="secondary small" disabled={a.busy} onClick={() => restore(r.consumer.id)} aria-label={`Restore consent for ${r.consumer.id}`}>
                  Restore
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <ActionStatus status={a.status} />
    </Section>
  );
}

const unitOf = (graph: string) => PricingUnitNames.findIndex((n) => n.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase() === graph) as PricingUnit;
const typeOf = (graph: string) => ProductTypeNames.findIndex((n) => n.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase() === graph) as ProductType;

function PriceSection({ product: p }: { product: GraphProduct }) {
  const { config } = useDapp();
  const a = useAction();
  const productType = typeOf(p.productType);
  const [price, setPrice] = useState(() => data(p.price).replace(/ DATA$/, "").replace(/,/g, ""));
  const [pricingUnit, setUnit] = useState<PricingUnit>(unitOf(p.pricingUnit));
  const problems = checkStep("price", { ...emptyDraft(), productType, price, pricingUnit });
  return (
    <Section title="Price">
      <p className="muted">Now {priceWords(p.price, p.pricingUnit)}. Existing agreements keep what they paid.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (problems.length) return;
          void a.run("Changing the price", async () => ({
            call: { address: config.contracts.Catalogue, abi: catalogueAbi, functionName: "setPrice", args: [BigInt(p.id), priceWei(price), pricingUnit] },
            done: "Price changed.",
          }));
        }}
      >
        <PriceFields draft={{ price, pricingUnit, productType }} update={(u) => { if (u.price !== undefined) setPrice(u.price); if (u.pricingUnit !== undefined) setUnit(u.pricingUnit); }} />
        {problems.length ? <p className="error-text" role="alert">{problems.join(" ")}</p> : null}
        <button type="submit" disabled={a.busy || problems.length > 0}>Save price</button>
      </form>
      <ActionStatus status={a.status} />
    </Section>
  );
}

function PolicySection({ productId }: { productId: bigint }) {
  const { config } = useDapp();
  const a = useAction();
  // The chain is the authority on the current policy (the subgraph may lag a block).
  const current = useReadContract({ address: config.contracts.Policies, abi: policiesAbi, functionName: "policyOf", args: [productId] });
  const [value, setValue] = useState<Policy | null>(null);
  useEffect(() => {
    const c = current.data;
    if (!c || value) return;
    setValue(
      c.version === 0
        ? { ...emptyDraft() }
        : {
            purposes: fromMask(c.purposes) as Purpose[],
            consumerCategories: fromMask(c.consumerCategories) as Category[],
            organisationTypes: fromMask(c.organisationTypes) as OrganisationType[],
            jurisdictions: fromMask(c.jurisdictions) as Country[],
            requiresApproval: c.requiresApproval,
            retentionDays: c.retentionDays,
          },
    );
  }, [current.data, value]);
  if (current.error) return <Section title="Consent policy"><p className="notice error" role="alert">{explainError(current.error)}</p></Section>;
  if (!value || !current.data) return <Section title="Consent policy"><p role="status" className="muted">Reading the policy from the chain…</p></Section>;
  const problems = checkStep("policy", { ...emptyDraft(), ...value });
  return (
    <Section title="Consent policy">
      <p className="muted">
        {current.data.version === 0 ? "No policy yet: nobody can buy until you set one." : `Version ${current.data.version}. Saving creates version ${current.data.version + 1}; agreements already made keep the version they were checked against.`}
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (problems.length) return;
          void a.run("Saving the policy", async () => ({
            call: { address: config.contracts.Policies, abi: policiesAbi, functionName: "setPolicy", args: toPolicyArgs(productId, { ...value, organisationTypes: value.consumerCategories.includes(1 as Category) ? value.organisationTypes : [] }) },
            done: "Policy saved.",
          })).then(() => void current.refetch());
        }}
      >
        <PolicyFields value={value} onChange={setValue} />
        {problems.length ? <p className="error-text" role="alert">{problems.join(" ")}</p> : null}
        <button type="submit" disabled={a.busy || problems.length > 0}>Save policy</button>
      </form>
      <ActionStatus status={a.status} />
    </Section>
  );
}

function DescriptionSection({ product: p }: { product: GraphProduct }) {
  const { config } = useDapp();
  const a = useAction();
  const meta = useQuery({ queryKey: ["ipfs", p.metadataURI], queryFn: ({ signal }) => fetchMetadata(config.ipfsGatewayUrl, p.metadataURI, signal), retry: 1 });
  const [desc, setDesc] = useState<DescriptionValue>({ title: p.title, summary: p.summary, description: "", cover: null });
  const [cat, setCat] = useState({ category: p.category, tags: p.tags });
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    if (meta.data && !loaded) {
      setDesc((d) => ({ ...d, description: meta.data.description ?? "" }));
      setLoaded(true);
    }
  }, [meta.data, loaded]);
  const draft = { ...emptyDraft(), ...desc, ...cat };
  const problems = [...checkStep("description", draft), ...checkStep("catalogue", draft)];
  return (
    <Section title="Catalogue record">
      {meta.error ? <p className="notice warn" role="status">The current description could not be read from IPFS ({meta.error.message}); saving writes a new one.</p> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (problems.length) return;
          void a.run("Updating the description", async (step) => {
            let coverImage = meta.data?.coverImage;
            if (desc.cover) {
              step("uploading the cover image to IPFS…");
              coverImage = (await addToIpfs(config.ipfsApiUrl, desc.cover, desc.cover.name)).uri;
            }
            step("uploading the metadata document to IPFS…");
            const doc = { ...(meta.data ?? {}), schema: "kraken.product/v1" as const, title: desc.title.trim(), summary: desc.summary.trim(), description: desc.description.trim(), category: cat.category.trim(), tags: cat.tags, ...(coverImage ? { coverImage } : {}) };
            const bytes = encodeMetadata(doc);
            const added = await addToIpfs(config.ipfsApiUrl, new Blob([bytes as BlobPart], { type: "application/json" }), "metadata.json", { cidV1: true });
            return {
              call: { address: config.contracts.Catalogue, abi: catalogueAbi, functionName: "updateDescription", args: [BigInt(p.id), { metadataURI: added.uri, title: doc.title, summary: doc.summary, category: doc.category, tags: doc.tags }] },
              done: `Description updated (${added.uri}).`,
            };
          });
        }}
      >
        <DescriptionFields value={desc} onChange={setDesc} existingCover={gatewayUrl(config.ipfsGatewayUrl, meta.data?.coverImage)} />
        <CatalogueFields category={cat.category} tags={cat.tags} onChange={setCat} />
        {problems.length ? <p className="error-text" role="alert">{problems.join(" ")}</p> : null}
        <button type="submit" disabled={a.busy || problems.length > 0}>Save description</button>
      </form>
      <ActionStatus status={a.status} />
    </Section>
  );
}
