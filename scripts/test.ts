// `npm test`: every suite of the project, then one line totalling them all:
// "N passed, N failed". Exit code is non-zero when anything failed.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { compile } from "./compile.ts";
import { buildSubgraph } from "../subgraph/scripts/build.ts";
import { hardhatCli, log, root, runCapture } from "./lib/proc.ts";
import { ensurePostgres } from "./lib/postgres.ts";
import { solhint } from "./lib/solhint.ts";
import { typecheck } from "./lib/typecheck.ts";
import { configValue, setDefaultForLibraries } from "@kraken/sdk/config";

interface SuiteResult {
  name: string;
  passed: number;
  failed: number;
}

const results: SuiteResult[] = [];
setDefaultForLibraries("LOG_LEVEL", "warn"); // the Streamr SDK logs every node start at info

async function solhintSuite(): Promise<SuiteResult> {
  const { code } = await solhint();
  // A lint run counts as one check: it passes when solhint reports no errors.
  return { name: "solhint (contracts/src)", passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 };
}

async function typecheckSuite(): Promise<SuiteResult> {
  const { code, errorCount } = await typecheck();
  // One check when clean; otherwise each error counts (or 1 when tsc did not run at all).
  const failed = code === 0 ? 0 : Math.max(errorCount, 1);
  return { name: "type-check (tsc)", passed: failed === 0 ? 1 : 0, failed };
}

async function solidityTests(): Promise<SuiteResult> {
  const { code, output } = await runCapture(process.execPath, [hardhatCli, "test", "solidity"]);
  const passed = Number(/(\d+) passing/.exec(output)?.[1] ?? 0);
  let failed = Number(/(\d+) failing/.exec(output)?.[1] ?? 0);
  // A crash, a compile error or a run with no tests at all is a failure too.
  if ((code !== 0 || passed === 0) && failed === 0) failed = 1;
  return { name: "Solidity tests (Hardhat)", passed, failed };
}

async function typescriptTests(): Promise<SuiteResult> {
  const outDir = join(root, "test-results");
  mkdirSync(outDir, { recursive: true });
  const outputFile = join(outDir, "vitest.json");
  rmSync(outputFile, { force: true });
  const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
  const { code } = await runCapture(process.execPath, [
    vitest,
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${outputFile}`,
  ]);
  try {
    const report = JSON.parse(readFileSync(outputFile, "utf8"));
    let failed = report.numFailedTests as number;
    // A file that failed without a failing test (it did not load, or a beforeAll hook threw and
    // its tests were skipped) is a failure too.
    failed += (report.testResults as { status: string; assertionResults: { status: string }[] }[]).filter(
      (f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed"),
    ).length;
    if (report.numPassedTests === 0 && failed === 0) failed = 1; // no tests found is a failure
    return { name: "TypeScript tests (vitest)", passed: report.numPassedTests, failed };
  } catch {
    return { name: "TypeScript tests (vitest)", passed: 0, failed: code === 0 ? 0 : 1 };
  }
}

async function main(): Promise<void> {
  try {
    // scripts/run.mjs compiled already (and exits when that fails); run directly, compile here.
    if (configValue("KRAKEN_GENERATED") !== "current") compile();
    results.push({ name: "compile + ABI generation", passed: 1, failed: 0 });
  } catch (err) {
    log(String(err));
    results.push({ name: "compile + ABI generation", passed: 0, failed: 1 });
  }
  try {
    buildSubgraph(); // graph codegen + graph build of the mappings
    results.push({ name: "subgraph codegen + build", passed: 1, failed: 0 });
  } catch (err) {
    log(String(err));
    results.push({ name: "subgraph codegen + build", passed: 0, failed: 1 });
  }
  results.push(await solhintSuite());
  results.push(await typecheckSuite());
  results.push(await solidityTests());
  ensurePostgres(); // the indexer's suites run on a PostgreSQL server too
  results.push(await typescriptTests());

  const width = Math.max(...results.map((r) => r.name.length));
  process.stdout.write("\nSummary\n");
  for (const r of results) {
    process.stdout.write(`  ${r.name.padEnd(width)}  ${String(r.passed).padStart(4)} passed  ${String(r.failed).padStart(3)} failed\n`);
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
