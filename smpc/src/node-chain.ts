// The node's chain side (docs/analytics.md, "SMPC node"):
//   LogWatcher  scans the Analytics contract's DatasetCommitted and QueryRequested events from a
//               persisted checkpoint, in block order, LOG_SPAN blocks at a time; the checkpoint
//               moves only once every event up to it was handed over (the handlers persist
//               what they need before they return), so a restart neither misses nor loses one;
//   TxSender    result receipts and refusals, durable as the relays' receipts: simulated first
//               (a transaction that would revert is never signed), signed and saved to the
//               state before it is sent, re-broadcast after a restart (same hash, so at most
//               once), one at a time (the node's account nonce).
import {
  BaseError, ContractFunctionRevertedError, decodeErrorResult, toFunctionSelector, type AbiFunction, encodeFunctionData, ExecutionRevertedError, getAbiItem, keccak256, parseTransaction,
  type Account, type Address, type Chain, type Hex, type PublicClient, type WalletClient,
} from "viem";
import { analyticsAbi } from "@kraken/sdk";
import type { NodeStore, PendingTx } from "./node-store.ts";
import type { Logger } from "./node.ts";

export const LOG_SPAN = 2000n;

export const committedEvent = getAbiItem({ abi: analyticsAbi, name: "DatasetCommitted" });
export const requestedEvent = getAbiItem({ abi: analyticsAbi, name: "QueryRequested" });

export interface CommittedArgs {
  productId: bigint;
  version: number;
  manifestHash: Hex;
  manifestURI: string;
  bundleHashes: readonly Hex[];
  rows: number;
  minCohort: number;
  epsilonPerQuery: number;
  epsilonBudget: number;
  jobTimeout: number;
}

export interface RequestedArgs {
  jobId: bigint;
  productId: bigint;
  consumer: Address;
  queryHash: Hex;
  datasetVersion: number;
  purpose: number;
  amount: bigint;
  epsilonCharged: number;
  deadline: number;
}

export interface WatchHandlers {
  committed(args: CommittedArgs, blockNumber: bigint): Promise<void>;
  requested(args: RequestedArgs, blockNumber: bigint): Promise<void>;
}

/** Scans the Analytics contract's events from the store's checkpoint up to the head. */
export class LogWatcher {
  head: number | null = null;

  constructor(
    private readonly publicClient: PublicClient,
    private readonly analytics: Address,
    private readonly store: NodeStore,
    private readonly handlers: WatchHandlers,
  ) {}

  async scan(): Promise<void> {
    this.head = Number(await this.publicClient.getBlockNumber());
    while (this.store.state.checkpointBlock < this.head) {
      const from = BigInt(this.store.state.checkpointBlock + 1);
      const to = BigInt(Math.min(this.head, this.store.state.checkpointBlock + Number(LOG_SPAN)));
      const logs = await this.publicClient.getLogs({ address: this.analytics, events: [committedEvent, requestedEvent], fromBlock: from, toBlock: to, strict: true });
      logs.sort((a, b) => (a.blockNumber === b.blockNumber ? (a.logIndex ?? 0) - (b.logIndex ?? 0) : Number(a.blockNumber! - b.blockNumber!)));
      for (const l of logs) {
        if (l.eventName === "DatasetCommitted") await this.handlers.committed(l.args as unknown as CommittedArgs, l.blockNumber!);
        else await this.handlers.requested(l.args as unknown as RequestedArgs, l.blockNumber!);
      }
      this.store.state.checkpointBlock = Number(to);
      await this.store.commit();
    }
  }
}

/** The custom error's name when `err` is a contract revert (e.g. "JobNotOpen"), else undefined. */
export function revertName(err: unknown): string | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const r = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  if (r?.data?.errorName) return r.data.errorName;
  // A raw eth_call (no ABI attached): decode the revert data with the Analytics ABI.
  const isData = (x: unknown): x is Hex => typeof x === "string" && /^0x[0-9a-fA-F]{8}/.test(x);
  const holder = err.walk((e) => isData((e as { data?: unknown }).data) || isData((e as { raw?: unknown }).raw)) as { data?: unknown; raw?: unknown } | null;
  const data = holder && (isData(holder.data) ? holder.data : isData(holder.raw) ? holder.raw : undefined);
  if (data) {
    try {
      return decodeErrorResult({ abi: analyticsAbi, data }).errorName;
    } catch {
      return "reverted";
    }
  }
  // Some nodes' gas estimates only name the selector in the message ("custom error 0xff25178d").
  const selector = /custom error (0x[0-9a-fA-F]{8})/.exec(`${err.message} ${err.details ?? ""}`)?.[1]?.toLowerCase();
  if (selector && ERROR_NAMES.has(selector)) return ERROR_NAMES.get(selector);
  return r || err.walk((e) => e instanceof ExecutionRevertedError) ? "reverted" : undefined;
}

/** Selector → name of the Analytics contract's errors. */
const ERROR_NAMES = new Map(analyticsAbi.filter((x) => x.type === "error").map((e) => [toFunctionSelector(e as unknown as AbiFunction).toLowerCase(), (e as { name: string }).name]));

export type TxOutcome = { ok: true; txHash: Hex } | { ok: false; reason: string };

export interface TxSenderOptions {
  publicClient: PublicClient;
  wallet: WalletClient;
  account: Account;
  chain: Chain;
  analytics: Address;
  store: NodeStore;
  log: Logger;
  /** Test hook: called after the transaction is saved and before it is sent. */
  afterSign?: () => void;
}

/** Durable, serial sending of the node's Analytics transactions. */
export class TxSender {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: TxSenderOptions) {}

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.tail.then(job, job);
    this.tail = run.catch(() => {});
    return run;
  }

  /** Runs `job` alone among the node's transactions (e.g. creating a Streamr inbox: same account, same nonces). */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    return this.serial(job);
  }

  /** recordResult(jobId, keccak256(envelope)) */
  recordResult(jobId: bigint, envelope: Hex): Promise<TxOutcome> {
    const data = encodeFunctionData({ abi: analyticsAbi, functionName: "recordResult", args: [jobId, keccak256(envelope)] });
    return this.serial(() => this.send(`result:${jobId}`, jobId.toString(), data));
  }

  /** recordRefusal(jobId, reason) */
  recordRefusal(jobId: bigint, reason: number): Promise<TxOutcome> {
    const data = encodeFunctionData({ abi: analyticsAbi, functionName: "recordRefusal", args: [jobId, reason] });
    return this.serial(() => this.send(`refusal:${jobId}`, jobId.toString(), data));
  }

  /** Re-broadcasts and settles transactions signed before a restart. */
  resume(): Promise<void> {
    return this.serial(async () => {
      for (const p of Object.values(this.o.store.state.pendingTxs)) {
        await this.settle(p).catch((err: Error) => this.o.log.warn(`transaction ${p.txHash} (${p.key}) not settled yet: ${err.message.split("\n")[0]}`));
      }
    });
  }

  private async send(key: string, jobId: string, data: Hex): Promise<TxOutcome> {
    const { publicClient, wallet, account, chain, analytics, store } = this.o;
    const pending = store.state.pendingTxs[key];
    if (pending) return this.settle(pending);
    // Gas with headroom: the receipt (or refusal) that completes the job also pays the seller
    // (or refunds the buyer), which the estimate misses when another agent's answer lands first.
    // Both calls revert (e.g. JobNotOpen: the other agents' answers closed the job, possibly
    // between the two) before anything is signed.
    let estimate: bigint;
    try {
      await publicClient.call({ account: account.address, to: analytics, data });
      estimate = await publicClient.estimateGas({ account, to: analytics, data });
    } catch (err) {
      const reason = revertName(err);
      if (reason) return { ok: false, reason };
      throw err;
    }
    const request = await wallet.prepareTransactionRequest({ account, to: analytics, data, chain, gas: (estimate * 3n) / 2n + 100_000n });
    const raw = await wallet.signTransaction(request as Parameters<WalletClient["signTransaction"]>[0]);
    const p: PendingTx = { key, jobId, txHash: keccak256(raw), raw };
    store.state.pendingTxs[key] = p;
    await store.commit(); // from here on a restart re-broadcasts this very transaction
    this.o.afterSign?.();
    return this.settle(p);
  }

  private async settle(p: PendingTx): Promise<TxOutcome> {
    const { publicClient, account, store, log } = this.o;
    try {
      await publicClient.sendRawTransaction({ serializedTransaction: p.raw });
    } catch (err) {
      log.debug(`transaction ${p.txHash} not (re-)broadcast: ${(err as Error).message.split("\n")[0]}`); // already mined or known
    }
    let outcome: TxOutcome;
    const receipt = await publicClient.waitForTransactionReceipt({ hash: p.txHash, timeout: 30_000 }).catch(() => null);
    if (receipt) {
      if (receipt.status === "success") outcome = { ok: true, txHash: p.txHash };
      else {
        // Why: the same call now names the error (e.g. JobNotOpen: the other agents completed the job first).
        const tx = parseTransaction(p.raw);
        const reason = await publicClient.call({ account: account.address, to: tx.to!, data: tx.data }).then(() => "reverted", (err) => revertName(err) ?? "reverted");
        outcome = { ok: false, reason };
        if (reason !== "JobNotOpen") log.warn(`transaction ${p.txHash} (${p.key}) reverted (${reason})`);
      }
    } else {
      // Not mined yet: forget it only once its nonce is taken by another transaction.
      const used = await publicClient.getTransactionCount({ address: account.address, blockTag: "latest" });
      if (used <= (parseTransaction(p.raw).nonce ?? 0)) throw new Error(`transaction ${p.txHash} (${p.key}) is still pending`);
      log.warn(`transaction ${p.txHash} (${p.key}) was dropped`);
      outcome = { ok: false, reason: "dropped" };
    }
    delete store.state.pendingTxs[p.key];
    await store.commit();
    return outcome;
  }

  idle(): Promise<void> {
    return this.tail.then(() => {});
  }
}
