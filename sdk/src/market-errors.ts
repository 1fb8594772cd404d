// A failed marketplace call in one shape for every client: which contract error (decoded by
// viem from the ABIs), its arguments, and its kind — what the user can do about it. The CLI and
// the dApp only word it (a command to run, a button to press); the kinds and the ABI that names
// the token's errors live here once.
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError } from "viem";
import { agreementsAbi, analyticsAbi, dataTokenAbi, dataUnionAbi } from "./generated/abis.ts";
import { Verdict, VerdictNames } from "./generated/enums.ts";

/** Agreements' ABI plus the token's errors: ERC20InsufficientBalance etc. bubble up through it. */
export const agreementsWithTokenErrorsAbi = [...agreementsAbi, ...dataTokenAbi.filter((x) => x.type === "error")] as const;

/** A union's ABI plus the errors of what it calls (Catalogue, Policies, Agreements, the token). */
export const dataUnionWithMarketErrorsAbi = [...dataUnionAbi, ...agreementsWithTokenErrorsAbi.filter((x) => x.type === "error")] as const;

/** Analytics' ABI plus the errors of what it calls (Agreements' eligibility checks, the token). */
export const analyticsWithMarketErrorsAbi = [...analyticsAbi, ...agreementsWithTokenErrorsAbi.filter((x) => x.type === "error")] as const;

export type MarketErrorKind =
  | "rejected" // the user declined in their wallet: nothing was sent
  | "not-eligible" // an eligibility verdict: the policy, the credential or the product says no
  | "insufficient-funds" // DATA balance or allowance (or gas) too low
  | "terms-changed" // price, pricing unit or policy changed under a pending transaction: nothing was charged
  | "conflict" // the agreement's state does not allow it (already has access, pending, ended…)
  | "not-found" // no such product or agreement
  | "invalid-input" // periods out of range and the like
  | "not-allowed" // the caller is not the seller, consumer or delivery agent it must be
  | "reverted" // another contract refusal
  | "network" // the chain could not be reached
  | "unknown";

export interface MarketError {
  kind: MarketErrorKind;
  /** the contract's custom-error name, when the call reverted with one */
  name?: string;
  args: readonly unknown[];
  /** the eligibility verdict the error stands for, if it is one */
  verdict?: Verdict;
  /** a technical one-line description (for logs; clients word their own message) */
  detail: string;
}

const ELIGIBILITY = new Set<string>(VerdictNames.slice(1));

const KINDS: Record<string, MarketErrorKind> = {
  ERC20InsufficientBalance: "insufficient-funds",
  ERC20InsufficientAllowance: "insufficient-funds",
  PriceAboveMax: "terms-changed",
  PricingUnitChanged: "terms-changed",
  PolicyVersionChanged: "terms-changed",
  StreamGrantWithdrawn: "not-eligible",
  AlreadyHasAccess: "conflict",
  RequestPending: "conflict",
  RenewalNeedsApproval: "conflict",
  AgreementSuperseded: "conflict",
  NotActive: "conflict",
  NotPending: "conflict",
  StillActive: "conflict",
  NotRenewable: "conflict",
  AgreementNotFound: "not-found",
  InvalidPeriods: "invalid-input",
  PeriodsAboveMax: "invalid-input",
  NotSeller: "not-allowed",
  NotConsumer: "not-allowed",
  NotDeliveryAgent: "not-allowed",
  NotTrustedIssuer: "not-allowed",
  SubjectRevoked: "not-allowed",
  // data unions
  NotAdmin: "not-allowed",
  NotPendingAdmin: "not-allowed",
  WrongMemberStatus: "conflict",
  StillEligible: "conflict",
  NoFeeChange: "conflict",
  FeeChangeNotDue: "conflict",
  AmountAboveWithdrawable: "invalid-input",
  FeeTooHigh: "invalid-input",
  InvalidMinMembers: "invalid-input",
  InvalidJoinPolicy: "invalid-input",
  InvalidWeight: "invalid-input",
  InvalidStreamPath: "invalid-input",
  InvalidPricing: "invalid-input",
  SignatureExpired: "invalid-input",
  InvalidSignature: "invalid-input",
  // analytics
  SoldPerQuery: "invalid-input",
  NotAnalyticsProduct: "invalid-input",
  NoDataset: "not-found",
  JobNotFound: "not-found",
  DatasetChanged: "terms-changed",
  AgentsChanged: "terms-changed",
  QueryNeedsApproval: "not-allowed",
  PrivacyBudgetExhausted: "conflict",
  JobNotOpen: "conflict",
  JobExpired: "conflict",
  JobNotExpired: "conflict",
  AlreadyAnswered: "conflict",
  NotComputationAgent: "not-allowed",
  InvalidQueryHash: "invalid-input",
  InvalidResultHash: "invalid-input",
  InvalidManifestHash: "invalid-input",
  InvalidManifestURI: "invalid-input",
  InvalidBundleHashes: "invalid-input",
  InvalidRows: "invalid-input",
  InvalidMinCohort: "invalid-input",
  InvalidJobTimeout: "invalid-input",
  InvalidEpsilon: "invalid-input",
  BudgetBelowSpent: "invalid-input",
  // catalogue: anonymisation reports (reportAnonymisation) and the URIs it shares with publish
  NotAnonymisedBatch: "invalid-input",
  InvalidAnonymisation: "invalid-input",
  InvalidMetadataURI: "invalid-input",
};

/** Decodes any error thrown by a viem/wagmi call into the marketplace contracts. */
export function decodeMarketError(err: unknown): MarketError {
  const base = err instanceof BaseError ? err : undefined;
  const message = base?.shortMessage ?? (err instanceof Error ? err.message : String(err));
  if (base?.walk((e) => e instanceof UserRejectedRequestError) || /user rejected|user denied|rejected the request/i.test(err instanceof Error ? err.message : "")) {
    return { kind: "rejected", args: [], detail: "rejected in the wallet" };
  }
  const revert = base?.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null | undefined;
  const name = revert?.data?.errorName;
  const args = (revert?.data?.args ?? []) as readonly unknown[];
  const detail = name ? `${name}(${args.map(String).join(", ")})` : message;
  if (name && ELIGIBILITY.has(name)) {
    const verdict = Verdict[name as keyof typeof Verdict];
    return { kind: name === "ProductNotFound" ? "not-found" : "not-eligible", name, args, verdict, detail };
  }
  if (name) return { kind: KINDS[name] ?? "reverted", name, args, detail };
  if (revert) return { kind: "reverted", args, detail: revert.shortMessage };
  if (/insufficient funds/i.test(message)) return { kind: "insufficient-funds", args, detail: message };
  if (/fetch failed|Failed to fetch|network|ECONNREFUSED|HTTP request failed/i.test(message)) return { kind: "network", args, detail: message };
  return { kind: "unknown", args, detail: message };
}
