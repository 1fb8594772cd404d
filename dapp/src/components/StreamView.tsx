// Live view of a subscribed stream or data union product: subscribes (in the browser, as the consumer's wallet)
// to the product's Streamr streams and charts the numeric fields of incoming data points.
// @streamr/sdk is loaded only when a live view is opened.
import { useEffect, useState } from "react";
import type { EIP1193Provider } from "viem";
import { useAccount } from "wagmi";
import { useDapp } from "../hooks/dapp.ts";
import { useGraph } from "../hooks/graph.ts";
import type { GraphAgreement } from "../lib/subgraph.ts";
import { date } from "../lib/words.ts";
import { loadStreamr, streamrOptions } from "../lib/streamr.ts";

const KEEP = 60; // data points on screen
const TIME_FIELDS = new Set(["ts", "time", "timestamp"]); // the x axis, not a measurement

interface Point {
  at: number;
  values: Record<string, number>;
  raw: string;
}

export default function StreamView({ agreement }: { agreement: GraphAgreement }) {
  const { config } = useDapp();
  const { connector } = useAccount();
  const streams = useGraph<{ product: { streams: string[] } | null }>(`query S($id: ID!) { product(id: $id) { streams } }`, { id: agreement.product.id });
  const ids = streams.data?.product?.streams ?? [];
  const [points, setPoints] = useState<Point[]>([]);
  const [state, setState] = useState("connecting…");
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!config.streamr || !connector || ids.length === 0) return;
    let client: { destroy(): Promise<void> } | undefined;
    let stopped = false;
    (async () => {
      try {
        const provider = (await connector.getProvider()) as EIP1193Provider;
        const { StreamrClient } = await loadStreamr(); // heavy: loaded on first use
        if (stopped) return;
        const c = new StreamrClient(streamrOptions(config.streamr as object, provider));
        client = c;
        for (const id of ids) {
          await c.subscribe(id, (content: unknown) => {
            const values: Record<string, number> = {};
            if (content && typeof content === "object") for (const [k, v] of Object.entries(content)) if (typeof v === "number" && Number.isFinite(v) && !TIME_FIELDS.has(k)) values[k] = v;
            setPoints((all) => [...all, { at: Date.now(), values, raw: JSON.stringify(content) }].slice(-KEEP));
          });
        }
        setState(`subscribed to ${ids.length} stream${ids.length === 1 ? "" : "s"}; waiting for data…`);
      } catch (err) {
        setError(`Cannot subscribe: ${(err as Error).message}`);
      }
    })();
    return () => {
      stopped = true;
      void client?.destroy().catch(() => {});
    };
  }, [config.streamr, connector, ids.join(",")]); // eslint-disable-line react-hooks/exhaustive-deps

  const fields = [...new Set(points.flatMap((p) => Object.keys(p.values)))].slice(0, 3);
  return (
    <section className="card" aria-label={`Live view of ${agreement.product.title}`}>
      <h3>Live: {agreement.product.title}</h3>
      <p className="muted">Subscription until {date(agreement.endsAt)}.</p>
      {!config.streamr ? <p className="notice warn">This marketplace has no Streamr network configured, so live data cannot be shown.</p> : null}
      {streams.isSuccess && ids.length === 0 ? <p className="notice warn">The seller has not connected a stream to this product yet.</p> : null}
      {error ? <p role="alert" className="notice error">{error}</p> : <p role="status">{points.length ? `${points.length} data points received` : state}</p>}
      {fields.map((f) => <LiveChart key={f} label={f} values={points.map((p) => p.values[f]).filter((v) => v !== undefined)} />)}
      {points.length ? (
        <details>
          <summary>Latest data point</summary>
          <pre className="address">{points[points.length - 1].raw}</pre>
        </details>
      ) : null}
    </section>
  );
}

function LiveChart({ label, values }: { label: string; values: number[] }) {
  const W = 600;
  const H = 120;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const x = (i: number) => 30 + (i / Math.max(1, KEEP - 1)) * (W - 40);
  const y = (v: number) => H - 12 - ((v - min) / span) * (H - 24);
  const last = values[values.length - 1];
  return (
    <figure>
      <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${label}: latest ${last}, range ${min} to ${max}`}>
        <polyline fill="none" stroke="#264de4" strokeWidth={2} points={values.map((v, i) => `${x(i)},${y(v)}`).join(" ")} />
        <text x={4} y={12}>{max}</text>
        <text x={4} y={H - 4}>{min}</text>
      </svg>
      <figcaption>{label}: <strong>{last}</strong></figcaption>
    </figure>
  );
}
