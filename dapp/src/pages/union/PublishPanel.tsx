// A member shares a data point into the union's stream from the browser, signed by their own
// wallet (PUBLISH came with the membership). Streamr encrypts it end to end with this page's
// group key, which buyers fetch from this page: it says so, and keeps the client while open.
// @streamr/sdk is loaded only when the member publishes.
import { useEffect, useId, useRef, useState } from "react";
import type { EIP1193Provider } from "viem";
import { useAccount } from "wagmi";
import { useDapp } from "../../hooks/dapp.ts";
import { loadStreamr, streamrOptions } from "../../lib/streamr.ts";

const EXAMPLE = '{"heartRate": 72, "steps": 1200}';

export default function PublishPanel({ streamId }: { streamId: string }) {
  const { config } = useDapp();
  const { connector } = useAccount();
  const id = useId();
  const [text, setText] = useState(EXAMPLE);
  const [published, setPublished] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const client = useRef<{ publish(id: string, content: object): Promise<unknown>; destroy(): Promise<void> } | null>(null);
  useEffect(() => () => void client.current?.destroy().catch(() => {}), []);

  if (!config.streamr) return <p className="muted">This marketplace has no Streamr network configured, so data cannot be published from the browser.</p>;

  async function publish() {
    setError(undefined);
    let point: unknown;
    try {
      point = JSON.parse(text);
    } catch {
      setError("Write the data point as a JSON object, e.g. " + EXAMPLE);
      return;
    }
    if (point === null || typeof point !== "object" || Array.isArray(point)) {
      setError("A data point is a JSON object, e.g. " + EXAMPLE);
      return;
    }
    setBusy(true);
    try {
      if (!client.current) {
        const provider = (await connector!.getProvider()) as EIP1193Provider;
        const { StreamrClient } = await loadStreamr();
        client.current = new StreamrClient(streamrOptions(config.streamr as object, provider));
      }
      await client.current.publish(streamId, point as object);
      setPublished((n) => n + 1);
    } catch (err) {
      setError(`Not published: ${(err as Error).message.split("\n")[0]}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-label="Share data" className="card">
      <h3>Share a data point</h3>
      <label htmlFor={`${id}-point`}>Data point (JSON)</label>
      <textarea id={`${id}-point`} rows={3} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      <div className="actions">
        <button type="button" disabled={busy} onClick={() => void publish()}>{busy ? "Publishing…" : "Publish to the union's stream"}</button>
      </div>
      {error ? <p role="alert" className="notice error">{error}</p> : null}
      {published ? (
        <p role="status" className="notice ok">
          Published {published} data point{published === 1 ? "" : "s"}. Keep this page open a little: buyers fetch the key that opens them from this page.
        </p>
      ) : null}
    </section>
  );
}
