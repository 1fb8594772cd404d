// Analytics actions (contracts/src/Analytics.sol): a buyer pays for one query (the payment is
// held in escrow until the SMPC nodes' receipts are recorded) and gets a refund when the nodes
// do not answer in time; a seller commits the dataset they shared to the nodes. Same flow as
// requestAccess: balance checked, payment approved or permitted, simulated, sent.
import { parseEventLogs, type Address, type Hex, type TransactionReceipt } from "viem";
import { analyticsAbi } from "../generated/abis.ts";
import { analyticsWithMarketErrorsAbi } from "../market-errors.ts";
import { signPermit } from "../permit.ts";
import { approveIfShort, checkBalance, MissingEventError, report, send, simulate, toAccount, type TxClients, type TxName } from "./common.ts";
import type { PaymentMethod } from "./request-access.ts";

/** A buyer's clients and the contracts a query pays through. */
export interface AnalyticsClients extends TxClients {
  contracts: { analytics: Address; token: Address };
}

export interface RequestQueryParameters extends AnalyticsClients {
  productId: bigint;
  purpose: number;
  /** the consent policy version the buyer saw (a change before the request lands reverts) */
  policyVersion: number;
  /** the dataset manifest the query was validated against (a new dataset version reverts) */
  manifestHash: Hex;
  /** keccak256 of the canonical query (`queryHash` in @kraken/sdk/analytics) */
  queryHash: Hex;
  /** the product's price per query */
  price: bigint;
  /** the most paid (default: price) */
  maxPrice?: bigint;
  method: PaymentMethod;
  permitDeadline?: bigint;
}

export interface RequestQueryResult {
  jobId: bigint;
  amount: bigint;
  epsilonCharged: number;
  /** unix seconds: no answer by then → refundQuery */
  deadline: number;
  datasetVersion: number;
  receipt: TransactionReceipt;
}

export async function requestQuery(p: RequestQueryParameters): Promise<RequestQueryResult> {
  const maxPrice = p.maxPrice ?? p.price;
  if (p.price > 0n) await checkBalance(p, p.price);
  const args = [p.productId, p.purpose, p.policyVersion, p.manifestHash, p.queryHash, maxPrice] as const;
  let tx: TxName;
  let sim;
  if (p.method === "permit" && maxPrice > 0n) {
    const deadline = p.permitDeadline ?? (await p.publicClient.getBlock()).timestamp + 3600n;
    report(p, "sign", { amount: maxPrice, deadline });
    const { v, r, s } = await signPermit({ wallet: p.wallet, publicClient: p.publicClient, token: p.contracts.token, owner: toAccount(p.account), spender: p.contracts.analytics, value: maxPrice, deadline });
    report(p, "signed", { amount: maxPrice, deadline });
    tx = "requestQueryWithPermit";
    sim = await simulate(p, tx, { address: p.contracts.analytics, abi: analyticsWithMarketErrorsAbi, functionName: tx, args: [...args, deadline, v, r, s] });
  } else {
    if (p.price > 0n) await approveIfShort(p, p.price, p.contracts.analytics);
    tx = "requestQuery";
    sim = await simulate(p, tx, { address: p.contracts.analytics, abi: analyticsWithMarketErrorsAbi, functionName: tx, args });
  }
  const receipt = await send(p, tx, sim.request);
  const [requested] = parseEventLogs({ abi: analyticsAbi, logs: receipt.logs, eventName: "QueryRequested" });
  if (!requested) throw new MissingEventError(tx, receipt.transactionHash, "QueryRequested");
  const a = requested.args;
  return { jobId: a.jobId, amount: a.amount, epsilonCharged: Number(a.epsilonCharged), deadline: Number(a.deadline), datasetVersion: Number(a.datasetVersion), receipt };
}

export interface RefundQueryResult {
  amount: bigint;
  receipt: TransactionReceipt;
}

/** Takes the payment of a job the nodes did not answer by its deadline back (its ε too). */
export async function refundQuery(p: TxClients & { analytics: Address; jobId: bigint }): Promise<RefundQueryResult> {
  const { request } = await simulate(p, "refund", { address: p.analytics, abi: analyticsWithMarketErrorsAbi, functionName: "refund", args: [p.jobId] });
  const receipt = await send(p, "refund", request);
  const [refunded] = parseEventLogs({ abi: analyticsAbi, logs: receipt.logs, eventName: "JobRefunded" });
  if (!refunded) throw new MissingEventError("refund", receipt.transactionHash, "JobRefunded");
  return { amount: refunded.args.amount, receipt };
}

/** The on-chain record of a shared dataset (`toDatasetInput` in @kraken/sdk/analytics builds it from the manifest). */
export interface DatasetInput {
  manifestHash: Hex;
  manifestURI: string;
  bundleHashes: readonly Hex[];
  rows: number;
  minCohort: number;
  epsilonPerQuery: number;
  epsilonBudget: number;
  jobTimeout: number;
}

/** Records the dataset the seller shared to the product's SMPC nodes; returns its version. */
export async function commitDataset(p: TxClients & { analytics: Address; productId: bigint; input: DatasetInput }): Promise<{ version: number; receipt: TransactionReceipt }> {
  const { request } = await simulate(p, "commitDataset", { address: p.analytics, abi: analyticsWithMarketErrorsAbi, functionName: "commitDataset", args: [p.productId, { ...p.input, bundleHashes: [...p.input.bundleHashes] }] });
  const receipt = await send(p, "commitDataset", request);
  const [committed] = parseEventLogs({ abi: analyticsAbi, logs: receipt.logs, eventName: "DatasetCommitted" });
  if (!committed) throw new MissingEventError("commitDataset", receipt.transactionHash, "DatasetCommitted");
  return { version: Number(committed.args.version), receipt };
}

