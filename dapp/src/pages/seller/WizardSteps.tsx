// The step list, current-step heading and error list every create wizard shows (products,
// data unions): one component so they look and announce themselves the same way.
import type { RefObject } from "react";

export function WizardSteps(p: {
  steps: readonly { key: string; label: string }[];
  stepIndex: number;
  go: (index: number) => void;
  /** signing started: the steps can no longer be revisited */
  started: boolean;
  headingRef: RefObject<HTMLHeadingElement | null>;
  errors: readonly string[];
}) {
  return (
    <>
      <nav aria-label="Wizard steps">
        <ol className="wizard-steps">
          {p.steps.map((s, i) => (
            <li key={s.key}>
              <button type="button" aria-current={i === p.stepIndex ? "step" : undefined} onClick={() => p.go(i)} disabled={p.started}>
                {s.label}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <h2 ref={p.headingRef} tabIndex={-1}>
        Step {p.stepIndex + 1} of {p.steps.length}: {p.steps[p.stepIndex].label}
      </h2>
      {p.errors.length ? (
        <div className="notice error" role="alert">
          <ul>
            {p.errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </>
  );
}
