// Policies events → PolicyVersion (one per version), the product's current policy, Retraction.
import { Address, BigInt, Bytes } from "@graphprotocol/graph-ts";
import { ConsentRestored, ConsentRetracted, PolicyUpdated } from "../generated/Policies/Policies";
import { PolicyVersion, Product, Retraction } from "../generated/schema";
import { CATEGORIES, COUNTRIES, getAccount, namesInMask, ORGANISATION_TYPES, PURPOSES } from "./shared";

export function handlePolicyUpdated(event: PolicyUpdated): void {
  const p = event.params;
  const id = p.productId.toString() + "-" + p.version.toString();
  const version = new PolicyVersion(id);
  version.product = p.productId.toString();
  version.version = p.version.toI32();
  version.purposes = namesInMask(BigInt.fromI32(p.purposes), PURPOSES, false);
  version.consumerCategories = namesInMask(BigInt.fromI32(p.consumerCategories), CATEGORIES, false);
  version.organisationTypes = namesInMask(BigInt.fromI32(p.organisationTypes), ORGANISATION_TYPES, true);
  version.jurisdictions = namesInMask(p.jurisdictions, COUNTRIES, true);
  version.requiresApproval = p.requiresApproval;
  version.retentionDays = p.retentionDays.toI32();
  version.createdAt = event.block.timestamp;
  version.save();

  const product = Product.load(p.productId.toString());
  if (product == null) return;
  product.policy = id;
  product.purposes = version.purposes;
  product.consumerCategories = version.consumerCategories;
  product.organisationTypes = version.organisationTypes;
  product.jurisdictions = version.jurisdictions;
  product.requiresApproval = version.requiresApproval;
  product.updatedAt = event.block.timestamp;
  product.save();
}

function setRetracted(productId: BigInt, consumer: Bytes, retracted: boolean, timestamp: BigInt): void {
  const id = productId.toString() + "-" + consumer.toHexString();
  let r = Retraction.load(id);
  if (r == null) {
    r = new Retraction(id);
    r.product = productId.toString();
    r.consumer = getAccount(Address.fromBytes(consumer)).id;
  }
  r.retracted = retracted;
  r.updatedAt = timestamp;
  r.save();
}

export function handleConsentRetracted(event: ConsentRetracted): void {
  setRetracted(event.params.productId, event.params.consumer, true, event.block.timestamp);
}

export function handleConsentRestored(event: ConsentRestored): void {
  setRetracted(event.params.productId, event.params.consumer, false, event.block.timestamp);
}
