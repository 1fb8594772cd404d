// Analytics refusals in words: the Analytics contract's errors (a query request is checked like a
// purchase, so eligibility and payment errors come from lib/errors.ts), the SMPC nodes' HTTP
// refusals (NodeApiError codes) and the SDK's query errors.
import { decodeMarketError } from "@kraken/sdk";
import { explainError as explainTxError, type ExplainedError } from "../../lib/errors.ts";
import type { VerdictContext } from "../../lib/eligibility.ts";
import { data, date } from "../../lib/words.ts";
import { epsilon, queryErrorWords } from "./words.ts";

const REVERTS: Record<string, (args: readonly unknown[]) => string> = {
  NotAnalyticsProduct: (a) => `Product ${a[0]} is not an analytics product.`,
  NoDataset: () => "The seller has not shared a dataset with the computation nodes yet, so nothing can be queried.",
  DatasetChanged: () => "The seller published a new version of the dataset just now. Nothing was charged; reload the page to see its rules.",
  AgentsChanged: () => "The product's computation nodes changed since its dataset was shared, so no node holds it now. Nothing was charged.",
  QueryNeedsApproval: () => "The seller approves each request by hand, which queries do not support yet.",
  PrivacyBudgetExhausted: (a) => `The dataset's privacy budget is used up (ε ${epsilon(Number(a[1]))} left, less than one query costs): it answers no more queries.`,
  InvalidQueryHash: () => "The query could not be named on chain (empty hash).",
  JobNotFound: (a) => `There is no query job ${a[0]}.`,
  JobNotOpen: (a) => `Query job ${a[0]} is closed already (answered, refused or refunded).`,
  JobNotExpired: (a) => `Query job ${a[0]} can be refunded only after its deadline, ${date(Number(a[1]))}.`,
  JobExpired: (a) => `Query job ${a[0]} is past its deadline: it can only be refunded.`,
  InvalidManifestHash: () => "The manifest hash is empty.",
  InvalidManifestURI: () => "The manifest link must start with ipfs:// or https://.",
  InvalidBundleHashes: (a) => `${a[0]} bundle hashes for ${a[1]} computation nodes: one per node is needed.`,
  InvalidRows: () => "The dataset has no rows.",
  InvalidMinCohort: (a) => `The smallest group revealed must be at least 2 people (not ${a[0]}).`,
  InvalidJobTimeout: (a) => `The job timeout must be between 60 seconds and 7 days (not ${a[0]} s).`,
  InvalidEpsilon: () => "The privacy cost of one query is above the whole budget.",
  BudgetBelowSpent: (a) => `The budget cannot be set below what buyers already spent (ε ${epsilon(Number(a[1]))}).`,
  SoldPerQuery: () => "This analytics product is sold one query at a time: build a query and run it.",
  ERC20InsufficientBalance: (a) => `Insufficient DATA: you have ${data(a[1] as bigint)}, this needs ${data(a[2] as bigint)}.`,
};

/** The node API's codes a buyer or seller can meet, in words (the node's message follows). */
const NODE_CODES: Record<string, string> = {
  unavailable: "A computation node cannot be reached.",
  "no-manifest": "The computation nodes have no committed dataset for this product yet.",
  "rate-limited": "A computation node is busy; try again in a moment.",
  "too-large": "Too large for the computation node.",
  "not-seller": "Only the product's seller can upload its dataset.",
  "not-agent": "This node is not one of the product's computation nodes.",
  "stale-request": "The upload request's time is too far from the node's clock: check your computer's clock.",
  "bad-bundle": "The node could not open the uploaded bundle.",
};

const capital = (s: string) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : s);

const isQueryCode = (code: string) => ["malformed", "unknown-column", "not-allowed", "bad-range", "bad-column", "bad-values", "too-many-conditions", "duplicate-condition", "bad-group-by"].includes(code);

/** Errors of the flow that carry their own words; the lead says what they mean for the buyer. */
const OWN_WORDS: Record<string, string> = {
  KeyNotUsableError: "",
  InconsistentShareError: "The result is not shown: the nodes' shares disagree, so one node delivered a wrong share.",
  ResultError: "The nodes' answers could not be combined into a result.",
  QueryJobError: "",
  ManifestError: "The dataset's manifest cannot be trusted.",
  DeliveryError: "",
};

export function explainAnalyticsError(err: unknown, ctx?: Partial<VerdictContext>): ExplainedError {
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name && e.name in OWN_WORDS) {
    const lead = OWN_WORDS[e.name];
    const detail = capital(e.message ?? "");
    return { kind: "unknown", name: e.code ?? e.name, message: lead ? `${lead} (${detail})` : detail };
  }
  if (e?.name === "QueryError" && typeof e.code === "string") return { kind: "unknown", name: e.code, message: queryErrorWords(e.code, e.message ?? "") };
  if (e?.name === "NodeApiError" && typeof e.code === "string") {
    const lead = isQueryCode(e.code) ? queryErrorWords(e.code, "") : NODE_CODES[e.code];
    return { kind: "network", name: e.code, message: lead ? `${lead} (${e.message})` : `A computation node refused: ${e.message}` };
  }
  const { name, args } = decodeMarketError(err);
  if (name && REVERTS[name]) return { kind: "unknown", name, message: REVERTS[name](args) };
  return explainTxError(err, ctx);
}
