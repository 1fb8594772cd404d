// A histogram as a plain SVG bar chart (no chart library): one bar per bin, withheld bins drawn
// as an outline marked "withheld". The figures are also given as text for screen readers.
import { binLabel, type ResultCell } from "./sdk.ts";

export function HistogramChart({ title, edges, cells, minCohort }: { title: string; edges: number[]; cells: ResultCell[]; minCohort: number }) {
  const bins = edges.slice(0, -1).map((from, i) => ({ from, to: edges[i + 1], cell: cells.find((c) => c.bin === binLabel(edges, i)) }));
  const max = Math.max(1, ...bins.map((b) => (b.cell && !b.cell.suppressed ? (b.cell.count ?? 0) : 0)));
  const W = 600;
  const H = 220;
  const pad = { l: 48, r: 8, t: 12, b: 36 };
  const slot = (W - pad.l - pad.r) / Math.max(1, bins.length);
  const y = (v: number) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const words = bins.map((b) => `${b.from} to under ${b.to}: ${!b.cell ? "no answer" : b.cell.suppressed ? `withheld (fewer than ${minCohort})` : fmt(b.cell.count ?? 0)}`).join("; ");
  return (
    <figure className="histogram">
      <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}. ${words}.`}>
        <title>{title}</title>
        {[0, max / 2, max].map((v) => (
          <g key={v}>
            <line x1={pad.l} x2={W - pad.r} y1={y(v)} y2={y(v)} stroke="#dde1ea" />
            <text x={pad.l - 4} y={y(v) + 3} textAnchor="end">{fmt(v)}</text>
          </g>
        ))}
        {bins.map((b, i) => {
          const x = pad.l + i * slot + slot * 0.1;
          const w = slot * 0.8;
          const withheld = !b.cell || b.cell.suppressed;
          return (
            <g key={b.from} data-bin={i}>
              {withheld ? (
                <>
                  <rect x={x} y={pad.t} width={w} height={H - pad.b - pad.t} fill="none" stroke="#b7bdcc" strokeDasharray="4 3" />
                  <text x={x + w / 2} y={H / 2} textAnchor="middle">withheld</text>
                </>
              ) : (
                <rect x={x} y={y(b.cell!.count ?? 0)} width={w} height={H - pad.b - y(b.cell!.count ?? 0)} fill="#9db0f5" />
              )}
              <text x={x + w / 2} y={H - pad.b + 14} textAnchor="middle">{b.from}–{b.to}</text>
            </g>
          );
        })}
      </svg>
      <figcaption className="muted">{title}: count per range (from, to under).</figcaption>
    </figure>
  );
}

const fmt = (v: number) => v.toLocaleString("en", { maximumFractionDigits: 1 });
