// `npm run bench`: every benchmark, printed as tables of median and p95.
import "./lib/quiet-streamr.ts"; // first: before any Streamr module loads
import { gasBench, gasTargetTable, PAID_REQUEST_BUDGET } from "../bench/gas.ts";
import { identityBench } from "../bench/identity.ts";
import { indexerBench, indexerComparison } from "../bench/indexer.ts";
import { scaleBench, scaleTable } from "../bench/scale.ts";
import { loadBench, loadTable } from "../bench/load.ts";
import { deliveryReport } from "../bench/delivery.ts";
import { analyticsBench } from "../bench/analytics.ts";
import { anonymiseReport } from "../bench/anonymise.ts";
import { streamBench } from "../bench/stream.ts";
import { unionGasBench, unionGasReport, unionStreamBench } from "../bench/unions.ts";
import { table } from "../bench/lib.ts";
import { bundleSizes, bundleTable, pageTimings } from "../bench/dapp.ts";
import { configValue } from "@kraken/sdk/config";

// The contracts were compiled and the ABIs generated before this file loaded (scripts/run.mjs).
const runs = configValue("BENCH_RUNS");
const gas = await gasBench(runs);
process.stdout.write(table(`Gas per user operation (${runs} runs each, fresh users)`, "gas", gas));
const paid = gas.find((r) => r.operation === "requestAccess paid");
if (paid) {
  const ok = BigInt(paid.p95) < PAID_REQUEST_BUDGET;
  process.stdout.write(`requestAccess paid, all checks: p95 ${paid.p95.toLocaleString("en")} gas (budget ${PAID_REQUEST_BUDGET.toLocaleString("en")}): ${ok ? "within budget" : "OVER BUDGET"}\n`);
}
process.stdout.write("\n" + gasTargetTable(gas) + "\n");
// Data unions: throws (the bench fails) if a purchase with 10,000 members costs over 1 % more than with 10.
process.stdout.write(unionGasReport(await unionGasBench(runs), runs) + "\n");
process.stdout.write(table("Identity (20 runs each; local chain + demo issuer)", "ms", await identityBench(20)));
// The indexer on each store, same chain, same run: PGlite (default) and a PostgreSQL server.
const stores = await indexerBench();
for (const idx of stores) {
  const backfillMet = idx.backfill.perSecond >= 4000 ? "met" : "MISSED (profile and what would meet it: docs/benchmarks.md#backfill-profile-and-memory)";
  process.stdout.write(`Indexer backfill on ${idx.store}: ${idx.backfill.events.toLocaleString("en")} events in ${idx.backfill.blocks.toLocaleString("en")} blocks, ${idx.backfill.seconds} s = ${idx.backfill.perSecond.toLocaleString("en")} events/s (issue #18 target ≥ 4,000: ${backfillMet}); start-up with a new database ${idx.backfill.startupMs} ms\n`);
  process.stdout.write(table(`Indexer (local chain, ${idx.store}, GraphQL over HTTP; time travel: the last row, at an older block)`, "ms", idx.rows));
}
process.stdout.write(indexerComparison(stores));
// Indexer memory scaling: peak RSS of the indexer process at BENCH_PRODUCTS (and BENCH_SCALE_PRODUCTS).
const scale = [];
for (const n of [configValue("BENCH_PRODUCTS"), configValue("BENCH_SCALE_PRODUCTS")].filter((n) => n > 0)) scale.push(await scaleBench(n));
process.stdout.write(scaleTable(scale));
// GraphQL under load: 10, 50 and 200 clients, the indexer in its own process.
process.stdout.write(loadTable(await loadBench()));
const bundle = await bundleSizes();
process.stdout.write(bundleTable(bundle));
process.stdout.write(table("dApp in headless Chromium on the local stack (5 cold loads)", "ms", await pageTimings(5)));
process.stdout.write(await deliveryReport(20));
// Analytics (SMPC): throws (the bench fails) if a reconstructed result differs from the plaintext one.
process.stdout.write((await analyticsBench(20)).report);
// Anonymiser: 1,000,000 rows at k = 10 in Node and in Chromium (3 runs each), information loss against k.
process.stdout.write(await anonymiseReport({ runs: 3 }));
const stream = await streamBench(200);
process.stdout.write(table("Stream products vs raw Streamr publish → receive (loopback, same run, interleaved)", "ms", stream.rows));
process.stdout.write(`stream product overhead on the median: ${stream.overheadPct}% (target ≤ 10%)\n`);
const union = await unionStreamBench(200);
process.stdout.write(table("Data union stream vs stream product publish → receive (loopback, same run, interleaved)", "ms", union.rows));
process.stdout.write(`union stream / stream product on the median: ×${union.ratio}\n`);
process.exit(0);
