// `npm run bench`: every benchmark, printed as tables of median and p95.
import { compile } from "./compile.ts";
import { gasBench, PAID_REQUEST_BUDGET } from "../bench/gas.ts";
import { identityBench } from "../bench/identity.ts";
import { table } from "../bench/lib.ts";

compile();
const runs = Number(process.env.BENCH_RUNS ?? 10);
const gas = await gasBench(runs);
process.stdout.write(table(`Gas per user operation (${runs} runs each, fresh users)`, "gas", gas));
const paid = gas.find((r) => r.operation === "requestAccess paid");
if (paid) {
  const ok = BigInt(paid.p95) < PAID_REQUEST_BUDGET;
  process.stdout.write(`requestAccess paid, all checks: p95 ${paid.p95.toLocaleString("en")} gas (budget ${PAID_REQUEST_BUDGET.toLocaleString("en")}): ${ok ? "within budget" : "OVER BUDGET"}\n\n`);
}
process.stdout.write(table("Identity (20 runs each; local chain + demo issuer)", "ms", await identityBench(20)));
process.exit(0);
