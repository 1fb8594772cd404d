// Withdrawing a pending request (Agreements.cancel, consumer only): the escrow comes back,
// read from the AgreementCancelled event.
import { parseEventLogs, type TransactionReceipt } from "viem";
import { agreementsAbi } from "../generated/abis.ts";
import { agreementsWithTokenErrorsAbi } from "../market-errors.ts";
import { send, simulate, type ActionClients } from "./common.ts";

export interface CancelParameters extends ActionClients {
  agreementId: bigint;
}

export interface CancelResult {
  agreementId: bigint;
  refunded: bigint;
  receipt: TransactionReceipt;
}

export async function cancel(p: CancelParameters): Promise<CancelResult> {
  const { request } = await simulate(p, "cancel", { address: p.contracts.agreements, abi: agreementsWithTokenErrorsAbi, functionName: "cancel", args: [p.agreementId] });
  const receipt = await send(p, "cancel", request);
  const [event] = parseEventLogs({ abi: agreementsAbi, logs: receipt.logs, eventName: "AgreementCancelled" });
  return { agreementId: p.agreementId, refunded: event?.args.refunded ?? 0n, receipt };
}
