// @kraken/relay: off-chain daemons. The key relay for batch products (docs/delivery.md).
export { startRelay, DEFAULT_LIMITS, type RelayOptions, type RunningRelay, type RelayHealth, type RelayLimits } from "./relay.ts";
export { IntakeQueue, RateLimiter, type RateLimit, type IntakeStats } from "./relay-limits.ts";
export { startRelays, devRelayKeys, type RelaysOptions, type RunningRelays } from "./relays.ts";
export { createLogger, levelFromEnv, type Logger, type LogLevel } from "@kraken/sdk/config";
export { seedDemoBatchFiles, demoBatchFile, demoRelease, demoPseudonymKey, type DemoFileLike, type DemoAnonymisationLike, type DemoRelease } from "./relay-demo.ts";
export { demoRawFile, DEMO_COLUMN_OVERRIDES, DEMO_RAW_PRODUCTS } from "./demo-raw.ts";
export { startWearablePublisher, wearableSamples, type WearablePublisherOptions, type RunningWearablePublisher, type WearableSample, type WearableDevice } from "./wearable.ts";
export { startUnionDevices, unionDevice, type UnionDevicesOptions, type RunningUnionDevices } from "./union-devices.ts";
