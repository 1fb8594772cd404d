// The purchase flow (MKT-FUN-16, docs/requirements.md#payment): approve or permit, then
// Agreements.requestAccess[WithPermit]; progress signing → mined → indexed. The flow itself is
// the SDK's requestAccess action (simulated before every write, so that a refusal is decoded
// and explained before the wallet is asked to sign); this hook maps its progress to steps.
// The dashboard's renewals (the SDK's renew: approve, the contract has no permit variant) and
// cancellations (cancel: the escrow is refunded) run through the same steps.
import { useCallback } from "react";
import type { Hex, TransactionReceipt } from "viem";
import {
  agreementsAbi,
  AgreementStatusNames,
  BalanceTooLowError,
  cancel as cancelAgreement,
  renew as renewAgreement,
  requestAccess,
  TransactionRevertedError,
  type ActionClients,
} from "@kraken/sdk";
import type { Step } from "../components/TxSteps.tsx";
import { explainError, type ExplainedError } from "../lib/errors.ts";
import type { VerdictContext } from "../lib/eligibility.ts";
import { data } from "../lib/words.ts";
import { paymentProgress, useTxFlow } from "./txFlow.ts";

export type PaymentMethod = "permit" | "approve";

export interface PurchaseRequest {
  productId: bigint;
  purpose: number;
  periods: number;
  /** price per period (or the one-time price) as shown to the consumer: the contract refuses more */
  price: bigint;
  /** the pricing unit and consent-policy version shown: the contract refuses any other */
  pricingUnit: number;
  policyVersion: number;
  method: PaymentMethod;
  /** for explaining an eligibility refusal in words */
  context?: Omit<VerdictContext, "purpose">;
}

/** `periods` more of a time-based agreement (only the consumer's latest on the product). */
export interface RenewRequest {
  agreementId: bigint;
  /** the agreement's purpose: the renewal is checked against the current policy for it */
  purpose: number;
  periods: number;
  /** the product's current price per period as shown: the contract refuses more */
  price: bigint;
  /** the product's current pricing unit and policy version as shown: the contract refuses others */
  pricingUnit: number;
  policyVersion: number;
  context?: Omit<VerdictContext, "purpose">;
}

export type AgreementAction = "request" | "renew" | "cancel";

export interface PurchaseResult {
  action: AgreementAction;
  agreementId: bigint;
  transactionHash: Hex;
  blockNumber: bigint;
  status: (typeof AgreementStatusNames)[number];
  endsAt: bigint;
  /** DATA returned from escrow (cancellations) */
  refunded?: bigint;
  indexed: boolean;
}

const SEND_LABEL: Record<AgreementAction, (paid: boolean) => string> = {
  request: (paid) => (paid ? "Send the purchase transaction" : "Send the access request"),
  renew: (paid) => (paid ? "Send the renewal transaction" : "Send the renewal"),
  cancel: () => "Send the cancellation",
};

const initialSteps = (action: AgreementAction, method: PaymentMethod, paid: boolean): Step[] => [
  { id: "approve", label: "Approve the marketplace to take the DATA", state: paid && method === "approve" ? "pending" : "skipped" },
  { id: "permit", label: "Sign the payment permit (a signature, not a transaction)", state: paid && method === "permit" ? "pending" : "skipped" },
  { id: "request", label: SEND_LABEL[action](paid), state: "pending" },
  { id: "indexed", label: "Catalogue and dashboard updated", state: "pending" },
];

const REVERTED: Record<AgreementAction, string> = { request: "purchase", renew: "renewal", cancel: "cancellation" };

/** One agreement transaction: what it costs, how it is paid, and the SDK action that sends it. */
interface Run {
  action: AgreementAction;
  total: bigint;
  method: PaymentMethod;
  purpose?: number;
  context?: Omit<VerdictContext, "purpose">;
  send: (c: ActionClients) => Promise<{ agreementId: bigint; receipt: TransactionReceipt; refunded?: bigint }>;
}

export function usePurchase() {
  const flow = useTxFlow<ExplainedError, PurchaseResult>();
  const { address, step, clients, indexed, start, setError, setResult, setSteps, setRunning } = flow;

  const { reset } = flow;

  const run = useCallback(
    async (r: Run) => {
      if (!address) {
        setError({ kind: "unknown", message: "Connect a wallet first." });
        return;
      }
      const paid = r.total > 0n;
      start(initialSteps(r.action, r.method, paid));
      let current = paid ? (r.method === "approve" ? "approve" : "permit") : "request";
      // The action's progress as the steps: approve / permit, then the request itself.
      const onProgress = paymentProgress(step, (id) => (current = id));
      try {
        const c = await clients(address, onProgress);
        const { agreementId, receipt, refunded } = await r.send(c);

        // Read the outcome from the chain right away; the catalogue follows.
        const a = await c.publicClient.readContract({ address: c.contracts.agreements, abi: agreementsAbi, functionName: "getAgreement", args: [agreementId] });
        const res: PurchaseResult = {
          action: r.action,
          agreementId,
          transactionHash: receipt.transactionHash,
          blockNumber: receipt.blockNumber,
          status: AgreementStatusNames[Number(a.status)],
          endsAt: BigInt(a.endsAt),
          refunded: r.action === "cancel" ? (refunded ?? 0n) : undefined,
          indexed: false,
        };
        setResult(res);
        current = "indexed";
        await indexed(res, receipt.blockNumber, { behind: (behind) => `catalogue ${behind} block${behind === 1 ? "" : "s"} behind; showing the chain meanwhile` });
      } catch (err) {
        if (err instanceof BalanceTooLowError) {
          setError({ kind: "insufficient-funds", name: "ERC20InsufficientBalance", message: `Insufficient DATA: you have ${data(err.balance)}, this needs ${data(err.needed)}.` });
          setSteps([]); // nothing was asked of the wallet
          return;
        }
        step(current, { state: "failed" });
        const reverted = err instanceof TransactionRevertedError ? new Error(`the ${err.tx === "approve" ? "approval" : REVERTED[r.action]} reverted (transaction ${err.hash})`) : err;
        setError(explainError(reverted, { ...r.context, ...(r.purpose === undefined ? {} : { purpose: r.purpose }) }));
      } finally {
        setRunning(false);
      }
    },
    [address, step, clients, indexed, start, setError, setResult, setSteps, setRunning],
  );

  /** Buy, subscribe or request access: the SDK's requestAccess (Agreements.requestAccess[WithPermit]). */
  const purchase = useCallback(
    (r: PurchaseRequest) => {
      const total = r.price * BigInt(r.periods);
      return run({
        action: "request",
        total,
        method: r.method,
        purpose: r.purpose,
        context: r.context,
        send: (c) =>
          requestAccess({
            ...c,
            productId: r.productId,
            purpose: r.purpose,
            periods: r.periods,
            offer: { price: r.price, pricingUnit: r.pricingUnit, policyVersion: r.policyVersion },
            method: total > 0n ? r.method : "approve",
            permitDeadline: BigInt(Math.floor(Date.now() / 1000) + 3600),
          }),
      });
    },
    [run],
  );

  /** More time on a subscription: the SDK's renew (approve, then Agreements.renew; no permit variant on chain). */
  const renew = useCallback(
    (r: RenewRequest) =>
      run({
        action: "renew",
        total: r.price * BigInt(r.periods),
        method: "approve",
        purpose: r.purpose,
        context: r.context,
        send: (c) => renewAgreement({ ...c, agreementId: r.agreementId, periods: r.periods, offer: { price: r.price, pricingUnit: r.pricingUnit, policyVersion: r.policyVersion } }),
      }),
    [run],
  );

  /** Withdraw a pending request: the SDK's cancel (Agreements.cancel); the escrow comes back. */
  const cancel = useCallback(
    (agreementId: bigint) => run({ action: "cancel", total: 0n, method: "approve", send: (c) => cancelAgreement({ ...c, agreementId }) }),
    [run],
  );

  return { purchase, renew, cancel, steps: flow.steps, error: flow.error, result: flow.result, running: flow.running, reset };
}
