// Running one paid query (docs/analytics.md, buyer): unlock the result key (a wallet signature),
// listen on the nodes' inboxes, hand the query text to the nodes, pay (approve or permit, then
// Analytics.requestQuery — the SDK's requestQuery, simulated first), wait for the nodes' sealed
// result shares and rebuild the result here. Refusals and timeouts end the run with the refund
// state; a job past its deadline without results can be refunded (the SDK's refundQuery).
import { useCallback, useRef, useState } from "react";
import type { Address, EIP1193Provider } from "viem";
import { useAccount } from "wagmi";
import { BalanceTooLowError, refundQuery, requestQuery, TransactionRevertedError, type ActionClients } from "@kraken/sdk";
import type { Step } from "../../components/TxSteps.tsx";
import { paymentProgress, useTxFlow } from "../../hooks/txFlow.ts";
import type { ExplainedError } from "../../lib/errors.ts";
import type { VerdictContext } from "../../lib/eligibility.ts";
import { data } from "../../lib/words.ts";
import { explainAnalyticsError } from "./errors.ts";
import type { AnalyticsOffer } from "@kraken/sdk/analytics";
import type { Query, ShownResult } from "./sdk.ts";
import { rememberQuery } from "./history.ts";
import type { QuerySession } from "./queryFlow.ts";

export type PaymentMethod = "permit" | "approve";

export interface RunQueryRequest {
  offer: AnalyticsOffer;
  purpose: number;
  policyVersion: number;
  /** validated (validateQuery's canonical form) */
  query: Query;
  /** the price per query as shown: the contract refuses more */
  price: bigint;
  method: PaymentMethod;
  context?: Omit<VerdictContext, "purpose">;
}

export interface QueryJob {
  jobId: bigint;
  amount: bigint;
  /** unix seconds: no result by then → refund */
  deadline: number;
}

/** How a run ended when it did not end with a result. */
export type QueryOutcome =
  | { kind: "refused"; reasons: string[]; refunded: boolean }
  | { kind: "timeout"; message: string }
  | { kind: "refunded"; amount: bigint };

const initialSteps = (method: PaymentMethod, paid: boolean): Step[] => [
  { id: "key", label: "Unlock your result key (a signature, free)", state: "pending" },
  { id: "listen", label: "Listen for the nodes' answers", state: "pending" },
  { id: "submit", label: "Send the query to the computation nodes", state: "pending" },
  { id: "approve", label: "Approve the marketplace to take the DATA", state: paid && method === "approve" ? "pending" : "skipped" },
  { id: "permit", label: "Sign the payment permit (a signature, not a transaction)", state: paid && method === "permit" ? "pending" : "skipped" },
  { id: "request", label: paid ? "Pay for the query" : "Send the query request", state: "pending" },
  { id: "nodes", label: "Wait for the nodes to compute and answer", state: "pending" },
];

export function useRunQuery() {
  const flow = useTxFlow<ExplainedError, ShownResult & { indexed: boolean }>();
  const { address, step, clients, start, setError, setResult, setSteps, setRunning, config } = flow;
  const { connector } = useAccount();
  const [job, setJob] = useState<QueryJob>();
  const [outcome, setOutcome] = useState<QueryOutcome>();
  const [refunding, setRefunding] = useState(false);
  const generation = useRef(0);
  const active = useRef(false);

  /** Back to nothing shown; a run in progress (it may have paid already) is left to finish. */
  const reset = useCallback(() => {
    if (active.current) return;
    generation.current++;
    flow.reset();
    setJob(undefined);
    setOutcome(undefined);
  }, [flow.reset]); // eslint-disable-line react-hooks/exhaustive-deps

  const run = useCallback(
    async (r: RunQueryRequest) => {
      if (!address || !connector) {
        setError({ kind: "unknown", message: "Connect a wallet first." });
        return;
      }
      const analytics = config.contracts.Analytics;
      if (!analytics || !config.smpcNodes?.length || !config.streamr) {
        setError({ kind: "unknown", message: "Analytics queries are not configured on this marketplace (config.json has no Analytics contract, SMPC nodes or Streamr network)." });
        return;
      }
      const gen = ++generation.current;
      active.current = true;
      const paid = r.price > 0n;
      start(initialSteps(r.method, paid));
      setJob(undefined);
      setOutcome(undefined);
      let current = "key";
      const onProgress = paymentProgress(step, (id) => (current = id));
      const { offer } = r;
      let flowModule: typeof import("./queryFlow.ts") | undefined;
      let session: QuerySession | undefined;
      let j: QueryJob | undefined;
      let c: ActionClients | undefined;
      try {
        flowModule = await import("./queryFlow.ts"); // Streamr and the result code load on first use
        c = await clients(address, onProgress);
        step("key", { state: "active", detail: "sign in your wallet" });
        session = await flowModule.openSession({
          config,
          offer,
          consumer: address,
          publicClient: c.publicClient,
          provider: (await connector.getProvider()) as EIP1193Provider,
          signTypedData: (typed) => c!.wallet.signTypedData({ account: address, ...typed }),
        });
        step("key", { state: "done" });
        current = "listen";
        step("listen", { state: "active", detail: "connecting to the delivery network…" });
        await session.listen((line) => step("listen", { detail: line }));
        step("listen", { state: "done", detail: `listening to ${offer.nodes.length} nodes` });
        current = "submit";
        step("submit", { state: "active" });
        const queryHash = await flowModule.submitToNodes({ config, offer, query: r.query });
        step("submit", { state: "done", detail: `query ${queryHash.slice(0, 10)}… is with the nodes` });
        current = paid ? (r.method === "approve" ? "approve" : "permit") : "request";
        const requested = await requestQuery({
          ...c,
          contracts: { analytics, token: config.contracts.DataToken },
          productId: offer.productId,
          purpose: r.purpose,
          policyVersion: r.policyVersion,
          manifestHash: offer.manifestHash,
          queryHash,
          price: r.price,
          method: paid ? r.method : "approve",
          permitDeadline: BigInt(Math.floor(Date.now() / 1000) + 3600),
        });
        j = { jobId: requested.jobId, amount: requested.amount, deadline: requested.deadline };
        if (gen !== generation.current) return;
        setJob(j);
        const record = { jobId: String(j.jobId), productId: String(offer.productId), query: r.query, at: Math.floor(Date.now() / 1000) };
        rememberQuery(config.chainId, address, record);
        current = "nodes";
        step("nodes", { state: "active", detail: `job #${j.jobId}; answers due by ${new Date(j.deadline * 1000).toLocaleTimeString("en-GB")}` });
        const result = await session.collect({ jobId: j.jobId, query: r.query, onProgress: (line) => step("nodes", { detail: line }) });
        if (gen !== generation.current) return;
        step("nodes", { state: "done", detail: `${result.nodes.length} nodes' shares combined${result.consistent ? " and cross-checked" : ""}` });
        rememberQuery(config.chainId, address, { ...record, result });
        setResult({ jobId: String(j.jobId), query: r.query, result, indexed: true });
      } catch (err) {
        if (gen !== generation.current) return;
        if (err instanceof BalanceTooLowError) {
          setError({ kind: "insufficient-funds", name: "ERC20InsufficientBalance", message: `Insufficient DATA: you have ${data(err.balance)}, this needs ${data(err.needed)}.` });
          setSteps((s) => s.map((x) => (x.id === current ? { ...x, state: "failed" } : x)));
          return;
        }
        step(current, { state: "failed" });
        const ended = flowModule && c ? await flowModule.outcomeOf(err, { publicClient: c.publicClient, analytics, jobId: j?.jobId, amount: j?.amount, nodes: offer.nodes }) : undefined;
        if (ended) {
          if (gen === generation.current) setOutcome(ended);
          return;
        }
        const reverted = err instanceof TransactionRevertedError ? new Error(`the ${err.tx === "approve" ? "approval" : "query request"} reverted (transaction ${err.hash})`) : err;
        setError(explainAnalyticsError(reverted, { ...r.context, purpose: r.purpose }));
      } finally {
        active.current = false;
        if (gen === generation.current) setRunning(false);
        void session?.close(); // leaving the Streamr network can take a moment: not worth waiting for
      }
    },
    [address, connector, config, step, clients, start, setError, setResult, setSteps, setRunning],
  );

  /** Takes the payment of the current job back once its deadline passed without results. */
  const refund = useCallback(async () => {
    if (!address || !job || !config.contracts.Analytics) return;
    setRefunding(true);
    setError(undefined);
    try {
      const c = await clients(address, () => {});
      const r = await refundQuery({ ...c, analytics: config.contracts.Analytics as Address, jobId: job.jobId });
      setOutcome({ kind: "refunded", amount: r.amount });
    } catch (err) {
      setError(explainAnalyticsError(err));
    } finally {
      setRefunding(false);
    }
  }, [address, job, config, clients, setError]);

  return { run, refund, reset, steps: flow.steps, error: flow.error, result: flow.result, running: flow.running, job, outcome, refunding };
}
