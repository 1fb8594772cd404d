// Agreements events → Agreement, Delivery, and the sales / purchase statistics of products,
// accounts and the market (MKT-FUN-19/20). Money counts once it reaches the seller: at
// creation for direct payments, at approval for escrowed ones, and on every renewal.
import { Address, BigInt } from "@graphprotocol/graph-ts";
import {
  AgreementApproved,
  AgreementCancelled,
  AgreementCreated,
  AgreementRejected,
  AgreementRenewed,
  AgreementTerminated,
  DeliveryRecorded,
} from "../generated/Agreements/Agreements";
import { Agreement, Delivery, Product } from "../generated/schema";
import { AGREEMENT_STATUSES, getAccount, getStats, nameOf, PURPOSES } from "./shared";

/** Records `amount` paid by the consumer to the seller; `newSale` for a first activation. */
function recordPayment(agreement: Agreement, amount: BigInt, newSale: boolean): void {
  const product = Product.load(agreement.product);
  if (product != null) {
    if (newSale) product.salesCount += 1;
    product.revenue = product.revenue.plus(amount);
    product.save();
  }
  const seller = getAccount(Address.fromBytes(agreement.seller));
  if (newSale) seller.salesCount += 1;
  seller.revenue = seller.revenue.plus(amount);
  seller.save();

  const consumer = getAccount(Address.fromBytes(agreement.consumer));
  const stats = getStats();
  if (newSale) {
    if (consumer.purchasesCount == 0) {
      stats.consumers += 1;
      stats.buyers = stats.consumers; // the public field's old name
    }
    consumer.purchasesCount += 1;
  }
  consumer.spent = consumer.spent.plus(amount);
  consumer.save();
  stats.volume = stats.volume.plus(amount);
  stats.save();
}

export function handleAgreementCreated(event: AgreementCreated): void {
  const p = event.params;
  const a = new Agreement(p.agreementId.toString());
  a.agreementId = p.agreementId;
  a.product = p.productId.toString();
  a.consumer = getAccount(p.consumer).id;
  a.seller = getAccount(p.seller).id;
  a.purpose = nameOf(PURPOSES, p.purpose);
  a.status = nameOf(AGREEMENT_STATUSES, p.status);
  a.policyVersion = p.productId.toString() + "-" + p.policyVersion.toString();
  a.amountPaid = p.amount;
  a.startsAt = p.startsAt;
  a.endsAt = p.endsAt;
  a.renewals = 0;
  a.refunded = BigInt.zero();
  a.createdAt = event.block.timestamp;
  a.updatedAt = event.block.timestamp;
  a.save();

  const stats = getStats();
  stats.agreements += 1;
  stats.save();
  if (a.status == "ACTIVE") recordPayment(a, p.amount, true);
}

export function handleAgreementApproved(event: AgreementApproved): void {
  const a = Agreement.load(event.params.agreementId.toString());
  if (a == null) return;
  a.status = "ACTIVE";
  a.startsAt = event.params.startsAt;
  a.endsAt = event.params.endsAt;
  a.updatedAt = event.block.timestamp;
  a.save();
  recordPayment(a, a.amountPaid, true);
}

function close(id: BigInt, status: string, timestamp: BigInt): void {
  const a = Agreement.load(id.toString());
  if (a == null) return;
  a.status = status;
  a.amountPaid = BigInt.zero(); // the escrow went back to the consumer
  a.updatedAt = timestamp;
  a.save();
}

export function handleAgreementRejected(event: AgreementRejected): void {
  close(event.params.agreementId, "REJECTED", event.block.timestamp);
}

export function handleAgreementCancelled(event: AgreementCancelled): void {
  close(event.params.agreementId, "CANCELLED", event.block.timestamp);
}

/** A seller ended an active agreement early; the refund leaves the seller's revenue. */
export function handleAgreementTerminated(event: AgreementTerminated): void {
  const a = Agreement.load(event.params.agreementId.toString());
  if (a == null) return;
  const refunded = event.params.refunded;
  a.status = "TERMINATED";
  a.amountPaid = a.amountPaid.minus(refunded);
  a.refunded = refunded;
  a.updatedAt = event.block.timestamp;
  a.save();
  if (refunded.gt(BigInt.zero())) recordPayment(a, refunded.neg(), false);
}

export function handleAgreementRenewed(event: AgreementRenewed): void {
  const p = event.params;
  const a = Agreement.load(p.agreementId.toString());
  if (a == null) return;
  a.endsAt = p.endsAt;
  a.amountPaid = a.amountPaid.plus(p.amount);
  a.renewals += 1;
  a.policyVersion = a.product + "-" + p.policyVersion.toString();
  a.updatedAt = event.block.timestamp;
  a.save();
  recordPayment(a, p.amount, false);
}

export function handleDeliveryRecorded(event: DeliveryRecorded): void {
  const d = new Delivery(event.transaction.hash.concatI32(event.logIndex.toI32()));
  d.agreement = event.params.agreementId.toString();
  d.agent = event.params.agent;
  d.envelopeHash = event.params.envelopeHash;
  d.timestamp = event.block.timestamp;
  d.save();
}
