// One condition of a query: a categorical column's values as checkboxes, or a binned numeric
// column's range as "from" and "to" selects of its bin edges (the range is the bins between).
import { useId } from "react";
import type { Column } from "./sdk.ts";
import type { ConditionDraft } from "./queryDraft.ts";

export function ConditionEditor({ column, value, onChange, onRemove }: { column: Column; value: ConditionDraft; onChange: (c: ConditionDraft) => void; onRemove: () => void }) {
  const id = useId();
  return (
    <fieldset className="condition" data-condition={column.name}>
      <legend>{column.kind === "categorical" ? `${column.name} is one of` : `${column.name} in the range`}</legend>
      {column.kind === "categorical" && value.kind === "values" ? (
        <div className="checks columns">
          {column.values.map((v) => (
            <label key={v} className="check">
              <input
                type="checkbox"
                checked={value.values.includes(v)}
                onChange={(e) => onChange({ kind: "values", values: e.target.checked ? column.values.filter((x) => x === v || value.values.includes(x)) : value.values.filter((x) => x !== v) })}
              />{" "}
              {v}
            </label>
          ))}
        </div>
      ) : null}
      {column.kind === "numeric" && value.kind === "range" ? (
        <div className="range-row">
          <div className="field">
            <label htmlFor={`${id}-from`}>From ({column.name} at least)</label>
            <select id={`${id}-from`} value={value.from} onChange={(e) => onChange({ ...value, from: Number(e.target.value) })}>
              {(column.bins ?? []).slice(0, -1).map((b) => <option key={b} value={b}>{b}</option>)}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-to`}>To ({column.name} under)</label>
            <select id={`${id}-to`} value={value.to} onChange={(e) => onChange({ ...value, to: Number(e.target.value) })}>
              {(column.bins ?? []).slice(1).map((b) => <option key={b} value={b}>{b}</option>)}
            </select>
          </div>
        </div>
      ) : null}
      <button type="button" className="secondary small" onClick={onRemove} aria-label={`Remove the condition on ${column.name}`}>
        Remove
      </button>
    </fieldset>
  );
}
