// Ending a running agreement early (Agreements.terminate, seller only): the seller refunds the
// unused part to the consumer in the same transaction, from their own DATA through an allowance to
// the Agreements contract. The refund is learnt from the contract itself: terminate is simulated
// first, and a short allowance reverts with the token's ERC20InsufficientAllowance(spender,
// allowance, needed) naming the exact amount at the chain's current time (it only shrinks until
// mined); exactly that is approved (after a balance check), then terminate is sent. The refund
// paid is read from the AgreementTerminated event.
import { BaseError, ContractFunctionRevertedError, parseEventLogs, type Address, type TransactionReceipt } from "viem";
import { agreementsAbi } from "../generated/abis.ts";
import { agreementsWithTokenErrorsAbi } from "../market-errors.ts";
import { approve, checkBalance, MissingEventError, report, send, simulate, type ActionClients } from "./common.ts";

export interface TerminateParameters extends ActionClients {
  agreementId: bigint;
}

export interface TerminateResult {
  agreementId: bigint;
  refunded: bigint;
  /** the refund approved first, when the allowance was short */
  approved: bigint | null;
  receipt: TransactionReceipt;
}

/** The amount a short allowance needs, from the token's revert; undefined for any other error. */
export function allowanceShortfall(err: unknown): bigint | undefined {
  const revert = err instanceof BaseError ? (err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null) : null;
  if (revert?.data?.errorName !== "ERC20InsufficientAllowance") return undefined;
  return (revert.data.args as readonly [Address, bigint, bigint])[2];
}

export async function terminate(p: TerminateParameters): Promise<TerminateResult> {
  const call = () => simulate(p, "terminate", { address: p.contracts.agreements, abi: agreementsWithTokenErrorsAbi, functionName: "terminate", args: [p.agreementId] });
  let sim;
  let approved: bigint | null = null;
  try {
    sim = await call();
  } catch (err) {
    const needed = allowanceShortfall(err);
    if (needed === undefined) throw err;
    approved = needed;
  }
  report(p, "allowance", { amount: approved ?? 0n, enough: approved === null });
  if (approved !== null) {
    await checkBalance(p, approved);
    await approve(p, approved);
    sim = await call();
  }
  const receipt = await send(p, "terminate", sim!.request);
  const [event] = parseEventLogs({ abi: agreementsAbi, logs: receipt.logs, eventName: "AgreementTerminated" });
  if (!event) throw new MissingEventError("terminate", receipt.transactionHash, "AgreementTerminated");
  return { agreementId: p.agreementId, refunded: event.args.refunded, approved, receipt };
}
