// One SMPC node as its own process: `node --import tsx smpc/src/node-main.ts` with its options
// as JSON in KRAKEN_SMPC_CONFIG (SmpcNodeOptions without `log`; the deployment inline or as
// `deploymentFile`; the other nodes in `directory` or `directoryFile`). Reports `{ url, address }`
// once serving (sdk/src/ops/service.ts); stops on SIGINT/SIGTERM.
// KRAKEN_SMPC_CRASH_AT=after-seal|after-publish|after-sign kills it mid-job (crash tests).
import { readFileSync } from "node:fs";
import { ConfigError, readConfig } from "@kraken/sdk/config";
import { runService } from "@kraken/sdk/ops";
import { SmpcConfigError, startSmpcNode, type SmpcNodeOptions } from "./node.ts";

function fail(message: string): never {
  process.stderr.write(`smpc: ${message}\n`);
  process.exit(2);
}

let cfg: SmpcNodeOptions & { deploymentFile?: string };
let crashAt: string | undefined;
try {
  const env = readConfig();
  cfg = env.KRAKEN_SMPC_CONFIG as typeof cfg;
  crashAt = env.KRAKEN_SMPC_CRASH_AT;
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  fail(err.message);
}
if (!cfg) fail("set KRAKEN_SMPC_CONFIG to the node's options as JSON (see smpc/README.md)");
if (typeof cfg !== "object" || cfg === null || typeof cfg.key !== "string") fail("KRAKEN_SMPC_CONFIG needs at least key, rpcUrl, deployment (or deploymentFile), streamr, port and dataDir");
if (!cfg.deployment && cfg.deploymentFile) cfg.deployment = JSON.parse(readFileSync(cfg.deploymentFile, "utf8"));

await runService("smpc", async (log) => {
  let node;
  try {
    node = await startSmpcNode({ log, ...cfg, crashAt: (crashAt as SmpcNodeOptions["crashAt"]) || cfg.crashAt });
  } catch (err) {
    if (err instanceof SmpcConfigError) fail(err.message);
    throw err;
  }
  return { stop: node.stop, info: { url: node.url, address: node.address } };
});
