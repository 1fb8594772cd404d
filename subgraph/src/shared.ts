// Helpers shared by the mappings: enum names (order mirrors contracts/src/MarketTypes.sol),
// bitmask decoding, and the Account / MarketStats entities every handler touches.
import { Address, BigInt } from "@graphprotocol/graph-ts";
import { Account, MarketStats } from "../generated/schema";

export const PRODUCT_TYPES: string[] = ["STREAM", "BATCH", "DATA_UNION", "ANALYTICS"];
export const MODALITIES: string[] = ["ANONYMISED", "ENCRYPTED", "SMPC"];
export const PRICING_UNITS: string[] = ["ONE_TIME", "HOUR", "DAY", "WEEK", "MONTH"];
export const CATEGORIES: string[] = ["INDIVIDUAL", "ORGANISATION"];
export const ORGANISATION_TYPES: string[] = [
  "NONE", "HOSPITAL", "RESEARCH_UNIVERSITY", "PHARMA", "INSURER", "PUBLIC_AUTHORITY", "HEALTH_TECH",
  "EMPLOYER_RECRUITER", "EDUCATION_PROVIDER",
];
export const PURPOSES: string[] = [
  "RESEARCH", "CLINICAL_TRIALS", "PUBLIC_HEALTH", "PRODUCT_DEVELOPMENT", "INSURANCE", "MARKETING", "EDUCATION",
  "RECRUITMENT", "AI_TRAINING", "WELLBEING_SERVICES", "STATISTICS",
];
export const COUNTRIES: string[] = [
  "", "DE", "GB", "FR", "IT", "ES", "NL", "BE", "PT", "SE", "DK", "EE", "FI", "AT", "BG", "CH", "CY", "CZ", "GR",
  "HR", "HU", "IE", "IS", "LI", "LT", "LU", "LV", "MT", "NO", "PL", "RO", "SI", "SK",
];
// AgreementStatus on chain: None, Pending, Active, Rejected, Cancelled, Terminated.
export const AGREEMENT_STATUSES: string[] = ["", "PENDING", "ACTIVE", "REJECTED", "CANCELLED", "TERMINATED"];

/** The name of enum value `value`; the contracts only emit valid values. */
export function nameOf(names: string[], value: i32): string {
  return value >= 0 && value < names.length ? names[value] : names[0];
}

/** Names of the bits set in `mask`, skipping index 0 when it means "none". */
export function namesInMask(mask: BigInt, names: string[], skipZero: boolean): string[] {
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
    stats.buyers = 0;
    stats.save();
  }
  return stats;
}
