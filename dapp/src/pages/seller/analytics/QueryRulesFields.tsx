// What buyers may ask of an analytics dataset (data minimisation: operations, columns, grouping)
// and its output privacy: k (smallest group revealed, also the differencing threshold), optional
// noise with ε per query and a budget, and how long the nodes have to answer.
import { useId } from "react";
import { OP_WORDS } from "../../analytics/words.ts";
import { ALL_OPERATIONS, type AnalyticsDraft } from "./analyticsDraft.ts";

const toggle = <T,>(xs: T[], x: T, on: boolean): T[] => (on ? [...new Set([...xs, x])] : xs.filter((y) => y !== x));

export function QueryRulesFields({ draft, update }: { draft: AnalyticsDraft; update: (patch: Partial<AnalyticsDraft>) => void }) {
  const id = useId();
  const used = draft.columns.filter((c) => c.use);
  const categorical = used.filter((c) => c.kind === "categorical" && draft.allowedColumns.includes(c.name));
  return (
    <>
      <fieldset>
        <legend>What buyers may ask</legend>
        <fieldset>
          <legend>Operations</legend>
          <div className="checks columns">
            {ALL_OPERATIONS.map((op) => (
              <label key={op} className="check">
                <input type="checkbox" checked={draft.allowedOperations.includes(op)} onChange={(e) => update({ allowedOperations: ALL_OPERATIONS.filter((o) => (o === op ? e.target.checked : draft.allowedOperations.includes(o))) })} /> {OP_WORDS[op]}
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset>
          <legend>Columns buyers may use</legend>
          {used.length === 0 ? <p className="muted">Choose the CSV and its schema first.</p> : null}
          <div className="checks columns">
            {used.map((c) => (
              <label key={c.name} className="check">
                <input type="checkbox" checked={draft.allowedColumns.includes(c.name)} onChange={(e) => update({ allowedColumns: toggle(draft.allowedColumns, c.name, e.target.checked), groupBy: e.target.checked ? draft.groupBy : draft.groupBy.filter((g) => g !== c.name) })} /> {c.name}
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset>
          <legend>Results may be grouped by</legend>
          {categorical.length === 0 ? <p className="muted">No allowed categorical column.</p> : null}
          <div className="checks columns">
            {categorical.map((c) => (
              <label key={c.name} className="check">
                <input type="checkbox" aria-label={`Group by ${c.name}`} checked={draft.groupBy.includes(c.name)} onChange={(e) => update({ groupBy: toggle(draft.groupBy, c.name, e.target.checked) })} /> {c.name}
              </label>
            ))}
          </div>
        </fieldset>
      </fieldset>
      <fieldset>
        <legend>Output privacy</legend>
        <div className="field">
          <label htmlFor={`${id}-k`}>Smallest group revealed (k)</label>
          <input id={`${id}-k`} inputMode="numeric" value={draft.minCohort} onChange={(e) => update({ minCohort: e.target.value })} aria-describedby={`${id}-k-hint`} />
          <span id={`${id}-k-hint`} className="muted hint">Results for fewer people are withheld, and a query whose group differs from one of the buyer's earlier ones by fewer people is refused.</span>
        </div>
        <label className="check">
          <input type="checkbox" checked={draft.noise} onChange={(e) => update({ noise: e.target.checked })} /> Add noise (differential privacy)
        </label>
        {draft.noise ? (
          <div className="schema-row">
            <div className="field">
              <label htmlFor={`${id}-eps`}>ε per query</label>
              <input id={`${id}-eps`} inputMode="decimal" value={draft.epsilonPerQuery} onChange={(e) => update({ epsilonPerQuery: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor={`${id}-budget`}>Privacy budget (total ε)</label>
              <input id={`${id}-budget`} inputMode="decimal" value={draft.epsilonBudget} onChange={(e) => update({ epsilonBudget: e.target.value })} />
            </div>
          </div>
        ) : null}
        <div className="field">
          <label htmlFor={`${id}-timeout`}>Job timeout in minutes</label>
          <input id={`${id}-timeout`} inputMode="numeric" value={draft.jobTimeoutMinutes} onChange={(e) => update({ jobTimeoutMinutes: e.target.value })} aria-describedby={`${id}-timeout-hint`} />
          <span id={`${id}-timeout-hint`} className="muted hint">If the nodes do not answer a query in time, its buyer can take the payment back.</span>
        </div>
      </fieldset>
    </>
  );
}
