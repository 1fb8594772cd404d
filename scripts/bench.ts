// `npm run bench`: benchmarks, printed as tables of median and p95.
import { compile } from "./compile.ts";
import { gasBench, PAID_REQUEST_BUDGET } from "../bench/gas.ts";

compile();
const rows = await gasBench();
const width = Math.max(...rows.map((r) => r.operation.length));
const lines = [
  `Gas per user operation (${process.env.BENCH_RUNS ?? 10} runs each, fresh users)`,
  `${"operation".padEnd(width)}  ${"median".padStart(9)}  ${"p95".padStart(9)}`,
  `${"-".repeat(width)}  ${"-".repeat(9)}  ${"-".repeat(9)}`,
  ...rows.map((r) => `${r.operation.padEnd(width)}  ${r.median.toLocaleString("en").padStart(9)}  ${r.p95.toLocaleString("en").padStart(9)}`),
];
const paid = rows.find((r) => r.operation === "requestAccess paid");
if (paid) {
  lines.push("", `requestAccess paid, all checks: p95 ${paid.p95.toLocaleString("en")} gas (budget ${PAID_REQUEST_BUDGET.toLocaleString("en")}): ${paid.p95 < PAID_REQUEST_BUDGET ? "within budget" : "OVER BUDGET"}`);
}
process.stdout.write(lines.join("\n") + "\n");
process.exit(0);
