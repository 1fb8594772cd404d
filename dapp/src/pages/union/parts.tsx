// Pieces the union pages share: a union's facts (members vs minimum, revenue, fee, who may
// join, stream) and the progress, refusal and outcome of a union transaction.
import type { ReactNode } from "react";
import type { UnionState } from "@kraken/sdk";
import { TxSteps } from "../../components/TxSteps.tsx";
import type { useUnionTx } from "../../hooks/union.ts";
import { data } from "../../lib/words.ts";
import { feeWords, joinPolicyWords, saleWords } from "./words.ts";

export function UnionFacts({ u, extra }: { u: UnionState; extra?: ReactNode }) {
  const sale = saleWords(u);
  return (
    <dl className="facts" aria-label="Data union">
      <dt>Members</dt>
      <dd>
        {String(u.memberCount)} (minimum {u.minMembers}) — <span className={`badge ${sale.onSale ? "ok" : "warn"}`} data-testid="union-sale">{sale.text}</span>
      </dd>
      <dt>Revenue</dt>
      <dd>{data(u.totalRevenue + u.unsettledRevenue)}</dd>
      <dt>Admin fee</dt>
      <dd>{feeWords(u)}</dd>
      <dt>Who may join</dt>
      <dd>{joinPolicyWords(u.joinPolicy)}</dd>
      <dt>Stream</dt>
      <dd className="stream-id">{u.streamId}</dd>
      {extra}
    </dl>
  );
}

type Tx = ReturnType<typeof useUnionTx>;

/** Steps, refusal (role="alert") and outcome (role="status") of the last union transaction. */
export function UnionTxStatus({ tx, label, children }: { tx: Pick<Tx, "steps" | "error" | "result">; label: string; children?: ReactNode }) {
  return (
    <>
      {tx.steps.length ? <TxSteps steps={tx.steps} label={label} /> : null}
      {tx.error ? <p className="notice error" role="alert">{tx.error}</p> : null}
      {tx.result ? (
        <p className="notice ok" role="status">
          {tx.result.message}
          {tx.result.indexed ? "" : " Updating the catalogue…"} {children}
        </p>
      ) : null}
    </>
  );
}
