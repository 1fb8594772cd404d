// The purchase flow (spec §5.1.6): approve or permit, then Agreements.requestAccess[WithPermit];
// progress signing → mined → indexed. Each call is simulated first so that a refusal is
// decoded (custom errors via viem) and explained before the wallet is asked to sign.
import { useQueryClient } from "@tanstack/react-query";
import { getPublicClient, getWalletClient, simulateContract, waitForTransactionReceipt, writeContract } from "@wagmi/core";
import { useCallback, useState } from "react";
import type { Address, Hex } from "viem";
import { useAccount, useConfig } from "wagmi";
import { agreementsAbi, dataTokenAbi, signPermit, AgreementStatusNames } from "@kraken/sdk";
import type { Step } from "../components/TxSteps.tsx";
import { agreementsWithTokenErrors } from "../lib/abis.ts";
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
  method: PaymentMethod;
  /** for explaining an eligibility refusal in words */
  context?: Omit<VerdictContext, "purpose">;
}

export interface PurchaseResult {
  agreementId: bigint;
  transactionHash: Hex;
  blockNumber: bigint;
  status: (typeof AgreementStatusNames)[number];
  endsAt: bigint;
  indexed: boolean;
}

const initialSteps = (method: PaymentMethod, paid: boolean): Step[] => [
  { id: "approve", label: "Approve the marketplace to take the DATA", state: paid && method === "approve" ? "pending" : "skipped" },
  { id: "permit", label: "Sign the payment permit (a signature, not a transaction)", state: paid && method === "permit" ? "pending" : "skipped" },
  { id: "request", label: paid ? "Send the purchase transaction" : "Send the access request", state: "pending" },
  { id: "indexed", label: "Catalogue and dashboard updated", state: "pending" },
];

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

  const purchase = useCallback(
    async (r: PurchaseRequest) => {
      if (!address) {
        setError({ kind: "unknown", message: "Connect a wallet first." });
        return;
      }
      const total = r.price * BigInt(r.periods);
      const paid = total > 0n;
      setSteps(initialSteps(r.method, paid));
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
        let permit: Awaited<ReturnType<typeof signPermit>> | undefined;
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
        const base = { account, address: spender, abi: agreementsWithTokenErrors } as const;
        const sim = permit
          ? await simulateContract(wagmi, { ...base, functionName: "requestAccessWithPermit", args: [r.productId, r.purpose, r.periods, total, permit.deadline, permit.v, permit.r, permit.s] })
          : await simulateContract(wagmi, { ...base, functionName: "requestAccess", args: [r.productId, r.purpose, r.periods, total] });
        step("request", { detail: "confirm in your wallet" });
        const hash = await writeContract(wagmi, sim.request as never);
        step("request", { detail: `sent (${hash.slice(0, 10)}…), waiting to be mined` });
        const receipt = await waitForTransactionReceipt(wagmi, { hash });
        if (receipt.status !== "success") throw new Error(`the purchase reverted (transaction ${hash})`);
        const agreementId = sim.result as bigint;
        step("request", { state: "done", detail: `mined in block ${receipt.blockNumber}` });

        // Read the outcome from the chain right away; the catalogue follows.
        const a = await client.readContract({ address: spender, abi: agreementsAbi, functionName: "getAgreement", args: [agreementId] });
        const res: PurchaseResult = {
          agreementId,
          transactionHash: hash,
          blockNumber: receipt.blockNumber,
          status: AgreementStatusNames[Number(a.status)],
          endsAt: BigInt(a.endsAt),
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
        setError(explainError(err, { ...r.context, purpose: r.purpose }));
      } finally {
        setRunning(false);
      }
    },
    [address, config, wagmi, queryClient],
  );

  return { purchase, steps, error, result, running, reset };
}
