// Terminating an active agreement early (Agreements.terminate, seller only): the seller refunds
// the unused part to the buyer in the same transaction, from the seller's own DATA through an
// allowance to the Agreements contract. Steps: approve the refund (only when the allowance is
// short), terminate, wait for the catalogue. The refund the contract will take is learnt from
// the contract itself: terminate is simulated first, and a short allowance reverts with the
// token's ERC20InsufficientAllowance(spender, allowance, needed) naming the exact amount at the
// chain's current time (it only shrinks until the transaction is mined). The refund paid is
// read from the AgreementTerminated event.
import { useQueryClient } from "@tanstack/react-query";
import { getPublicClient, simulateContract, waitForTransactionReceipt, writeContract } from "@wagmi/core";
import { useCallback, useState } from "react";
import { BaseError, ContractFunctionRevertedError, parseEventLogs, type Address, type Hex } from "viem";
import { useAccount, useConfig } from "wagmi";
import { agreementsAbi, agreementsWithTokenErrorsAbi, dataTokenAbi, KrakenError } from "@kraken/sdk";
import type { Step } from "../../components/TxSteps.tsx";
import { useDapp } from "../../hooks/dapp.ts";
import { waitIndexed } from "../../hooks/waitIndexed.ts";
import { data } from "../../lib/words.ts";
import { explainError } from "./errors.ts";

export interface TerminateResult {
  agreementId: bigint;
  refunded: bigint;
  transactionHash: Hex;
  blockNumber: bigint;
  indexed: boolean;
}

/** A refund the seller's balance cannot pay: found before anything is signed. */
export class RefundBalanceError extends KrakenError {
  override name = "RefundBalanceError";

  constructor(readonly balance: bigint, readonly needed: bigint) {
    super("insufficient-funds", `Your DATA balance (${data(balance)}) is too low for the refund of ${data(needed)}: get DATA first, then terminate again. Nothing was sent.`);
  }
}

const initialSteps = (): Step[] => [
  { id: "approve", label: "Approve the refund (only if your allowance is short)", state: "pending" },
  { id: "terminate", label: "Send the termination and refund", state: "pending" },
  { id: "indexed", label: "Catalogue updated", state: "pending" },
];

/** The amount a short allowance needs, from the token's revert; undefined for any other error. */
function allowanceShortfall(err: unknown): bigint | undefined {
  const revert = err instanceof BaseError ? (err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null) : null;
  if (revert?.data?.errorName !== "ERC20InsufficientAllowance") return undefined;
  return (revert.data.args as readonly [Address, bigint, bigint])[2];
}

export function useTerminate() {
  const wagmi = useConfig();
  const { config } = useDapp();
  const { address } = useAccount();
  const queryClient = useQueryClient();
  const [steps, setSteps] = useState<Step[]>([]);
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<TerminateResult>();
  const [running, setRunning] = useState(false);

  const step = (id: string, patch: Partial<Step>) => setSteps((all) => all.map((s) => (s.id === id ? { ...s, ...patch } : s)));

  const terminate = useCallback(
    async (agreementId: bigint) => {
      if (!address) {
        setError("Connect a wallet first (or choose a Demo persona).");
        return;
      }
      const account = address as Address;
      const agreements = config.contracts.Agreements;
      const token = config.contracts.DataToken;
      const simulate = () => simulateContract(wagmi, { account, address: agreements, abi: agreementsWithTokenErrorsAbi, functionName: "terminate", args: [agreementId] });
      setSteps(initialSteps());
      setError(undefined);
      setResult(undefined);
      setRunning(true);
      let current = "approve";
      try {
        const client = getPublicClient(wagmi)!;
        step("approve", { state: "active", detail: "checking with the contract…" });
        let sim: Awaited<ReturnType<typeof simulate>> | undefined;
        let needed: bigint | undefined;
        try {
          sim = await simulate();
        } catch (err) {
          needed = allowanceShortfall(err);
          if (needed === undefined) throw err;
        }
        if (needed === undefined) step("approve", { state: "done", detail: "not needed" });
        else {
          const balance = await client.readContract({ address: token, abi: dataTokenAbi, functionName: "balanceOf", args: [account] });
          if (balance < needed) throw new RefundBalanceError(balance, needed);
          step("approve", { detail: `${data(needed)}: confirm in your wallet` });
          const { request } = await simulateContract(wagmi, { account, address: token, abi: dataTokenAbi, functionName: "approve", args: [agreements, needed] });
          const hash = await writeContract(wagmi, request);
          step("approve", { detail: `${data(needed)}: waiting to be mined…` });
          const receipt = await waitForTransactionReceipt(wagmi, { hash });
          if (receipt.status !== "success") throw new Error(`The approval reverted (transaction ${hash}).`);
          step("approve", { state: "done", detail: `${data(needed)}, mined in block ${receipt.blockNumber}` });
        }

        current = "terminate";
        step("terminate", { state: "active", detail: "checking with the contract…" });
        sim ??= await simulate();
        step("terminate", { detail: "confirm in your wallet" });
        const hash = await writeContract(wagmi, sim.request);
        step("terminate", { detail: `sent (${hash.slice(0, 10)}…), waiting to be mined` });
        const receipt = await waitForTransactionReceipt(wagmi, { hash });
        if (receipt.status !== "success") throw new Error(`The termination reverted (transaction ${hash}).`);
        const [event] = parseEventLogs({ abi: agreementsAbi, logs: receipt.logs, eventName: "AgreementTerminated" });
        const res: TerminateResult = { agreementId, refunded: event?.args.refunded ?? 0n, transactionHash: hash, blockNumber: receipt.blockNumber, indexed: false };
        step("terminate", { state: "done", detail: `mined in block ${receipt.blockNumber}` });
        setResult(res);

        current = "indexed";
        step("indexed", { state: "active", detail: "waiting for the indexer…" });
        await waitIndexed({
          subgraphUrl: config.subgraphUrl,
          wagmi,
          block: receipt.blockNumber,
          timeoutMs: 60_000,
          onBehind: (behind) => step("indexed", { detail: `the catalogue is ${behind} block${behind === 1 ? "" : "s"} behind` }),
        });
        step("indexed", { state: "done", detail: "up to date" });
        setResult({ ...res, indexed: true });
        void queryClient.invalidateQueries();
      } catch (err) {
        step(current, { state: "failed" });
        setError(err instanceof RefundBalanceError ? err.message : explainError(err));
      } finally {
        setRunning(false);
      }
    },
    [address, config, wagmi, queryClient],
  );

  return { terminate, steps, error, result, running };
}
