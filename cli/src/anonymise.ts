// What `kraken anonymise` and `kraken publish --modality anonymised` share: the anonymiser's
// flags (parsed and checked), one run of the anonymiser from a file into a file (written to a
// temporary file beside it and renamed at the end, so a refused input leaves nothing), its
// progress on stderr, the classification table, and its errors mapped to exit codes.
import { randomBytes } from "node:crypto";
import { createWriteStream, renameSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import { basename, dirname, join } from "node:path";
import { DatasetError } from "@kraken/sdk/analytics";
import {
  AnonymiseError, anonymiseCsv, inspectCsv,
  type AnonymisationReport, type AnonymiseOptions, type AnonymiseProgress, type ColumnKind, type ColumnOverride, type ColumnPlan, type ColumnRole,
  type IdentifierAction, type Method, type Preset,
} from "@kraken/sdk/anonymise";
import { fileChunks } from "@kraken/sdk/delivery/node";
import { CliError, EXIT } from "./errors.ts";
import { table } from "./format.ts";
import type { Output } from "./main.ts";

const ROLES: ColumnRole[] = ["identifier", "quasi", "sensitive", "other"];
const KINDS: ColumnKind[] = ["number", "date", "postcode", "category"];
const ACTIONS: IdentifierAction[] = ["drop", "pseudonymise"];
const PRESETS: Preset[] = ["none", "safe-harbor"];
const METHODS: Method[] = ["mondrian", "global"];

/** The anonymiser's flags (node:util parseArgs format); `--k` is shared with analytics products in `publish`. */
export const ANONYMISE_OPTIONS = {
  k: { type: "string", default: "10" },
  l: { type: "string" },
  sensitive: { type: "string" },
  preset: { type: "string" },
  method: { type: "string" },
  "max-suppression": { type: "string" },
  column: { type: "string", multiple: true },
} as const;

export interface AnonymiseFlags {
  k?: string;
  l?: string;
  sensitive?: string;
  preset?: string;
  method?: string;
  "max-suppression"?: string;
  column?: string[];
}

/** The flags' usage lines, for both commands. */
export const ANONYMISE_USAGE = `  --k N               every released combination of quasi-identifier values is shared by ≥ N rows (default 10)
  --l N --sensitive C ℓ-diversity: each such group holds ≥ N different values of column C (default 1 = off)
  --preset P          safe-harbor (dates to year, ages ≥ 90 as "90+", postcodes to 3 characters, first) or none (default)
  --method M          mondrian (multidimensional partitioning, default) or global (full-domain recoding + suppression)
  --max-suppression S global: the largest share of rows it may remove, 0–1 or a percentage (default 0.05)
  --column NAME=ROLE[:KIND][:ACTION]   override the automatic classification of a column (repeatable):
                      ROLE ${ROLES.join("|")}, KIND ${KINDS.join("|")}, ACTION (identifiers) ${ACTIONS.join("|")}
                      e.g. --column email=identifier:pseudonymise --column ward=quasi:category --column notes=other`;

/** Whether any anonymiser-only flag was given (`--k` is not one: analytics products use it too). */
export function anonymiserFlagsGiven(v: AnonymiseFlags): string[] {
  return (["l", "sensitive", "preset", "method", "max-suppression", "column"] as const).filter((f) => v[f] !== undefined).map((f) => `--${f}`);
}

const wholeNumber = (value: string, flag: string, min: number): number => {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new CliError(EXIT.usage, `${flag} must be a whole number ≥ ${min} (got "${value}")`);
  return n;
};

/** `NAME=ROLE[:KIND][:ACTION]` → [name, override]. The parts after `=` may come in any order
 * (their words never overlap); empty parts are skipped (`id=identifier::drop`). */
export function parseColumnFlag(value: string): [string, ColumnOverride] {
  const eq = value.lastIndexOf("=");
  const name = eq > 0 ? value.slice(0, eq).trim() : "";
  const usage = `--column takes NAME=ROLE[:KIND][:ACTION] (ROLE ${ROLES.join("|")}, KIND ${KINDS.join("|")}, ACTION ${ACTIONS.join("|")}), e.g. --column email=identifier:pseudonymise; got "${value}"`;
  if (!name) throw new CliError(EXIT.usage, usage);
  const o: ColumnOverride = {};
  for (const raw of value.slice(eq + 1).split(":")) {
    const part = raw.trim().toLowerCase();
    if (!part) continue;
    const slot = ROLES.includes(part as ColumnRole) ? "role" : KINDS.includes(part as ColumnKind) ? "kind" : ACTIONS.includes(part as IdentifierAction) ? "action" : undefined;
    if (!slot) throw new CliError(EXIT.usage, `--column ${name}: "${raw.trim()}" is not a role (${ROLES.join(", ")}), a kind (${KINDS.join(", ")}) or an action (${ACTIONS.join(", ")})`);
    if (o[slot] !== undefined) throw new CliError(EXIT.usage, `--column ${name}: two ${slot}s ("${o[slot]}" and "${part}")`);
    (o as Record<string, string>)[slot] = part;
  }
  if (!o.role) throw new CliError(EXIT.usage, usage);
  if (o.action && o.role !== "identifier") throw new CliError(EXIT.usage, `--column ${name}: ${o.action} applies to identifiers only (ROLE identifier)`);
  return [name, o];
}

/** The flags as the anonymiser's options (checked; the column names are checked against the header later). */
export function anonymiseOptions(v: AnonymiseFlags): AnonymiseOptions {
  const k = wholeNumber(v.k ?? "10", "--k", 1);
  const l = v.l === undefined ? 1 : wholeNumber(v.l, "--l", 1);
  if (l > 1 && !v.sensitive) throw new CliError(EXIT.usage, "--l needs --sensitive COLUMN (the column whose values must be diverse in each group)");
  if (l > k) throw new CliError(EXIT.usage, `--l (${l}) cannot exceed --k (${k}): a group of k rows holds at most k different values`);
  const choose = <T extends string>(value: string | undefined, all: T[], flag: string): T | undefined => {
    if (value === undefined) return undefined;
    const x = value.trim().toLowerCase().replace(/[_ ]/g, "-") as T;
    if (!all.includes(x)) throw new CliError(EXIT.usage, `unknown ${flag} "${value}" (one of ${all.join(", ")})`);
    return x;
  };
  let maxSuppression: number | undefined;
  if (v["max-suppression"] !== undefined) {
    const s = v["max-suppression"].trim();
    const n = s.endsWith("%") ? Number(s.slice(0, -1)) / 100 : Number(s);
    if (!s || !Number.isFinite(n) || n < 0 || n > 1) throw new CliError(EXIT.usage, `--max-suppression takes a share of rows from 0 to 1, or a percentage (e.g. 0.05 or 5%); got "${s}"`);
    maxSuppression = n;
  }
  const columns: Record<string, ColumnOverride> = {};
  for (const c of v.column ?? []) {
    const [name, o] = parseColumnFlag(c);
    if (columns[name]) throw new CliError(EXIT.usage, `--column ${name} is given twice`);
    columns[name] = o;
  }
  return {
    k, l,
    ...(v.sensitive !== undefined && { sensitive: v.sensitive.trim() }),
    ...(v.preset !== undefined && { preset: choose(v.preset, PRESETS, "--preset") }),
    ...(v.method !== undefined && { method: choose(v.method, METHODS, "--method") }),
    ...(maxSuppression !== undefined && { maxSuppression }),
    ...(Object.keys(columns).length && { columns }),
  };
}

// Problems with the options (lower k, fix a name) are usage errors; problems with the file are
// configuration errors ("an input that cannot be used"), without the usage text after them.
const EXIT_OF: Record<string, number> = {
  "bad-option": EXIT.usage,
  "unknown-column": EXIT.usage,
  "too-few-rows": EXIT.usage,
  "not-diverse": EXIT.usage,
  "bad-csv": EXIT.config,
  "not-utf8": EXIT.config,
  empty: EXIT.config,
  "duplicate-column": EXIT.config,
  "too-large": EXIT.config,
  "bad-report": EXIT.integrity,
  cancelled: EXIT.unexpected,
};
const HINT: Record<string, string> = {
  "too-few-rows": " (lower --k, or anonymise a larger file)",
  "not-diverse": " (lower --l, or choose another --sensitive column)",
  "not-utf8": " (save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 IN > OUT`)",
  empty: " (it needs a header line and at least one row)",
};

/** An anonymiser failure (AnonymiseError, or a CSV DatasetError) as a CliError; others pass through. */
export function anonymiseCliError(err: unknown, file: string, tail = "; nothing was written"): unknown {
  if (err instanceof AnonymiseError) {
    return new CliError(EXIT_OF[err.code] ?? EXIT.unexpected, `${file}: ${err.message}${HINT[err.code] ?? ""}${tail}`, err.code);
  }
  if (err instanceof DatasetError) {
    return new CliError(EXIT.config, `${file}: ${err.message}${tail}`, err.code);
  }
  return err;
}

/** The classification, with what was done to each column when the report is known. */
export interface ColumnRow {
  name: string;
  role: ColumnRole;
  kind: ColumnKind;
  action: string;
  granularity?: string;
  loss?: number;
  reason: string;
}

export function columnRows(plan: ColumnPlan[], report?: AnonymisationReport): ColumnRow[] {
  return plan.map((p) => {
    const r = report?.columns.find((c) => c.name === p.name);
    return {
      name: p.name,
      role: r?.role ?? p.role,
      kind: r?.kind ?? p.kind,
      action: r?.action ?? p.action ?? (p.role === "quasi" ? "generalise" : "keep"),
      ...(r?.granularity && { granularity: r.granularity }),
      ...(r && { loss: r.loss }),
      reason: p.reason,
    };
  });
}

export function columnTable(rows: ColumnRow[]): string {
  const pct = (x: number | undefined) => (x === undefined ? "" : `${(100 * x).toFixed(x > 0 && x < 0.001 ? 2 : 1)} %`);
  return table(
    ["column", "role", "kind", "action", "loss", "reason"],
    rows.map((c) => [c.name, c.role, c.kind, c.granularity ? `${c.action} (${c.granularity})` : c.action, pct(c.loss), c.reason]),
  );
}

/** Progress lines (stderr): each phase's rows, at most one line a second, and each phase's last count. */
export function progressPrinter(out: Output, label: string): (p: AnonymiseProgress) => void {
  let phase: string | undefined;
  let last = 0;
  let pending: AnonymiseProgress | undefined;
  const line = (p: AnonymiseProgress) => {
    const rows = `${p.rows.toLocaleString("en")} rows`;
    const pct = p.fraction > 0 ? ` (${Math.round(100 * p.fraction)} %)` : "";
    out.progress(`  ${label}: ${{ reading: `${rows} read`, partitioning: `partitioning ${rows}${pct}`, writing: `${rows} written${pct}`, done: `done, ${rows} written` }[p.phase]}`);
    last = performance.now();
    pending = undefined;
  };
  return (p) => {
    if (p.phase !== phase) {
      if (pending) line(pending);
      phase = p.phase;
      line(p);
    } else if (performance.now() - last >= 1000) line(p);
    else pending = p;
  };
}

export interface AnonymiseRun {
  report: AnonymisationReport;
  header: string[];
  plan: ColumnPlan[];
  columns: ColumnRow[];
}

/**
 * Anonymises `input` into `output`: the classification first (header, sample), the flags' column
 * names checked against the header, then the anonymiser reads the file twice and writes a
 * temporary file next to `output`, renamed to it only when the run succeeds.
 */
export async function anonymiseFile(input: string, output: string, options: AnonymiseOptions, out: Output): Promise<AnonymiseRun> {
  let inspected: Awaited<ReturnType<typeof inspectCsv>>;
  try {
    inspected = await inspectCsv(fileChunks(input), { overrides: options.columns, size: statSync(input).size });
  } catch (err) {
    throw anonymiseCliError(err, input);
  }
  const { header } = inspected;
  const named = [...(options.sensitive ? [["--sensitive", options.sensitive]] : []), ...Object.keys(options.columns ?? {}).map((c) => ["--column", c])];
  for (const [flag, name] of named) {
    if (!header.includes(name)) throw new CliError(EXIT.usage, `${flag} ${name}: ${input} has no column "${name}" (its columns: ${header.join(", ")}); nothing was written`, "unknown-column");
  }

  const temp = join(dirname(output), `.${basename(output)}.${randomBytes(4).toString("hex")}.part`);
  const w = createWriteStream(temp, { flags: "wx" });
  let writeError: Error | undefined;
  w.on("error", (e) => (writeError ??= e));
  try {
    await once(w, "open");
  } catch (err) {
    throw new CliError(EXIT.config, `cannot write ${output}: ${(err as Error).message}`);
  }
  const sink = async (text: string) => {
    if (writeError) throw writeError;
    if (!w.write(text)) await Promise.race([once(w, "drain"), once(w, "close")]);
    if (writeError) throw writeError;
  };
  try {
    const result = await anonymiseCsv(() => fileChunks(input), sink, { ...options, size: statSync(input).size, onProgress: progressPrinter(out, basename(input)) });
    w.end();
    await finished(w);
    renameSync(temp, output);
    return { report: result.report, header: result.header, plan: inspected.columns, columns: columnRows(inspected.columns, result.report) };
  } catch (err) {
    w.destroy();
    rmSync(temp, { force: true });
    if (writeError && err === writeError) throw new CliError(EXIT.config, `cannot write ${output}: ${writeError.message}`);
    throw anonymiseCliError(err, input);
  }
}
