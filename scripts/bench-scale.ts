// `npm run bench:scale`: the indexer's memory scaling at 1,000,000 products + policies (or the
// sizes given: `npm run bench:scale -- 10000 100000`); see bench/scale.ts and docs/benchmarks.md.
import { scaleBench, scaleTable } from "../bench/scale.ts";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const figures = [];
for (const n of sizes.length ? sizes : [1_000_000]) figures.push(await scaleBench(n));
process.stdout.write(scaleTable(figures));
process.exit(0);
