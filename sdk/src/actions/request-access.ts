// Buying, subscribing or requesting access (Agreements.requestAccess / requestAccessWithPermit):
// the balance is checked, the payment approved (only when the allowance is short) or permitted
// with an EIP-2612 signature, the request simulated and sent. The request pins the terms of the
// offer shown (pricing unit, policy version; the price through maxTotalPrice), so a change
// before it lands reverts (PricingUnitChanged, PolicyVersionChanged, PriceAboveMax) and costs nothing.
import { parseEventLogs, type TransactionReceipt } from "viem";
import { agreementsAbi } from "../generated/abis.ts";
import type { AgreementStatus } from "../generated/enums.ts";
import { agreementsWithTokenErrorsAbi } from "../market-errors.ts";
import type { Offer } from "../offer.ts";
import { signPermit } from "../permit.ts";
import { approveIfShort, checkBalance, MissingEventError, report, send, simulate, toAccount, type ActionClients, type TxName } from "./common.ts";

/** The terms a request or renewal pins: the offer as read with `readOffer` (an Offer fits) and shown. */
export type PinnedTerms = Pick<Offer, "price" | "policyVersion"> & { pricingUnit: number };

export type PaymentMethod = "approve" | "permit";

export interface RequestAccessParameters extends ActionClients {
  productId: bigint;
  purpose: number;
  /** periods of a subscription; 1 for one-time products */
  periods: number;
  offer: PinnedTerms;
  /** the most paid in total (default: price × periods of the offer) */
  maxTotalPrice?: bigint;
  /** approve: a separate approve transaction when the allowance is short; permit: one transaction with a permit for maxTotalPrice signed */
  method: PaymentMethod;
  /** when the permit expires (default: an hour after the latest block) */
  permitDeadline?: bigint;
}

export interface RequestAccessResult {
  agreementId: bigint;
  seller: `0x${string}`;
  status: AgreementStatus;
  amount: bigint;
  startsAt: number;
  endsAt: number;
  policyVersion: number;
  receipt: TransactionReceipt;
}

export async function requestAccess(p: RequestAccessParameters): Promise<RequestAccessResult> {
  const total = p.offer.price * BigInt(p.periods);
  const maxTotal = p.maxTotalPrice ?? total;
  const { productId, purpose, periods, offer } = p;
  if (total > 0n) await checkBalance(p, total);

  let tx: TxName;
  let sim;
  if (p.method === "permit") {
    const deadline = p.permitDeadline ?? (await p.publicClient.getBlock()).timestamp + 3600n;
    report(p, "sign", { amount: maxTotal, deadline });
    const { v, r, s } = await signPermit({ wallet: p.wallet, publicClient: p.publicClient, token: p.contracts.token, owner: toAccount(p.account), spender: p.contracts.agreements, value: maxTotal, deadline });
    report(p, "signed", { amount: maxTotal, deadline });
    tx = "requestAccessWithPermit";
    sim = await simulate(p, tx, { address: p.contracts.agreements, abi: agreementsWithTokenErrorsAbi, functionName: tx, args: [productId, purpose, offer.policyVersion, offer.pricingUnit, periods, maxTotal, deadline, v, r, s] });
  } else {
    if (total > 0n) await approveIfShort(p, total);
    tx = "requestAccess";
    sim = await simulate(p, tx, { address: p.contracts.agreements, abi: agreementsWithTokenErrorsAbi, functionName: tx, args: [productId, purpose, offer.policyVersion, offer.pricingUnit, periods, maxTotal] });
  }
  const receipt = await send(p, tx, sim.request);
  const [created] = parseEventLogs({ abi: agreementsAbi, logs: receipt.logs, eventName: "AgreementCreated" });
  if (!created) throw new MissingEventError(tx, receipt.transactionHash, "AgreementCreated");
  const a = created.args;
  return { agreementId: a.agreementId, seller: a.seller, status: a.status as AgreementStatus, amount: a.amount, startsAt: a.startsAt, endsAt: a.endsAt, policyVersion: a.policyVersion, receipt };
}
