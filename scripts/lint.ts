// `npm run lint`: solhint over the contracts and the TypeScript type-check of every workspace
// (scripts/run.mjs has generated the contracts' ABIs before this runs). Prints what failed; the
// exit code is non-zero when anything did.
import { log } from "./lib/proc.ts";
import { solhint } from "./lib/solhint.ts";
import { typecheck } from "./lib/typecheck.ts";

const failures: string[] = [];

log("solhint contracts/src/**/*.sol");
if ((await solhint()).code !== 0) failures.push("solhint: errors in contracts/src (see above)");

log("tsc -p tsconfig.json");
const tsc = await typecheck();
if (tsc.code !== 0) failures.push(tsc.errorCount > 0 ? `type-check: ${tsc.errorCount} error(s) (see above)` : `type-check: tsc exited with code ${tsc.code}`);

if (failures.length > 0) {
  log(`lint failed:\n${failures.map((f) => `  - ${f}`).join("\n")}`);
  process.exit(1);
}
log("lint passed: no solhint errors, no type errors");
