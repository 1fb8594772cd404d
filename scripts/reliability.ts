// `npm run reliability`: the deep end of the tests (issue 17), with a bounded budget so CI runs
// it too. (1) The Solidity invariant suites with ≥ 10,000 calls per invariant (CI's `npm test`
// runs 2,048). (2) A GraphQL fuzzer: 10,000 generated queries (valid, invalid, hostile) against
// the indexer's server over HTTP; no 5xx, no answer slower than the limit, the same answer to
// a known query throughout, and the process's memory bounded. (3) Chaos: 50 purchases on the
// real npm start stack while ≥ 50 SIGKILLs hit relays, the indexer, the publisher and npm start
// itself (test/reliability/chaos.ts); nothing may be lost. Prints the figures; exits 1 on any
// failure. `--queries N`, `--seed N`, `--invariant-runs N`, `--purchases N`, `--kills N`,
// `--stack-kills N`, `--only fuzz|invariants|chaos` adjust the budget.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { hardhatCli, log, root, runCapture } from "./lib/proc.ts";
import { seed } from "../indexer/test/graphql/fixture.ts";
import { startGraphqlServer } from "../indexer/src/graphql/server.ts";
import { fuzzGraphql } from "../test/reliability/graphql-fuzz.ts";
import { runChaos } from "../test/reliability/chaos.ts";

const { values } = parseArgs({
  options: {
    queries: { type: "string", default: "10000" }, seed: { type: "string", default: "17" }, "invariant-runs": { type: "string", default: "320" },
    purchases: { type: "string", default: "50" }, kills: { type: "string", default: "50" }, "stack-kills": { type: "string", default: "2" }, only: { type: "string" },
  },
});
const part = (name: string) => !values.only || values.only === name;
const queries = Number(values.queries);
const invariantRuns = Number(values["invariant-runs"]);
const DEPTH = 32;
let failed = 0;
const lines: string[] = [];

// (1) Solidity invariants, deep.
if (part("invariants")) {
  const t0 = Date.now();
  const dir = join(root, "contracts", "test", "invariants");
  const files = readdirSync(dir).filter((f) => f.endsWith(".t.sol")).map((f) => join("contracts", "test", "invariants", f));
  // The handlers are build roots too: the fuzzer needs their artifacts to call the handler a
  // suite deploys, and Hardhat emits artifacts only for the files it is given.
  files.push(...readdirSync(join(dir, "handlers")).filter((f) => f.endsWith(".sol")).map((f) => join("contracts", "test", "invariants", "handlers", f)));
  const { code, output } = await runCapture(process.execPath, [hardhatCli, "test", "solidity", ...files], {
    env: { ...process.env, KRAKEN_INVARIANT_RUNS: String(invariantRuns), KRAKEN_INVARIANT_DEPTH: String(DEPTH) },
    echo: false,
  });
  const passing = Number(/(\d+) passing/.exec(output)?.[1] ?? 0);
  const failing = Number(/(\d+) failing/.exec(output)?.[1] ?? 0);
  const runs = [...output.matchAll(/\(runs: (\d+)/g)].map((m) => Number(m[1]));
  // every invariant reports its runs: each must have had the budget asked for
  const ok = code === 0 && passing > 0 && failing === 0 && runs.length === passing && runs.every((r) => r >= invariantRuns);
  if (!ok) {
    failed++;
    process.stdout.write(output.slice(-6000));
  }
  lines.push(`Solidity invariants: ${passing} passing, ${failing} failing, ${invariantRuns} runs × ${DEPTH} calls = ${(invariantRuns * DEPTH).toLocaleString("en")} calls each, ${Math.round((Date.now() - t0) / 1000)} s${ok ? "" : "  FAILED"}`);
  log(lines.at(-1)!);
}

// (2) GraphQL fuzzing against the indexer's server on the seeded test catalogue.
if (part("fuzz")) {
  const { store } = await seed();
  // The fuzzer is one client sending 10,000 queries: lift the per-IP rate limit (its own tests
  // cover it), or most queries would only meet the 429.
  const server = await startGraphqlServer({ store, port: 0, rateLimits: { readsPerIp: { max: 1_000_000, windowMs: 10_000 } } });
  const canaryQuery = "{ products(first: 5, orderBy: createdAt) { id title price seller { id } } marketStats(id: \"global\") { products agreements } }";
  const before = await (await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: canaryQuery }) })).json() as { data: unknown };
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  const t0 = Date.now();
  const report = await fuzzGraphql({
    url: server.url, queries, seed: Number(values.seed), concurrency: 4, limitMs: 5000, canary: { query: canaryQuery, data: before.data },
    onProgress: (n) => { if (n % 2000 === 0) log(`GraphQL fuzzing: ${n.toLocaleString("en")} of ${queries.toLocaleString("en")} queries`); },
  });
  clearInterval(sampler);
  await server.stop();
  await store.close();
  const MiB = (b: number) => Math.round(b / 2 ** 20);
  const memoryOk = peak - rss0 < 1024 * 2 ** 20;
  const ok = report.failures.length === 0 && report.sent === queries && memoryOk;
  if (!ok) {
    failed++;
    for (const f of report.failures.slice(0, 20)) process.stdout.write(`  ${f.kind}: ${f.why}\n    ${f.query.slice(0, 200)}\n`);
  }
  const k = report.answered;
  lines.push(
    `GraphQL fuzzing: ${report.sent.toLocaleString("en")} queries (seed ${values.seed}) in ${Math.round((Date.now() - t0) / 1000)} s — valid ${report.byKind.valid} (${k.valid.data} answered, ${k.valid.errors} with errors), ` +
      `invalid ${report.byKind.invalid} (${k.invalid.errors} refused, ${k.invalid.data} answered), hostile ${report.byKind.hostile} (${k.hostile.errors} refused, ${k.hostile.data} answered); ` +
      `HTTP ${Object.entries(report.statuses).map(([s, n]) => `${s}×${n}`).join(" ")}; median ${report.ms.median} ms, p95 ${report.ms.p95} ms, max ${report.ms.max} ms; ` +
      `canary unchanged in ${report.canaryChecks} checks; RSS ${MiB(rss0)} → peak ${MiB(peak)} MiB; ${report.failures.length} failures${ok ? "" : "  FAILED"}`,
  );
  log(lines.at(-1)!);
}

// (3) Chaos on the real stack.
if (part("chaos")) {
  const wanted = { purchases: Number(values.purchases), kills: Number(values.kills), stackKills: Number(values["stack-kills"]) };
  let summary: string;
  let ok = false;
  try {
    const c = await runChaos({ seed: Number(values.seed), ...wanted, log });
    const kills = Object.values(c.kills).reduce((a, b) => a + b, 0);
    ok = c.purchases === wanted.purchases && kills >= wanted.kills && c.stackKills === wanted.stackKills && c.duplicateReceipts === 0 && c.missingReceipts.length === 0 &&
      c.fetched === c.purchases && c.fetchFailures.length === 0 && c.entityMismatches.length === 0 && c.entitiesCompared > 0;
    for (const x of [...c.missingReceipts, ...c.fetchFailures, ...c.entityMismatches].slice(0, 20)) process.stdout.write(`  ${x}\n`);
    summary = `Chaos (seed ${values.seed}): ${c.purchases} purchases of ${c.products} products by ${c.buyers} buyers in ${c.seconds} s, ${c.buyRetries} retried; ` +
      `${kills} SIGKILLs (${Object.entries(c.kills).map(([k, n]) => `${k} ${n}`).join(", ")}) and ${c.stackKills} of npm start; ` +
      `${c.receipts} receipts on chain, ${c.missingReceipts.length} missing, ${c.duplicateReceipts} duplicated; ${c.fetched} of ${c.purchases} files fetched byte for byte; ` +
      `${c.entitiesCompared} entities equal to a fresh re-index, ${c.entityMismatches.length} collections differ`;
  } catch (err) {
    summary = `Chaos: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!ok) failed++;
  lines.push(`${summary}${ok ? "" : "  FAILED"}`);
  log(lines.at(-1)!);
}

process.stdout.write(`\nReliability\n${lines.map((l) => `  ${l}`).join("\n")}\n${failed ? `${failed} part(s) FAILED` : "all passed"}\n`);
process.exit(failed ? 1 : 0);
