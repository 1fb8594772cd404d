// A query's result: a table of its cells (per group and/or histogram bin: count, mean, standard
// deviation… as the operation asks; withheld cells say so), a bar chart for histograms, whether
// noise was added, and which nodes answered and whether their shares were cross-checked.
import { shortAddress } from "../../lib/words.ts";
import { HistogramChart } from "./HistogramChart.tsx";
import { describeQuery } from "./queryDraft.ts";
import type { AnalyticsManifest, NumericColumn, Operation, ResultCell, ShownResult } from "./sdk.ts";

type ValueKey = "count" | "sum" | "mean" | "variance" | "stddev";

const LABELS: Record<ValueKey, string> = { count: "Count", sum: "Sum", mean: "Mean", variance: "Variance", stddev: "Std. deviation" };

/** What the table shows per operation (a cell may reveal more, e.g. the sum behind a mean). */
const COLUMNS: Record<Operation, ValueKey[]> = {
  count: ["count"],
  histogram: ["count"],
  sum: ["count", "sum"],
  mean: ["count", "mean"],
  variance: ["count", "mean", "variance"],
  stddev: ["count", "mean", "stddev"],
};

export function ResultView({ shown, manifest }: { shown: ShownResult; manifest: AnalyticsManifest }) {
  const { query: q, result } = shown;
  const k = manifest.privacy.minCohort;
  const column = manifest.schema.columns.find((c): c is NumericColumn => c.name === q.column && c.kind === "numeric");
  const edges = q.op === "histogram" ? (column?.bins ?? []) : [];
  const shownColumns = COLUMNS[q.op].filter((key) => result.cells.some((c) => !c.suppressed && c[key] !== undefined));
  const groups = q.groupBy ? [...new Set(result.cells.map((c) => c.group ?? ""))] : [""];
  const withheld = result.cells.filter((c) => c.suppressed).length;
  const nodes = result.nodes.map((i) => manifest.nodes[i]).filter(Boolean);
  return (
    <section className="card result" aria-label="Query result" data-job={shown.jobId}>
      <h3>Result of query #{shown.jobId}</h3>
      <p>{capital(describeQuery(q))}.</p>
      <div className="table-wrap">
        <table aria-label="Result cells">
          <thead>
            <tr>
              {q.groupBy ? <th scope="col">{q.groupBy}</th> : null}
              {q.op === "histogram" ? <th scope="col">{q.column} (from–to under)</th> : null}
              {shownColumns.map((key) => <th key={key} scope="col">{LABELS[key]}</th>)}
            </tr>
          </thead>
          <tbody>
            {result.cells.map((c) => (
              <tr key={c.key} data-cell={c.key} data-group={c.group} data-bin={c.bin} data-suppressed={c.suppressed ? "true" : undefined}>
                {q.groupBy ? <th scope="row">{c.group}</th> : null}
                {q.op === "histogram" ? <td>{c.bin ?? "—"}</td> : null}
                {!q.groupBy && q.op !== "histogram" && shownColumns.length === 0 ? <td>all</td> : null}
                {c.suppressed ? (
                  <td colSpan={Math.max(1, shownColumns.length)} className="muted">withheld (fewer than {k})</td>
                ) : (
                  shownColumns.map((key) => <ValueCell key={key} cell={c} k={key} />)
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {q.op === "histogram" && edges.length > 1
        ? groups.map((g) => (
            <HistogramChart key={g} title={`${q.column}${g ? ` (${q.groupBy} = ${g})` : ""}`} edges={edges} cells={result.cells.filter((c) => (c.group ?? "") === g)} minCohort={k} />
          ))
        : null}
      <ul className="result-facts">
        {withheld ? <li data-fact="withheld">{withheld} cell{withheld === 1 ? " was" : "s were"} withheld: fewer than {k} people.</li> : null}
        <li data-fact="noise">{result.epsilon > 0 ? `Noise was added (this query spent ε ${result.epsilon} of the dataset's privacy budget): the values are close to, not exactly, the true ones.` : "No noise was added: the values shown are exact."}</li>
        <li data-fact="nodes">
          Answered by {nodes.length} of {manifest.nodes.length} nodes ({nodes.map(shortAddress).join(", ")}):{" "}
          {result.consistent ? "all three sent shares, and every value's shares agree." : `two shares per value rebuild it; with all ${manifest.nodes.length} a wrong share would have been detected.`}
        </li>
      </ul>
    </section>
  );
}

function ValueCell({ cell, k }: { cell: ResultCell; k: ValueKey }) {
  const v = cell[k];
  return <td data-value={k} data-raw={v === undefined ? undefined : String(v)}>{v === undefined ? "—" : fmt(v, k)}</td>;
}

const fmt = (v: number, k: ValueKey) => v.toLocaleString("en", { maximumFractionDigits: k === "count" ? 0 : 3 });
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
