// More time on a subscription (Agreements.renew; the contract has no permit variant): the
// balance is checked, the payment approved when the allowance is short, the renewal simulated
// and sent. Like a request it pins the terms shown (pricing unit, policy version, price).
import { parseEventLogs } from "viem";
import { agreementsAbi } from "../generated/abis.ts";
import { agreementsWithTokenErrorsAbi } from "../market-errors.ts";
import { approveIfShort, checkBalance, MissingEventError, send, simulate, type ActionClients } from "./common.ts";
import type { PinnedTerms, RequestAccessResult } from "./request-access.ts";

export interface RenewParameters extends ActionClients {
  agreementId: bigint;
  periods: number;
  /** the product's current offer as shown */
  offer: PinnedTerms;
  /** the most paid in total (default: price × periods of the offer) */
  maxTotalPrice?: bigint;
}

/** The renewal's outcome (AgreementRenewed): the amount paid for it and the new end. */
export type RenewResult = Pick<RequestAccessResult, "agreementId" | "amount" | "endsAt" | "policyVersion" | "receipt">;

export async function renew(p: RenewParameters): Promise<RenewResult> {
  const total = p.offer.price * BigInt(p.periods);
  const maxTotal = p.maxTotalPrice ?? total;
  if (total > 0n) {
    await checkBalance(p, total);
    await approveIfShort(p, total);
  }
  const { request } = await simulate(p, "renew", { address: p.contracts.agreements, abi: agreementsWithTokenErrorsAbi, functionName: "renew", args: [p.agreementId, p.offer.policyVersion, p.offer.pricingUnit, p.periods, maxTotal] });
  const receipt = await send(p, "renew", request);
  const [renewed] = parseEventLogs({ abi: agreementsAbi, logs: receipt.logs, eventName: "AgreementRenewed" });
  if (!renewed) throw new MissingEventError("renew", receipt.transactionHash, "AgreementRenewed");
  return { agreementId: p.agreementId, amount: renewed.args.amount, endsAt: renewed.args.endsAt, policyVersion: renewed.args.policyVersion, receipt };
}
