// One relay as its own process: `node --import tsx relay/src/relay-main.ts` with its options
// as JSON in KRAKEN_RELAY_CONFIG (RelayOptions without `log`; the deployment inline or as
// `deploymentFile`). Reports `{ url, address }` once serving (sdk/src/ops/service.ts); stops on
// SIGINT/SIGTERM. KRAKEN_RELAY_CRASH_AT=after-publish|after-sign|after-record kills it
// mid-delivery (crash tests).
import { readFileSync } from "node:fs";
import { readConfig } from "@kraken/sdk/config";
import { configFailure, runService, serviceOptions } from "@kraken/sdk/ops";
import { startRelay, type RelayOptions } from "./relay.ts";

const cfg = serviceOptions<RelayOptions & { deploymentFile?: string }>("relay", "KRAKEN_RELAY_CONFIG", "see docs/delivery.md");
let crashAt: RelayOptions["crashAt"] | undefined;
try {
  crashAt = readConfig().KRAKEN_RELAY_CRASH_AT;
} catch (err) {
  configFailure("relay", err instanceof Error ? err.message : String(err));
}
if (!cfg.deployment && cfg.deploymentFile) cfg.deployment = JSON.parse(readFileSync(cfg.deploymentFile, "utf8"));
await runService("relay", async (log) => {
  const relay = await startRelay({ log, ...cfg, crashAt: crashAt || cfg.crashAt });
  return { stop: relay.stop, info: { url: relay.url, address: relay.address } };
});
