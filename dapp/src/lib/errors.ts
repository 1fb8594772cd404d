// Failed transactions and reads in words: rejected signatures, custom errors of the contracts
// (decoded by viem from the ABIs), insufficient DATA, not eligible, unreachable chain.
import { formatEther } from "viem";
import { AgreementStatusNames, decodeMarketError, enumName, PricingUnitNames, type MarketErrorKind } from "@kraken/sdk";
import { explainVerdict, type VerdictContext } from "./eligibility.ts";

export type TxErrorKind = MarketErrorKind;

export interface ExplainedError {
  kind: TxErrorKind;
  /** the contract error name, when there is one */
  name?: string;
  message: string;
}

const amount = (v: unknown) => `${formatEther(BigInt(v as bigint))} DATA`;
const unitName = (v: unknown) => enumName(PricingUnitNames, Number(v)).toLowerCase();

/** The SDK's decoded error (`decodeMarketError`) in the dApp's words. */
export function explainError(err: unknown, ctx?: Partial<VerdictContext>): ExplainedError {
  const { kind, name, args, verdict, detail } = decodeMarketError(err);
  if (kind === "rejected") return { kind, message: "You rejected the request in your wallet. Nothing was sent." };
  if (verdict !== undefined) {
    const why = explainVerdict(verdict, { purpose: 0, ...ctx });
    return { kind, name, message: `Not eligible: ${why.reason}` };
  }
  switch (name) {
    case "ERC20InsufficientBalance":
      return { kind, name, message: `Insufficient DATA: you have ${amount(args[1])}, this needs ${amount(args[2])}.` };
    case "ERC20InsufficientAllowance":
      return { kind, name, message: `The marketplace may spend only ${amount(args[1])} of your DATA, this needs ${amount(args[2])}. Approve again.` };
    case "PriceAboveMax":
      return { kind, name, message: `The price is now ${amount(args[0])}, above the ${amount(args[1])} you accepted. Reload the page to see the new price.` };
    case "PricingUnitChanged":
      return { kind, name, message: `The seller changed how this product is sold (per ${unitName(args[2])} instead of per ${unitName(args[1])}) just before your transaction. Nothing was charged; reload the page to see the new terms.` };
    case "PolicyVersionChanged":
      return { kind, name, message: `The seller changed the consent policy (version ${args[2]}; you agreed to version ${args[1]}) just before your transaction. Nothing was charged; reload the page and read the new policy.` };
    case "StreamGrantWithdrawn":
      return { kind, name, message: `The stream's owner no longer lets the seller grant access to ${args[1]}, so this product cannot be sold right now.` };
    case "AlreadyHasAccess":
      return { kind, name, message: `You already have access to this product (agreement ${args[0]}). Subscriptions are extended from your dashboard.` };
    case "RequestPending":
      return { kind, name, message: `You already have a request waiting for the seller's approval (agreement ${args[0]}).` };
    case "InvalidPeriods":
      return { kind, name, message: `Invalid number of periods (${args[0]}): one-time products take 1, subscriptions at least 1.` };
    case "PeriodsAboveMax":
      return { kind, name, message: `${args[0]} periods is more than 366 days of access: buy at most ${args[1]} at a time and renew later for more.` };
    case "RenewalNeedsApproval":
      return { kind, name, message: `The seller now approves every request, so agreement ${args[0]} cannot be renewed directly. When it ends, request access again from the product page; your payment is held in escrow until the seller approves.` };
    case "AgreementSuperseded":
      return { kind, name, message: `Agreement ${args[0]} is no longer your latest on this product (agreement ${args[1]} is); only the latest one can be renewed.` };
    case "NotActive":
      return { kind, name, message: `Agreement ${args[0]} is not active (pending, rejected or cancelled), so it cannot be renewed.` };
    case "NotRenewable":
      return { kind, name, message: `Agreement ${args[0]} is for a one-time product: there is no period to renew.` };
    case "NotPending":
      return { kind, name, message: `Agreement ${args[0]} is no longer waiting for approval (it is ${String(AgreementStatusNames[Number(args[1])] ?? args[1]).toLowerCase()}), so it cannot be cancelled.` };
    case "NotConsumer":
      return { kind, name, message: `Only the buyer of agreement ${args[0]} can do this; you are ${String(args[1])}.` };
    case "AgreementNotFound":
      return { kind, name, message: `There is no agreement ${args[0]} on the chain.` };
    case "ERC2612ExpiredSignature":
      return { kind, name, message: "The permit signature expired before the transaction was mined. Try again." };
    case "ERC2612InvalidSigner":
      return { kind, name, message: "The permit signature is not valid for your address. Try again, or use approve instead." };
  }
  if (name) return { kind, name, message: `The contract refused: ${detail}.` };
  if (kind === "insufficient-funds") return { kind, message: "Your address has no ETH for gas on this chain." };
  if (kind === "network") return { kind, message: `The chain cannot be reached (${detail}).` };
  if (kind === "reverted") return { kind, message: `The transaction reverted: ${detail}` };
  return { kind, message: detail };
}
