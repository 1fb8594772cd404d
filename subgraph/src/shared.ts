// Helpers shared by the mappings: enum names, bitmask decoding, and the Account / MarketStats
// entities every handler touches. The name lists are generated from contracts/src/MarketTypes.sol
// (subgraph/scripts/enums.ts → generated/enums.ts) and re-exported here.
import { Address, BigInt } from "@graphprotocol/graph-ts";
import { Account, MarketStats } from "../generated/schema";
import { EnumNames } from "../generated/enums";

export {
  AGREEMENT_STATUSES,
  CATEGORIES,
  COUNTRIES,
  EnumNames,
  JOB_STATUSES,
  MEMBER_STATUSES,
  MODALITIES,
  ORGANISATION_TYPES,
  PRICING_UNITS,
  PRODUCT_TYPES,
  PURPOSES,
  REFUSAL_REASONS,
  REMOVAL_REASONS,
} from "../generated/enums";

/**
 * The name of enum value `value`. A value the subgraph does not know (a member appended in
 * Solidity without rebuilding the subgraph) is a mapping error, never a default: the handler
 * aborts and the indexer (like graph-node) stops at that block, naming the enum and the value.
 */
export function nameOf(e: EnumNames, value: i32): string {
  if (value < 0 || value >= e.names.length) {
    throw new Error("unknown " + e.name + " value " + value.toString() + " (the subgraph knows 0.." +
      (e.names.length - 1).toString() + "; regenerate it from contracts/src/MarketTypes.sol)");
  }
  return e.names[value];
}

/**
 * Names of the bits set in `mask`, skipping index 0 when it means "none". A bit beyond the
 * enum's last value is a mapping error, as in nameOf (the contracts reject unknown bits).
 */
export function namesInMask(mask: BigInt, e: EnumNames, skipZero: boolean): string[] {
  const names = e.names;
  if (!mask.rightShift(u8(names.length)).isZero()) {
    let bit = names.length;
    while (mask.rightShift(u8(bit)).bitAnd(BigInt.fromI32(1)).isZero()) bit++;
    throw new Error("unknown " + e.name + " value " + bit.toString() + " in bitmask " + mask.toString() +
      " (the subgraph knows 0.." + (names.length - 1).toString() + "; regenerate it from contracts/src/MarketTypes.sol)");
  }
  let out = new Array<string>(0);
  for (let i = skipZero ? 1 : 0; i < names.length; i++) {
    if (mask.rightShift(u8(i)).bitAnd(BigInt.fromI32(1)).equals(BigInt.fromI32(1))) out.push(names[i]);
  }
  return out;
}

export function getAccount(address: Address): Account {
  let account = Account.load(address);
  if (account == null) {
    account = new Account(address);
    account.productsPublished = 0;
    account.salesCount = 0;
    account.revenue = BigInt.zero();
    account.purchasesCount = 0;
    account.spent = BigInt.zero();
    account.save();
  }
  return account;
}

export function getStats(): MarketStats {
  let stats = MarketStats.load("global");
  if (stats == null) {
    stats = new MarketStats("global");
    stats.products = 0;
    stats.activeProducts = 0;
    stats.agreements = 0;
    stats.volume = BigInt.zero();
    stats.sellers = 0;
    stats.consumers = 0;
    stats.buyers = 0;
    stats.save();
  }
  return stats;
}
