// Marketplace actions in the manner of viem's and wagmi's: plain functions of viem clients that
// hold a transaction flow once for the CLI and the dApp (which only word the progress and errors).
export { BalanceTooLowError, gasWithHeadroom, MissingEventError, TransactionRevertedError, type ActionClients, type TxClients, type ActionStep, type OnProgress, type ProgressDetail, type TxName } from "./common.ts";
export { requestAccess, type PaymentMethod, type PinnedTerms, type RequestAccessParameters, type RequestAccessResult } from "./request-access.ts";
export { renew, type RenewParameters, type RenewResult } from "./renew.ts";
export { terminate, allowanceShortfall, type TerminateParameters, type TerminateResult } from "./terminate.ts";
export { cancel, type CancelParameters, type CancelResult } from "./cancel.ts";
export {
  ALL_EARNINGS, applyFeeChange, approveJoin, createUnion, joinUnion, partUnion, rejectJoin, removeMember, scheduleFeeChange, setUnionListed,
  signWithdrawal, submitWithdrawal, withdrawEarnings, withdrawTypes, withdrawUnionFees,
  type CreateUnionResult, type JoinUnionResult, type SignedWithdrawal, type UnionClients,
} from "./union.ts";
export { commitDataset, refundQuery, requestQuery, type AnalyticsClients, type DatasetInput, type RefundQueryResult, type RequestQueryParameters, type RequestQueryResult } from "./analytics.ts";
export { readAnonymisation, reportAnonymisation, type AnonymisationReportInput, type OnChainAnonymisation } from "./anonymisation.ts";
