// The anonymiser end to end on synthetic health data: every released class ≥ k (recounted from the
// output, not taken from the report), identifiers gone, ℓ-diversity, Safe Harbor, global recoding,
// the report equal to the recount, and every pathological input answered with a result or a
// clear error that writes nothing.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  AnonymiseError, anonymiseCsv, classifyColumns, describeReport, encodeReport, inspectCsv, parseReport, reportHash, type AnonymiseOptions,
} from "../../src/anonymise/index.ts";
import { healthCsv, recount, sourceOf } from "./fixtures.ts";

const QUASI = ["birth_date", "age", "sex", "postcode", "admission_date"];

async function run(csv: string | Uint8Array, o: AnonymiseOptions = {}) {
  const parts: string[] = [];
  const result = await anonymiseCsv(sourceOf(csv), (t) => void parts.push(t), o);
  return { ...result, csv: parts.join("") };
}

async function refused(csv: string | Uint8Array, o: AnonymiseOptions = {}): Promise<AnonymiseError> {
  const parts: string[] = [];
  const err = await anonymiseCsv(sourceOf(csv), (t) => void parts.push(t), o).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AnonymiseError);
  expect(parts).toEqual([]); // nothing written
  return err as AnonymiseError;
}

describe("classification", () => {
  it("finds identifiers, quasi-identifiers and sensitive columns by header and by content", () => {
    const csv = healthCsv(200);
    const [header, ...rows] = csv.trim().split("\n").map((l) => l.split(","));
    const plan = Object.fromEntries(classifyColumns(header, rows).map((c) => [c.name, c]));
    for (const c of ["name", "email", "phone", "nhs_number"]) expect(plan[c]).toMatchObject({ role: "identifier", action: "drop" });
    expect(plan.mrn).toMatchObject({ role: "identifier", action: "pseudonymise" });
    expect(plan.birth_date).toMatchObject({ role: "quasi", kind: "date" });
    expect(plan.admission_date).toMatchObject({ role: "quasi", kind: "date" });
    expect(plan.age).toMatchObject({ role: "quasi", kind: "number" });
    expect(plan.sex).toMatchObject({ role: "quasi", kind: "category" });
    expect(plan.postcode).toMatchObject({ role: "quasi", kind: "postcode" });
    expect(plan.diagnosis).toMatchObject({ role: "sensitive" });
    expect(plan.heart_rate).toMatchObject({ role: "other" });
  });

  it("recognises identifiers under neutral headers from their values, and lets the seller override", () => {
    const header = ["contact", "who", "where", "col4", "reading"];
    const rows = Array.from({ length: 50 }, (_, i) => [`x${i}@mail.example`, `${["Maria", "Jan", "Sofia", "Lukas", "Emma"][i % 5]} ${["Berg", "Kowalski", "Costa", "Lind", "Weber", "Moreau", "Horvat"][i % 7]}`, `${i + 1} Baker Street`, "1962-04-0" + ((i % 9) + 1), String(i)]);
    const plan = classifyColumns(header, rows);
    expect(plan.map((c) => c.role)).toEqual(["identifier", "identifier", "identifier", "quasi", "other"]);
    expect(plan[3].kind).toBe("date");
    const over = classifyColumns(header, rows, { who: { role: "other" }, reading: { role: "quasi", kind: "number" } });
    expect(over[1]).toMatchObject({ role: "other", reason: "the seller's choice" });
    expect(over[1].action).toBeUndefined();
    expect(over[4]).toMatchObject({ role: "quasi", kind: "number" });
  });

  it("inspectCsv reads only the first rows", async () => {
    const csv = healthCsv(5000);
    const { header, sample, columns } = await inspectCsv(sourceOf(csv)(), { sampleRows: 100 });
    expect(header).toHaveLength(12);
    expect(sample).toHaveLength(100);
    expect(columns.find((c) => c.name === "email")?.role).toBe("identifier");
  });
});

describe("k-anonymity by Mondrian partitioning", () => {
  const csv = healthCsv(6000);
  const before = recount(csv, ["birth_date", "postcode", "sex"]);

  it.each([2, 5, 10, 25])("k = %i: every released class has ≥ k rows and the report equals the recount", async (k) => {
    expect([...before.classes.values()].filter((c) => c.size === 1).length / before.rows.length).toBeGreaterThan(0.95); // nearly everyone unique before
    const { csv: out, report } = await run(csv, { k, pseudonymKey: new Uint8Array(32).fill(1) });
    const after = recount(out, QUASI, "diagnosis");
    expect(after.k).toBeGreaterThanOrEqual(k);
    expect(report.k).toBe(after.k);
    expect(report.l).toBe(1); // no sensitive column chosen
    expect(report.classes).toBe(after.classes.size);
    expect(report.rows).toEqual({ input: 6000, output: after.rows.length, suppressed: 0 });
    expect(report.risk.max).toBeCloseTo(1 / after.k, 6);
    expect(report.risk.average).toBeCloseTo(after.classes.size / after.rows.length, 6);
    expect(report.output.sha256).toBe(`0x${createHash("sha256").update(out).digest("hex")}`);
    expect(report.output.bytes).toBe(Buffer.byteLength(out));
    // Identifiers: dropped columns gone, names and e-mails nowhere in the file.
    expect(after.header).toEqual(["mrn", "birth_date", "age", "sex", "postcode", "admission_date", "diagnosis", "heart_rate"]);
    expect(out).not.toMatch(/@example\.org|Meier|Smith|\+44 7700|MRN\d/);
    // Sensitive and other values are released as they were, row for row.
    const input = recount(csv, []);
    expect(after.rows.map((r) => r[6]).sort()).toEqual(input.rows.map((r) => r[10]).sort());
  });

  it("pseudonyms are stable within a key and differ across keys", async () => {
    const small = healthCsv(300);
    const a = await run(small, { k: 5, pseudonymKey: new Uint8Array(32).fill(1) });
    const b = await run(small, { k: 5, pseudonymKey: new Uint8Array(32).fill(2) });
    const mrnsIn = recount(small, []).rows.map((r) => r[4]);
    const pa = recount(a.csv, []).rows.map((r) => r[0]);
    const pb = recount(b.csv, []).rows.map((r) => r[0]);
    expect(pa.every((p) => /^[0-9a-f]{32}$/.test(p))).toBe(true);
    // same MRN ↔ same pseudonym (rows are released in input order)
    const pairs = new Map<string, string>();
    mrnsIn.forEach((m, i) => {
      if (pairs.has(m)) expect(pairs.get(m)).toBe(pa[i]);
      pairs.set(m, pa[i]);
    });
    expect(new Set(pa).size).toBe(new Set(mrnsIn).size);
    expect(pa).not.toEqual(pb);
  });

  it("ℓ-diversity: every class holds ≥ ℓ distinct diagnoses", async () => {
    const { csv: out, report } = await run(csv, { k: 5, l: 4, sensitive: "diagnosis" });
    const after = recount(out, QUASI, "diagnosis");
    expect(after.k).toBeGreaterThanOrEqual(5);
    expect(after.l).toBeGreaterThanOrEqual(4);
    expect(report.l).toBe(after.l);
    expect(report.settings).toMatchObject({ k: 5, l: 4, sensitive: "diagnosis" });
  });

  it("information loss grows with k", async () => {
    const loss = async (k: number) => (await run(csv, { k })).report.columns.filter((c) => c.role === "quasi").reduce((s, c) => s + c.loss, 0);
    const [l2, l10, l50] = [await loss(2), await loss(10), await loss(50)];
    expect(l2).toBeLessThan(l10);
    expect(l10).toBeLessThan(l50);
  });
});

describe("Safe Harbor preset and global recoding", () => {
  const csv = healthCsv(3000);

  it("safe-harbor: dates to years, ages ≥ 90 as 90+, postcodes to 3 characters, before k", async () => {
    const { csv: out, report } = await run(csv, { k: 1, preset: "safe-harbor" });
    const after = recount(out, QUASI);
    const col = (n: string) => after.rows.map((r) => r[after.header.indexOf(n)]);
    expect(col("birth_date").every((v) => /^\d{4}$/.test(v))).toBe(true);
    expect(col("admission_date").every((v) => v === "2024")).toBe(true);
    expect(col("age")).toContain("90+");
    expect(col("age").every((v) => v === "90+" || Number(v) < 90)).toBe(true);
    expect(col("postcode").every((v) => v.length === 3)).toBe(true);
    expect(report.settings.preset).toBe("safe-harbor");
    expect(describeReport(report).join(" ")).toMatch(/Safe Harbor/);
  });

  it("global recoding: one level per column, suppression within the limit, classes ≥ k", async () => {
    const { csv: out, report } = await run(csv, { k: 10, method: "global", maxSuppression: 0.02 });
    const after = recount(out, QUASI);
    expect(after.k).toBeGreaterThanOrEqual(10);
    expect(report.rows.suppressed).toBe(3000 - after.rows.length);
    expect(report.rows.suppressed).toBeLessThanOrEqual(0.02 * 3000);
    const sexes = new Set(after.rows.map((r) => r[after.header.indexOf("sex")]));
    expect(sexes.size).toBeGreaterThan(0);
    for (const c of report.columns.filter((c) => c.role === "quasi")) expect(c.granularity).toBeTruthy();
  });
});

describe("pathological inputs", () => {
  it("one row: too few for k = 10, released as is for k = 1", async () => {
    const one = healthCsv(1);
    expect((await refused(one, { k: 10 })).code).toBe("too-few-rows");
    const { report } = await run(one, { k: 1 });
    expect(report).toMatchObject({ k: 1, rows: { input: 1, output: 1 } });
  });

  it("all rows unique and all rows equal", async () => {
    const unique = ["id_code,birth_date,postcode,value", ...Array.from({ length: 100 }, (_, i) => `${i},19${String(i % 100).padStart(2, "0")}-01-01,${10000 + i * 7},${i}`)].join("\n");
    const u = await run(unique, { k: 10, columns: { id_code: { role: "other" } } });
    expect(recount(u.csv, ["birth_date", "postcode"]).k).toBeGreaterThanOrEqual(10);
    const equal = ["birth_date,postcode,value", ...Array.from({ length: 50 }, (_, i) => `1970-05-05,10115,${i}`)].join("\n");
    const e = await run(equal, { k: 10 });
    expect(e.report).toMatchObject({ k: 50, classes: 1 });
    expect(e.report.columns.filter((c) => c.role === "quasi").every((c) => c.loss === 0)).toBe(true);
    expect(e.csv.split("\n")[1]).toBe("1970-05-05,10115,0");
  });

  it("missing values never abort a run", async () => {
    const { csv: out } = await run(healthCsv(2000, 3, { blanks: true }), { k: 10 });
    expect(recount(out, QUASI).k).toBeGreaterThanOrEqual(10);
    expect(out).toMatch(/\(blank\)|,,/);
  });

  it("clear errors: empty, header only, not UTF-8, bad CSV, duplicate or unknown columns, bad options", async () => {
    expect((await refused("")).code).toBe("empty");
    expect((await refused("a,b,c\n")).code).toBe("empty");
    const latin1 = new Uint8Array([...new TextEncoder().encode("name,city\nJos"), 0xe9, ...new TextEncoder().encode(",Paris\n")]);
    const e = await refused(latin1, { k: 1 });
    expect(e.code).toBe("not-utf8");
    expect(e.message).toMatch(/UTF-8/);
    const bad = await refused("a,b\n1,2\n3\n4,5\n", { k: 1 });
    expect(bad).toMatchObject({ code: "bad-csv", row: 2 });
    expect((await refused('a,b\n"1,2\n', { k: 1 })).code).toBe("bad-csv");
    expect((await refused("a,a\n1,2\n", { k: 1 })).code).toBe("duplicate-column");
    expect((await refused(healthCsv(20), { sensitive: "nope" })).code).toBe("unknown-column");
    expect((await refused(healthCsv(20), { columns: { nope: { role: "quasi" } } })).code).toBe("unknown-column");
    expect((await refused(healthCsv(20), { k: 0 })).code).toBe("bad-option");
    expect((await refused(healthCsv(20), { k: 2.5 })).code).toBe("bad-option");
    expect((await refused(healthCsv(20), { l: 2 })).code).toBe("bad-option"); // ℓ without a sensitive column
    expect((await refused(healthCsv(20), { pseudonymKey: new Uint8Array(5) })).code).toBe("bad-option");
    expect((await refused(healthCsv(200), { k: 5, l: 9, sensitive: "diagnosis" })).code).toBe("not-diverse");
  });

  it("a 1 GB file is refused at once (its size) or when the stream passes the limit", async () => {
    const err = await refused(healthCsv(10), { size: 1_000_000_000 });
    expect(err.code).toBe("too-large");
    expect(err.message).toMatch(/954 MiB.*512 MiB/);
    expect((await refused(healthCsv(2000), { maxBytes: 50_000 })).code).toBe("too-large");
    await expect(inspectCsv(sourceOf(healthCsv(10))(), { size: 1_000_000_000 })).rejects.toMatchObject({ code: "too-large" });
    expect((await refused(healthCsv(2000), { maxRows: 1000 })).code).toBe("too-large");
  });

  it("a cancelled run stops with a typed error", async () => {
    const ac = new AbortController();
    ac.abort();
    expect((await refused(healthCsv(100), { signal: ac.signal })).code).toBe("cancelled");
  });
});

describe("report", () => {
  it("round-trips, is bound by its hash, and reads in plain words", async () => {
    const { report } = await run(healthCsv(1500), { k: 10, l: 2, sensitive: "diagnosis" });
    const bytes = encodeReport(report);
    expect(parseReport(bytes, reportHash(bytes))).toEqual(report);
    expect(() => parseReport(bytes, `0x${"00".repeat(32)}`)).toThrow(/does not match/);
    const tampered = new TextEncoder().encode(new TextDecoder().decode(bytes).replace(`"k":${report.k}`, `"k":${report.k + 100}`));
    expect(() => parseReport(tampered, reportHash(bytes))).toThrow(AnonymiseError);
    expect(() => parseReport(new TextEncoder().encode("{}"))).toThrow(/schema/);
    const words = describeReport(report).join("\n");
    expect(words).toMatch(new RegExp(`at least ${report.k - 1} other records`));
    expect(words).toMatch(/birth_date/);
    expect(words).toMatch(/Direct identifiers removed: name, email, phone and nhs_number/);
    expect(words).toMatch(/pseudonyms.*mrn/);
  });
});

describe("bounded memory", () => {
  it("300,000 rows anonymise with the V8 heap capped at 160 MiB (the rows' text is not held)", () => {
    const dir = mkdtempSync(join(tmpdir(), "anon-mem-"));
    const file = join(dir, "big.csv");
    writeFileSync(file, healthCsv(300_000, 11));
    const script = join(dir, "run.mts");
    writeFileSync(
      script,
      `import { anonymiseCsv } from ${JSON.stringify(join(import.meta.dirname, "../../src/anonymise/index.ts"))};
       import { createReadStream } from "node:fs";
       let bytes = 0;
       const { report } = await anonymiseCsv(() => createReadStream(${JSON.stringify(file)}, { highWaterMark: 256 * 1024 }), (t) => { bytes += t.length; }, { k: 10 });
       console.log(JSON.stringify({ k: report.k, rows: report.rows.output, bytes }));`,
    );
    const r = spawnSync(process.execPath, ["--max-old-space-size=160", "--import", "tsx", script], { encoding: "utf8", cwd: join(import.meta.dirname, "../.."), timeout: 240_000 });
    expect(r.stderr).not.toMatch(/heap out of memory/);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(out.k).toBeGreaterThanOrEqual(10);
    expect(out.rows).toBe(300_000);
  }, 300_000);
});
