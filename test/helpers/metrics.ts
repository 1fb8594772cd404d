// Testing a service's operations endpoints (/ready, /metrics): reading Prometheus text (samples
// with their labels, one value), the label checks every service must pass — only fixed words,
// never an address or an id — waiting for /ready to answer a status, and an RPC proxy that can
// be closed to make a service's chain stop answering.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export async function scrape(url: string): Promise<{ status: number; contentType: string | null; samples: Sample[]; text: string }> {
  const r = await fetch(`${url}/metrics`);
  const text = await r.text();
  return { status: r.status, contentType: r.headers.get("content-type"), samples: parseMetrics(text), text };
}

/** The text of `url`/metrics, expecting 200 and Prometheus' text/plain content type. */
export async function metricsText(url: string): Promise<string> {
  const r = await fetch(`${url}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
  return r.text();
}

/** Prometheus text → samples with their labels (comments skipped, a timestamp after the value ignored). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of `name` with these labels (others ignored), undefined when there is no such sample. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** As valueOf, on Prometheus text, and 0 when there is no such sample (a counter not yet moved). */
export function value(text: string, name: string, labels: Record<string, string> = {}): number {
  return valueOf(parseMetrics(text), name, labels) ?? 0;
}

/** Every label value of the samples whose name starts with `prefix` (a service's own metrics), bucket bounds (le) aside. */
export function labelValues(text: string, prefix: string): Set<string> {
  const values = new Set<string>();
  for (const s of parseMetrics(text)) {
    if (!s.name.startsWith(prefix)) continue;
    for (const [k, v] of Object.entries(s.labels)) if (k !== "le") values.add(v);
  }
  return values;
}

/** Numeric label values are fine only where Prometheus or Node puts numbers (buckets, version parts). */
const NUMERIC_LABELS = new Set(["le", "quantile", "major", "minor", "patch"]);

/**
 * Label values that could identify someone or something: hex (addresses, hashes), any of the
 * `forbidden` strings (addresses, ids), a bare number outside the numeric labels, and — for the
 * service's own metrics (`prefix`) — any label not in `allowed` or a value that is not a plain word.
 */
export function labelProblems(samples: Sample[], o: { prefix: string; allowed: string[]; forbidden: string[] }): string[] {
  const problems: string[] = [];
  const forbidden = o.forbidden.map((f) => f.toLowerCase());
  for (const s of samples) {
    for (const [k, v] of Object.entries(s.labels)) {
      const numeric = NUMERIC_LABELS.has(k); // a bucket bound "1" is not product 1
      const bad = /0x[0-9a-f]{6,}/i.test(v) || (!numeric && forbidden.some((f) => v.toLowerCase().includes(f) && (f.length > 6 || v === f)))
        || (!numeric && /^\d+$/.test(v))
        || (s.name.startsWith(o.prefix) && (!o.allowed.includes(k) || !/^[a-z][a-z-]*$/.test(v)));
      if (bad) problems.push(`${s.name}{${k}="${v}"}`);
    }
  }
  return problems;
}

/** /ready once it answers `status` (the service may cache its checks for a moment), or after 5 s. */
export async function readyWhen(url: string, status: number): Promise<Response> {
  const until = Date.now() + 5000;
  for (;;) {
    const r = await fetch(`${url}/ready`);
    if (r.status === status || Date.now() > until) return r;
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/** Forwards JSON-RPC to the chain until closed; then nobody answers at its URL. */
export async function rpcProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      const r = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) });
      res.writeHead(r.status, { "content-type": "application/json" }).end(Buffer.from(await r.arrayBuffer()));
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}
