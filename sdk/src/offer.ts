// What a consumer agrees to when they request access or renew: the product's price, pricing
// unit and consent-policy version as they are now. Agreements pins the unit and the version
// (a change before the transaction lands reverts with PricingUnitChanged / PolicyVersionChanged)
// and `maxTotalPrice` bounds the price, so a request built from an offer can never buy other
// terms than the ones shown.
import type { Address, PublicClient } from "viem";
import { catalogueAbi, policiesAbi } from "./generated/abis.ts";
import { PricingUnitNames, type PricingUnit, type ProductType } from "./generated/enums.ts";
import { enumName } from "./names.ts";

export interface Offer {
  productId: bigint;
  seller: Address;
  productType: ProductType;
  active: boolean;
  /** per period, or the one-time price */
  price: bigint;
  pricingUnit: PricingUnit;
  /** 0 when the seller has not set a policy yet (the product cannot be bought then) */
  policyVersion: number;
  requiresApproval: boolean;
}

type Reader = Pick<PublicClient, "readContract">;

/** Reads the offer of `productId` from the Catalogue and Policies contracts. */
export async function readOffer(client: Reader, contracts: { catalogue: Address; policies: Address }, productId: bigint): Promise<Offer> {
  const [terms, policy] = await Promise.all([
    client.readContract({ address: contracts.catalogue, abi: catalogueAbi, functionName: "termsOf", args: [productId] }),
    client.readContract({ address: contracts.policies, abi: policiesAbi, functionName: "policyOf", args: [productId] }),
  ]);
  return {
    productId,
    seller: terms.seller,
    productType: terms.productType as ProductType,
    active: terms.active,
    price: terms.price,
    pricingUnit: terms.pricingUnit as PricingUnit,
    policyVersion: policy.version,
    requiresApproval: policy.requiresApproval,
  };
}

/** Agreements.MAX_TERM: the most access time one request or renewal may buy. */
export const MAX_TERM_SECONDS = 366 * 86_400;
const UNIT_SECONDS: Record<string, number> = { Hour: 3_600, Day: 86_400, Week: 604_800, Month: 2_592_000 };

/** Seconds in one period of `unit` (any spelling; 0 for one-time), as `Periods.unitSeconds`. */
export const unitSeconds = (unit: string | number) => UNIT_SECONDS[enumName(PricingUnitNames, unit)] ?? 0;

/** Agreements.maxPeriods: how many periods of `unit` one request or renewal may buy (1 for one-time). */
export const maxPeriods = (unit: string | number) => {
  const secs = unitSeconds(unit);
  return secs ? Math.floor(MAX_TERM_SECONDS / secs) : 1;
};
