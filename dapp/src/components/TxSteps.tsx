// Progress of a multi-step chain action: each step pending → active → done (or failed), with a
// detail line ("confirm in your wallet", "block 123", "catalogue 2 blocks behind").
export type StepState = "pending" | "active" | "done" | "failed" | "skipped";

export interface Step {
  id: string;
  label: string;
  state: StepState;
  detail?: string;
}

const STATE_WORDS: Record<StepState, string> = { pending: "to do", active: "in progress", done: "done", failed: "failed", skipped: "skipped" };

export function TxSteps({ steps, label = "Progress" }: { steps: Step[]; label?: string }) {
  const shown = steps.filter((s) => s.state !== "skipped");
  return (
    <ol className="steps" aria-label={label}>
      {shown.map((s) => (
        <li key={s.id} className={s.state} aria-current={s.state === "active" ? "step" : undefined}>
          <span>{s.label}</span> <span className="sr-only">({STATE_WORDS[s.state]})</span>
          {s.detail ? <span className="muted"> — {s.detail}</span> : null}
        </li>
      ))}
    </ol>
  );
}
