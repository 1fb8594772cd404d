// The anonymiser's entry points (docs/anonymisation.md). Two passes over the CSV, so memory is
// bounded by the quasi-identifiers alone (8 bytes per quasi-identifier per row, plus 4 for the
// class and 4 for the sensitive value; no row text is held):
//   1. read: check the CSV, classify the columns on the first rows, encode the quasi-identifiers
//      (Safe Harbor first, when asked), then partition (Mondrian) or recode (global);
//   2. write: read again, drop or pseudonymise identifiers, release each quasi-identifier's
//      generalised value, skip suppressed rows — and recount the released classes from the
//      output itself, so the report states what was written, not what was planned.
// csv-stringify: its Node build in Node (native Buffer), its browser build in browsers (sdk/package.json "imports").
import { stringify } from "#csv-stringify";
import { hmac } from "@noble/hashes/hmac";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "viem";
import { readCsv, type CsvSource } from "../analytics/csv.ts";
import { DatasetError } from "../analytics/errors.ts";
import { classifyColumns, normaliseHeader } from "./classify.ts";
import { finishColumn, granularityOf, labelOf, newQiColumn, pushValue, type Label, type QiColumn } from "./columns.ts";
import { AnonymiseError } from "./errors.ts";
import { mondrian } from "./mondrian.ts";
import { globalRecoding } from "./recoding.ts";
import { REPORT_SCHEMA, type AnonymisationReport, type ReportColumn } from "./report.ts";
import type { AnonymiseOptions, ColumnOverride, ColumnPlan } from "./types.ts";

export const DEFAULT_K = 10;
export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
export const DEFAULT_MAX_ROWS = 2_000_000;
/** Rows the classification looks at. */
export const SAMPLE_ROWS = 500;

export interface AnonymiseResult {
  report: AnonymisationReport;
  /** the released CSV's header (identifiers dropped) */
  header: string[];
  /** the classification used */
  columns: ColumnPlan[];
}

const utf8 = new TextEncoder();

/** Counts the bytes going through and refuses more than `max`. */
async function* limited(source: CsvSource, max: number, onBytes?: (n: number) => void): AsyncGenerator<Uint8Array | string> {
  let n = 0;
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    n += typeof chunk === "string" ? chunk.length : chunk.byteLength;
    if (n > max) throw new AnonymiseError("too-large", `the file is larger than ${mib(max)}, the anonymiser's limit (options.maxBytes)`);
    onBytes?.(n);
    yield chunk;
  }
}
const mib = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;

/** CSV batches with the CSV reader's failures as AnonymiseErrors. */
async function* records(source: AsyncIterable<Uint8Array | string>) {
  try {
    for await (const batch of readCsv(source)) yield batch;
  } catch (err) {
    if (err instanceof DatasetError) {
      const notUtf8 = /not UTF-8/.test(err.message);
      throw new AnonymiseError(notUtf8 ? "not-utf8" : "bad-csv", notUtf8 ? `${err.message}: save it as UTF-8 and try again` : err.message, err.row);
    }
    throw err;
  }
}

function checkHeader(header: string[]): string[] {
  const names = header.map((h) => h.trim());
  if (names.length === 0 || names.every((h) => h === "")) throw new AnonymiseError("empty", "the file has no header row");
  const seen = new Set<string>();
  names.forEach((h, i) => {
    if (h === "") throw new AnonymiseError("bad-csv", `column ${i + 1} of the header has no name`, 0);
    if (seen.has(h)) throw new AnonymiseError("duplicate-column", `the header names the column "${h}" twice`, 0, h);
    seen.add(h);
  });
  return names;
}

interface Settings {
  k: number;
  l: number;
  sensitive: string | null;
  preset: "none" | "safe-harbor";
  method: "mondrian" | "global";
  maxSuppression: number;
  maxBytes: number;
  maxRows: number;
  columns: Record<string, ColumnOverride>;
}

function settingsOf(o: AnonymiseOptions): Settings {
  const k = o.k ?? DEFAULT_K;
  const l = o.l ?? 1;
  const int = (v: number, min: number, name: string) => {
    if (!Number.isSafeInteger(v) || v < min) throw new AnonymiseError("bad-option", `${name} must be a whole number ≥ ${min} (got ${v})`);
  };
  int(k, 1, "k");
  int(l, 1, "ℓ");
  if (l > 1 && !o.sensitive) throw new AnonymiseError("bad-option", "ℓ-diversity needs a sensitive column (options.sensitive)");
  const preset = o.preset ?? "none";
  if (preset !== "none" && preset !== "safe-harbor") throw new AnonymiseError("bad-option", `unknown preset "${preset}" (none or safe-harbor)`);
  const method = o.method ?? "mondrian";
  if (method !== "mondrian" && method !== "global") throw new AnonymiseError("bad-option", `unknown method "${method}" (mondrian or global)`);
  const maxSuppression = o.maxSuppression ?? 0.05;
  if (!(maxSuppression >= 0 && maxSuppression <= 1)) throw new AnonymiseError("bad-option", "maxSuppression must be between 0 and 1");
  if (o.pseudonymKey && o.pseudonymKey.length !== 32) throw new AnonymiseError("bad-option", "the pseudonym key must be 32 bytes");
  for (const [name, c] of Object.entries(o.columns ?? {})) {
    if (c.role && !["identifier", "quasi", "sensitive", "other"].includes(c.role)) throw new AnonymiseError("bad-option", `column "${name}": unknown role "${c.role}"`, undefined, name);
    if (c.kind && !["number", "date", "postcode", "category"].includes(c.kind)) throw new AnonymiseError("bad-option", `column "${name}": unknown kind "${c.kind}"`, undefined, name);
    if (c.action && !["drop", "pseudonymise"].includes(c.action)) throw new AnonymiseError("bad-option", `column "${name}": unknown action "${c.action}"`, undefined, name);
  }
  return {
    k, l, sensitive: o.sensitive ?? null, preset, method, maxSuppression,
    maxBytes: o.maxBytes ?? DEFAULT_MAX_BYTES, maxRows: o.maxRows ?? DEFAULT_MAX_ROWS, columns: o.columns ?? {},
  };
}

function checkColumns(header: string[], s: Settings): Record<string, ColumnOverride> {
  const overrides = { ...s.columns };
  for (const name of Object.keys(overrides))
    if (!header.includes(name)) throw new AnonymiseError("unknown-column", `there is no column "${name}" (the header has ${header.join(", ")})`, undefined, name);
  if (s.sensitive !== null) {
    if (!header.includes(s.sensitive)) throw new AnonymiseError("unknown-column", `there is no column "${s.sensitive}" to keep ℓ-diverse (the header has ${header.join(", ")})`, undefined, s.sensitive);
    overrides[s.sensitive] = { ...overrides[s.sensitive], role: "sensitive" };
  }
  return overrides;
}

/** Header, first rows and the automatic classification (with `overrides` applied) of a CSV. */
export async function inspectCsv(
  source: CsvSource,
  o: { sampleRows?: number; overrides?: Record<string, ColumnOverride>; maxBytes?: number; size?: number } = {},
): Promise<{ header: string[]; sample: string[][]; columns: ColumnPlan[] }> {
  const want = o.sampleRows ?? SAMPLE_ROWS;
  const max = o.maxBytes ?? DEFAULT_MAX_BYTES;
  if (o.size !== undefined && o.size > max) throw new AnonymiseError("too-large", `the file is ${mib(o.size)}, larger than the anonymiser's limit of ${mib(max)} (options.maxBytes)`);
  let header: string[] | undefined;
  const sample: string[][] = [];
  const input = limited(source, max);
  try {
    for await (const batch of records(input)) {
      for (const r of batch.records) {
        if (!header) header = checkHeader(r);
        else if (sample.length < want) sample.push(r);
      }
      if (header && sample.length >= want) break;
    }
  } finally {
    await input.return(undefined);
  }
  if (!header) throw new AnonymiseError("empty", "the file is empty");
  if (sample.length === 0) throw new AnonymiseError("empty", "the file has a header but no rows");
  const bad = sample.findIndex((r) => r.length !== header!.length);
  if (bad >= 0) throw new AnonymiseError("bad-csv", `row ${bad + 1} has ${sample[bad].length} fields, the header has ${header.length}`, bad + 1);
  for (const name of Object.keys(o.overrides ?? {}))
    if (!header.includes(name)) throw new AnonymiseError("unknown-column", `there is no column "${name}"`, undefined, name);
  return { header, sample, columns: classifyColumns(header, sample, o.overrides) };
}

/** Anonymises a CSV. `source()` is read twice (one pass to measure, one to write); the released CSV
 * goes to `sink` in pieces, in order. Nothing is written when the input is refused. */
export async function anonymiseCsv(
  source: () => CsvSource,
  sink: (text: string) => void | Promise<void>,
  options: AnonymiseOptions = {},
): Promise<AnonymiseResult> {
  const s = settingsOf(options);
  const cancelled = () => {
    if (options.signal?.aborted) throw new AnonymiseError("cancelled", "cancelled");
  };
  if (options.size !== undefined && options.size > s.maxBytes)
    throw new AnonymiseError("too-large", `the file is ${mib(options.size)}, larger than the anonymiser's limit of ${mib(s.maxBytes)} (options.maxBytes)`);
  if (options.size === 0) throw new AnonymiseError("empty", "the file is empty");
  const progress = (phase: "reading" | "partitioning" | "writing" | "done", rows: number, fraction: number) =>
    options.onProgress?.({ phase, rows, fraction: Math.max(0, Math.min(1, fraction)) });

  // --- pass 1: read, classify, encode ---
  let header: string[] | undefined;
  let plan: ColumnPlan[] = [];
  let qis: QiColumn[] = [];
  let sensitiveIndex = -1;
  const sensitiveCodes = new Map<string, number>();
  let sensitive = new Int32Array(1024);
  let rows = 0;
  const pending: string[][] = []; // the first rows, held until the classification is known
  let bytesRead = 0;
  const size = options.size;

  const startColumns = () => {
    const overrides = checkColumns(header!, s);
    plan = classifyColumns(header!, pending, overrides);
    if (s.sensitive !== null) sensitiveIndex = header!.indexOf(s.sensitive);
    const safeHarbor = s.preset === "safe-harbor";
    qis = plan
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => p.role === "quasi")
      .map(({ p, i }) => newQiColumn(p.name, i, p.kind, { safeHarbor, age: /(^|_)age(_|$)/.test(normaliseHeader(p.name)) }));
    for (const r of pending) take(r);
    pending.length = 0;
  };
  const take = (r: string[]) => {
    if (r.length !== header!.length) throw new AnonymiseError("bad-csv", `row ${rows + 1} has ${r.length} fields, the header has ${header!.length}`, rows + 1);
    for (const c of qis) pushValue(c, r[c.index]);
    if (sensitiveIndex >= 0) {
      const v = r[sensitiveIndex].trim();
      let code = sensitiveCodes.get(v);
      if (code === undefined) sensitiveCodes.set(v, (code = sensitiveCodes.size));
      if (rows === sensitive.length) {
        const grown = new Int32Array(sensitive.length * 2);
        grown.set(sensitive);
        sensitive = grown;
      }
      sensitive[rows] = code;
    }
    rows++;
    if (rows > s.maxRows) throw new AnonymiseError("too-large", `the file has more than ${s.maxRows.toLocaleString("en")} rows, the anonymiser's limit (options.maxRows)`);
  };

  let seen = 0;
  for await (const batch of records(limited(source(), s.maxBytes, (n) => (bytesRead = n)))) {
    cancelled();
    for (const r of batch.records) {
      if (!header) {
        header = checkHeader(r);
        continue;
      }
      seen++;
      if (plan.length === 0) {
        if (r.length !== header.length) throw new AnonymiseError("bad-csv", `row ${seen} has ${r.length} fields, the header has ${header.length}`, seen);
        pending.push(r);
        if (pending.length >= SAMPLE_ROWS) startColumns();
      } else take(r);
    }
    progress("reading", rows + pending.length, size ? (0.45 * bytesRead) / size : 0);
  }
  if (!header) throw new AnonymiseError("empty", "the file is empty");
  if (plan.length === 0) startColumns();
  if (rows === 0) throw new AnonymiseError("empty", "the file has a header but no rows");
  if (rows < s.k) throw new AnonymiseError("too-few-rows", `the file has ${rows} row${rows === 1 ? "" : "s"}: fewer than k = ${s.k}, so no release can hide each person among ${s.k}`);
  if (s.l > 1 && sensitiveCodes.size < s.l)
    throw new AnonymiseError("not-diverse", `"${s.sensitive}" has ${sensitiveCodes.size} distinct value${sensitiveCodes.size === 1 ? "" : "s"} in the whole file: no group can hold ℓ = ${s.l}`, undefined, s.sensitive ?? undefined);
  for (const c of qis) finishColumn(c);
  cancelled();

  // --- partition or recode ---
  progress("partitioning", rows, 0.45);
  let labelFor: (row: number, q: number) => Label;
  let suppressedRow: (row: number) => boolean = () => false;
  let leafOf: ((row: number) => number) | undefined;
  const levelNames: (string | undefined)[] = qis.map(() => undefined);
  if (s.method === "mondrian") {
    const p = mondrian({
      rows, columns: qis, k: s.k, l: s.l, sensitive: s.l > 1 ? sensitive : undefined, sensitiveValues: sensitiveCodes.size,
      onProgress: (done) => progress("partitioning", done, 0.45 + (0.1 * done) / rows),
    });
    const d = qis.length;
    leafOf = (row) => p.classOf[row];
    const labels: (Label | undefined)[] = new Array(p.classes * d);
    labelFor = (row, q) => {
      const cls = p.classOf[row];
      const at = cls * d + q;
      let label = labels[at];
      if (!label) {
        const b = (cls * d + q) * 3;
        label = labels[at] = labelOf(qis[q], p.bounds[b], p.bounds[b + 1], p.bounds[b + 2] === 1);
      }
      return label;
    };
  } else {
    const r = globalRecoding({ rows, columns: qis, k: s.k, l: s.l, sensitive: s.l > 1 ? sensitive : undefined, maxSuppression: s.maxSuppression, onProgress: () => progress("partitioning", rows, 0.5) });
    if (r.suppressedCount === rows)
      throw new AnonymiseError("too-few-rows", `global recoding would suppress every row: no combination of values is shared by k = ${s.k} rows${s.l > 1 ? ` with ℓ = ${s.l} distinct values` : ""} (try Mondrian or a smaller k)`);
    r.levels.forEach((lv, q) => (levelNames[q] = lv.name));
    const caches = qis.map(() => new Map<number, Label>());
    labelFor = (row, q) => {
      const v = qis[q].values[row];
      let label = caches[q].get(v);
      if (!label) caches[q].set(v, (label = r.levels[q].label(v)));
      return label;
    };
    suppressedRow = (row) => r.suppressed[row] === 1;
  }
  cancelled();

  // --- pass 2: write and recount ---
  const key = options.pseudonymKey ?? crypto.getRandomValues(new Uint8Array(32));
  const keyed = hmac.create(sha256, key); // the key's pads hashed once; each pseudonym clones it
  const pseudonym = (v: string) => bytesToHex(keyed.clone().update(utf8.encode(v)).digest().subarray(0, 16)).slice(2);
  const qiAt = new Map(qis.map((c, q) => [c.index, q]));
  const kept = plan.map((p, i) => ({ p, i })).filter(({ p }) => !(p.role === "identifier" && p.action === "drop"));
  const outHeader = kept.map(({ p }) => p.name);
  const hash = sha256.create();
  let outBytes = 0;
  const emit = async (text: string) => {
    const bytes = utf8.encode(text);
    hash.update(bytes);
    outBytes += bytes.length;
    await sink(text);
  };
  const classes = new Map<string, { size: number; values?: Set<string> }>();
  const leafStats: ({ size: number; values?: Set<string> } | undefined)[] = [];
  const lossSum = new Float64Array(qis.length);
  let written = 0;
  let suppressed = 0;
  let row = -1;
  let first = true;
  await emit(stringify([outHeader]));
  for await (const batch of records(limited(source(), s.maxBytes))) {
    cancelled();
    const out: string[][] = [];
    for (const r of batch.records) {
      if (first) {
        first = false; // the header, checked in pass 1
        continue;
      }
      row++;
      if (row >= rows) throw new AnonymiseError("bad-csv", "the file changed while it was being anonymised (more rows on the second read)");
      if (suppressedRow(row)) {
        suppressed++;
        continue;
      }
      const fields: string[] = [];
      for (const { p, i } of kept) {
        const q = qiAt.get(i);
        if (q !== undefined) {
          const label = labelFor(row, q);
          lossSum[q] += label.loss;
          fields.push(label.text);
        } else if (p.role === "identifier") fields.push(r[i].trim() === "" ? "" : pseudonym(r[i].trim()));
        else fields.push(r[i]);
      }
      // The released class is the tuple of released labels (two partitions may share one);
      // a Mondrian partition's tuple is looked up once.
      const leaf = leafOf?.(row);
      let c = leaf === undefined ? undefined : leafStats[leaf];
      if (!c) {
        let classKey = "";
        for (let q = 0; q < qis.length; q++) classKey += `${labelFor(row, q).text}\u0000`;
        c = classes.get(classKey);
        if (!c) classes.set(classKey, (c = { size: 0, ...(sensitiveIndex >= 0 ? { values: new Set<string>() } : {}) }));
        if (leaf !== undefined) leafStats[leaf] = c;
      }
      c.size++;
      c.values?.add(r[sensitiveIndex].trim());
      out.push(fields);
      written++;
    }
    if (out.length) await emit(stringify(out));
    progress("writing", written, 0.55 + (0.45 * (row + 1)) / rows);
  }
  if (row + 1 !== rows) throw new AnonymiseError("bad-csv", "the file changed while it was being anonymised (fewer rows on the second read)");

  // --- report, from what was written ---
  let minClass = Infinity;
  let minDistinct = Infinity;
  for (const c of classes.values()) {
    if (c.size < minClass) minClass = c.size;
    if (c.values && c.values.size < minDistinct) minDistinct = c.values.size;
  }
  if (written > 0 && minClass < s.k) throw new Error(`anonymiser invariant broken: a released class has ${minClass} < k rows`); // never expected
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  const columns: ReportColumn[] = plan.map((p, i) => {
    const q = qiAt.get(i);
    if (p.role === "identifier") return { name: p.name, role: p.role, kind: p.kind, action: p.action ?? "drop", loss: 1 };
    if (q !== undefined)
      return {
        name: p.name, role: p.role, kind: p.kind, action: "generalise" as const,
        loss: round((lossSum[q] + suppressed) / rows), granularity: granularityOf(qis[q], s.method, levelNames[q]),
      };
    return { name: p.name, role: p.role, kind: p.kind, action: "keep" as const, loss: round(suppressed / rows) };
  });
  const report: AnonymisationReport = {
    schema: REPORT_SCHEMA,
    settings: { k: s.k, l: s.l, sensitive: s.sensitive, preset: s.preset, method: s.method, maxSuppression: s.maxSuppression },
    columns,
    rows: { input: rows, output: written, suppressed },
    k: written > 0 ? minClass : 0,
    l: sensitiveIndex >= 0 && written > 0 ? minDistinct : 1,
    classes: classes.size,
    risk: { max: written > 0 ? round(1 / minClass) : 0, average: written > 0 ? round(classes.size / written) : 0 },
    output: { sha256: bytesToHex(hash.digest()), bytes: outBytes },
  };
  progress("done", written, 1);
  return { report, header: outHeader, columns: plan };
}
