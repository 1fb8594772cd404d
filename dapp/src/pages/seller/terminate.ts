// Terminating an active agreement early (the SDK's terminate: Agreements.terminate, seller
// only): the seller refunds the unused part to the consumer in the same transaction, from the
// seller's own DATA through an allowance to the Agreements contract. Steps: approve the refund
// (only when the allowance is short), terminate, wait for the catalogue. The action learns the
// refund from the contract itself (a simulated terminate reverts with the token's
// ERC20InsufficientAllowance naming the exact amount) and reads the refund paid from the
// AgreementTerminated event.
import { useCallback } from "react";
import type { Hex } from "viem";
import { BalanceTooLowError, KrakenError, terminate as terminateAgreement, TransactionRevertedError, type OnProgress } from "@kraken/sdk";
import type { Step } from "../../components/TxSteps.tsx";
import { useTxFlow } from "../../hooks/txFlow.ts";
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

export function useTerminate() {
  const flow = useTxFlow<string, TerminateResult>();
  const { address, step, clients, indexed, start, setError, setResult, setRunning } = flow;

  const terminate = useCallback(
    async (agreementId: bigint) => {
      if (!address) {
        setError("Connect a wallet first (or choose a Demo persona).");
        return;
      }
      start(initialSteps());
      let current = "approve";
      let needed = 0n;
      // The action's progress as the steps: the refund's approval when needed, then terminate.
      const toTerminate = () => {
        current = "terminate";
        step("terminate", { state: "active", detail: "checking with the contract…" });
      };
      const onProgress: OnProgress = (s, d) => {
        if (s === "allowance") {
          if (d.enough) {
            step("approve", { state: "done", detail: "not needed" });
            toTerminate();
          } else needed = d.amount!;
        } else if (s === "approve") step("approve", { detail: `${data(needed)}: confirm in your wallet` });
        else if (d.tx === "approve") {
          if (s === "submit") step("approve", { detail: `${data(needed)}: waiting to be mined…` });
          if (s === "mined") {
            step("approve", { state: "done", detail: `${data(needed)}, mined in block ${d.blockNumber}` });
            toTerminate();
          }
        } else if (d.tx === "terminate") {
          if (s === "confirm") step("terminate", { detail: "confirm in your wallet" });
          if (s === "submit") step("terminate", { detail: `sent (${d.hash!.slice(0, 10)}…), waiting to be mined` });
          if (s === "mined") step("terminate", { state: "done", detail: `mined in block ${d.blockNumber}` });
        }
      };
      try {
        step("approve", { state: "active", detail: "checking with the contract…" });
        const { refunded, receipt } = await terminateAgreement({ ...(await clients(address, onProgress)), agreementId });
        const res: TerminateResult = { agreementId, refunded, transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber, indexed: false };
        setResult(res);
        current = "indexed";
        await indexed(res, receipt.blockNumber, { timeoutMs: 60_000, behind: (behind) => `the catalogue is ${behind} block${behind === 1 ? "" : "s"} behind` });
      } catch (err) {
        step(current, { state: "failed" });
        if (err instanceof BalanceTooLowError) setError(new RefundBalanceError(err.balance, err.needed).message);
        else if (err instanceof TransactionRevertedError) setError(explainError(new Error(`The ${err.tx === "approve" ? "approval" : "termination"} reverted (transaction ${err.hash}).`)));
        else setError(explainError(err));
      } finally {
        setRunning(false);
      }
    },
    [address, step, clients, indexed, start, setError, setResult, setRunning],
  );

  return { terminate, steps: flow.steps, error: flow.error, result: flow.result, running: flow.running };
}
