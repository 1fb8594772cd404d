// What a consumer agrees to when they request access or renew: the product's price, pricing
// unit and consent-policy version as they are now. Agreements pins the unit and the version
// (a change before the transaction lands reverts with PricingUnitChanged / PolicyVersionChanged)
// and `maxTotalPrice` bounds the price, so a request built from an offer can never buy other
// terms than the ones shown.
import type { Address, PublicClient } from "viem";
import { catalogueAbi, policiesAbi } from "./generated/abis.ts";
import type { PricingUnit, ProductType } from "./generated/enums.ts";

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
