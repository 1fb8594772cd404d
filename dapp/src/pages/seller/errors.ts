// Seller actions' failures in words: the contract errors of Catalogue, Policies, the seller's
// side of Agreements (incl. the token's, for the refund of terminate) and StreamRegistry's
// revert reasons, on top of the app's explainError (rejected signatures, network, consumer-side
// errors); delivery and IPFS errors carry their own.
import { BaseError, ContractFunctionRevertedError } from "viem";
import { decodeMarketError } from "@kraken/sdk";
import { explainError as explainTxError } from "../../lib/errors.ts";
import { data } from "../../lib/words.ts";
import { explainAnalyticsError } from "../analytics/errors.ts";

/** Errors of the analytics seller flow that carry their own words (a bad CSV value names its row and column). */
const OWN_WORDS: Record<string, string> = {
  DatasetError: "The CSV does not match the schema:",
  SchemaError: "The schema is not valid:",
  ManifestError: "The manifest is not valid:",
  BundleError: "A bundle could not be built:",
};

const REVERTS: Record<string, (args: readonly unknown[]) => string> = {
  NotSeller: () => "Only the seller of this product can do that: switch to the account that published it.",
  ProductNotFound: (a) => `Product ${a[0]} does not exist.`,
  InvalidMetadataURI: () => "The metadata link must start with ipfs:// or https://.",
  InvalidTitle: () => "The name must be 1–200 bytes long.",
  TooManyTags: (a) => `Too many tags (${a[0]}); at most 16.`,
  InvalidPricing: () => "Streams and data unions are sold per hour/day/week/month; batch and analytics products once.",
  InvalidDeliveryAgents: () => "Batch products need at least one key relay and analytics products their computation nodes, each listed once.",
  InvalidThreshold: (a) => `The key threshold ${a[0]} does not fit ${a[1]} relays.`,
  AlreadyActive: () => "The product is already active.",
  AlreadyInactive: () => "The product is already deactivated.",
  StreamsNotAllowed: () => "Only stream products link Streamr streams.",
  NotAnonymisedBatch: (a) => `Product ${a[0]} is not an anonymised batch product, so it takes no anonymisation report.`,
  InvalidAnonymisation: () => "The anonymisation report's figures are not coherent (k and ℓ at least 1, ℓ at most k, a report hash): anonymise the file again.",
  TooManyStreams: (a) => `Too many streams (${a[0]}); at most 8.`,
  StreamRegistryNotSet: () => "This marketplace has no Streamr registry configured, so streams cannot be linked.",
  StreamNotFound: (a) => `Stream "${a[0]}" does not exist in the Streamr registry: create it first.`,
  NotStreamOwner: (a) => `You do not hold the GRANT permission on stream "${a[0]}", so you cannot sell it.`,
  EmptyPurposes: () => "Allow at least one purpose.",
  EmptyConsumerCategories: () => "Allow individuals, organisations or both.",
  EmptyJurisdictions: () => "Allow at least one country.",
  InvalidOrganisationTypes: () => "Choose the kinds of organisation only when organisations may buy, and at least one then.",
  UnknownPurposeBits: () => "The policy names a purpose the contract does not know.",
  UnknownCategoryBits: () => "The policy names a buyer category the contract does not know.",
  UnknownJurisdictionBits: () => "The policy names a country the contract does not know.",
  AlreadyRetracted: (a) => `Consent is already retracted for ${a[1]}.`,
  NotRetracted: (a) => `Consent was not retracted for ${a[1]}.`,
  ZeroAddress: () => "Enter the buyer's address.",
  AgreementNotFound: (a) => `Agreement ${a[0]} does not exist.`,
  NotPending: (a) => `Agreement ${a[0]} is no longer pending (the buyer may have cancelled it, or it was already decided).`,
  NotActive: (a) => `Agreement ${a[0]} is not running any more (it has ended or was already terminated), or it still awaits your approval (reject it instead): there is nothing to terminate.`,
  // the refund of terminate comes from the seller's DATA, through an allowance to Agreements
  ERC20InsufficientAllowance: (a) => `The marketplace may take only ${data(a[1] as bigint)} of your DATA for the refund, which is ${data(a[2] as bigint)}: approve the refund and try again.`,
  ERC20InsufficientBalance: (a) => `Your DATA balance (${data(a[1] as bigint)}) is too low for the refund of ${data(a[2] as bigint)}: get DATA first, then terminate again.`,
};

/** StreamRegistryV5 reverts with strings (require), not custom errors. */
const REGISTRY_REASONS: Record<string, string> = {
  error_streamAlreadyExists: "A stream with this path exists already.",
  error_pathMustStartWithSlash: "The stream path must start with /.",
  error_invalidPathChars: "The stream path may contain only letters A–Z, digits, and - . _ /.",
  error_metadataJsonStringIsEmpty: "The stream needs a description.",
  error_streamDoesNotExist: "The stream does not exist in the Streamr registry.",
};

export function explainError(err: unknown): string {
  const own = err instanceof Error ? OWN_WORDS[err.name] : undefined;
  if (own) return `${own} ${err instanceof Error ? err.message : ""}`;
  if (err instanceof Error && err.name === "NodeApiError") return explainAnalyticsError(err).message;
  // The registry's string reasons are not custom errors: viem puts them on the revert itself.
  const revert = err instanceof BaseError ? (err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null) : null;
  const reason = revert?.reason;
  if (reason && REGISTRY_REASONS[reason]) return `${REGISTRY_REASONS[reason]} (${reason})`;
  const { name, args } = decodeMarketError(err);
  if (name && REVERTS[name]) return `${REVERTS[name](args)} (${name})`;
  if (name) {
    const analytics = explainAnalyticsError(err);
    if (analytics.name === name && !analytics.message.startsWith("The contract refused")) return `${analytics.message} (${name})`;
  }
  return explainTxError(err).message;
}
