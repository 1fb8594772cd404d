// @kraken/relay: off-chain daemons. The key relay for batch products (docs/delivery.md).
export { startRelay, type RelayOptions, type RunningRelay, type RelayHealth } from "./relay.ts";
export { startRelays, devRelayKeys, type RelaysOptions, type RunningRelays } from "./relays.ts";
export { createLogger, levelFromEnv, type Logger, type LogLevel } from "./relay-log.ts";
export { seedDemoBatchFiles, demoBatchFile, type DemoFileLike } from "./relay-demo.ts";
export { startWearablePublisher, wearableSamples, type WearablePublisherOptions, type RunningWearablePublisher, type WearableSample } from "./wearable.ts";
