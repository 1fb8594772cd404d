#!/usr/bin/env node
// `kraken`: the marketplace command line. The sources are TypeScript, run through tsx, always
// under the project's Node >= 22 (whatever `node` the user has): on an older Node this re-runs
// itself under the Node 22 that `npm start`/`npm test` keep in .toolchain/ (installing it and
// the dependencies first on a fresh clone), because the Streamr SDK's native sqlite3 is built
// for Node 22 and crashes Node 20.
import { fileURLToPath } from "node:url";
import { ensureDependencies, ensureGenerated, ensureNode } from "../../scripts/bootstrap.mjs";

if (ensureNode(fileURLToPath(import.meta.url), process.argv.slice(2))) {
  ensureDependencies();
  ensureGenerated();
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../src/main.ts");
  // Exit explicitly: a Streamr client leaves timers and sockets behind even after destroy().
  process.exit(await main(process.argv.slice(2)));
}
