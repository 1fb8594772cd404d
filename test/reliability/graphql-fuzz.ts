// A GraphQL fuzzer for the indexer's server: N generated queries — valid ones built from the
// server's own introspection (collections with random filters, orderings, pagination, nested
// selections, full-text search, variables, fragments), invalid ones (mutated valid queries,
// wrong types, unknown names) and hostile ones (alias and fragment bombs, deep nesting, huge
// strings and lists, control characters, tsquery syntax) — sent over HTTP a few at a time. It
// fails on a 5xx, a response that is not GraphQL JSON, an answer slower than the limit, or a
// server that stops answering a known query correctly. Seeded: the same seed sends the same
// queries. Hand-written because no maintained npm fuzzer generates GraphQL against a live
// schema with hostile shapes. Seeded with the tests' PRNG (test/helpers/rng.ts).
import { rng } from "../helpers/rng.ts";
import { getIntrospectionQuery, type IntrospectionQuery, type IntrospectionType, type IntrospectionField, type IntrospectionTypeRef } from "graphql";

export interface FuzzOptions {
  url: string;
  queries: number;
  seed?: number;
  concurrency?: number;
  /** slowest acceptable answer (ms) */
  limitMs?: number;
  /** a query and the exact `data` it must keep returning (checked every 500 queries and at the end) */
  canary: { query: string; data: unknown };
  onProgress?: (done: number) => void;
}

export type Kind = "valid" | "invalid" | "hostile";

export interface FuzzReport {
  sent: number;
  byKind: Record<Kind, number>;
  /** answers with data and no errors / with errors, by kind */
  answered: Record<Kind, { data: number; errors: number }>;
  statuses: Record<string, number>;
  ms: { median: number; p95: number; max: number };
  failures: { kind: Kind; query: string; why: string }[];
  canaryChecks: number;
}

type Rng = ReturnType<typeof rng>;

const named = (t: IntrospectionTypeRef): { name: string; list: boolean } => {
  let list = false;
  let cur: IntrospectionTypeRef = t;
  while ("ofType" in cur && cur.ofType) {
    if (cur.kind === "LIST") list = true;
    cur = cur.ofType;
  }
  if (cur.kind === "LIST") list = true;
  return { name: (cur as { name: string }).name, list };
};

const HOSTILE_STRINGS = ["", "'", "\"\\\"", "%", "_", "\\", "' OR 1=1 --", "$1", "::text", "a & b | !c <-> d", "(((", ":*", "\u0000", "\u202e", "😀".repeat(50), "x".repeat(10_000), "NULL", "true", "-1"];
const HOSTILE_NUMBERS = ["0", "-1", "1e309", "9".repeat(80), "-9".repeat(40), "0.5", "NaN", "1000000", "2147483648"];

class Generator {
  private readonly types = new Map<string, IntrospectionType>();
  private readonly queryFields: readonly IntrospectionField[];

  constructor(schema: IntrospectionQuery["__schema"], private readonly r: Rng) {
    for (const t of schema.types) this.types.set(t.name, t);
    this.queryFields = this.objectFields(schema.queryType.name).filter((f) => !f.name.startsWith("__"));
  }

  private objectFields(type: string): readonly IntrospectionField[] {
    const t = this.types.get(type);
    return t && "fields" in t && t.fields ? t.fields : [];
  }

  private enumValues(type: string): string[] {
    const t = this.types.get(type);
    return t && "enumValues" in t && t.enumValues ? t.enumValues.map((v) => v.name) : [];
  }

  private inputFields(type: string) {
    const t = this.types.get(type);
    return t && "inputFields" in t && t.inputFields ? t.inputFields : [];
  }

  private scalarValue(type: string, hostile: boolean): string {
    const r = this.r;
    const enums = this.enumValues(type);
    if (enums.length) return hostile && r.chance(0.2) ? "NOT_A_VALUE" : r.pick(enums);
    switch (type) {
      case "Int":
        return hostile ? r.pick(HOSTILE_NUMBERS) : String(r.int(0, 40));
      case "Boolean":
        return r.pick(["true", "false"]);
      case "BigInt":
      case "BigDecimal":
        return JSON.stringify(hostile ? r.pick(HOSTILE_NUMBERS) : String(r.int(0, 100) * 10 ** r.int(0, 19)));
      case "Bytes":
        return JSON.stringify(hostile && r.chance(0.5) ? r.pick(["0x", "0xzz", "0x" + "ab".repeat(5000), "nothex"]) : "0x" + r.int(0, 255).toString(16).padStart(2, "0").repeat(r.pick([1, 20, 32])));
      default:
        return JSON.stringify(hostile ? r.pick(HOSTILE_STRINGS) : r.pick(["1", "2", "heart", "Health", "research", "a", "0x01"]));
    }
  }

  /** A where object for the filter input type `type` (a few of its fields). */
  private where(type: string, depth: number, hostile: boolean): string {
    const fields = this.inputFields(type);
    if (!fields.length) return "{}";
    const parts: string[] = [];
    for (let i = this.r.int(1, 3); i > 0; i--) {
      const f = this.r.pick(fields);
      const { name, list } = named(f.type);
      if (this.inputFields(name).length) {
        if (depth > 2) continue;
        parts.push(`${f.name}: ${list ? `[${this.where(name, depth + 1, hostile)}]` : this.where(name, depth + 1, hostile)}`);
      } else if (list) {
        parts.push(`${f.name}: [${Array.from({ length: this.r.int(0, hostile ? 60 : 3) }, () => this.scalarValue(name, hostile)).join(", ")}]`);
      } else {
        parts.push(`${f.name}: ${this.scalarValue(name, hostile)}`);
      }
    }
    return `{ ${parts.join(", ")} }`;
  }

  private args(field: IntrospectionField, hostile: boolean): string {
    const out: string[] = [];
    for (const a of field.args) {
      const { name } = named(a.type);
      const required = a.type.kind === "NON_NULL";
      if (!required && !this.r.chance(0.45)) continue;
      if (a.name === "first") out.push(`first: ${hostile ? this.r.pick(["0", "1001", "-5", "100000", "1000"]) : this.r.int(0, 30)}`);
      else if (a.name === "skip") out.push(`skip: ${hostile ? this.r.pick(["0", "5001", "-1", "4999", "100000"]) : this.r.int(0, 10)}`);
      else if (a.name === "where") out.push(`where: ${this.where(name, 0, hostile)}`);
      else if (a.name === "orderBy") out.push(`orderBy: ${this.r.pick(this.enumValues(name).length ? this.enumValues(name) : ["id"])}`);
      else if (a.name === "orderDirection") out.push(`orderDirection: ${this.r.pick(["asc", "desc"])}`);
      else if (a.name === "text") out.push(`text: ${JSON.stringify(hostile ? this.r.pick(HOSTILE_STRINGS) : this.r.pick(["glucose", "heart rate", "sleep & steps", "vital:*", "cohort | grades", "!asthma"]))}`);
      else if (a.name === "block") { if (hostile || this.r.chance(0.25)) out.push(`block: ${this.r.pick(["{ number: 1 }", "{ number: 2 }", "{ number: 999999999 }", "{ number: -1 }", "{ hash: \"0x01\" }", `{ hash: "0x${"ab".repeat(32)}" }`, "{ number_gte: 3 }"])}`); } // time travel: older blocks answered, the rest refused
      else if (a.name === "id") out.push(`id: ${this.scalarValue(name, hostile)}`);
      else if (required || this.r.chance(0.3)) out.push(`${a.name}: ${this.scalarValue(name, hostile)}`);
    }
    return out.length ? `(${out.join(", ")})` : "";
  }

  /** A selection set on object type `type`, `depth` levels deep at most. */
  private selection(type: string, depth: number, hostile: boolean): string {
    const fields = this.objectFields(type);
    const parts = new Set<string>(["id"].filter((id) => fields.some((f) => f.name === id)));
    for (let i = this.r.int(1, 5); i > 0; i--) {
      const f = this.r.pick(fields);
      const { name } = named(f.type);
      if (this.objectFields(name).length) {
        if (depth <= 0) continue;
        parts.add(`${f.name}${this.args(f, hostile)} { ${this.selection(name, depth - 1, hostile)} }`);
      } else {
        parts.add(f.name);
      }
    }
    if (!parts.size) parts.add("__typename");
    return [...parts].join(" ");
  }

  valid(): string {
    const f = this.r.pick(this.queryFields);
    const { name } = named(f.type);
    const sel = this.objectFields(name).length ? ` { ${this.selection(name, this.r.int(0, 3), false)} }` : "";
    const body = `${f.name}${this.args(f, false)}${sel}`;
    const form = this.r.int(0, 3);
    if (form === 0) return `{ ${body} }`;
    if (form === 1) return `query Q { a: ${body} __typename }`;
    if (form === 2) return `{ ${body} _meta { block { number } hasIndexingErrors } }`;
    return `query Q($n: Int = 5) { ${f.name}${f.args.some((a) => a.name === "first") ? "(first: $n)" : ""}${sel} }`;
  }

  invalid(): string {
    const q = this.valid();
    const r = this.r;
    switch (r.int(0, 7)) {
      case 0: { // delete a random span
        const i = r.int(0, q.length - 1);
        return q.slice(0, i) + q.slice(i + r.int(1, 8));
      }
      case 1: { // insert junk
        const i = r.int(0, q.length);
        return q.slice(0, i) + r.pick(["{", "}", "(", ")", ":", "$", "@", "...", "\"", "#", "!", "=", "\\"]) + q.slice(i);
      }
      case 2:
        return q.replace(/\{ (\w+)/, "{ notAField_$1");
      case 3:
        return q.replace(/first: \d+/, "first: \"ten\"");
      case 4:
        return `mutation { ${q.replace(/^[^{]*\{/, "").replace(/\}\s*$/, "")} }`;
      case 5:
        return `subscription S ${q.replace(/^[^{]*/, "")}`;
      case 6:
        return `${q} fragment F on NoSuchType { id }`;
      default:
        return q.replace(/orderBy: \w+/, "orderBy: notAField");
    }
  }

  hostile(): string {
    const r = this.r;
    const collection = r.pick(this.queryFields.filter((f) => f.args.some((a) => a.name === "first")));
    const { name } = named(collection.type);
    const nested = this.objectFields(name).filter((f) => this.objectFields(named(f.type).name).length);
    switch (r.int(0, 9)) {
      case 0: { // aliases × fields
        const n = r.pick([100, 1000, 5000]);
        return `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${collection.name}(first: 1000) { id }`).join(" ")} }`;
      }
      case 1: { // nested fragment bomb
        const k = r.int(3, 10);
        const frags = Array.from({ length: 8 }, (_, i) => `fragment F${i} on Query { ${Array.from({ length: k }, (_, j) => `x${j}: ${collection.name}(first: 1) { id }`).join(" ")} ${i < 7 ? `...F${i + 1}` : ""} }`);
        return `{ ...F0 }\n${frags.join("\n")}`;
      }
      case 2: { // deep nesting through references
        if (!nested.length) return `{ ${collection.name} { id } }`;
        let sel = "id";
        for (let d = r.int(10, 60); d > 0; d--) {
          const f = r.pick(nested);
          sel = `${f.name}${f.args.some((a) => a.name === "first") ? "(first: 1000)" : ""} { id ${sel} }`;
        }
        return `{ ${collection.name}(first: 1000) { ${sel} } }`;
      }
      case 3: // a huge string argument
        return `{ ${collection.name}(where: { id_in: [${Array.from({ length: r.pick([1000, 20_000]) }, (_, i) => `"${i}"`).join(",")}] }) { id } }`;
      case 4: // introspection bomb
        return `{ __schema { types { ${"fields { type { ofType { ".repeat(r.int(3, 12))}name${" } } }".repeat(r.int(3, 12))} } } }`;
      case 5: // control characters and unicode everywhere
        return `{ ${collection.name}(where: { id: ${JSON.stringify("\u0000\u0001\u001f" + "\u202e".repeat(100))} }) { id } }`;
      case 6: // many variables, unused and wrongly typed
        return JSON.stringify({ junk: true });
      case 7: // a 500 KB query of whitespace and comments
        return `{ ${collection.name} { id } }` + "# ".repeat(r.int(10_000, 250_000));
      case 8: // directives abuse
        return `{ ${collection.name} @include(if: true) @skip(if: false) @include(if: "x") { id @deprecated } }`;
      default:
        return `{ ${this.selection("Query", 2, true)} }`;
    }
  }
}

async function send(url: string, body: string, limitMs: number): Promise<{ status: number; json: unknown; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(limitMs * 3) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, ms: performance.now() - t0 };
}

export async function fuzzGraphql(o: FuzzOptions): Promise<FuzzReport> {
  const r = rng(o.seed ?? 1);
  const limitMs = o.limitMs ?? 5000;
  const intro = await send(o.url, JSON.stringify({ query: getIntrospectionQuery() }), 30_000);
  const gen = new Generator((intro.json as { data: IntrospectionQuery }).data.__schema, r);
  const report: FuzzReport = {
    sent: 0, byKind: { valid: 0, invalid: 0, hostile: 0 }, answered: { valid: { data: 0, errors: 0 }, invalid: { data: 0, errors: 0 }, hostile: { data: 0, errors: 0 } },
    statuses: {}, ms: { median: 0, p95: 0, max: 0 }, failures: [], canaryChecks: 0,
  };
  const times: number[] = [];
  const canary = async () => {
    const c = await send(o.url, JSON.stringify({ query: o.canary.query }), limitMs);
    report.canaryChecks++;
    if (c.status !== 200 || JSON.stringify((c.json as { data?: unknown })?.data) !== JSON.stringify(o.canary.data)) {
      report.failures.push({ kind: "valid", query: o.canary.query, why: `the canary query changed: HTTP ${c.status} ${JSON.stringify(c.json).slice(0, 200)}` });
    }
  };
  // Query i is generated when it is picked, in order: the seed alone decides every query, and
  // no more than `concurrency` of them are held at once.
  const generate = (): { kind: Kind; body: string; query: string } => {
    const kind: Kind = r.chance(0.5) ? "valid" : r.chance(0.6) ? "invalid" : "hostile";
    const query = kind === "valid" ? gen.valid() : kind === "invalid" ? gen.invalid() : gen.hostile();
    const body = query.startsWith("{\"junk\"") ? query : r.chance(0.03) ? `{"query": ${JSON.stringify(query)}, "variables": ${r.pick(["null", "[]", "\"x\"", "{\"n\": \"ten\"}", "{\"n\": 1e400}"])}}` : JSON.stringify({ query });
    return { kind, body, query };
  };
  let next = 0;
  const worker = async () => {
    while (next < o.queries) {
      next++;
      const { kind, body, query } = generate();
      report.byKind[kind]++;
      let res: Awaited<ReturnType<typeof send>>;
      try {
        res = await send(o.url, body, limitMs);
      } catch (e) {
        report.failures.push({ kind, query: query.slice(0, 300), why: `no answer: ${(e as Error).message}` });
        continue;
      } finally {
        report.sent++;
      }
      times.push(res.ms);
      report.statuses[res.status] = (report.statuses[res.status] ?? 0) + 1;
      const j = res.json as { data?: unknown; errors?: unknown[] } | undefined;
      if (res.status >= 500) report.failures.push({ kind, query: query.slice(0, 300), why: `HTTP ${res.status}` });
      else if (!j || (j.data === undefined && !Array.isArray(j.errors))) report.failures.push({ kind, query: query.slice(0, 300), why: `not GraphQL JSON (HTTP ${res.status})` });
      else if (Array.isArray(j.errors) && j.errors.length) report.answered[kind].errors++;
      else report.answered[kind].data++;
      if (res.ms > limitMs) report.failures.push({ kind, query: query.slice(0, 300), why: `answered in ${Math.round(res.ms)} ms (limit ${limitMs})` });
      if (report.sent % 500 === 0) {
        await canary();
        o.onProgress?.(report.sent);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 4 }, worker));
  await canary();
  const s = times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0);
  report.ms = { median: at(0.5), p95: at(0.95), max: Math.round(s.at(-1) ?? 0) };
  return report;
}
