// The purchase flow (MKT-FUN-16, docs/requirements.md#payment): approve or permit, then
// Agreements.requestAccess[WithPermit]; progress signing → mined → indexed. Each call is
// simulated first so that a refusal is decoded (custom errors via viem) and explained before
// the wallet is asked to sign.
// The dashboard's renewals (Agreements.renew: approve, the contract has no permit variant) and
// cancellations (Agreements.cancel: the escrow is refunded) run through the same steps.
import { useQueryClient } from "@tanstack/react-query";
import { getPublicClient, getWalletClient, simulateContract, waitForTransactionReceipt, writeContract, type WriteContractParameters } from "@wagmi/core";
import { useCallback, useState } from "react";
import { parseEventLogs, type Address, type Hex, type TransactionReceipt } from "viem";
import { useAccount, useConfig } from "wagmi";
import { agreementsAbi, agreementsWithTokenErrorsAbi, dataTokenAbi, signPermit, AgreementStatusNames } from "@kraken/sdk";
import type { Step } from "../components/TxSteps.tsx";
import { explainError, type ExplainedError } from "../lib/errors.ts";
import type { VerdictContext } from "../lib/eligibility.ts";
import { data } from "../lib/words.ts";
import { useDapp } from "./dapp.ts";
import { waitIndexed } from "./waitIndexed.ts";

export type PaymentMethod = "permit" | "approve";

export interface PurchaseRequest {
  productId: bigint;
  purpose: number;
  periods: number;
  /** price per period (or the one-time price) as shown to the buyer: the contract refuses more */
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

type Permit = Awaited<ReturnType<typeof signPermit>>;

/** One agreement transaction: what it costs, how it is paid, and its simulated call. */
interface Run {
  action: AgreementAction;
  total: bigint;
  method: PaymentMethod;
  purpose?: number;
  context?: Omit<VerdictContext, "purpose">;
  /** simulates the call (with the permit when one was signed); `agreementId` when known up front */
  simulate: (account: Address, permit?: Permit) => Promise<{ request: WriteContractParameters; result: unknown }>;
  agreementId?: bigint;
}

export function usePurchase() {
  const wagmi = useConfig();
  const { config } = useDapp();
  const { address } = useAccount();
  const queryClient = useQueryClient();
  const [steps, setSteps] = useState<Step[]>([]);
  const [error, setError] = useState<ExplainedError>();
  const [result, setResult] = useState<PurchaseResult>();
  const [running, setRunning] = useState(false);

  const step = (id: string, patch: Partial<Step>) => setSteps((all) => all.map((s) => (s.id === id ? { ...s, ...patch } : s)));

  const reset = useCallback(() => {
    setSteps([]);
    setError(undefined);
    setResult(undefined);
  }, []);

  const run = useCallback(
    async (r: Run) => {
      if (!address) {
        setError({ kind: "unknown", message: "Connect a wallet first." });
        return;
      }
      const total = r.total;
      const paid = total > 0n;
      setSteps(initialSteps(r.action, r.method, paid));
      setError(undefined);
      setResult(undefined);
      setRunning(true);
      let current = "request";
      const account = address as Address;
      const token = config.contracts.DataToken;
      const spender = config.contracts.Agreements;
      try {
        const client = getPublicClient(wagmi)!;
        if (paid) {
          const balance = await client.readContract({ address: token, abi: dataTokenAbi, functionName: "balanceOf", args: [account] });
          if (balance < total) {
            setError({ kind: "insufficient-funds", name: "ERC20InsufficientBalance", message: `Insufficient DATA: you have ${data(balance)}, this needs ${data(total)}.` });
            setSteps([]); // nothing was asked of the wallet
            return;
          }
        }
        let permit: Permit | undefined;
        if (paid && r.method === "approve") {
          current = "approve";
          const allowance = await client.readContract({ address: token, abi: dataTokenAbi, functionName: "allowance", args: [account, spender] });
          if (allowance >= total) step("approve", { state: "done", detail: "already approved" });
          else {
            step("approve", { state: "active", detail: "confirm in your wallet" });
            const { request } = await simulateContract(wagmi, { account, address: token, abi: dataTokenAbi, functionName: "approve", args: [spender, total] });
            const hash = await writeContract(wagmi, request);
            step("approve", { detail: "waiting to be mined…" });
            const receipt = await waitForTransactionReceipt(wagmi, { hash });
            if (receipt.status !== "success") throw new Error(`the approval reverted (transaction ${hash})`);
            step("approve", { state: "done", detail: `mined in block ${receipt.blockNumber}` });
          }
        } else if (paid) {
          current = "permit";
          step("permit", { state: "active", detail: "sign in your wallet" });
          const wallet = await getWalletClient(wagmi, { account });
          permit = await signPermit({
            wallet,
            publicClient: client,
            token,
            owner: { address: account, type: "json-rpc" },
            spender,
            value: total,
            deadline: BigInt(Math.floor(Date.now() / 1000) + 3600),
          });
          step("permit", { state: "done", detail: "signed" });
        }

        current = "request";
        step("request", { state: "active", detail: "checking with the contract…" });
        const sim = await r.simulate(account, permit);
        step("request", { detail: "confirm in your wallet" });
        const hash = await writeContract(wagmi, sim.request);
        step("request", { detail: `sent (${hash.slice(0, 10)}…), waiting to be mined` });
        const receipt = await waitForTransactionReceipt(wagmi, { hash });
        if (receipt.status !== "success") throw new Error(`the ${r.action === "request" ? "purchase" : r.action === "renew" ? "renewal" : "cancellation"} reverted (transaction ${hash})`);
        const agreementId = r.agreementId ?? (sim.result as bigint);
        step("request", { state: "done", detail: `mined in block ${receipt.blockNumber}` });

        // Read the outcome from the chain right away; the catalogue follows.
        const a = await client.readContract({ address: spender, abi: agreementsAbi, functionName: "getAgreement", args: [agreementId] });
        const res: PurchaseResult = {
          action: r.action,
          agreementId,
          transactionHash: hash,
          blockNumber: receipt.blockNumber,
          status: AgreementStatusNames[Number(a.status)],
          endsAt: BigInt(a.endsAt),
          refunded: r.action === "cancel" ? refundOf(receipt) : undefined,
          indexed: false,
        };
        setResult(res);
        current = "indexed";
        step("indexed", { state: "active", detail: "waiting for the indexer…" });
        await waitIndexed({
          subgraphUrl: config.subgraphUrl,
          wagmi,
          block: receipt.blockNumber,
          onBehind: (behind) => step("indexed", { detail: `catalogue ${behind} block${behind === 1 ? "" : "s"} behind; showing the chain meanwhile` }),
        });
        step("indexed", { state: "done", detail: "up to date" });
        setResult({ ...res, indexed: true });
        void queryClient.invalidateQueries();
      } catch (err) {
        step(current, { state: "failed" });
        setError(explainError(err, { ...r.context, ...(r.purpose === undefined ? {} : { purpose: r.purpose }) }));
      } finally {
        setRunning(false);
      }
    },
    [address, config, wagmi, queryClient],
  );

  /** Buy, subscribe or request access: Agreements.requestAccess[WithPermit]. */
  const purchase = useCallback(
    (r: PurchaseRequest) => {
      const agreements = target(config);
      const total = r.price * BigInt(r.periods);
      return run({
        action: "request",
        total,
        method: r.method,
        purpose: r.purpose,
        context: r.context,
        simulate: (account, permit) =>
          permit
            ? simulateContract(wagmi, { ...agreements, account, functionName: "requestAccessWithPermit", args: [r.productId, r.purpose, r.policyVersion, r.pricingUnit, r.periods, total, permit.deadline, permit.v, permit.r, permit.s] })
            : simulateContract(wagmi, { ...agreements, account, functionName: "requestAccess", args: [r.productId, r.purpose, r.policyVersion, r.pricingUnit, r.periods, total] }),
      });
    },
    [run, wagmi, config],
  );

  /** More time on a subscription: approve, then Agreements.renew (no permit variant on chain). */
  const renew = useCallback(
    (r: RenewRequest) => {
      const agreements = target(config);
      const total = r.price * BigInt(r.periods);
      return run({
        action: "renew",
        total,
        method: "approve",
        purpose: r.purpose,
        context: r.context,
        agreementId: r.agreementId,
        simulate: (account) => simulateContract(wagmi, { ...agreements, account, functionName: "renew", args: [r.agreementId, r.policyVersion, r.pricingUnit, r.periods, total] }),
      });
    },
    [run, wagmi, config],
  );

  /** Withdraw a pending request: Agreements.cancel; the escrow comes back. */
  const cancel = useCallback(
    (agreementId: bigint) =>
      run({
        action: "cancel",
        total: 0n,
        method: "approve",
        agreementId,
        simulate: (account) => simulateContract(wagmi, { ...target(config), account, functionName: "cancel", args: [agreementId] }),
      }),
    [run, wagmi, config],
  );

  return { purchase, renew, cancel, steps, error, result, running, reset };
}

/** Agreements, with the token's errors so that a failed transferFrom is named too. */
const target = (config: { contracts: { Agreements: Address } }) => ({ address: config.contracts.Agreements, abi: agreementsWithTokenErrorsAbi }) as const;

/** The refund of an AgreementCancelled event in the receipt. */
function refundOf(receipt: TransactionReceipt): bigint {
  const [event] = parseEventLogs({ abi: agreementsAbi, logs: receipt.logs, eventName: "AgreementCancelled" });
  return event?.args.refunded ?? 0n;
}
