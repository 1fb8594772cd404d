// A synthetic health table with direct identifiers and quasi-identifiers (deterministic), and an
// independent recount of a released CSV's equivalence classes: what every anonymiser test checks
// the report against. The recount parses the output with csv-parse, not with the anonymiser's reader.
import { parse } from "csv-parse/sync";
import { rng } from "../../../test/helpers/rng.ts";

export { rng };

const FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hugo", "Ines", "Jonas"];
const LAST = ["Meier", "Smith", "Rossi", "Dupont", "Jensen", "Novak", "Silva", "Virtanen"];
export const DIAGNOSES = ["I10", "E11", "J45", "C50", "F32", "K21", "M54", "N18"];
export const HEALTH_HEADER = "name,email,phone,nhs_number,mrn,birth_date,age,sex,postcode,admission_date,diagnosis,heart_rate";

/** `rows` admissions; birth date + postcode + sex is unique for almost everyone (as in real data). */
export function healthCsv(rows: number, seed = 7, o: { blanks?: boolean } = {}): string {
  const r = rng(seed);
  const lines = [HEALTH_HEADER];
  for (let i = 0; i < rows; i++) {
    const y = r.int(1925, 2005);
    const birth = `${y}-${String(r.int(1, 12)).padStart(2, "0")}-${String(r.int(1, 28)).padStart(2, "0")}`;
    const blank = o.blanks && i % 17 === 3;
    lines.push([
      `${r.pick(FIRST)} ${r.pick(LAST)}`,
      `patient${i}@example.org`,
      `+44 7700 ${r.int(100000, 999999)}`,
      `${["AB", "CE", "JG", "KL"][i % 4]}${String(r.int(100000, 999999))}${"ABCD"[i % 4]}`,
      `MRN${100000 + r.int(0, rows * 2)}`,
      blank ? "" : birth,
      blank ? "" : String(2024 - y),
      r.next() < 0.5 ? "F" : "M",
      `${r.int(10, 99)}${r.int(100, 999)}`,
      `2024-${String(r.int(1, 12)).padStart(2, "0")}-${String(r.int(1, 28)).padStart(2, "0")}`,
      r.pick(DIAGNOSES),
      String(r.int(45, 150)),
    ].join(","));
  }
  return `${lines.join("\n")}\n`;
}

export interface Recount {
  header: string[];
  rows: string[][];
  classes: Map<string, { size: number; sensitive: Set<string> }>;
  k: number;
  l: number;
}

/** Groups the released rows by the given quasi-identifier columns. */
export function recount(csv: string, quasi: string[], sensitive?: string): Recount {
  const [header, ...rows] = parse(csv, { relax_column_count: false }) as string[][];
  const at = quasi.map((q) => header.indexOf(q));
  const s = sensitive ? header.indexOf(sensitive) : -1;
  const classes = new Map<string, { size: number; sensitive: Set<string> }>();
  for (const r of rows) {
    const key = JSON.stringify(at.map((i) => r[i]));
    let c = classes.get(key);
    if (!c) classes.set(key, (c = { size: 0, sensitive: new Set() }));
    c.size++;
    if (s >= 0) c.sensitive.add(r[s]);
  }
  const sizes = [...classes.values()];
  return {
    header, rows, classes,
    k: Math.min(...sizes.map((c) => c.size)),
    l: s >= 0 ? Math.min(...sizes.map((c) => c.sensitive.size)) : 1,
  };
}

/** A source the anonymiser can read twice, in pieces of `piece` bytes. */
export function sourceOf(data: string | Uint8Array, piece = 64 * 1024) {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return () =>
    (function* () {
      for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece);
    })();
}
