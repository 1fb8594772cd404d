// Reading a service's /metrics (Prometheus text) in tests: samples with their labels, one value,
// and the label check every service must pass — only fixed words, never an address or an id.

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

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/);
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
