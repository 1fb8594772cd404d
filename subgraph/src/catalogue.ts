// Catalogue events → Product (and the seller's Account, MarketStats).
import { Bytes } from "@graphprotocol/graph-ts";
import {
  AnonymisationReported,
  DeliveryAgentsUpdated,
  ProductStreamsUpdated,
  ProductDeactivated,
  ProductDescriptionUpdated,
  ProductPriceUpdated,
  ProductPublished,
  ProductReactivated,
} from "../generated/Catalogue/Catalogue";
import { Product } from "../generated/schema";
import { getAccount, getStats, MODALITIES, nameOf, PRICING_UNITS, PRODUCT_TYPES } from "./shared";
import { BigInt } from "@graphprotocol/graph-ts";

export function handleProductPublished(event: ProductPublished): void {
  const p = event.params;
  const product = new Product(p.productId.toString());
  product.productId = p.productId;
  product.seller = p.seller;
  product.productType = nameOf(PRODUCT_TYPES, p.productType);
  product.modality = nameOf(MODALITIES, p.modality);
  product.title = p.title;
  product.summary = p.summary;
  product.category = p.category;
  product.tags = p.tags;
  product.tagsText = p.tags.join(" ");
  product.metadataURI = p.metadataURI;
  product.price = p.price;
  product.pricingUnit = nameOf(PRICING_UNITS, p.pricingUnit);
  product.active = true;
  product.deliveryAgents = new Array<Bytes>(0);
  product.streams = new Array<string>(0);
  product.threshold = 0;
  product.createdAt = event.block.timestamp;
  product.updatedAt = event.block.timestamp;
  product.salesCount = 0;
  product.revenue = BigInt.zero();
  product.purposes = new Array<string>(0);
  product.consumerCategories = new Array<string>(0);
  product.organisationTypes = new Array<string>(0);
  product.jurisdictions = new Array<string>(0);
  product.requiresApproval = false;
  product.save();

  const seller = getAccount(p.seller);
  const stats = getStats();
  if (seller.productsPublished == 0) stats.sellers += 1;
  seller.productsPublished += 1;
  seller.save();
  stats.products += 1;
  stats.activeProducts += 1;
  stats.save();
}

export function handleProductDescriptionUpdated(event: ProductDescriptionUpdated): void {
  const p = event.params;
  const product = Product.load(p.productId.toString());
  if (product == null) return;
  product.metadataURI = p.metadataURI;
  product.title = p.title;
  product.summary = p.summary;
  product.category = p.category;
  product.tags = p.tags;
  product.tagsText = p.tags.join(" ");
  product.updatedAt = event.block.timestamp;
  product.save();
}

export function handleProductPriceUpdated(event: ProductPriceUpdated): void {
  const product = Product.load(event.params.productId.toString());
  if (product == null) return;
  product.price = event.params.price;
  product.pricingUnit = nameOf(PRICING_UNITS, event.params.pricingUnit);
  product.updatedAt = event.block.timestamp;
  product.save();
}

export function handleDeliveryAgentsUpdated(event: DeliveryAgentsUpdated): void {
  const product = Product.load(event.params.productId.toString());
  if (product == null) return;
  const agents = new Array<Bytes>(0);
  for (let i = 0; i < event.params.agents.length; i++) agents.push(event.params.agents[i]);
  product.deliveryAgents = agents;
  product.threshold = event.params.threshold;
  product.updatedAt = event.block.timestamp;
  product.save();
}

export function handleProductStreamsUpdated(event: ProductStreamsUpdated): void {
  const product = Product.load(event.params.productId.toString());
  if (product == null) return;
  product.streams = event.params.streamIds;
  product.updatedAt = event.block.timestamp;
  product.save();
}

// GraphQL's Int is a signed 32-bit number; k and ℓ are uint32 on chain. A claim above 2^31 − 1
// (more rows per class than any real file has) is kept as 2^31 − 1, so that filters such as
// anonymisationK_gte still see it as large; toI32 alone would wrap it to a negative number.
function clampedInt(v: BigInt): i32 {
  return v.gt(BigInt.fromI32(i32.MAX_VALUE)) ? i32.MAX_VALUE : v.toI32();
}

// The latest report replaces the previous one, as on chain (the events keep the history).
export function handleAnonymisationReported(event: AnonymisationReported): void {
  const product = Product.load(event.params.productId.toString());
  if (product == null) return;
  product.anonymisationK = clampedInt(event.params.k);
  product.anonymisationL = clampedInt(event.params.l);
  product.anonymisationReportHash = event.params.reportHash;
  product.anonymisationReportURI = event.params.reportURI;
  product.anonymisedAt = event.block.timestamp;
  product.updatedAt = event.block.timestamp;
  product.save();
}

function setActive(productId: string, active: boolean, timestamp: BigInt): void {
  const product = Product.load(productId);
  if (product == null || product.active == active) return;
  product.active = active;
  product.updatedAt = timestamp;
  product.save();
  const stats = getStats();
  stats.activeProducts += active ? 1 : -1;
  stats.save();
}

export function handleProductDeactivated(event: ProductDeactivated): void {
  setActive(event.params.productId.toString(), false, event.block.timestamp);
}

export function handleProductReactivated(event: ProductReactivated): void {
  setActive(event.params.productId.toString(), true, event.block.timestamp);
}
