// What the dApp's transaction hooks (purchase, renewal, cancellation, termination) share around
// the SDK's actions: the step list a TxSteps shows, the error and result, the viem clients the
// actions take (from wagmi), and the last step, waiting for the indexer before the queries refresh.
import { useQueryClient } from "@tanstack/react-query";
import { getPublicClient, getWalletClient } from "@wagmi/core";
import { useCallback, useState } from "react";
import type { Address, PublicClient } from "viem";
import { useAccount, useConfig } from "wagmi";
import type { ActionClients, OnProgress } from "@kraken/sdk";
import type { Step } from "../components/TxSteps.tsx";
import { useDapp } from "./dapp.ts";
import { waitIndexed } from "./waitIndexed.ts";

export function useTxFlow<E, R extends { indexed: boolean }>() {
  const wagmi = useConfig();
  const { config } = useDapp();
  const { address } = useAccount();
  const queryClient = useQueryClient();
  const [steps, setSteps] = useState<Step[]>([]);
  const [error, setError] = useState<E>();
  const [result, setResult] = useState<R>();
  const [running, setRunning] = useState(false);

  const step = useCallback((id: string, patch: Partial<Step>) => setSteps((all) => all.map((s) => (s.id === id ? { ...s, ...patch } : s))), []);

  /** The clients, account and addresses an SDK action takes, from wagmi's connection. */
  const clients = useCallback(
    async (account: Address, onProgress: OnProgress): Promise<ActionClients> => ({
      publicClient: getPublicClient(wagmi)! as PublicClient,
      wallet: await getWalletClient(wagmi, { account }),
      account,
      contracts: { agreements: config.contracts.Agreements, token: config.contracts.DataToken },
      onProgress,
    }),
    [wagmi, config],
  );

  /** The "indexed" step: waits until the catalogue has indexed `block`, then marks `res` indexed and refreshes the queries. */
  const indexed = useCallback(
    async (res: R, block: bigint, o: { behind: (blocks: number) => string; timeoutMs?: number }) => {
      step("indexed", { state: "active", detail: "waiting for the indexer…" });
      await waitIndexed({ subgraphUrl: config.subgraphUrl, wagmi, block, timeoutMs: o.timeoutMs, onBehind: (behind) => step("indexed", { detail: o.behind(behind) }) });
      step("indexed", { state: "done", detail: "up to date" });
      setResult({ ...res, indexed: true });
      void queryClient.invalidateQueries();
    },
    [config, wagmi, queryClient, step],
  );

  /** Starts a run: the steps shown, nothing failed or done yet. */
  const start = useCallback((initial: Step[]) => {
    setSteps(initial);
    setError(undefined);
    setResult(undefined);
    setRunning(true);
  }, []);

  /** Back to nothing shown (e.g. when the wallet changes). */
  const reset = useCallback(() => {
    setSteps([]);
    setError(undefined);
    setResult(undefined);
  }, []);

  return { address: address as Address | undefined, config, steps, setSteps, error, setError, result, setResult, running, setRunning, step, clients, indexed, start, reset };
}

/**
 * The SDK's payment progress (approve or permit, then the request) as the steps "approve",
 * "permit" and "request" of a TxSteps list; `onCurrent` learns the step in progress (where an
 * error belongs). Shared by purchases and analytics queries.
 */
export function paymentProgress(step: (id: string, patch: Partial<Step>) => void, onCurrent: (id: string) => void): OnProgress {
  return (s, d) => {
    if (s === "allowance") {
      if (d.enough) step("approve", { state: "done", detail: "already approved" });
      return;
    }
    const id = s === "approve" || d.tx === "approve" ? "approve" : s === "sign" || s === "signed" ? "permit" : "request";
    onCurrent(id);
    if (s === "approve") step(id, { state: "active", detail: "confirm in your wallet" });
    else if (s === "sign") step(id, { state: "active", detail: "sign in your wallet" });
    else if (s === "signed") step(id, { state: "done", detail: "signed" });
    else if (s === "simulate" && id === "request") step(id, { state: "active", detail: "checking with the contract…" });
    else if (s === "confirm" && id === "request") step(id, { detail: "confirm in your wallet" });
    else if (s === "submit") step(id, { detail: id === "approve" ? "waiting to be mined…" : `sent (${d.hash!.slice(0, 10)}…), waiting to be mined` });
    else if (s === "mined") step(id, { state: "done", detail: `mined in block ${d.blockNumber}` });
  };
}
