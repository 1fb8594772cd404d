// What every marketplace action shares: the clients it is given (viem's, so the CLI passes its
// own and the dApp the ones wagmi holds), progress reports, and the one way a transaction is
// sent: simulated first (with the token's errors in the ABI, so a refusal is decoded before the
// wallet is asked), written, and awaited. Errors are thrown as they come (viem's, decoded by the
// caller with decodeMarketError) or as the KrakenErrors below for what no contract says.
import type { Abi, Account, Address, Hex, PublicClient, TransactionReceipt, WalletClient } from "viem";
import { dataTokenAbi } from "../generated/abis.ts";
import { KrakenError } from "../errors.ts";

/** The transactions an action may send, named as the contract functions. */
export type TxName =
  | "approve" | "requestAccess" | "requestAccessWithPermit" | "renew" | "cancel" | "terminate"
  | "createUnion" | "join" | "part" | "withdraw" | "approveJoin" | "rejectJoin" | "removeMember"
  | "scheduleFeeChange" | "applyFeeChange" | "setListed" | "withdrawFees"
  | "requestQuery" | "requestQueryWithPermit" | "refund" | "commitDataset"
  | "reportAnonymisation";

/**
 * The steps an action reports, in order:
 * - `allowance`: the allowance was checked (`enough`: no approval is needed)
 * - `approve`: an approval of `amount` is about to be asked of the wallet
 * - `sign` / `signed`: an EIP-2612 permit for `amount` valid until `deadline` is being signed / was signed
 * - `simulate`: `tx` is checked with the contract; `confirm`: it passed, the wallet is asked now
 * - `submit`: `tx` was sent (`hash`); `mined`: it was mined (`blockNumber`)
 */
export type ActionStep = "allowance" | "approve" | "sign" | "signed" | "simulate" | "confirm" | "submit" | "mined";

export interface ProgressDetail {
  tx?: TxName;
  amount?: bigint;
  enough?: boolean;
  deadline?: bigint;
  hash?: Hex;
  blockNumber?: bigint;
}

export type OnProgress = (step: ActionStep, detail: ProgressDetail) => void;

/** What sending a transaction needs. */
export interface TxClients {
  publicClient: PublicClient;
  wallet: WalletClient;
  /** who signs and pays: a local account, or the address of the wallet's (json-rpc) account */
  account: Account | Address;
  onProgress?: OnProgress;
}

/** What a purchase-side action needs: the token and Agreements too. */
export interface ActionClients extends TxClients {
  contracts: { agreements: Address; token: Address };
}

/** The caller's DATA balance is below what the action must pay: found before anything is signed. */
export class BalanceTooLowError extends KrakenError<"ERC20InsufficientBalance"> {
  override name = "BalanceTooLowError";

  constructor(readonly balance: bigint, readonly needed: bigint) {
    super("ERC20InsufficientBalance", `insufficient DATA balance: ${balance} wei, ${needed} wei needed`);
  }
}

/** A transaction was mined but reverted (the simulation passed: the chain moved in between). */
export class TransactionRevertedError extends KrakenError<"reverted"> {
  override name = "TransactionRevertedError";

  constructor(readonly tx: TxName, readonly hash: Hex, readonly blockNumber: bigint) {
    super("reverted", `${tx} transaction ${hash} reverted in block ${blockNumber}`);
  }
}

/** A transaction was mined without the event the action reads its outcome from. */
export class MissingEventError extends KrakenError<"missing-event"> {
  override name = "MissingEventError";

  constructor(readonly tx: TxName, readonly hash: Hex, readonly eventName: string) {
    super("missing-event", `${tx} transaction ${hash} was mined without an ${eventName} event`);
  }
}

export const toAccount = (account: Account | Address): Account => (typeof account === "string" ? { address: account, type: "json-rpc" } : account);

export const report = (c: TxClients, step: ActionStep, detail: ProgressDetail = {}) => c.onProgress?.(step, detail);

/** Simulates a call to `address` as the action's account (reporting `simulate`). */
export async function simulate(c: TxClients, tx: TxName, call: { address: Address; abi: Abi | readonly unknown[]; functionName: string; args: readonly unknown[] }) {
  report(c, "simulate", { tx });
  // The ABI and function are the callers' (typed there); the request goes back to the wallet as is.
  const sim = await c.publicClient.simulateContract({ account: toAccount(c.account), ...call } as Parameters<PublicClient["simulateContract"]>[0]);
  return sim as { request: Parameters<WalletClient["writeContract"]>[0]; result: unknown };
}

/**
 * The gas limit to send with for an estimate: a quarter more, at least 30,000 more. An estimate
 * is exact for the state it ran on; a transaction mined just before ours can turn one of our
 * storage writes from non-zero→non-zero (2,900 gas) into zero→non-zero (20,000), e.g. a payment
 * to a seller who has just emptied its balance, and an exact limit then runs out of gas. Unused
 * gas is not paid for.
 */
export const gasWithHeadroom = (estimate: bigint): bigint => estimate + (estimate / 4n > 30_000n ? estimate / 4n : 30_000n);

/** Sends a simulated request and waits for it to be mined (reporting `confirm`, `submit`, `mined`). */
export async function send(c: TxClients, tx: TxName, request: Parameters<WalletClient["writeContract"]>[0]): Promise<TransactionReceipt> {
  const gas = request.gas ?? gasWithHeadroom(await c.publicClient.estimateContractGas(request as Parameters<PublicClient["estimateContractGas"]>[0]));
  report(c, "confirm", { tx });
  const hash = await c.wallet.writeContract({ ...request, gas } as Parameters<WalletClient["writeContract"]>[0]);
  report(c, "submit", { tx, hash });
  const receipt = await c.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new TransactionRevertedError(tx, hash, receipt.blockNumber);
  report(c, "mined", { tx, hash, blockNumber: receipt.blockNumber });
  return receipt;
}

/** Throws BalanceTooLowError when the account holds less than `needed` DATA. */
export async function checkBalance(c: TxClients & { contracts: { token: Address } }, needed: bigint): Promise<void> {
  const balance = await c.publicClient.readContract({ address: c.contracts.token, abi: dataTokenAbi, functionName: "balanceOf", args: [toAccount(c.account).address] });
  if (balance < needed) throw new BalanceTooLowError(balance, needed);
}

/** Approves `spender` (default: the Agreements contract) to take exactly `amount` (reporting `approve`, then the send). */
export async function approve(c: TxClients & { contracts: { token: Address; agreements?: Address } }, amount: bigint, spender = c.contracts.agreements!): Promise<TransactionReceipt> {
  report(c, "approve", { tx: "approve", amount });
  const { request } = await simulate(c, "approve", { address: c.contracts.token, abi: dataTokenAbi, functionName: "approve", args: [spender, amount] });
  return send(c, "approve", request);
}

/** Approves `amount` unless the allowance to `spender` (default: the Agreements contract) already covers it. */
export async function approveIfShort(c: TxClients & { contracts: { token: Address; agreements?: Address } }, amount: bigint, spender = c.contracts.agreements!): Promise<void> {
  const allowance = await c.publicClient.readContract({ address: c.contracts.token, abi: dataTokenAbi, functionName: "allowance", args: [toAccount(c.account).address, spender] });
  report(c, "allowance", { amount, enough: allowance >= amount });
  if (allowance < amount) await approve(c, amount, spender);
}
