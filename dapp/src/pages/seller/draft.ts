// The product a seller is putting together in the Create product wizard (MKT-FUN-07), its
// per-step checks, and how it becomes the metadata document, `Catalogue.publish` arguments and
// the consent policy. Pure functions: the pages render and sign, this decides.
import { parseEther, type Address } from "viem";
import {
  Category,
  Modality,
  OrganisationType,
  PricingUnit,
  ProductType,
  Purpose,
  TARGET_COUNTRIES,
  type Country,
  type Policy,
  type ProductMetadata,
} from "@kraken/sdk";
import { parseStreamFilter, type StreamFilterConfig, type TimestampGranularity } from "@kraken/sdk/anonymise";
import { emptyAnalyticsDraft, rulesProblems, schemaProblems, type AnalyticsDraft } from "./analytics/analyticsDraft.ts";
import { emptyAnonymiseDraft, type AnonymiseDraft } from "./anonymise/anonymiseDraft.ts";

export interface ProductDraft {
  productType: ProductType;
  title: string;
  summary: string;
  description: string;
  cover: File | null;
  /** Batch products: the dataset, encrypted in the browser before it leaves it. */
  file: File | null;
  /** Anonymised batch products: the anonymisation of `file` run in this browser; its accepted file is what is published. */
  anonymisation: AnonymiseDraft;
  /** Stream products: Streamr stream ids the seller holds GRANT on. */
  streams: string[];
  /** Anonymised stream products: the filter every message goes through before it leaves the publisher (as typed). */
  streamFilter: StreamFilterDraft;
  /** Analytics products: the CSV, its schema and the query rules (shared to the SMPC nodes in this browser). */
  analytics: AnalyticsDraft;
  category: string;
  tags: string[];
  modality: Modality;
  jurisdictions: Country[];
  purposes: Purpose[];
  consumerCategories: Category[];
  organisationTypes: OrganisationType[]; // only meaningful when organisations are allowed
  requiresApproval: boolean;
  retentionDays: number;
  /** Price in DATA as typed ("0" = free). */
  price: string;
  pricingUnit: PricingUnit;
}

export const STEPS = [
  { key: "type", label: "Type" },
  { key: "description", label: "Description" },
  { key: "data", label: "Data" },
  { key: "catalogue", label: "Tags and category" },
  { key: "policy", label: "Consent policy" },
  { key: "price", label: "Price" },
  { key: "review", label: "Review and sign" },
] as const;
export type StepKey = (typeof STEPS)[number]["key"];

export const MAX_TITLE_BYTES = 200; // Catalogue.MAX_TITLE_BYTES
export const MAX_TAGS = 16; // Catalogue.MAX_TAGS
export const MAX_STREAMS = 8; // Catalogue.MAX_STREAMS
export const MAX_COVER_BYTES = 2 * 2 ** 20;

export const TYPE_HELP: Record<ProductType, string> = {
  [ProductType.Stream]: "A live data stream (Streamr), sold by time: per hour, day, week or month.",
  [ProductType.Batch]: "A dataset file, encrypted in your browser; buyers get the key through the relays. Sold once.",
  [ProductType.DataUnion]: "Many members pool their data in one stream, sold by time; the revenue is shared. Has its own wizard.",
  [ProductType.Analytics]: "A table buyers query without seeing it: you share it (in your browser) to the SMPC computation nodes, buyers pay per query and get aggregate results only.",
};

export const isTimeBased = (t: ProductType) => t === ProductType.Stream || t === ProductType.DataUnion;

export function emptyDraft(): ProductDraft {
  return {
    productType: ProductType.Batch,
    title: "",
    summary: "",
    description: "",
    cover: null,
    file: null,
    anonymisation: emptyAnonymiseDraft(),
    streams: [],
    streamFilter: emptyStreamFilterDraft(),
    analytics: emptyAnalyticsDraft(),
    category: "",
    tags: [],
    modality: Modality.Anonymised,
    jurisdictions: [...TARGET_COUNTRIES],
    purposes: [Purpose.Research],
    consumerCategories: [Category.Organisation],
    organisationTypes: [OrganisationType.Hospital, OrganisationType.ResearchUniversity],
    requiresApproval: false,
    retentionDays: 365,
    price: "0",
    pricingUnit: PricingUnit.OneTime,
  };
}

/** Changing the type fixes the pricing unit the contract accepts for it. */
export function withType(d: ProductDraft, productType: ProductType): ProductDraft {
  const timeBased = isTimeBased(productType);
  const unitOk = timeBased !== (d.pricingUnit === PricingUnit.OneTime);
  // Analytics products are computed by secure multi-party computation: that is their modality.
  const modality = productType === ProductType.Analytics ? Modality.Smpc : d.productType === ProductType.Analytics ? Modality.Anonymised : d.modality;
  return { ...d, productType, modality, pricingUnit: unitOk ? d.pricingUnit : timeBased ? PricingUnit.Day : PricingUnit.OneTime };
}

/** "a, b  ,c" → ["a","b","c"]: trimmed, lower-cased, de-duplicated. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

/** One stream id per line or comma; Streamr ids look like `<address or ENS>/<path>`. */
export function parseStreams(text: string): string[] {
  return [...new Set(text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean))];
}

const STREAM_ID = /^(0x[0-9a-fA-F]{40}|[a-z0-9-]+(\.[a-z0-9-]+)+)\/[^\s]+$/;

/** "ICU vitals, live!" → "icu-vitals-live" (at most 60 characters). */
export function slugify(text: string): string {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 60).replace(/^-+|-+$/g, "");
}

/** The path the wizard proposes for a new stream: `/kraken/<slug of the title>`. */
export function defaultStreamPath(title: string): string {
  return `/kraken/${slugify(title) || "stream"}`;
}

/** What is wrong with a path for StreamRegistry.createStream, or null: it starts with "/" and uses only A–Z a–z 0–9 - . _ /. */
export function checkStreamPath(path: string): string | null {
  if (!path.startsWith("/") || path.length < 2) return "The stream path starts with / and names the stream, e.g. /kraken/heart-rate.";
  if (!/^[-./0-9A-Za-z_]+$/.test(path)) return "The stream path may contain only letters A–Z, digits, and - . _ /.";
  return null;
}

/** The id StreamRegistry gives a stream the owner creates: `<lowercase address><path>`. */
export function streamIdFor(owner: Address, path: string): string {
  return `${owner.toLowerCase()}${path}`;
}

/** Problems that keep the seller on `step`; empty when they may go on. */
export function checkStep(step: StepKey, d: ProductDraft): string[] {
  const errors: string[] = [];
  switch (step) {
    case "description": {
      const bytes = new TextEncoder().encode(d.title.trim()).length;
      if (bytes === 0) errors.push("Give the product a name.");
      if (bytes > MAX_TITLE_BYTES) errors.push(`The name is too long (${bytes} bytes; at most ${MAX_TITLE_BYTES}).`);
      if (!d.summary.trim()) errors.push("Write a one-line summary.");
      if (d.cover && !d.cover.type.startsWith("image/")) errors.push("The cover must be an image.");
      if (d.cover && d.cover.size > MAX_COVER_BYTES) errors.push("The cover image is larger than 2 MB.");
      break;
    }
    case "data":
      if (d.productType === ProductType.Batch && !d.file) errors.push("Pick the dataset file to sell.");
      if (needsAnonymisation(d) && d.file && !acceptedAnonymisation(d))
        errors.push(`${ANONYMISE_FIRST}: run “Anonymise” on the file and choose “Use the anonymised file” (or pick another modality).`);
      if (d.productType === ProductType.Analytics) errors.push(...schemaProblems(d.analytics), ...rulesProblems(d.analytics));
      if (d.productType === ProductType.Stream) {
        if (d.streams.length === 0) errors.push("Add at least one stream id.");
        if (d.streams.length > MAX_STREAMS) errors.push(`At most ${MAX_STREAMS} streams per product.`);
        for (const s of d.streams) if (!STREAM_ID.test(s)) errors.push(`"${s}" is not a stream id (like 0xabc…/heart-rate).`);
      }
      if (needsStreamFilter(d)) {
        const f = checkStreamFilter(d.streamFilter);
        if ("error" in f) errors.push(f.error);
      }
      break;
    case "catalogue":
      if (!d.category.trim()) errors.push("Choose a category.");
      if (d.tags.length > MAX_TAGS) errors.push(`At most ${MAX_TAGS} tags.`);
      break;
    case "policy":
      if (d.purposes.length === 0) errors.push("Allow at least one purpose.");
      if (d.consumerCategories.length === 0) errors.push("Allow individuals, organisations or both.");
      if (d.consumerCategories.includes(Category.Organisation) && d.organisationTypes.length === 0) {
        errors.push("Choose which kinds of organisation may buy.");
      }
      if (d.jurisdictions.length === 0) errors.push("Allow at least one country.");
      if (!Number.isInteger(d.retentionDays) || d.retentionDays < 0) errors.push("Retention must be a whole number of days (0 = no limit).");
      break;
    case "price":
      try {
        if (priceWei(d.price) < 0n) errors.push("The price cannot be negative.");
      } catch {
        errors.push("Enter the price as a number of DATA, e.g. 12.5 (0 = free).");
      }
      if (isTimeBased(d.productType) === (d.pricingUnit === PricingUnit.OneTime)) {
        errors.push(isTimeBased(d.productType) ? "Streams are sold per hour, day, week or month." : "This type is sold once.");
      }
      break;
    case "type":
      if (d.productType === ProductType.DataUnion) errors.push("Data unions have their own wizard: follow “Create a data union” above.");
      break;
    case "review":
      break;
  }
  return errors;
}

/** The data step's complaint when an anonymised product's file has not been anonymised (and accepted). */
export const ANONYMISE_FIRST = "An anonymised product is published only anonymised";

/** A batch product sold as anonymised: its file goes through the anonymiser before it is published. */
export function needsAnonymisation(d: Pick<ProductDraft, "productType" | "modality">): boolean {
  return d.productType === ProductType.Batch && d.modality === Modality.Anonymised;
}

/** The anonymisation the seller accepted for the current file, if any. */
export function acceptedAnonymisation(d: Pick<ProductDraft, "file" | "anonymisation">) {
  const a = d.anonymisation;
  return a.accepted && a.source === d.file ? a.accepted : null;
}

/** The file a batch product publishes: the accepted anonymised file for an anonymised product (never the original), else the file chosen. */
export function datasetFile(d: ProductDraft): File | null {
  if (needsAnonymisation(d)) return acceptedAnonymisation(d)?.file ?? null;
  return d.file;
}

/** The stream filter as the seller types it: comma-separated field names per rule. */
export interface StreamFilterDraft {
  drop: string;
  pseudonymise: string;
  timestamps: string;
  granularity: TimestampGranularity;
  locations: string;
  decimals: number;
}

export function emptyStreamFilterDraft(): StreamFilterDraft {
  return { drop: "", pseudonymise: "", timestamps: "", granularity: "minute", locations: "", decimals: 2 };
}

/** A stream product sold as anonymised: its publishers filter every message by the product's stream filter. */
export function needsStreamFilter(d: Pick<ProductDraft, "productType" | "modality">): boolean {
  return d.productType === ProductType.Stream && d.modality === Modality.Anonymised;
}

/** "a, b ,, c" → ["a","b","c"] (kept as typed otherwise: a field named twice is the filter's complaint to make). */
export function parseFieldList(text: string): string[] {
  return text.split(",").map((f) => f.trim()).filter(Boolean);
}

/** The start of the data step's complaint about a stream filter. */
export const STREAM_FILTER_INVALID = "The stream filter is not valid";

const RULE_LABELS: Record<string, string> = {
  drop: "Fields removed",
  pseudonymise: "Fields pseudonymised",
  timestamps: "Timestamp fields",
  "timestamps.fields": "Timestamp fields",
  "timestamps.granularity": "Round timestamps down to",
  locations: "Location fields",
  "locations.fields": "Location fields",
  "locations.decimals": "Decimals kept",
};

/** parseStreamFilter's message with its rule names as the wizard labels them ("drop" → “Fields removed”). */
export function streamFilterMessage(message: string): string {
  const m = message.replace(/^stream filter:\s*/, "");
  // Rule names stand at the start (not followed by " is in both" / " (in": there a field is named) or after "in both", "and", "(in".
  return m.replace(/(^|in both |and |\(in )"([a-z.]+)"(?!(?: is in both| \(in ))/g, (all, before: string, rule: string) =>
    RULE_LABELS[rule] ? `${before}“${RULE_LABELS[rule]}”` : all,
  );
}

export type StreamFilterCheck = { config: StreamFilterConfig | null } | { error: string };

/** The filter the seller typed, checked by the SDK's parseStreamFilter: its config (null when it has no
 * rule: nothing is filtered), or the problem in words. */
export function checkStreamFilter(f: StreamFilterDraft): StreamFilterCheck {
  const pseudonymise = parseFieldList(f.pseudonymise);
  const timestamps = parseFieldList(f.timestamps);
  const locations = parseFieldList(f.locations);
  const raw: StreamFilterConfig = {
    drop: parseFieldList(f.drop),
    ...(pseudonymise.length ? { pseudonymise } : {}),
    ...(timestamps.length ? { timestamps: { fields: timestamps, granularity: f.granularity } } : {}),
    ...(locations.length ? { locations: { fields: locations, decimals: f.decimals } } : {}),
  };
  try {
    const config = parseStreamFilter(raw);
    const rules = config.drop.length + (config.pseudonymise?.length ?? 0) + (config.timestamps ? 1 : 0) + (config.locations ? 1 : 0);
    return { config: rules ? config : null };
  } catch (err) {
    return { error: `${STREAM_FILTER_INVALID}: ${streamFilterMessage((err as Error).message)}` };
  }
}

/** What `decimals` decimals of a latitude keep, in words: 2 → "about 1 km" (a degree is about 111 km). */
export function locationPrecisionWords(decimals: number): string {
  const metres = 111_320 / 10 ** decimals;
  if (metres >= 1000) return `about ${Math.round(metres / 1000)} km`;
  if (metres >= 1) return `about ${Math.round(metres)} m`;
  return `about ${Math.round(metres * 100)} cm`;
}

/** Every step's problems, for the review page. */
export function checkAll(d: ProductDraft): string[] {
  return STEPS.flatMap((s) => checkStep(s.key, d));
}

const MAX_PRICE = 2n ** 96n - 1n; // uint96

export function priceWei(text: string): bigint {
  const t = text.trim();
  if (!/^\d+(\.\d{1,18})?$/.test(t)) throw new RangeError(`not a DATA amount: ${text}`);
  const wei = parseEther(t);
  if (wei > MAX_PRICE) throw new RangeError("price too large");
  return wei;
}

export function policyTerms(d: ProductDraft): Policy {
  const orgs = d.consumerCategories.includes(Category.Organisation);
  return {
    purposes: d.purposes,
    consumerCategories: d.consumerCategories,
    organisationTypes: orgs ? d.organisationTypes.filter((o) => o !== OrganisationType.None) : [],
    jurisdictions: d.jurisdictions,
    requiresApproval: d.requiresApproval,
    retentionDays: d.retentionDays,
  };
}

export function metadataDocument(d: ProductDraft, coverUri?: string): ProductMetadata {
  // An anonymised stream product's filter (none when it has no rule, as the CLI writes it).
  const filter = needsStreamFilter(d) ? checkStreamFilter(d.streamFilter) : null;
  if (filter && "error" in filter) throw new Error(filter.error);
  return {
    schema: "kraken.product/v1",
    title: d.title.trim(),
    summary: d.summary.trim(),
    description: d.description.trim(),
    category: d.category.trim(),
    tags: d.tags,
    ...(coverUri ? { coverImage: coverUri } : {}),
    ...(filter?.config ? { streamFilter: filter.config } : {}),
  };
}

/** The `Catalogue.Description` struct. */
export function descriptionArg(d: ProductDraft, metadataURI: string) {
  return { metadataURI, title: d.title.trim(), summary: d.summary.trim(), category: d.category.trim(), tags: d.tags };
}

/**
 * Delivery agents: batch products go through the relays (2 of 3 in the demo); analytics products
 * are computed by the SMPC nodes (3, any 2 rebuild a result); others need none.
 */
export function deliveryAgents(d: ProductDraft, relays: Address[], smpcNodes: Address[] = []): { agents: Address[]; threshold: number } {
  if (d.productType === ProductType.Analytics) {
    if (smpcNodes.length !== 3) throw new Error(`Analytics products need the 3 SMPC computation nodes; this marketplace has ${smpcNodes.length} configured (config.json: smpcNodes).`);
    return { agents: smpcNodes, threshold: 2 };
  }
  if (d.productType !== ProductType.Batch) return { agents: [], threshold: 0 };
  if (relays.length === 0) throw new Error("No key relays are configured: batch products cannot be delivered.");
  return { agents: relays, threshold: Math.min(relays.length, Math.max(1, Math.ceil((relays.length + 1) / 2))) };
}
