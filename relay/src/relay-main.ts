// One relay as its own process: `node --import tsx relay/src/relay-main.ts` with its options
// as JSON in KRAKEN_RELAY_CONFIG (RelayOptions without `log`; the deployment inline or as
// `deploymentFile`). Prints `{"ready":…}` on stdout once serving; stops on SIGINT/SIGTERM.
// KRAKEN_RELAY_CRASH_AT=after-publish|after-sign|after-record kills it mid-delivery (crash tests).
import { readFileSync } from "node:fs";
import { ConfigError, readConfig } from "@kraken/sdk/config";
import { startRelay, type RelayOptions } from "./relay.ts";

let cfg: RelayOptions & { deploymentFile?: string };
let crashAt: RelayOptions["crashAt"] | undefined;
try {
  const env = readConfig();
  cfg = env.KRAKEN_RELAY_CONFIG as typeof cfg;
  crashAt = env.KRAKEN_RELAY_CRASH_AT;
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`relay: ${err.message}\n`);
  process.exit(2);
}
if (!cfg) {
  process.stderr.write("relay: set KRAKEN_RELAY_CONFIG to the relay's options as JSON (see docs/delivery.md)\n");
  process.exit(2);
}
if (!cfg.deployment && cfg.deploymentFile) cfg.deployment = JSON.parse(readFileSync(cfg.deploymentFile, "utf8"));
const relay = await startRelay({ ...cfg, crashAt: crashAt || cfg.crashAt });
process.stdout.write(`${JSON.stringify({ ready: relay.url, address: relay.address })}\n`);
let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    void relay.stop().finally(() => process.exit(0));
  });
}
