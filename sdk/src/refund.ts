// What a seller refunds when they terminate an active agreement early (Agreements.terminate):
// for time-based products the current paid term's payment pro rata to the time left, for
// one-time products everything until a delivery was recorded, nothing after. The contract
// computes it when the transaction is mined (and then a little less is left of the term);
// this is the estimate clients show before. It assumes the paid term began at `startsAt`,
// which holds unless the agreement was renewed after it had lapsed: then the contract counts
// only the renewal's term (its payment and start), which clients do not see in the agreement.
export interface RefundInput {
  /** total paid, net of refunds (the agreement's `amount`, the subgraph's `amountPaid`) */
  amount: bigint;
  /** unix seconds; 0 while pending */
  startsAt: bigint | number;
  /** unix seconds; 0 = a one-time product (no end) */
  endsAt: bigint | number;
  /** a delivery agent recorded a delivery (one-time products refund nothing then) */
  delivered: boolean;
}

/** The refund `terminate` would pay at unix time `now` (seconds), under the assumption above. */
export function estimateRefund(a: RefundInput, now: bigint | number): bigint {
  const endsAt = BigInt(a.endsAt);
  const startsAt = BigInt(a.startsAt);
  const t = BigInt(now);
  if (endsAt === 0n) return a.delivered ? 0n : a.amount;
  if (endsAt <= t || endsAt <= startsAt) return 0n;
  const left = endsAt - (t > startsAt ? t : startsAt);
  return (a.amount * left) / (endsAt - startsAt);
}
