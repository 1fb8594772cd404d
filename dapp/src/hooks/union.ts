// Data unions in the dApp: the union and a member read from the chain (the SDK's readUnion and
// readMember: what a decision depends on, such as whether I may join or what I can withdraw), and
// the union transactions as thin wrappers over the SDK's actions (createUnion, joinUnion,
// partUnion, withdrawEarnings and the admin's), all through useTxFlow: one step for the
// transaction (simulated first, so a refusal is worded before the wallet is asked), then the
// wait for the indexer, and the outcome in a sentence.
import { useQuery } from "@tanstack/react-query";
import { useCallback } from "react";
import type { Address, Hex, TransactionReceipt } from "viem";
import { usePublicClient } from "wagmi";
import {
  applyFeeChange,
  approveJoin,
  createUnion,
  encodeMetadata,
  joinUnion,
  partUnion,
  readMember,
  readUnion,
  rejectJoin,
  removeMember,
  scheduleFeeChange,
  setUnionListed,
  withdrawEarnings,
  withdrawUnionFees,
  type OnProgress,
  type ProductMetadata,
  type RemovalReason,
  type TxClients,
  type UnionSetup,
} from "@kraken/sdk";
import type { Step } from "../components/TxSteps.tsx";
import { data, shortAddress } from "../lib/words.ts";
import { explainUnionError } from "../pages/union/errors.ts";
import { addToIpfs } from "../pages/seller/ipfsUpload.ts";
import { useDapp } from "./dapp.ts";
import { useTxFlow } from "./txFlow.ts";

/**
 * The union as the chain holds it now. The key starts with "graph" on purpose: it is refreshed
 * with the subgraph queries whenever the indexer reaches a new block (revenue arrives through
 * other people's purchases).
 */
export function useUnionState(union: Address | undefined) {
  const client = usePublicClient();
  return useQuery({
    queryKey: ["graph", "chain:union", union],
    enabled: !!union && !!client,
    queryFn: () => readUnion(client!, union!),
    placeholderData: (prev) => prev,
    retry: 1,
  });
}

/** One account's membership now: status, earnings, withdrawable, and whether it may join. */
export function useMemberState(union: Address | undefined, account: Address | undefined) {
  const client = usePublicClient();
  return useQuery({
    queryKey: ["graph", "chain:unionMember", union, account],
    enabled: !!union && !!account && !!client,
    queryFn: () => readMember(client!, union!, account!),
    placeholderData: (prev) => prev,
    retry: 1,
  });
}

export type UnionAction =
  | "create" | "join" | "part" | "withdraw" | "approveJoin" | "rejectJoin" | "removeMember"
  | "scheduleFeeChange" | "applyFeeChange" | "setListed" | "withdrawFees";

export interface UnionTxResult {
  action: UnionAction;
  /** what happened, in a sentence */
  message: string;
  transactionHash: Hex;
  blockNumber: bigint;
  /** create */
  union?: Address;
  productId?: bigint;
  streamId?: string;
  /** join: "member" or "pending" (the admin approves joins) */
  status?: "member" | "pending";
  /** withdraw, withdrawFees */
  amount?: bigint;
  indexed: boolean;
}

/** What the union's create wizard collects besides the on-chain setup: the metadata document. */
export interface CreateUnionInput {
  setup: Omit<UnionSetup, "description">;
  metadata: ProductMetadata;
  /** uploaded first; its ipfs:// URI goes into the metadata as coverImage */
  cover?: File | null;
}

interface Run {
  action: UnionAction;
  /** the transaction step's label ("Send the join") */
  label: string;
  /** a noun for failures ("join") */
  what: string;
  /** an upload before the transaction (the union's metadata) */
  prepare?: { label: string; run: () => Promise<string> };
  send: (c: TxClients, prepared: string | undefined) => Promise<Omit<UnionTxResult, "action" | "transactionHash" | "blockNumber" | "indexed"> & { receipt: TransactionReceipt }>;
}

const mined = (receipt: TransactionReceipt) => ({ receipt });

export function useUnionTx(union?: Address) {
  const flow = useTxFlow<string, UnionTxResult>();
  const { address, config, step, clients, indexed, start, setError, setResult, setSteps, setRunning } = flow;

  const { reset } = flow;

  const run = useCallback(
    async (r: Run) => {
      if (!address) {
        setError("Connect a wallet first (or choose a Demo persona).");
        return;
      }
      const initial: Step[] = [
        ...(r.prepare ? [{ id: "prepare", label: r.prepare.label, state: "pending" as const }] : []),
        { id: "send", label: r.label, state: "pending" },
        { id: "indexed", label: "Catalogue and dashboard updated", state: "pending" },
      ];
      start(initial);
      let current = r.prepare ? "prepare" : "send";
      const onProgress: OnProgress = (s, d) => {
        if (s === "simulate") step("send", { state: "active", detail: "checking with the contract…" });
        else if (s === "confirm") step("send", { detail: "confirm in your wallet" });
        else if (s === "submit") step("send", { detail: `sent (${d.hash!.slice(0, 10)}…), waiting to be mined` });
        else if (s === "mined") step("send", { state: "done", detail: `mined in block ${d.blockNumber}` });
      };
      try {
        let prepared: string | undefined;
        if (r.prepare) {
          step("prepare", { state: "active" });
          prepared = await r.prepare.run();
          step("prepare", { state: "done", detail: prepared });
          current = "send";
        }
        const c = await clients(address, onProgress);
        const { receipt, ...outcome } = await r.send(c, prepared);
        const res: UnionTxResult = { action: r.action, transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber, indexed: false, ...outcome };
        setResult(res);
        current = "indexed";
        await indexed(res, receipt.blockNumber, { timeoutMs: 60_000, behind: (behind) => `catalogue ${behind} block${behind === 1 ? "" : "s"} behind; the chain already has it` });
      } catch (err) {
        step(current, { state: "failed" });
        setError(current === "indexed" ? `Done on chain, but the catalogue has not caught up yet (${err instanceof Error ? err.message : String(err)}); it will show up shortly.` : explainUnionError(err, r.what));
      } finally {
        setRunning(false);
      }
    },
    [address, step, clients, indexed, start, setError, setResult, setRunning],
  );

  const u = union!;

  /** Uploads the metadata to IPFS, then DataUnionFactory.create: stream, product and consent policy in one transaction. */
  const create = useCallback(
    (input: CreateUnionInput) => {
      const factory = config.contracts.DataUnionFactory;
      if (!factory) {
        setError("This marketplace has no data unions (config.json has no DataUnionFactory: the deployment needs a Streamr registry).");
        return Promise.resolve();
      }
      return run({
        action: "create",
        label: "Sign: create the union (its stream, product and consent policy)",
        what: "creation",
        prepare: {
          label: input.cover ? "Upload the cover image and the metadata document to IPFS" : "Upload the metadata document to IPFS",
          run: async () => {
            const cover = input.cover ? (await addToIpfs(config.ipfsApiUrl, input.cover, input.cover.name)).uri : undefined;
            const bytes = encodeMetadata({ ...input.metadata, ...(cover ? { coverImage: cover } : {}) });
            const added = await addToIpfs(config.ipfsApiUrl, new Blob([bytes as BlobPart], { type: "application/json" }), "metadata.json", { cidV1: true });
            return added.uri;
          },
        },
        send: async (c, metadataURI) => {
          const m = input.metadata;
          const r = await createUnion({
            ...c,
            factory,
            setup: { ...input.setup, description: { metadataURI: metadataURI!, title: m.title, summary: m.summary, category: m.category, tags: m.tags } },
          });
          return { receipt: r.receipt, union: r.union, productId: r.productId, streamId: r.streamId, message: `Data union created: product ${r.productId}, stream ${r.streamId}.` };
        },
      });
    },
    [config, run, setError],
  );

  const join = useCallback(
    () =>
      run({
        action: "join",
        label: "Send the join",
        what: "join",
        send: async (c) => {
          const r = await joinUnion({ ...c, union: u });
          return {
            receipt: r.receipt,
            status: r.status,
            message: r.status === "member" ? "You joined: you may publish into the union's stream and share its revenue from now on." : "You asked to join; the admin approves each join.",
          };
        },
      }),
    [run, u],
  );

  const part = useCallback(
    () =>
      run({
        action: "part",
        label: "Send: leave the union",
        what: "leave",
        send: async (c) => ({ ...(await partUnion({ ...c, union: u })), message: "You left the union: no more publishing, no share of later revenue. Your earnings so far stay yours." }),
      }),
    [run, u],
  );

  const withdraw = useCallback(
    () =>
      run({
        action: "withdraw",
        label: "Send the withdrawal",
        what: "withdrawal",
        send: async (c) => {
          const r = await withdrawEarnings({ ...c, union: u });
          return { receipt: r.receipt, amount: r.amount, message: `Withdrew ${data(r.amount)} to ${r.to}.` };
        },
      }),
    [run, u],
  );

  const approve = useCallback(
    (member: Address) =>
      run({ action: "approveJoin", label: `Send: admit ${shortAddress(member)}`, what: "approval", send: async (c) => ({ ...mined(await approveJoin({ ...c, union: u, member })), message: `${member} is a member now.` }) }),
    [run, u],
  );

  const reject = useCallback(
    (member: Address) =>
      run({ action: "rejectJoin", label: `Send: turn down ${shortAddress(member)}`, what: "rejection", send: async (c) => ({ ...mined(await rejectJoin({ ...c, union: u, member })), message: `${member}'s request was turned down.` }) }),
    [run, u],
  );

  const remove = useCallback(
    (member: Address, reason: RemovalReason) =>
      run({
        action: "removeMember",
        label: `Send: remove ${shortAddress(member)}`,
        what: "removal",
        send: async (c) => ({ ...mined(await removeMember({ ...c, union: u, member, reason })), message: `${member} was removed; their earnings so far stay theirs.` }),
      }),
    [run, u],
  );

  const scheduleFee = useCallback(
    (feeBps: number) =>
      run({
        action: "scheduleFeeChange",
        label: "Send: schedule the fee change",
        what: "fee change",
        send: async (c) => ({ ...mined(await scheduleFeeChange({ ...c, union: u, feeBps })), message: `Fee change to ${feeBps / 100} % scheduled; it can be applied after the 7-day notice.` }),
      }),
    [run, u],
  );

  const applyFee = useCallback(
    () => run({ action: "applyFeeChange", label: "Send: apply the new fee", what: "fee change", send: async (c) => ({ ...mined(await applyFeeChange({ ...c, union: u })), message: "The new fee applies from now on." }) }),
    [run, u],
  );

  const setListed = useCallback(
    (listed: boolean) =>
      run({
        action: "setListed",
        label: listed ? "Send: put the union on sale" : "Send: take the union off sale",
        what: "listing change",
        send: async (c) => ({ ...mined(await setUnionListed({ ...c, union: u, listed })), message: listed ? "Listed: on sale whenever it has enough members." : "Taken off sale: nobody can buy it until you list it again." }),
      }),
    [run, u],
  );

  const withdrawFees = useCallback(
    () =>
      run({
        action: "withdrawFees",
        label: "Send: withdraw the admin fees",
        what: "fee withdrawal",
        send: async (c) => {
          const receipt = await withdrawUnionFees({ ...c, union: u, to: address! });
          return { receipt, message: `Admin fees withdrawn to ${address}.` };
        },
      }),
    [run, u, address],
  );

  return {
    create, join, part, withdraw, approve, reject, remove, scheduleFee, applyFee, setListed, withdrawFees, reset,
    steps: flow.steps, error: flow.error, result: flow.result, running: flow.running,
  };
}
