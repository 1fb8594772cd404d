// @kraken/relay: off-chain daemons. The key relay for batch products (docs/delivery.md).
export { startRelay, DEFAULT_LIMITS, type RelayOptions, type RunningRelay, type RelayHealth, type RelayLimits } from "./relay.ts";
export { IntakeQueue, RateLimiter, type RateLimit, type IntakeStats } from "./relay-limits.ts";
export { startRelays, devRelayKeys, type RelaysOptions, type RunningRelays } from "./relays.ts";
export { createLogger, levelFromEnv, type Logger, type LogLevel } from "@kraken/sdk/config";
export { seedDemoBatchFiles, demoBatchFile, type DemoFileLike } from "./relay-demo.ts";
export { startWearablePublisher, wearableSamples, type WearablePublisherOptions, type RunningWearablePublisher, type WearableSample } from "./wearable.ts";
export { startUnionDevices, type UnionDevicesOptions, type RunningUnionDevices } from "./union-devices.ts";
