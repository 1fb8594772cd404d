// Amounts over time as a plain SVG chart (no chart library): daily bars and a cumulative line.
// The figures are also given as text (aria-label) for screen readers. DATA amounts by default;
// `unit` + `wei: false` chart plain counts (members joining and parting: negative days are drawn
// as red bars, the line is the running total).
import { formatEther } from "viem";

export interface Amount {
  /** unix seconds */
  t: number;
  /** base units (wei) */
  amount: bigint;
}

const DAY = 86_400;

export function TimeChart({ title, points, days = 30, unit = "DATA", wei = true }: { title: string; points: Amount[]; days?: number; unit?: string; wei?: boolean }) {
  const now = Math.floor(Date.now() / 1000);
  const first = Math.floor((now - (days - 1) * DAY) / DAY) * DAY;
  const buckets = Array.from({ length: days }, () => 0n);
  let before = 0n; // cumulative amount before the window
  for (const p of points) {
    const i = Math.floor((p.t - first) / DAY);
    if (i < 0) before += p.amount;
    else if (i < days) buckets[i] += p.amount;
  }
  const toNum = (w: bigint) => (wei ? Number(formatEther(w)) : Number(w));
  const daily = buckets.map(toNum);
  const cumulative: number[] = [];
  daily.reduce((acc, v, i) => (cumulative[i] = acc + v), toNum(before));
  const max = Math.max(1, ...cumulative);
  const W = 600;
  const H = 200;
  const pad = { l: 44, r: 8, t: 10, b: 22 };
  const x = (i: number) => pad.l + (i + 0.5) * ((W - pad.l - pad.r) / days);
  const y = (v: number) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const bw = ((W - pad.l - pad.r) / days) * 0.7;
  const total = cumulative[days - 1] ?? 0;
  const label = `${title}: ${total.toLocaleString("en")} ${unit} in total, ${daily.reduce((a, b) => a + b, 0).toLocaleString("en")} ${unit} in the last ${days} days.`;
  const ticks = [0, max / 2, max];
  const day = (i: number) => new Date((first + i * DAY) * 1000).toISOString().slice(5, 10);
  return (
    <figure>
      <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        <title>{label}</title>
        {ticks.map((v) => (
          <g key={v}>
            <line x1={pad.l} x2={W - pad.r} y1={y(v)} y2={y(v)} stroke="#dde1ea" />
            <text x={pad.l - 4} y={y(v) + 3} textAnchor="end">{v.toLocaleString("en", { maximumFractionDigits: max < 10 ? 1 : 0 })}</text>
          </g>
        ))}
        {daily.map((v, i) => (v !== 0 ? <rect key={i} x={x(i) - bw / 2} y={y(Math.abs(v))} width={bw} height={H - pad.b - y(Math.abs(v))} fill={v > 0 ? "#9db0f5" : "#f3b1aa"} /> : null))}
        <polyline fill="none" stroke="#264de4" strokeWidth={2} points={cumulative.map((v, i) => `${x(i)},${y(v)}`).join(" ")} />
        {[0, Math.floor(days / 2), days - 1].map((i) => (
          <text key={i} x={x(i)} y={H - 6} textAnchor="middle">{day(i)}</text>
        ))}
      </svg>
      <figcaption className="muted">{title} ({unit}): bars per day{wei ? "" : " (red: fewer)"}, line cumulative.</figcaption>
    </figure>
  );
}
