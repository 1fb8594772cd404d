// @kraken/faucet: the local demo's DATA faucet. See README.md.
export { startFaucet, type FaucetOptions, type RunningFaucet } from "./server.ts";
export { DripLimiter, type DripDecision } from "./limiter.ts";
