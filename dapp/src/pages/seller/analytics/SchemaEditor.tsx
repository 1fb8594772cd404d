// The schema, column by column, as the seller edits it: use the column or leave it out, its
// kind, and for numeric columns the range, decimals and optional bins (edges), for categorical
// columns the values. One fieldset per column, so it reads on a phone too.
import { useId } from "react";
import type { ColumnDraft } from "./analyticsDraft.ts";

export function SchemaEditor({ columns, onChange }: { columns: ColumnDraft[]; onChange: (columns: ColumnDraft[]) => void }) {
  const set = (i: number, patch: Partial<ColumnDraft>) => onChange(columns.map((c, j) => (j === i ? { ...c, ...patch } : c)));
  return (
    <div className="schema-editor">
      {columns.map((c, i) => (
        <ColumnFields key={c.name + i} column={c} onChange={(patch) => set(i, patch)} />
      ))}
    </div>
  );
}

function ColumnFields({ column: c, onChange }: { column: ColumnDraft; onChange: (patch: Partial<ColumnDraft>) => void }) {
  const id = useId();
  return (
    <fieldset className={`schema-column${c.use ? "" : " unused"}`} data-column={c.name}>
      <legend>{c.name}</legend>
      <div className="schema-row">
        <label className="check">
          <input type="checkbox" checked={c.use} onChange={(e) => onChange({ use: e.target.checked })} /> Use this column
        </label>
        <div className="field">
          <label htmlFor={`${id}-kind`}>Kind</label>
          <select id={`${id}-kind`} value={c.kind} disabled={!c.use} onChange={(e) => onChange({ kind: e.target.value as ColumnDraft["kind"] })}>
            <option value="numeric">numeric</option>
            <option value="categorical">categorical</option>
          </select>
        </div>
      </div>
      {c.use && c.kind === "numeric" ? (
        <div className="schema-row">
          <div className="field">
            <label htmlFor={`${id}-min`}>Min</label>
            <input id={`${id}-min`} inputMode="decimal" value={c.min} onChange={(e) => onChange({ min: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-max`}>Max</label>
            <input id={`${id}-max`} inputMode="decimal" value={c.max} onChange={(e) => onChange({ max: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-dec`}>Decimals</label>
            <input id={`${id}-dec`} inputMode="numeric" value={c.decimals} onChange={(e) => onChange({ decimals: e.target.value })} />
          </div>
          <div className="field wide">
            <label htmlFor={`${id}-bins`}>Bin edges (optional)</label>
            <input id={`${id}-bins`} value={c.bins} placeholder="e.g. 0, 18, 40, 65, 111" onChange={(e) => onChange({ bins: e.target.value })} aria-describedby={`${id}-bins-hint`} />
            <span id={`${id}-bins-hint`} className="muted hint">Ascending; first ≤ min, last &gt; max. Needed for histograms and range conditions.</span>
          </div>
        </div>
      ) : null}
      {c.use && c.kind === "categorical" ? (
        <div className="field">
          <label htmlFor={`${id}-values`}>Values (comma-separated)</label>
          <input id={`${id}-values`} value={c.values} onChange={(e) => onChange({ values: e.target.value })} />
        </div>
      ) : null}
    </fieldset>
  );
}
