// Data unions: DataUnionFactory's UnionCreated starts a DataUnion template instance; the union's
// own events → DataUnion, UnionMember, UnionRevenue, UnionMembershipChange. The union settles
// revenue before every membership, weight and fee change, so its RevenueSettled comes first in
// the same transaction and `revenuePerWeight` is current when a member's earnings are brought up
// to date here, exactly as the contract does.
import { Address, BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";
import { UnionCreated } from "../generated/DataUnionFactory/DataUnionFactory";
import { DataUnion as DataUnionTemplate } from "../generated/templates";
import {
  AdminTransferred,
  DustSwept,
  EarningsWithdrawn,
  FeeChangeCancelled,
  FeeChanged,
  FeeChangeScheduled,
  FeesWithdrawn,
  JoinCancelled,
  JoinPolicyUpdated,
  JoinRejected,
  JoinRequested,
  ListingChanged,
  MemberJoined,
  MemberParted,
  MemberRemoved,
  MemberWeightChanged,
  RevenueSettled,
  UnionInitialized,
} from "../generated/templates/DataUnion/DataUnion";
import { DataUnion, Product, UnionMember, UnionMembershipChange, UnionRevenue } from "../generated/schema";
import {
  CATEGORIES,
  COUNTRIES,
  getAccount,
  MEMBER_STATUSES,
  nameOf,
  namesInMask,
  ORGANISATION_TYPES,
  REMOVAL_REASONS,
} from "./shared";

// MemberStatus values (contracts/src/MarketTypes.sol)
const NONE: i32 = 0;
const PENDING: i32 = 1;
const ACTIVE: i32 = 2;
const PARTED: i32 = 3;
const REMOVED: i32 = 4;

export function handleUnionCreated(event: UnionCreated): void {
  const p = event.params;
  const union = new DataUnion(p.union);
  union.admin = getAccount(p.admin).id;
  union.streamId = "";
  union.feeBps = 0;
  union.minMembers = 0;
  union.listed = true;
  union.joinCategories = new Array<string>(0);
  union.joinOrganisationTypes = new Array<string>(0);
  union.joinJurisdictions = new Array<string>(0);
  union.joinRequiresApproval = false;
  union.memberCount = 0;
  union.totalWeight = BigInt.zero();
  union.revenue = BigInt.zero();
  union.fees = BigInt.zero();
  union.feesWithdrawn = BigInt.zero();
  union.dust = BigInt.zero();
  union.revenuePerWeight = BigInt.zero();
  union.joins = 0;
  union.parts = 0;
  union.removals = 0;
  union.createdAt = event.block.timestamp;
  union.save();
  DataUnionTemplate.create(p.union);
}

function loadUnion(address: Address): DataUnion {
  const union = DataUnion.load(address);
  if (union == null) throw new Error("data union " + address.toHexString() + " was not created by the factory");
  return union;
}

function setJoinPolicy(union: DataUnion, categories: i32, organisationTypes: i32, jurisdictions: BigInt, approval: boolean): void {
  union.joinCategories = namesInMask(BigInt.fromI32(categories), CATEGORIES, false);
  union.joinOrganisationTypes = namesInMask(BigInt.fromI32(organisationTypes), ORGANISATION_TYPES, true);
  union.joinJurisdictions = namesInMask(jurisdictions, COUNTRIES, true);
  union.joinRequiresApproval = approval;
}

export function handleUnionInitialized(event: UnionInitialized): void {
  const p = event.params;
  const union = loadUnion(event.address);
  const productId = p.productId.toString();
  union.product = productId;
  union.streamId = p.streamId;
  union.feeBps = p.feeBps;
  union.minMembers = p.minMembers.toI32();
  setJoinPolicy(union, p.categories, p.organisationTypes, p.jurisdictions, p.requiresApproval);
  union.save();
  const product = Product.load(productId);
  if (product != null) {
    product.union = union.id;
    product.save();
  }
}

export function handleJoinPolicyUpdated(event: JoinPolicyUpdated): void {
  const p = event.params;
  const union = loadUnion(event.address);
  setJoinPolicy(union, p.categories, p.organisationTypes, p.jurisdictions, p.requiresApproval);
  union.save();
}

function memberId(union: Address, account: Address): string {
  return union.toHexString() + "-" + account.toHexString();
}

function getMember(union: DataUnion, account: Address): UnionMember {
  const id = memberId(Address.fromBytes(union.id), account);
  let m = UnionMember.load(id);
  if (m == null) {
    m = new UnionMember(id);
    m.union = union.id;
    m.account = getAccount(account).id;
    m.status = nameOf(MEMBER_STATUSES, NONE);
    m.active = false;
    m.weight = 0;
    m.earnings = BigInt.zero();
    m.revenuePerWeightPaid = union.revenuePerWeight;
    m.withdrawn = BigInt.zero();
  }
  return m;
}

/** Brings the member's earnings up to date with the union's revenuePerWeight (DataUnion._accrue). */
function accrue(union: DataUnion, m: UnionMember): void {
  if (m.weight != 0) {
    m.earnings = m.earnings.plus(BigInt.fromI32(m.weight).times(union.revenuePerWeight.minus(m.revenuePerWeightPaid)));
  }
  m.revenuePerWeightPaid = union.revenuePerWeight;
}

function recordChange(event: ethereum.Event, union: DataUnion, account: Address, status: i32): void {
  const c = new UnionMembershipChange(event.transaction.hash.concatI32(event.logIndex.toI32()));
  c.union = union.id;
  c.account = getAccount(account).id;
  c.status = nameOf(MEMBER_STATUSES, status);
  c.memberCount = union.memberCount;
  c.timestamp = event.block.timestamp;
  c.save();
}

export function handleJoinRequested(event: JoinRequested): void {
  const union = loadUnion(event.address);
  const m = getMember(union, event.params.member);
  m.status = nameOf(MEMBER_STATUSES, PENDING);
  m.save();
}

/** A turned-down or withdrawn request: back to what the member was before asking. */
function endRequest(union: DataUnion, account: Address): void {
  const m = getMember(union, account);
  let status = PARTED;
  if (m.joinedAt === null) status = NONE;
  else if (m.removalReason !== null) status = REMOVED;
  m.status = nameOf(MEMBER_STATUSES, status);
  m.save();
}

export function handleJoinRejected(event: JoinRejected): void {
  endRequest(loadUnion(event.address), event.params.member);
}

export function handleJoinCancelled(event: JoinCancelled): void {
  endRequest(loadUnion(event.address), event.params.member);
}

export function handleMemberJoined(event: MemberJoined): void {
  const union = loadUnion(event.address);
  const m = getMember(union, event.params.member);
  m.status = nameOf(MEMBER_STATUSES, ACTIVE);
  m.active = true;
  m.weight = event.params.weight.toI32();
  m.joinedAt = event.block.timestamp;
  m.partedAt = null;
  m.removalReason = null; // set again only by a removal: then the last exit was one
  m.revenuePerWeightPaid = union.revenuePerWeight;
  m.save();
  union.memberCount += 1;
  union.totalWeight = union.totalWeight.plus(BigInt.fromI32(m.weight));
  union.joins += 1;
  union.save();
  recordChange(event, union, event.params.member, ACTIVE);
}

function leave(event: ethereum.Event, account: Address, status: i32): DataUnion {
  const union = loadUnion(event.address);
  const m = getMember(union, account);
  accrue(union, m);
  union.memberCount -= 1;
  union.totalWeight = union.totalWeight.minus(BigInt.fromI32(m.weight));
  m.weight = 0;
  m.active = false;
  m.status = nameOf(MEMBER_STATUSES, status);
  m.partedAt = event.block.timestamp;
  m.save();
  return union;
}

export function handleMemberParted(event: MemberParted): void {
  const union = leave(event, event.params.member, PARTED);
  union.parts += 1;
  union.save();
  recordChange(event, union, event.params.member, PARTED);
}

export function handleMemberRemoved(event: MemberRemoved): void {
  const union = leave(event, event.params.member, REMOVED);
  const m = getMember(union, event.params.member);
  m.removalReason = nameOf(REMOVAL_REASONS, event.params.reason);
  m.save();
  union.removals += 1;
  union.save();
  recordChange(event, union, event.params.member, REMOVED);
}

export function handleMemberWeightChanged(event: MemberWeightChanged): void {
  const union = loadUnion(event.address);
  const m = getMember(union, event.params.member);
  accrue(union, m);
  union.totalWeight = union.totalWeight.minus(BigInt.fromI32(m.weight)).plus(BigInt.fromI32(event.params.weight.toI32()));
  m.weight = event.params.weight.toI32();
  m.save();
  union.save();
}

export function handleRevenueSettled(event: RevenueSettled): void {
  const p = event.params;
  const union = loadUnion(event.address);
  union.revenue = union.revenue.plus(p.amount);
  union.fees = union.fees.plus(p.fee);
  union.dust = union.dust.plus(p.dust);
  union.revenuePerWeight = p.revenuePerWeight;
  union.save();
  const r = new UnionRevenue(event.transaction.hash.concatI32(event.logIndex.toI32()));
  r.union = union.id;
  r.amount = p.amount;
  r.fee = p.fee;
  r.toMembers = p.toMembers;
  r.dust = p.dust;
  r.revenuePerWeight = p.revenuePerWeight;
  r.memberCount = union.memberCount;
  r.timestamp = event.block.timestamp;
  r.blockNumber = event.block.number;
  r.save();
}

export function handleEarningsWithdrawn(event: EarningsWithdrawn): void {
  const union = loadUnion(event.address);
  const m = getMember(union, event.params.member);
  accrue(union, m);
  m.withdrawn = m.withdrawn.plus(event.params.amount);
  m.save();
}

export function handleFeesWithdrawn(event: FeesWithdrawn): void {
  const union = loadUnion(event.address);
  union.feesWithdrawn = union.feesWithdrawn.plus(event.params.amount);
  union.save();
}

export function handleDustSwept(event: DustSwept): void {
  const union = loadUnion(event.address);
  union.dust = union.dust.minus(event.params.amount);
  union.fees = union.fees.plus(event.params.amount);
  union.save();
}

export function handleFeeChangeScheduled(event: FeeChangeScheduled): void {
  const union = loadUnion(event.address);
  union.pendingFeeBps = event.params.feeBps;
  union.feeEffectiveAt = event.params.effectiveAt;
  union.save();
}

export function handleFeeChangeCancelled(event: FeeChangeCancelled): void {
  const union = loadUnion(event.address);
  union.pendingFeeBps = null;
  union.feeEffectiveAt = null;
  union.save();
}

export function handleFeeChanged(event: FeeChanged): void {
  const union = loadUnion(event.address);
  union.feeBps = event.params.feeBps;
  union.pendingFeeBps = null;
  union.feeEffectiveAt = null;
  union.save();
}

export function handleListingChanged(event: ListingChanged): void {
  const union = loadUnion(event.address);
  union.listed = event.params.listed;
  union.save();
}

export function handleAdminTransferred(event: AdminTransferred): void {
  const union = loadUnion(event.address);
  union.admin = getAccount(event.params.admin).id;
  union.save();
}
