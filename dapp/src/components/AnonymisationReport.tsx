// An anonymisation report (@kraken/sdk/anonymise) in words and figures: the seller's wizard shows
// it before accepting a run, the product page shows the one bound on chain to buyers.
import type { AnonymisationReport, ReportColumn } from "@kraken/sdk/anonymise";
import { describeReport } from "@kraken/sdk/anonymise";

const pct = (share: number) => {
  if (share === 0) return "0 %";
  const p = share * 100;
  return p < 0.1 ? "< 0.1 %" : `${p >= 10 ? p.toFixed(0) : p.toFixed(1)} %`;
};
const n = (x: number) => x.toLocaleString("en");

const ROLE: Record<ReportColumn["role"], string> = { identifier: "direct identifier", quasi: "quasi-identifier", sensitive: "sensitive", other: "other" };
const ACTION: Record<ReportColumn["action"], string> = { drop: "left out", pseudonymise: "pseudonymised", generalise: "generalised", keep: "kept as is" };

function bytesWords(b: number): string {
  if (b < 1024) return `${b} B`;
  if (b < 1024 ** 2) return `${(b / 1024).toFixed(1)} KB`;
  return `${(b / 1024 ** 2).toFixed(1)} MB`;
}

/** The report's sentences, its figures and the information lost per column. `headingLevel` fits the page's outline. */
export function AnonymisationReportView({ report: r, headingLevel = 3 }: { report: AnonymisationReport; headingLevel?: 3 | 4 }) {
  const H = `h${headingLevel}` as "h3" | "h4";
  return (
    <div className="anonymisation-report">
      <ul className="report-words" aria-label="The report in words">
        {describeReport(r).map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
      <dl className="facts" aria-label="The report in figures" data-testid="report-figures">
        <dt>k achieved</dt>
        <dd data-figure="k" data-raw={r.k}>
          {n(r.k)} <span className="muted">(asked for {n(r.settings.k)}: every group of records that look alike has at least this many)</span>
        </dd>
        <dt>ℓ achieved</dt>
        <dd data-figure="l" data-raw={r.l}>
          {r.settings.sensitive ? (
            <>
              {n(r.l)} <span className="muted">(different values of {r.settings.sensitive} in every group; asked for {n(r.settings.l)})</span>
            </>
          ) : (
            "not asked for (no sensitive column chosen)"
          )}
        </dd>
        <dt>Rows removed</dt>
        <dd data-figure="suppressed" data-raw={r.rows.suppressed}>
          {n(r.rows.suppressed)} of {n(r.rows.input)} ({pct(r.rows.suppressed / Math.max(1, r.rows.input))}); {n(r.rows.output)} released
        </dd>
        <dt>Groups</dt>
        <dd data-figure="classes" data-raw={r.classes}>{n(r.classes)}</dd>
        <dt>Re-identification risk</dt>
        <dd data-figure="risk" data-raw={`${r.risk.max} ${r.risk.average}`}>
          at most {pct(r.risk.max)}, {pct(r.risk.average)} on average <span className="muted">(prosecutor model: the chance of finding a person known to be in the data)</span>
        </dd>
        <dt>Method</dt>
        <dd>
          {r.settings.method === "global" ? `global recoding (at most ${pct(r.settings.maxSuppression)} of rows removed)` : "Mondrian partitioning"}
          {r.settings.preset === "safe-harbor" ? ", after the HIPAA Safe Harbor-style preset" : ""}
        </dd>
        <dt>Released file</dt>
        <dd>
          {bytesWords(r.output.bytes)}, SHA-256 <code className="hash">{r.output.sha256}</code>
        </dd>
      </dl>
      <H>Information lost per column</H>
      <div className="table-wrap">
        <table aria-label="Information lost per column">
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Role</th>
              <th scope="col">What happened</th>
              <th scope="col">Information lost</th>
            </tr>
          </thead>
          <tbody>
            {r.columns.map((c) => (
              <tr key={c.name} data-column={c.name}>
                <th scope="row">{c.name}</th>
                <td>{ROLE[c.role] ?? c.role}</td>
                <td>
                  {ACTION[c.action] ?? c.action}
                  {c.granularity ? ` (${c.granularity})` : ""}
                </td>
                <td data-loss={c.loss}>
                  <span className="loss-bar" aria-hidden="true">
                    <span style={{ width: `${Math.round(c.loss * 100)}%` }} />
                  </span>{" "}
                  {pct(c.loss)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
