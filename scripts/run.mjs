#!/usr/bin/env node
// Entry point of every npm script: makes sure the task runs under Node >= 22.13 with the
// project's dependencies installed and the contracts' generated files in place, then hands
// over to the task (a TypeScript file under scripts/, run with tsx). See bootstrap.mjs.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDependencies, ensureGenerated, ensureNode, handOver, log, root } from "./bootstrap.mjs";

const [task, ...rest] = process.argv.slice(2);
const file = task && join(root, "scripts", `${task}.ts`);
if (!file || !existsSync(file) || task === "bootstrap") {
  log(`unknown task '${task ?? ""}'; usage: node scripts/run.mjs <task> [args] (tasks: scripts/*.ts)`);
  process.exit(2);
}
if (ensureNode(fileURLToPath(import.meta.url), process.argv.slice(2))) {
  ensureDependencies();
  if (task === "compile") {
    ensureGenerated({ force: true });
  } else {
    // Before the task loads: tasks import modules that import the generated ABIs.
    ensureGenerated();
    // Tells the task the compile is done and current, so `npm test` does not compile twice.
    handOver(process.execPath, ["--import", "tsx", file, ...rest], { env: { ...process.env, KRAKEN_GENERATED: "current" } });
  }
}
