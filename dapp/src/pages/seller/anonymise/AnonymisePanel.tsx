// The wizard's "Anonymise" panel for an anonymised batch product (issue 16): the anonymiser runs
// in this browser (a Web Worker). First the file's columns with their automatic classification
// (each overridable) → the settings (k, sensitive column and ℓ, preset, method) → Anonymise, with
// a progress bar → the first original rows next to the first released rows, the report in words
// and figures → "Use the anonymised file". Nothing is uploaded here: only an accepted run's file
// is encrypted and published, with its report.
import { useEffect, useId, useRef, useState } from "react";
import { encodeReport, reportHash, type AnonymiseProgress, type ColumnKind, type ColumnRole, type IdentifierAction, type Method, type Preset } from "@kraken/sdk/anonymise";
import { AnonymisationReportView } from "../../../components/AnonymisationReport.tsx";
import { formatBytes } from "../publish.ts";
import { anonymiseInBrowser, inspectInBrowser } from "./anonymiseClient.ts";
import {
  ACTION_WORDS,
  anonymisedName,
  effectiveColumns,
  emptyAnonymiseDraft,
  KIND_WORDS,
  METHOD_WORDS,
  optionsOf,
  PRESET_WORDS,
  PREVIEW_ROWS,
  ROLE_WORDS,
  settingsKey,
  settingsProblems,
  withOverride,
  type AnonymiseDraft,
  type AnonymiseSettings,
} from "./anonymiseDraft.ts";
import { explainAnonymiseError } from "./errors.ts";

const PHASE_WORDS: Record<AnonymiseProgress["phase"], string> = {
  reading: "Reading and measuring the rows",
  partitioning: "Forming groups of at least k records",
  writing: "Writing the released file",
  done: "Done",
};

export function AnonymisePanel({ draft: a, file, update }: { draft: AnonymiseDraft; file: File; update: (f: (a: AnonymiseDraft) => AnonymiseDraft) => void }) {
  const id = useId();
  const [inspectError, setInspectError] = useState<string>();
  const [progress, setProgress] = useState<AnonymiseProgress | null>(null);
  const [runError, setRunError] = useState<string>();
  const running = useRef<AbortController | null>(null);
  const inspection = a.source === file ? a.inspection : null;

  // Inspect the file as soon as it is chosen (and again when the panel comes back without a result).
  useEffect(() => {
    if (inspection) return;
    const ctl = new AbortController();
    setInspectError(undefined);
    inspectInBrowser(file, PREVIEW_ROWS, ctl.signal).then(
      (found) => update((d) => (d.source === file ? { ...d, inspection: found } : { ...emptyAnonymiseDraft(file), inspection: found })),
      (err) => {
        if (!ctl.signal.aborted) setInspectError(explainAnonymiseError(err));
      },
    );
    return () => ctl.abort();
  }, [file, inspection, update]);
  // Leaving the step stops a run.
  useEffect(() => () => running.current?.abort(), []);

  const setSettings = (patch: Partial<AnonymiseSettings>) => update((d) => ({ ...d, settings: { ...d.settings, ...patch }, accepted: null }));
  const problems = inspection ? settingsProblems(a) : [];
  const key = settingsKey(a);
  const stale = !!a.run && a.run.key !== key;
  const busy = progress !== null;

  const run = async () => {
    if (!inspection || problems.length || busy) return;
    const ctl = new AbortController();
    running.current = ctl;
    setRunError(undefined);
    setProgress({ phase: "reading", rows: 0, fraction: 0 });
    update((d) => ({ ...d, accepted: null }));
    const runKey = key;
    try {
      const out = await anonymiseInBrowser(file, optionsOf(a), { previewRows: PREVIEW_ROWS, onProgress: setProgress, signal: ctl.signal });
      const released = new File([out.released], anonymisedName(file.name), { type: "text/csv" });
      update((d) => (d.source === file ? { ...d, run: { key: runKey, report: out.report, header: out.header, preview: out.preview, file: released } } : d));
    } catch (err) {
      setRunError(explainAnonymiseError(err));
    } finally {
      running.current = null;
      setProgress(null);
    }
  };

  const accept = () => {
    if (!a.run || stale) return;
    const bytes = encodeReport(a.run.report);
    const accepted = { file: a.run.file, report: a.run.report, reportBytes: bytes, reportHash: reportHash(bytes) };
    update((d) => ({ ...d, accepted }));
  };

  const columns = inspection ? effectiveColumns(inspection, a.overrides) : [];
  const sensitiveChoices = columns.filter((c) => c.role !== "identifier").map((c) => c.name);
  const acceptedNow = !!a.accepted && !!a.run && a.accepted.report === a.run.report && !stale;

  return (
    <section className="anonymise card" aria-labelledby={`${id}-title`} data-testid="anonymise-panel">
      <h3 id={`${id}-title`}>Anonymise</h3>
      <p className="muted">
        The anonymiser runs in this browser: nothing is uploaded until you accept its result and publish. The file buyers get is the released one, never
        the original.
      </p>
      {!inspection && !inspectError ? <p role="status" className="muted">Reading the file's columns…</p> : null}
      {inspectError ? (
        <p role="alert" className="notice error" data-testid="anonymise-error">
          {inspectError}
        </p>
      ) : null}
      {inspection ? (
        <>
          <h4>Columns</h4>
          <p className="muted hint">
            Direct identifiers are left out or replaced by pseudonyms; quasi-identifiers are generalised until every combination is shared by at least k records;
            sensitive columns are kept (and kept diverse within each group when you choose one below). Change any classification you disagree with.
          </p>
          <div className="table-wrap">
            <table className="anonymise-columns" aria-label="Columns and what happens to them">
              <thead>
                <tr>
                  <th scope="col">Column</th>
                  <th scope="col">Example</th>
                  <th scope="col">Role</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Identifier</th>
                </tr>
              </thead>
              <tbody>
                {columns.map((c, i) => {
                  const set = (patch: { role?: ColumnRole; kind?: ColumnKind; action?: IdentifierAction }) =>
                    update((d) => (d.inspection ? { ...d, overrides: withOverride(d.inspection, d.overrides, c.name, patch), accepted: null } : d));
                  return (
                    <tr key={c.name} data-column={c.name} data-role={c.role}>
                      <th scope="row">
                        {c.name}
                        <span className="muted hint reason">{c.reason}</span>
                      </th>
                      <td className="example">{inspection.sample[0]?.[i] ?? ""}</td>
                      <td>
                        <select aria-label={`Role of ${c.name}`} value={c.role} onChange={(e) => set({ role: e.target.value as ColumnRole })}>
                          {(Object.keys(ROLE_WORDS) as ColumnRole[]).map((r) => (
                            <option key={r} value={r}>
                              {ROLE_WORDS[r]}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td>
                        <select aria-label={`Kind of ${c.name}`} value={c.kind} onChange={(e) => set({ kind: e.target.value as ColumnKind })} disabled={c.role !== "quasi"}>
                          {(Object.keys(KIND_WORDS) as ColumnKind[]).map((k) => (
                            <option key={k} value={k}>
                              {KIND_WORDS[k]}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td>
                        {c.role === "identifier" ? (
                          <select aria-label={`What happens to ${c.name}`} value={c.action ?? "drop"} onChange={(e) => set({ action: e.target.value as IdentifierAction })}>
                            {(Object.keys(ACTION_WORDS) as IdentifierAction[]).map((x) => (
                              <option key={x} value={x}>
                                {ACTION_WORDS[x]}
                              </option>
                            ))}
                          </select>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <fieldset className="anonymise-settings">
            <legend>Settings</legend>
            <div className="field">
              <label htmlFor={`${id}-k`}>Minimum group size (k)</label>
              <input id={`${id}-k`} inputMode="numeric" value={a.settings.k} onChange={(e) => setSettings({ k: e.target.value })} aria-describedby={`${id}-k-hint`} />
              <span id={`${id}-k-hint`} className="muted hint">
                Every record shares its quasi-identifiers with at least k − 1 others. 10 is a common choice.
              </span>
            </div>
            <div className="field">
              <label htmlFor={`${id}-sensitive`}>Sensitive column (ℓ-diversity)</label>
              <select id={`${id}-sensitive`} value={a.settings.sensitive} onChange={(e) => setSettings({ sensitive: e.target.value })}>
                <option value="">none</option>
                {sensitiveChoices.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${id}-l`}>Different sensitive values per group (ℓ)</label>
              <input id={`${id}-l`} inputMode="numeric" value={a.settings.l} disabled={!a.settings.sensitive} onChange={(e) => setSettings({ l: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor={`${id}-preset`}>Preset</label>
              <select id={`${id}-preset`} value={a.settings.preset} onChange={(e) => setSettings({ preset: e.target.value as Preset })}>
                {(Object.keys(PRESET_WORDS) as Preset[]).map((p) => (
                  <option key={p} value={p}>
                    {PRESET_WORDS[p]}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${id}-method`}>Method</label>
              <select id={`${id}-method`} value={a.settings.method} onChange={(e) => setSettings({ method: e.target.value as Method })}>
                {(Object.keys(METHOD_WORDS) as Method[]).map((m) => (
                  <option key={m} value={m}>
                    {METHOD_WORDS[m]}
                  </option>
                ))}
              </select>
            </div>
            {a.settings.method === "global" ? (
              <div className="field">
                <label htmlFor={`${id}-supp`}>Most rows it may remove (%)</label>
                <input id={`${id}-supp`} inputMode="decimal" value={a.settings.maxSuppression} onChange={(e) => setSettings({ maxSuppression: e.target.value })} />
              </div>
            ) : null}
          </fieldset>
          {problems.length ? (
            <ul className="error-text" aria-live="polite" data-testid="anonymise-problems">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
          <div className="actions">
            <button type="button" onClick={() => void run()} disabled={busy || problems.length > 0}>
              {a.run ? "Anonymise again" : "Anonymise"}
            </button>
            {busy ? (
              <button type="button" className="secondary" onClick={() => running.current?.abort()}>
                Stop
              </button>
            ) : null}
          </div>
          {progress ? (
            <div role="status" className="anonymise-progress">
              <progress max={1} value={progress.fraction} aria-label="Anonymisation progress" />
              <span>
                {PHASE_WORDS[progress.phase]}… {progress.rows ? `${progress.rows.toLocaleString("en")} rows` : ""} ({Math.round(progress.fraction * 100)} %)
              </span>
            </div>
          ) : null}
          {runError ? (
            <p role="alert" className="notice error" data-testid="anonymise-error">
              {runError}
            </p>
          ) : null}
          {a.run ? (
            <section className="anonymise-result" aria-label="Anonymisation result" data-stale={stale}>
              {stale ? (
                <p className="notice warn" role="status">
                  You changed the settings after this run: choose “Anonymise again” to see their effect before using the file.
                </p>
              ) : null}
              <h4>Preview</h4>
              <div className="preview-pair">
                <RowsTable label={`Original rows (first ${PREVIEW_ROWS})`} header={inspection.header} rows={inspection.sample} />
                <RowsTable label={`Released rows (first ${PREVIEW_ROWS})`} header={a.run.header} rows={a.run.preview} />
              </div>
              <h4>Report</h4>
              <AnonymisationReportView report={a.run.report} headingLevel={4} />
              {acceptedNow ? (
                <p className="notice ok" role="status" data-testid="anonymisation-accepted">
                  Accepted: {a.accepted!.file.name} ({formatBytes(a.accepted!.file.size)}) is the file that will be encrypted and published, with this report bound to
                  the product. The original stays in this browser.
                </p>
              ) : (
                <button type="button" onClick={accept} disabled={stale || busy}>
                  Use the anonymised file
                </button>
              )}
            </section>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function RowsTable({ label, header, rows }: { label: string; header: string[]; rows: string[][] }) {
  return (
    <div className="table-wrap">
      <table aria-label={label} className="rows-preview">
        <caption>{label}</caption>
        <thead>
          <tr>
            {header.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length ? (
            rows.map((r, i) => (
              <tr key={i}>
                {header.map((_, j) => (
                  <td key={j}>{r[j] ?? ""}</td>
                ))}
              </tr>
            ))
          ) : (
            <tr>
              <td colSpan={Math.max(1, header.length)} className="muted">
                no rows
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
