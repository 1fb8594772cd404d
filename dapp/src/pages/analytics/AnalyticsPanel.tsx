// The product page's panel for ANALYTICS products (instead of the purchase panel): the price
// per query, the privacy guarantees, who may query (the purchase's eligibility verdict), the
// query builder with live validation, payment, the progress of the run and its result — or
// why there is none (refused, timed out) and the refund.
import { useEffect, useMemo, useState } from "react";
import { useAccount } from "wagmi";
import { useConnectModal } from "@rainbow-me/rainbowkit";
import { EligibilitySection, PurposeSelect, useEligibility } from "../../components/Eligibility.tsx";
import { TxSteps } from "../../components/TxSteps.tsx";
import { useDataBalance } from "../../hooks/chain.ts";
import { useDapp } from "../../hooks/dapp.ts";
import type { GraphProduct } from "../../lib/subgraph.ts";
import { data, shortAddress } from "../../lib/words.ts";
import { Link } from "../../router.tsx";
import { explainAnalyticsError } from "./errors.ts";
import { PrivacyFacts } from "./PrivacyFacts.tsx";
import { QueryBuilder } from "./QueryBuilder.tsx";
import { draftProblem, initialDraft, toQuery, type QueryDraft } from "./queryDraft.ts";
import { QueryOutcomeView } from "./QueryOutcomeView.tsx";
import { ResultView } from "./ResultView.tsx";
import { validateQuery, type Query } from "./sdk.ts";
import type { ExplainedError } from "../../lib/errors.ts";
import { useAnalyticsOffer } from "./useAnalyticsOffer.ts";
import { useRunQuery, type PaymentMethod } from "./useRunQuery.ts";

export default function AnalyticsPanel({ product }: { product: GraphProduct }) {
  const { config } = useDapp();
  const { address, isConnected } = useAccount();
  const { openConnectModal } = useConnectModal();
  const productId = BigInt(product.productId);
  const offer = useAnalyticsOffer(product.productId);
  const price = BigInt(product.price);
  const elig = useEligibility(productId, address, product.policy?.purposes ?? []);
  const balance = useDataBalance(address);
  const [draft, setDraft] = useState<QueryDraft>();
  const [method, setMethod] = useState<PaymentMethod>("permit");
  const runner = useRunQuery();
  const { run, reset, running } = runner;
  const manifest = offer.data?.manifest;
  useEffect(() => {
    if (manifest) setDraft((d) => d ?? initialDraft(manifest));
  }, [manifest]);
  useEffect(reset, [address, reset]);
  useEffect(() => {
    if (runner.result || runner.outcome) void balance.refetch();
  }, [runner.result, runner.outcome]); // eslint-disable-line react-hooks/exhaustive-deps

  const query = useMemo(() => (draft ? toQuery(draft) : undefined), [draft]);
  // Live validation: what is missing in the builder, then the SDK's rules (the nodes apply the same).
  const checked = useMemo((): { valid?: Query; problem?: ExplainedError } => {
    if (!query || !manifest || !draft) return {};
    const missing = draftProblem(manifest, draft);
    if (missing) return { problem: { kind: "unknown", name: "incomplete", message: missing } };
    try {
      return { valid: validateQuery(query, manifest) };
    } catch (err) {
      return { problem: explainAnalyticsError(err) };
    }
  }, [query, manifest, draft]);
  const problem = checked.problem;
  const configured = !!config.contracts.Analytics && !!config.smpcNodes?.length && !!config.streamr;
  const insufficient = !!address && balance.data !== undefined && price > 0n && balance.data < price;
  const budgetOut = !!offer.data && manifest!.privacy.epsilonPerQuery > 0 && offer.data.epsilonLeft < manifest!.privacy.epsilonPerQuery;
  const canRun = !!checked.valid && !!elig.explained?.eligible && !insufficient && !budgetOut && product.active && configured && !running;

  return (
    <div className="card analytics-panel">
      <h2>Ask a question</h2>
      <p>
        Price per query: <strong className="price" data-testid="price-per-query">{price === 0n ? "free" : data(price)}</strong>
        <span className="muted"> — you pay for each query you run; results only, never records.</span>
      </p>
      {!configured ? <p className="notice warn">Analytics queries are not configured on this marketplace (no Analytics contract, computation nodes or Streamr network in config.json).</p> : null}
      {offer.isLoading ? <p role="status" className="muted">Loading the dataset's rules…</p> : null}
      {offer.error ? <p role="alert" className="notice error">The dataset's rules cannot be read: {offer.error.message}</p> : null}
      {offer.data === null ? <p className="notice warn" role="status">The seller has not shared a dataset with the computation nodes yet, so nothing can be queried.</p> : null}
      {offer.data ? <PrivacyFacts manifest={offer.data.manifest} epsilonLeft={offer.data.epsilonLeft} /> : null}
      {!isConnected ? (
        <>
          <p>Connect a wallet to check whether your credential allows queries on this product and to run them.</p>
          <button type="button" onClick={openConnectModal}>Connect wallet</button>
        </>
      ) : (
        <>
          <PurposeSelect state={elig} onChange={reset} />
          <EligibilitySection state={elig} question="May I query it?" />
          {manifest && draft ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                if (canRun && checked.valid && offer.data) {
                  void run({
                    offer: offer.data,
                    purpose: elig.purpose,
                    policyVersion: product.policy?.version ?? 0,
                    query: checked.valid,
                    price,
                    method,
                    context: { credential: elig.credential.data, allowedPurposes: elig.allowed },
                  });
                }
              }}
            >
              <QueryBuilder manifest={manifest} draft={draft} disabled={running} onChange={(d) => { setDraft(d); if (!running) reset(); }} />
              <p className={problem ? "error-text" : "muted"} aria-live="polite" data-query-error={problem?.name}>
                {problem ? problem.message : "The query is valid for this dataset."}
              </p>
              {budgetOut ? <p className="notice error" role="alert">The dataset's privacy budget is used up: it answers no more queries.</p> : null}
              {price > 0n ? (
                <fieldset>
                  <legend>Payment</legend>
                  <label><input type="radio" name="query-method" value="permit" checked={method === "permit"} onChange={() => setMethod("permit")} /> Permit: one signature and one transaction</label>
                  <br />
                  <label><input type="radio" name="query-method" value="approve" checked={method === "approve"} onChange={() => setMethod("approve")} /> Approve, then pay: two transactions</label>
                </fieldset>
              ) : null}
              {balance.data !== undefined ? <p className="muted">Your balance: {data(balance.data)}</p> : null}
              {insufficient ? <p className="notice error" role="alert">Insufficient DATA: you have {data(balance.data!)}, a query costs {data(price)}.</p> : null}
              <p className="muted" id="query-on-chain">
                The payment (your address, the product, the purpose and a hash of the query) is recorded publicly on the consortium chain; the query text goes only to the {manifest.nodes.length} computation nodes, and the result is sealed to your key.
              </p>
              <button type="submit" aria-describedby="query-on-chain" disabled={!canRun}>
                {running ? "Working…" : `Run query${price > 0n ? ` for ${data(price)}` : ""}`}
              </button>
            </form>
          ) : null}
          {runner.steps.length ? <TxSteps steps={runner.steps} label="Query progress" /> : null}
          {runner.error ? <p className="notice error" role="alert" data-error-kind={runner.error.kind}>That did not work. {runner.error.message}</p> : null}
          {runner.outcome || (runner.job && runner.error) ? (
            <QueryOutcomeView outcome={runner.outcome} job={runner.job} minCohort={manifest?.privacy.minCohort} refund={runner.refund} refunding={runner.refunding} />
          ) : null}
          {runner.result && manifest ? <ResultView shown={runner.result} manifest={manifest} /> : null}
          {runner.result || runner.outcome ? <p className="muted">Your queries are listed on your <Link to="/dashboard?view=queries">dashboard</Link>.</p> : null}
        </>
      )}
      <p className="muted">Seller <span className="address">{shortAddress(product.seller.id)}</span>.</p>
    </div>
  );
}
