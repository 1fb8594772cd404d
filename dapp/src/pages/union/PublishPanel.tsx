// A member shares a data point into the union's stream from the browser, signed by their own
// wallet (PUBLISH came with the membership). Streamr encrypts it end to end with this page's
// group key, which buyers fetch from this page: it says so, and keeps the client while open.
// @streamr/sdk is loaded only when the member publishes. The union product's stream filter (its
// metadata's `streamFilter`) is applied to every point before it leaves the page; its pseudonym
// key stays in this browser (one per account and stream, so a member keeps one pseudonym). While
// the metadata is unknown, nothing is published: it might promise a filter.
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { streamFilterOf, type ProductMetadata } from "@kraken/sdk";
import { createStreamFilter, describeStreamFilter, type StreamFilter } from "@kraken/sdk/anonymise";
import type { EIP1193Provider } from "viem";
import { useAccount } from "wagmi";
import { useDapp } from "../../hooks/dapp.ts";
import { loadStreamr, streamrOptions } from "../../lib/streamr.ts";

const EXAMPLE = '{"heartRate": 72, "steps": 1200}';

/** This browser's pseudonym key for (account, stream): created once, kept in localStorage. */
function pseudonymKey(account: string, streamId: string): Uint8Array {
  const name = `kraken.pseudonymKey.${account.toLowerCase()}.${streamId.toLowerCase()}`;
  const kept = localStorage.getItem(name);
  if (kept && /^[0-9a-f]{64}$/.test(kept)) return Uint8Array.from(kept.match(/../g)!.map((h) => parseInt(h, 16)));
  const key = crypto.getRandomValues(new Uint8Array(32));
  localStorage.setItem(name, Array.from(key, (b) => b.toString(16).padStart(2, "0")).join(""));
  return key;
}

export default function PublishPanel({ streamId, metadata }: { streamId: string; metadata: ProductMetadata | "loading" | "unavailable" }) {
  const { config } = useDapp();
  const { connector, address } = useAccount();
  // The product's filter: undefined = none promised; a string = why points cannot be published now.
  const filter = useMemo((): { apply?: StreamFilter; words: string[] } | string => {
    if (metadata === "loading") return "Reading the product's description (it may promise a filter for every point)…";
    if (metadata === "unavailable") return "The product's description cannot be loaded from IPFS, so its stream filter cannot be applied: nothing is published.";
    try {
      const c = streamFilterOf(metadata);
      return c && address ? { apply: createStreamFilter(c, pseudonymKey(address, streamId)), words: describeStreamFilter(c) } : { words: [] };
    } catch (err) {
      return `The product's stream filter is malformed (${(err as Error).message}): nothing is published.`;
    }
  }, [metadata, address, streamId]);
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
    if (typeof filter === "string") {
      setError(filter);
      return;
    }
    setBusy(true);
    try {
      if (!client.current) {
        const provider = (await connector!.getProvider()) as EIP1193Provider;
        const { StreamrClient } = await loadStreamr();
        client.current = new StreamrClient(streamrOptions(config.streamr as object, provider));
      }
      await client.current.publish(streamId, filter.apply ? filter.apply(point as Record<string, unknown>) : (point as object));
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
      {typeof filter === "string" ? <p className="muted">{filter}</p> : filter.words.length ? (
        <div className="muted" aria-label="Stream filter">
          <p>Before it leaves this page, every point is filtered as the product promises:</p>
          <ul>{filter.words.map((w) => <li key={w}>{w}</li>)}</ul>
        </div>
      ) : null}
      <div className="actions">
        <button type="button" disabled={busy || typeof filter === "string"} onClick={() => void publish()}>{busy ? "Publishing…" : "Publish to the union's stream"}</button>
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
