// Data union actions: create a union (DataUnionFactory.create), join, part, withdraw earnings
// (directly or with a signature anyone can submit), and the admin's approve/reject/remove, fee
// and listing calls. Each is simulated first (a refusal is decoded before the wallet is asked),
// sent, awaited, and its outcome read from the union's events.
import { parseEventLogs, type Abi, type Address, type Hex, type TransactionReceipt } from "viem";
import { dataUnionAbi, dataUnionFactoryAbi } from "../generated/abis.ts";
import { RemovalReason } from "../generated/enums.ts";
import { dataUnionWithMarketErrorsAbi } from "../market-errors.ts";
import { toUnionSetupArgs, type UnionSetup } from "../union/index.ts";
import { MissingEventError, send, simulate, toAccount, type TxClients, type TxName } from "./common.ts";

/** The clients of a union action: no token or Agreements needed, the union instead. */
export type UnionClients = TxClients & { union: Address };

async function unionTx(c: UnionClients, tx: TxName, functionName: string, args: readonly unknown[] = []): Promise<TransactionReceipt> {
  const { request } = await simulate(c, tx, { address: c.union, abi: dataUnionWithMarketErrorsAbi as Abi, functionName, args });
  return send(c, tx, request);
}

function unionEvent<N extends string>(receipt: TransactionReceipt, tx: TxName, eventName: N) {
  const [event] = parseEventLogs({ abi: dataUnionAbi, logs: receipt.logs, eventName: eventName as never });
  if (!event) throw new MissingEventError(tx, receipt.transactionHash, eventName);
  return event as unknown as { args: Record<string, unknown>; address: Address };
}

export interface CreateUnionResult {
  union: Address;
  productId: bigint;
  streamId: string;
  receipt: TransactionReceipt;
}

/** Creates a union administered by the account: its stream, its product, its consent policy. */
export async function createUnion(c: TxClients & { factory: Address; setup: UnionSetup }): Promise<CreateUnionResult> {
  const { request } = await simulate(c, "createUnion", { address: c.factory, abi: dataUnionFactoryAbi, functionName: "create", args: [toUnionSetupArgs(c.setup)] });
  const receipt = await send(c, "createUnion", request);
  const [created] = parseEventLogs({ abi: dataUnionFactoryAbi, logs: receipt.logs, eventName: "UnionCreated" });
  if (!created) throw new MissingEventError("createUnion", receipt.transactionHash, "UnionCreated");
  const init = unionEvent(receipt, "createUnion", "UnionInitialized");
  return { union: created.args.union, productId: init.args.productId as bigint, streamId: init.args.streamId as string, receipt };
}

export interface JoinUnionResult {
  /** "member": joined (PUBLISH granted); "pending": the admin approves joins */
  status: "member" | "pending";
  receipt: TransactionReceipt;
}

/** Joins the union with the account's registered credential (or asks to, when the admin approves joins). */
export async function joinUnion(c: UnionClients): Promise<JoinUnionResult> {
  const receipt = await unionTx(c, "join", "join");
  const joined = parseEventLogs({ abi: dataUnionAbi, logs: receipt.logs, eventName: "MemberJoined" }).length > 0;
  if (!joined) unionEvent(receipt, "join", "JoinRequested");
  return { status: joined ? "member" : "pending", receipt };
}

/** Leaves the union: no share of later revenue, PUBLISH revoked; earnings stay withdrawable. */
export async function partUnion(c: UnionClients): Promise<{ receipt: TransactionReceipt }> {
  const receipt = await unionTx(c, "part", "part");
  unionEvent(receipt, "part", "MemberParted");
  return { receipt };
}

export const ALL_EARNINGS = 2n ** 256n - 1n;

/** Withdraws `amount` (default: everything) of the account's earnings, to itself or `to`. */
export async function withdrawEarnings(c: UnionClients & { amount?: bigint; to?: Address }): Promise<{ amount: bigint; to: Address; receipt: TransactionReceipt }> {
  const amount = c.amount ?? ALL_EARNINGS;
  const receipt = c.to ? await unionTx(c, "withdraw", "withdrawTo", [c.to, amount]) : await unionTx(c, "withdraw", "withdraw", [amount]);
  const e = unionEvent(receipt, "withdraw", "EarningsWithdrawn");
  return { amount: e.args.amount as bigint, to: e.args.to as Address, receipt };
}

export const withdrawTypes = {
  Withdraw: [
    { name: "member", type: "address" },
    { name: "to", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export interface SignedWithdrawal {
  member: Address;
  to: Address;
  amount: bigint;
  deadline: bigint;
  signature: Hex;
}

/** The member's signature of a withdrawal to `to`, which anyone may submit (`submitWithdrawal`). */
export async function signWithdrawal(c: UnionClients & { to: Address; amount?: bigint; deadline: bigint }): Promise<SignedWithdrawal> {
  const member = toAccount(c.account);
  const [domain, nonce] = await Promise.all([
    c.publicClient.readContract({ address: c.union, abi: dataUnionAbi, functionName: "eip712Domain" }),
    c.publicClient.readContract({ address: c.union, abi: dataUnionAbi, functionName: "nonces", args: [member.address] }),
  ]);
  const amount = c.amount ?? ALL_EARNINGS;
  const signature = await c.wallet.signTypedData({
    account: member,
    domain: { name: domain[1], version: domain[2], chainId: Number(domain[3]), verifyingContract: domain[4] },
    types: withdrawTypes,
    primaryType: "Withdraw",
    message: { member: member.address, to: c.to, amount, nonce, deadline: c.deadline },
  });
  return { member: member.address, to: c.to, amount, deadline: c.deadline, signature };
}

/** Submits a member's signed withdrawal (the submitter pays the gas, the member's `to` gets the DATA). */
export async function submitWithdrawal(c: UnionClients & { signed: SignedWithdrawal }): Promise<{ amount: bigint; receipt: TransactionReceipt }> {
  const s = c.signed;
  const receipt = await unionTx(c, "withdraw", "withdrawWithSignature", [s.member, s.to, s.amount, s.deadline, s.signature]);
  return { amount: unionEvent(receipt, "withdraw", "EarningsWithdrawn").args.amount as bigint, receipt };
}

// --- the admin's ---

export const approveJoin = (c: UnionClients & { member: Address }) => unionTx(c, "approveJoin", "approveJoin", [c.member]);
export const rejectJoin = (c: UnionClients & { member: Address }) => unionTx(c, "rejectJoin", "rejectJoin", [c.member]);
export const removeMember = (c: UnionClients & { member: Address; reason?: RemovalReason }) =>
  unionTx(c, "removeMember", "removeMember", [c.member, c.reason ?? RemovalReason.Other]);
export const scheduleFeeChange = (c: UnionClients & { feeBps: number }) => unionTx(c, "scheduleFeeChange", "scheduleFeeChange", [c.feeBps]);
export const applyFeeChange = (c: UnionClients) => unionTx(c, "applyFeeChange", "applyFeeChange");
export const setUnionListed = (c: UnionClients & { listed: boolean }) => unionTx(c, "setListed", "setListed", [c.listed]);
export const withdrawUnionFees = (c: UnionClients & { to: Address; amount?: bigint }) =>
  unionTx(c, "withdrawFees", "withdrawFees", [c.to, c.amount ?? ALL_EARNINGS]);
