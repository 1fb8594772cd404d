// The wizard's data step for an analytics product: the CSV (read only in this browser; when
// publishing it is split into secret shares, one encrypted bundle per computation node), its
// schema — inferred from the CSV and edited here, or loaded from a JSON file — and the rules
// buyers' queries follow (QueryRulesFields).
import { useId, useState } from "react";
import { formatBytes } from "../publish.ts";
import { columnsFromSchema, schemaOf, schemaProblems, withColumns, type AnalyticsDraft } from "./analyticsDraft.ts";
import { inferSchema } from "./inferSchema.ts";
import { QueryRulesFields } from "./QueryRulesFields.tsx";
import { SchemaEditor } from "./SchemaEditor.tsx";
import { parseSchema } from "../../analytics/sdk.ts";

export function AnalyticsDataFields({ draft, update }: { draft: AnalyticsDraft; update: (patch: Partial<AnalyticsDraft>) => void }) {
  const id = useId();
  const [reading, setReading] = useState(false);
  const [fileError, setFileError] = useState<string>();
  const problems = draft.csv ? schemaProblems(draft) : [];

  const chooseCsv = async (file: File | null) => {
    setFileError(undefined);
    if (!file) return update({ csv: null, header: [], columns: [], inferredFrom: undefined });
    setReading(true);
    try {
      const inferred = await inferSchema(file);
      if (inferred.header.length === 0) throw new Error("The file has no header line.");
      const base = { ...draft, csv: file, header: inferred.header, inferredFrom: inferred.complete ? `all ${inferred.rows.toLocaleString("en")} rows` : `the first ${inferred.rows.toLocaleString("en")} rows` };
      // A schema loaded from a file stays; otherwise the inferred one replaces the columns.
      update(draft.schemaSource === "file" && draft.columns.length ? withColumns(base, columnsFromSchema(schemaOf(draft), inferred.header)) : withColumns({ ...base, columns: [] }, inferred.columns));
    } catch (err) {
      setFileError(`The CSV cannot be read: ${(err as Error).message}`);
    } finally {
      setReading(false);
    }
  };

  const chooseSchemaFile = async (file: File | null) => {
    setFileError(undefined);
    if (!file) return;
    try {
      const schema = parseSchema(JSON.parse(await file.text()));
      update(withColumns({ ...draft, schemaSource: "file" }, columnsFromSchema(schema, draft.header)));
    } catch (err) {
      setFileError(`The schema file cannot be used: ${(err as Error).message}`);
    }
  };

  const reinfer = async () => {
    if (!draft.csv) return update({ schemaSource: "infer" });
    const inferred = await inferSchema(draft.csv);
    update(withColumns({ ...draft, schemaSource: "infer", columns: [] }, inferred.columns));
  };

  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-csv`}>Dataset file (CSV)</label>
        <input id={`${id}-csv`} type="file" accept=".csv,text/csv" onChange={(e) => void chooseCsv(e.target.files?.[0] ?? null)} aria-describedby={`${id}-csv-hint`} />
        <span id={`${id}-csv-hint`} className="muted hint">
          {draft.csv ? `${draft.csv.name}, ${formatBytes(draft.csv.size)}${draft.inferredFrom ? `; columns read from ${draft.inferredFrom}` : ""}. ` : ""}
          The file never leaves this browser: when you publish, every value is split into secret shares, and each computation node receives only its own encrypted shares.
        </span>
      </div>
      {reading ? <p role="status" className="muted">Reading the CSV…</p> : null}
      {fileError ? <p role="alert" className="notice error">{fileError}</p> : null}
      <fieldset>
        <legend>Schema</legend>
        <label className="check">
          <input type="radio" name={`${id}-source`} checked={draft.schemaSource === "infer"} onChange={() => void reinfer()} /> Infer it from the CSV, then check and edit it below
        </label>
        <label className="check">
          <input type="radio" name={`${id}-source`} checked={draft.schemaSource === "file"} onChange={() => update({ schemaSource: "file" })} /> Load a schema file (JSON)
        </label>
        {draft.schemaSource === "file" ? (
          <div className="field">
            <label htmlFor={`${id}-schema`}>Schema file (JSON)</label>
            <input id={`${id}-schema`} type="file" accept=".json,application/json" onChange={(e) => void chooseSchemaFile(e.target.files?.[0] ?? null)} />
          </div>
        ) : null}
        {draft.columns.length ? <SchemaEditor columns={draft.columns} onChange={(columns) => update(withColumns(draft, columns))} /> : <p className="muted">Choose the CSV first: its header names the columns.</p>}
        {problems.length ? (
          <ul className="error-text" aria-live="polite" data-testid="schema-problems">
            {problems.map((p) => <li key={p}>{p}</li>)}
          </ul>
        ) : draft.csv ? <p className="muted" aria-live="polite">The schema is valid; every row is checked against it when you publish.</p> : null}
      </fieldset>
      <QueryRulesFields draft={draft} update={update} />
    </>
  );
}
