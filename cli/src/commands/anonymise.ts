// kraken anonymise IN.csv --out OUT.csv: anonymises a CSV on this machine (nothing leaves it):
// direct identifiers dropped or pseudonymised, quasi-identifiers generalised until every
// combination is shared by ≥ k rows (ℓ-diverse on a sensitive column when asked), then the
// classification, the report in words and, with --report, the report document (JSON) that
// `kraken publish --modality anonymised --report` binds to the product (docs/anonymisation.md).
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { describeReport, encodeReport, reportHash } from "@kraken/sdk/anonymise";
import { COMMON_OPTIONS } from "../context.ts";
import { ANONYMISE_OPTIONS, ANONYMISE_USAGE, anonymiseFile, anonymiseOptions, columnTable } from "../anonymise.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Command } from "../main.ts";

export const anonymise: Command = {
  name: "anonymise",
  summary: "anonymise a CSV here (k-anonymity, ℓ-diversity, identifiers removed) and report how",
  usage: `kraken anonymise IN.csv --out OUT.csv [--k 10] [--l 2 --sensitive COLUMN] [--preset safe-harbor|none] [--method mondrian|global]
    [--max-suppression 0.05] [--column NAME=ROLE[:KIND][:ACTION] …] [--report report.json] [--force] [--json]

  Runs on this machine only; reads IN twice and writes OUT only when the run succeeds.
  Without --column each column is classified from its header and values (the table printed says why).
${ANONYMISE_USAGE}
  --report FILE       write the anonymisation report (JSON) there: publish it with
                      \`kraken publish --type batch --modality anonymised --file OUT.csv --report FILE …\`
  --force             overwrite OUT (and the report file) if they exist`,
  async run(argv, out) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...COMMON_OPTIONS, ...ANONYMISE_OPTIONS, out: { type: "string" }, report: { type: "string" }, force: { type: "boolean", default: false } },
    });
    if (positionals.length !== 1) throw new CliError(EXIT.usage, "give one input file (a CSV with a header line)");
    const input = positionals[0];
    if (!values.out) throw new CliError(EXIT.usage, "--out FILE is required (where the anonymised CSV is written)");
    const options = anonymiseOptions(values);
    if (!existsSync(input) || !statSync(input).isFile()) throw new CliError(EXIT.config, `no such file: ${input}`);
    for (const [flag, f] of [["--out", values.out], ["--report", values.report]] as const) {
      if (!f) continue;
      if (resolve(f) === resolve(input)) throw new CliError(EXIT.usage, `${flag} must not be the input file`);
      if (existsSync(f) && !values.force) throw new CliError(EXIT.usage, `${f} exists; pass --force to overwrite it`);
    }
    if (values.report && resolve(values.report) === resolve(values.out)) throw new CliError(EXIT.usage, "--report and --out must be different files");

    out.progress(`anonymising ${input} (k = ${options.k}${options.l! > 1 ? `, ℓ = ${options.l} on ${options.sensitive}` : ""}${options.preset ? `, preset ${options.preset}` : ""}${options.method ? `, ${options.method}` : ""})`);
    const t0 = performance.now();
    const run = await anonymiseFile(input, values.out, options, out);
    const seconds = (performance.now() - t0) / 1000;
    const bytes = encodeReport(run.report);
    const hash = reportHash(bytes);
    if (values.report) {
      const part = `${values.report}.part`;
      try {
        writeFileSync(part, bytes);
        renameSync(part, values.report);
      } catch (err) {
        rmSync(part, { force: true });
        throw new CliError(EXIT.config, `${values.out} is written, but the report could not be: ${(err as Error).message}`);
      }
    }
    const r = run.report;
    const result = {
      input, out: values.out, report: r, reportFile: values.report ?? null, reportHash: hash, columns: run.columns, header: run.header,
      seconds: Number(seconds.toFixed(3)), description: describeReport(r),
    };
    out.result(result, (x) => [
      `Anonymised ${x.input} → ${x.out}: ${r.rows.output.toLocaleString("en")} of ${r.rows.input.toLocaleString("en")} rows released, k = ${r.k}, ℓ = ${r.l}, ${r.classes.toLocaleString("en")} groups (${x.seconds.toFixed(1)} s).`,
      "",
      columnTable(x.columns),
      "",
      ...x.description,
      "",
      `  output      ${x.out} (${r.output.bytes.toLocaleString("en")} bytes, sha-256 ${r.output.sha256})`,
      x.reportFile ? `  report      ${x.reportFile} (sha-256 ${x.reportHash})` : "  report      not saved (pass --report FILE to keep it for `kraken publish`)",
    ].join("\n"));
  },
};
