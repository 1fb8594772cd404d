// "Can I buy it?": the purpose chooser and the eligibility verdict (Agreements.eligibility, the
// rules a purchase or a paid query is checked against) in words, with a link to register when
// that is the fix. Shared by the purchase panel and the analytics query panel.
import { useEffect, useMemo, useState } from "react";
import type { Address } from "viem";
import { useReadContract } from "wagmi";
import { agreementsAbi, PurposeNames } from "@kraken/sdk";
import { useCredentialStatus } from "../hooks/chain.ts";
import { useDapp } from "../hooks/dapp.ts";
import { explainVerdict, type Explained } from "../lib/eligibility.ts";
import { enumIndex, purposeWords } from "../lib/words.ts";
import { Link } from "../router.tsx";

/** The purpose (first allowed by the policy by default), the chain's verdict for it and the verdict in words. */
export function useEligibility(productId: bigint, address: Address | undefined, allowed: string[]) {
  const { config } = useDapp();
  const firstAllowed = allowed.length ? enumIndex(PurposeNames, allowed[0]) : 0;
  const [purpose, setPurpose] = useState(firstAllowed);
  useEffect(() => setPurpose(firstAllowed), [firstAllowed]);
  const eligibility = useReadContract({
    address: config.contracts.Agreements,
    abi: agreementsAbi,
    functionName: "eligibility",
    args: address ? [productId, address, purpose] : undefined,
    query: { enabled: !!address },
  });
  const credential = useCredentialStatus(address);
  const explained = useMemo(
    () => (eligibility.data === undefined ? undefined : explainVerdict(Number(eligibility.data), { purpose, credential: credential.data, allowedPurposes: allowed })),
    [eligibility.data, purpose, credential.data, allowed],
  );
  return { purpose, setPurpose, eligibility, credential, explained, allowed };
}

export type EligibilityState = ReturnType<typeof useEligibility>;

export function PurposeSelect({ state, onChange }: { state: EligibilityState; onChange?: () => void }) {
  return (
    <div className="field">
      <label htmlFor="purpose">Purpose of use</label>
      <select id="purpose" value={state.purpose} onChange={(e) => { state.setPurpose(Number(e.target.value)); onChange?.(); }}>
        {PurposeNames.map((n, i) => (
          <option key={n} value={i}>{purposeWords(n)}{state.allowed.some((a) => enumIndex(PurposeNames, a) === i) ? "" : " (not allowed by the policy)"}</option>
        ))}
      </select>
    </div>
  );
}

export function EligibilitySection({ state, question = "Can I buy it?" }: { state: EligibilityState; question?: string }) {
  const { eligibility, explained } = state;
  return (
    <section aria-label="Eligibility" aria-live="polite" className={`notice ${explained ? (explained.eligible ? "ok" : "error") : ""}`}>
      <h3>{question}</h3>
      {eligibility.isLoading ? <p role="status">Checking your credential against the policy…</p> : null}
      {eligibility.error ? <p role="alert">The eligibility check failed: {eligibility.error.message}</p> : null}
      {explained ? <Verdict explained={explained} /> : null}
    </section>
  );
}

function Verdict({ explained }: { explained: Explained }) {
  return (
    <p data-verdict={explained.verdict}>
      <strong>{explained.eligible ? "Yes." : "No."}</strong> {explained.reason}
      {explained.action === "register" ? <> <Link to="/register">Register now</Link>.</> : null}
    </p>
  );
}
