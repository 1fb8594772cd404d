// The consumer's actions on an agreement from the dashboard: renew a subscription (Agreements.renew,
// only the consumer's latest agreement on the product) and cancel a pending request
// (Agreements.cancel, the escrow is refunded). Both run through usePurchase: simulated first,
// progress signing → mined → indexed, refusals in words.
import { useEffect, useRef, useState } from "react";
import { enumIndex, PricingUnitNames, PurposeNames } from "@kraken/sdk";
import { TxSteps } from "../components/TxSteps.tsx";
import { useCredentialStatus, useDataBalance } from "../hooks/chain.ts";
import { usePurchase } from "../hooks/purchase.ts";
import type { GraphAgreement } from "../lib/subgraph.ts";
import { data, date, isTimeBased, maxPeriods, priceWords, purposeWords, unitWords } from "../lib/words.ts";

/** Renewable from the dashboard: an active (or expired) subscription that no later agreement of mine on the product superseded. */
export function isRenewable(a: GraphAgreement, latestOfProduct: string | undefined): boolean {
  return a.status === "ACTIVE" && isTimeBased(a.product.pricingUnit) && latestOfProduct === a.agreementId;
}

/** product id → the id of my latest agreement on it (the contract's latestAgreementOf). */
export function latestByProduct(list: GraphAgreement[]): Map<string, string> {
  const latest = new Map<string, string>();
  for (const a of list) {
    const seen = latest.get(a.product.id);
    if (seen === undefined || BigInt(a.agreementId) > BigInt(seen)) latest.set(a.product.id, a.agreementId);
  }
  return latest;
}

/** Moves focus to the panel's heading when it opens, so keyboard and screen-reader users land on it. */
function useFocusOnOpen(key: string) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), [key]);
  return ref;
}

export function RenewPanel({ agreement: a, me, onClose }: { agreement: GraphAgreement; me: `0x${string}`; onClose: () => void }) {
  const heading = useFocusOnOpen(a.id);
  const [periodsText, setPeriodsText] = useState("1");
  const periods = Number(periodsText);
  const MAX_PERIODS = maxPeriods(a.product.pricingUnit);
  const valid = Number.isInteger(periods) && periods >= 1 && periods <= MAX_PERIODS;
  const price = BigInt(a.product.price);
  const total = price * BigInt(valid ? periods : 1);
  const balance = useDataBalance(me);
  const credential = useCredentialStatus(me);
  const { renew, steps, error, result, running } = usePurchase();
  const unit = unitWords(a.product.pricingUnit);
  const insufficient = balance.data !== undefined && total > 0n && balance.data < total;
  const expired = Number(a.endsAt) <= Date.now() / 1000;
  const titleId = `renew-title-${a.id}`;
  return (
    <section className="card action-panel" aria-labelledby={titleId}>
      <h3 id={titleId} ref={heading} tabIndex={-1}>Renew “{a.product.title}”</h3>
      <p>
        Agreement #{a.agreementId} for {purposeWords(a.purpose).toLowerCase()}{" "}
        {expired ? <>ended on {date(a.endsAt)}: a renewal starts now.</> : <>runs until {date(a.endsAt)}: a renewal adds to that.</>}{" "}
        The seller's current policy is checked again; no new approval is needed.
      </p>
      <div className="field">
        <label htmlFor={`renew-periods-${a.id}`}>Number of {unit}s to add</label>
        <input id={`renew-periods-${a.id}`} type="number" min={1} max={MAX_PERIODS} value={periodsText} onChange={(e) => setPeriodsText(e.target.value)} aria-invalid={!valid} disabled={running} />
        {!valid ? <span className="error-text">Choose 1 to {MAX_PERIODS}.</span> : null}
      </div>
      <p>
        Total: <strong>{total === 0n ? "free" : data(total)}</strong>
        {valid ? <span className="muted"> ({periods} × {priceWords(a.product.price, a.product.pricingUnit)})</span> : null}
      </p>
      {balance.data !== undefined ? <p className="muted">Your balance: {data(balance.data)}</p> : null}
      {total > 0n ? <p className="muted">Payment: approve the amount, then renew (the approval is skipped when it is already in place; renewals have no permit variant on chain).</p> : null}
      {insufficient ? <p className="notice error" role="alert">Insufficient DATA: you have {data(balance.data!)}, this needs {data(total)}.</p> : null}
      <div className="actions">
        {result ? null : <button
          type="button"
          disabled={running || !valid || insufficient}
          onClick={() =>
            renew({
              agreementId: BigInt(a.agreementId),
              purpose: enumIndex(PurposeNames, a.purpose),
              periods,
              price,
              pricingUnit: enumIndex(PricingUnitNames, a.product.pricingUnit),
              policyVersion: a.product.policy?.version ?? 0,
              context: { credential: credential.data },
            })
          }
        >
          {running ? "Working…" : `Renew for ${total === 0n ? "free" : data(total)}`}
        </button>}
        <button type="button" className="secondary" onClick={onClose}>Close</button>
      </div>
      {steps.length ? <TxSteps steps={steps} label="Renewal progress" /> : null}
      {error ? <p className="notice error" role="alert" data-error-kind={error.kind}>{error.message}</p> : null}
      {result?.action === "renew" ? (
        <p className="notice ok" role="status">
          Renewed: agreement #{String(result.agreementId)} now runs until <time dateTime={new Date(Number(result.endsAt) * 1000).toISOString()}>{date(result.endsAt)}</time>.
          {result.indexed ? "" : " Updating the dashboard…"}
        </p>
      ) : null}
    </section>
  );
}

export function CancelPanel({ agreement: a, onClose }: { agreement: GraphAgreement; onClose: () => void }) {
  const heading = useFocusOnOpen(a.id);
  const { cancel, steps, error, result, running } = usePurchase();
  const escrow = BigInt(a.amountPaid);
  const titleId = `cancel-title-${a.id}`;
  const done = result?.action === "cancel";
  return (
    <section className="card action-panel" aria-labelledby={titleId}>
      <h3 id={titleId} ref={heading} tabIndex={-1}>Cancel request #{a.agreementId} for “{a.product.title}”</h3>
      {!done ? (
        <p>
          The seller has not decided yet. Cancelling withdraws the request
          {escrow > 0n ? <>; the <strong>{data(escrow)}</strong> held in escrow come back to you.</> : " (nothing was paid, nothing to refund)."}
        </p>
      ) : null}
      <div className="actions">
        {done ? null : (
          <button type="button" disabled={running} onClick={() => cancel(BigInt(a.agreementId))}>
            {running ? "Working…" : escrow > 0n ? `Cancel the request and refund ${data(escrow)}` : "Cancel the request"}
          </button>
        )}
        <button type="button" className="secondary" onClick={onClose}>{done ? "Close" : "Keep the request"}</button>
      </div>
      {steps.length ? <TxSteps steps={steps} label="Cancellation progress" /> : null}
      {error ? <p className="notice error" role="alert" data-error-kind={error.kind}>{error.message}</p> : null}
      {done ? (
        <p className="notice ok" role="status">
          Request #{String(result.agreementId)} cancelled; {result.refunded ? `${data(result.refunded)} refunded to your address` : "nothing to refund"}.
          {result.indexed ? "" : " Updating the dashboard…"}
        </p>
      ) : null}
    </section>
  );
}
