// How a query ended without a result: refused by the nodes (differencing, not allowed, not
// eligible… — the payment came back automatically), no answer by the deadline (Refund, once the
// deadline passed), or refunded.
import { useEffect, useState } from "react";
import { data } from "../../lib/words.ts";
import { refusalWords } from "./words.ts";
import type { QueryJob, QueryOutcome } from "./useRunQuery.ts";

export function QueryOutcomeView({ outcome, job, minCohort, refund, refunding }: { outcome?: QueryOutcome; job?: QueryJob; minCohort?: number; refund: () => void; refunding: boolean }) {
  const now = useNow();
  if (outcome?.kind === "refused") {
    return (
      <div className="notice error" role="alert" data-outcome="refused">
        <strong>The computation nodes refused this query.</strong>
        <ul>{[...new Set(outcome.reasons)].map((r) => <li key={r} data-refusal={r}>{refusalWords(r, minCohort)}</li>)}</ul>
        <p data-refund="refunded">{outcome.refunded ? `Your payment${job ? ` of ${data(job.amount)}` : ""} was refunded in full.` : "Your payment is held in escrow until the job closes."}</p>
      </div>
    );
  }
  if (outcome?.kind === "refunded") {
    return <p className="notice ok" role="status" data-refund="done">Refunded: {data(outcome.amount)} back to your balance.</p>;
  }
  if (!job) return null;
  const due = now > job.deadline;
  return (
    <div className="notice warn" role="alert" data-outcome="timeout">
      <strong>{outcome?.kind === "timeout" ? outcome.message : "No result yet."}</strong>{" "}
      {due ? (
        <>
          <span data-refund="due">The deadline ({new Date(job.deadline * 1000).toLocaleString("en-GB")}) passed without results: take your {data(job.amount)} back.</span>{" "}
          <button type="button" onClick={refund} disabled={refunding}>{refunding ? "Refunding…" : "Refund"}</button>
        </>
      ) : (
        <span data-refund="wait">Your {data(job.amount)} stay in escrow; if the nodes do not answer by {new Date(job.deadline * 1000).toLocaleString("en-GB")} (in {Math.ceil((job.deadline - now) / 60)} min), a Refund button appears here and on your dashboard.</span>
      )}
    </div>
  );
}

function useNow(): number {
  const [now, setNow] = useState(() => Math.floor(Date.now() / 1000));
  useEffect(() => {
    const t = setInterval(() => setNow(Math.floor(Date.now() / 1000)), 5000);
    return () => clearInterval(t);
  }, []);
  return now;
}
