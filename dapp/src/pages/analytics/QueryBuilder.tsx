// The query builder of an analytics product: only what the manifest allows — its operations,
// the columns of the right kind for the operation, conditions on categorical and binned numeric
// columns, grouping by a categorical column — with the query described in words.
import { useId, useState } from "react";
import { ConditionEditor } from "./ConditionEditor.tsx";
import { columnOf, columnsFor, conditionColumns, describeQuery, groupByColumns, MAX_CONDITIONS, newCondition, toQuery, withOp, type QueryDraft } from "./queryDraft.ts";
import type { AnalyticsManifest, Operation } from "./sdk.ts";
import { needsColumn, OP_WORDS } from "./words.ts";

export function QueryBuilder({ manifest, draft, onChange, disabled }: { manifest: AnalyticsManifest; draft: QueryDraft; onChange: (d: QueryDraft) => void; disabled?: boolean }) {
  const id = useId();
  const columns = columnsFor(manifest, draft.op);
  const free = conditionColumns(manifest).filter((c) => !draft.where.some(([n]) => n === c.name));
  const [adding, setAdding] = useState("");
  const toAdd = free.some((c) => c.name === adding) ? adding : (free[0]?.name ?? "");
  const groups = groupByColumns(manifest);

  const addCondition = () => {
    const c = columnOf(manifest, toAdd);
    if (c && draft.where.length < MAX_CONDITIONS) onChange({ ...draft, where: [...draft.where, [c.name, newCondition(c)]] });
  };

  return (
    <fieldset className="query-builder" disabled={disabled}>
      <legend>Your query</legend>
      <div className="field">
        <label htmlFor={`${id}-op`}>Operation</label>
        <select id={`${id}-op`} value={draft.op} onChange={(e) => onChange(withOp(manifest, draft, e.target.value as Operation))}>
          {manifest.allowed.operations.map((op) => <option key={op} value={op}>{OP_WORDS[op] ?? op}</option>)}
        </select>
      </div>
      {needsColumn(draft.op) ? (
        <div className="field">
          <label htmlFor={`${id}-column`}>Column</label>
          <select id={`${id}-column`} value={draft.column} onChange={(e) => onChange({ ...draft, column: e.target.value })}>
            {columns.length === 0 ? <option value="">no column allows this operation</option> : null}
            {columns.map((c) => <option key={c.name} value={c.name}>{c.name} ({c.min}–{c.max})</option>)}
          </select>
        </div>
      ) : null}
      {draft.where.map(([name, cond], i) => {
        const c = columnOf(manifest, name);
        return c ? (
          <ConditionEditor
            key={name}
            column={c}
            value={cond}
            onChange={(next) => onChange({ ...draft, where: draft.where.map((w, j) => (j === i ? [name, next] : w)) })}
            onRemove={() => onChange({ ...draft, where: draft.where.filter((_, j) => j !== i) })}
          />
        ) : null;
      })}
      {free.length && draft.where.length < MAX_CONDITIONS ? (
        <div className="field add-condition">
          <label htmlFor={`${id}-add`}>Add a condition on</label>
          <div className="inline-row">
            <select id={`${id}-add`} value={toAdd} onChange={(e) => setAdding(e.target.value)}>
              {free.map((c) => <option key={c.name} value={c.name}>{c.name}</option>)}
            </select>
            <button type="button" className="secondary" onClick={addCondition}>Add condition</button>
          </div>
        </div>
      ) : null}
      <div className="field">
        <label htmlFor={`${id}-group`}>Group by</label>
        <select id={`${id}-group`} value={draft.groupBy} onChange={(e) => onChange({ ...draft, groupBy: e.target.value })}>
          <option value="">no grouping (one result)</option>
          {groups.map((c) => <option key={c.name} value={c.name}>{c.name} ({c.values.join(", ")})</option>)}
        </select>
      </div>
      <p className="query-summary">
        <span className="muted">In words: </span>
        <span data-testid="query-words">{describeQuery(toQuery(draft))}</span>
      </p>
    </fieldset>
  );
}
