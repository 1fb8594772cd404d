// Dashboard → My queries: the buyer's query jobs from the subgraph (QueryJob) with their status,
// what was paid and asked (the text and result from this browser's own record: the chain keeps
// only the query's hash), the nodes' refusals, and Refund for a job past its deadline without
// results (the SDK's refundQuery).
import { useState } from "react";
import { getPublicClient, getWalletClient } from "@wagmi/core";
import type { Address, PublicClient } from "viem";
import { useConfig } from "wagmi";
import { useQueryClient } from "@tanstack/react-query";
import { refundQuery } from "@kraken/sdk";
import { useDapp } from "../../hooks/dapp.ts";
import { useGraph } from "../../hooks/graph.ts";
import { data, date, purposeWords } from "../../lib/words.ts";
import { Link } from "../../router.tsx";
import { explainAnalyticsError } from "./errors.ts";
import { rememberedQueries } from "./history.ts";
import { describeQuery } from "./queryDraft.ts";
import { jobStatusWords, refusalWords } from "./words.ts";

interface GraphQueryJob {
  id: string;
  jobId: string;
  product: { id: string; title: string };
  purpose: string;
  queryHash: string;
  amount: string;
  status: string;
  createdAt: string;
  deadline: string;
  results: number;
  receipts: { node: string; refusal: string | null }[];
  dataset: { minCohort: number } | null;
}

const JOBS = `query MyJobs($me: Bytes!) { queryJobs(where: { consumer: $me }, orderBy: createdAt, orderDirection: desc, first: 200) {
  id jobId product { id title } purpose queryHash amount status createdAt deadline results receipts { node refusal } dataset { minCohort } } }`;

export function MyQueries({ me }: { me: string }) {
  const { config } = useDapp();
  const q = useGraph<{ queryJobs: GraphQueryJob[] }>(JOBS, { me }, { retry: false });
  const remembered = new Map(rememberedQueries(config.chainId, me).map((r) => [r.jobId, r]));
  const jobs = q.data?.queryJobs ?? [];
  const now = Math.floor(Date.now() / 1000);
  return (
    <>
      <h2>My queries</h2>
      {!config.contracts.Analytics ? <p className="muted">This marketplace has no analytics products.</p> : null}
      {q.error ? <p className="notice warn" role="status">The catalogue does not list query jobs yet ({q.error.message}).</p> : null}
      {q.isLoading ? <p role="status">Loading…</p> : jobs.length === 0 && !q.error ? <p>No queries yet. Analytics products are queried from their product page: <Link to="/explore?type=ANALYTICS">find one</Link>.</p> : null}
      {jobs.length ? (
        <div className="table-wrap">
          <table aria-label="My queries">
            <thead>
              <tr><th>#</th><th>Product</th><th>Query</th><th>Purpose</th><th>Status</th><th>Paid</th><th>Asked</th><th>Actions</th></tr>
            </thead>
            <tbody>
              {jobs.map((j) => {
                const mine = remembered.get(j.jobId);
                const refusals = j.receipts.filter((r) => r.refusal).map((r) => r.refusal!);
                const due = j.status === "OPEN" && Number(j.deadline) < now;
                return (
                  <tr key={j.id} data-job={j.jobId} data-status={j.status}>
                    <td>{j.jobId}</td>
                    <td><Link to={`/product/${j.product.id}`}>{j.product.title}</Link></td>
                    <td>{mine ? describeQuery(mine.query) : <span className="address" title="The query text is kept only in the browser that asked it">{j.queryHash.slice(0, 10)}…</span>}</td>
                    <td>{purposeWords(j.purpose)}</td>
                    <td>
                      <span className={`badge ${j.status === "COMPLETED" ? "ok" : j.status === "OPEN" ? "warn" : "bad"}`}>{due ? "No answer by the deadline" : jobStatusWords(j.status)}</span>
                      {j.status === "OPEN" && !due ? <div className="muted">{j.results} result{j.results === 1 ? "" : "s"}; due {date(j.deadline)}</div> : null}
                      {refusals.length ? <div className="muted">{[...new Set(refusals)].map((r) => refusalWords(r, j.dataset?.minCohort)).join(" ")}</div> : null}
                    </td>
                    <td>{data(j.amount)}{j.status === "REFUSED" || j.status === "REFUNDED" ? " (refunded)" : ""}</td>
                    <td>{date(j.createdAt)}</td>
                    <td>
                      {due ? <RefundButton jobId={BigInt(j.jobId)} /> : null}
                      {mine?.result ? <ResultSummary cells={mine.result.cells.length} withheld={mine.result.cells.filter((c) => c.suppressed).length} /> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

function ResultSummary({ cells, withheld }: { cells: number; withheld: number }) {
  return <span className="muted">result: {cells} cell{cells === 1 ? "" : "s"}{withheld ? `, ${withheld} withheld` : ""}</span>;
}

function RefundButton({ jobId }: { jobId: bigint }) {
  const { config } = useDapp();
  const wagmi = useConfig();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const refund = async () => {
    setBusy(true);
    setMessage(undefined);
    try {
      const wallet = await getWalletClient(wagmi);
      const r = await refundQuery({ publicClient: getPublicClient(wagmi)! as PublicClient, wallet, account: wallet.account.address, analytics: config.contracts.Analytics as Address, jobId });
      setMessage({ ok: true, text: `Refunded: ${data(r.amount)} back.` });
      void queryClient.invalidateQueries();
    } catch (err) {
      setMessage({ ok: false, text: explainAnalyticsError(err).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" onClick={refund} disabled={busy} aria-label={`Refund query ${jobId}`}>{busy ? "Refunding…" : "Refund"}</button>
      {message ? <div role={message.ok ? "status" : "alert"} className={message.ok ? "" : "error-text"}>{message.text}</div> : null}
    </>
  );
}
