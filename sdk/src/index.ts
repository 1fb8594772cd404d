// @kraken/sdk: the shared TypeScript client of the marketplace (browser- and Node-safe).
export * from "./generated/abis.ts";
export * from "./generated/enums.ts";
export * from "./attestation.ts";
export * from "./deployments.ts";
export * from "./encryption.ts";
export * from "./key-rotation.ts";
export * from "./policy.ts";
export * from "./chain.ts";
export * from "./metadata.ts";
export * from "./delivery/index.ts";
export * from "./permit.ts";
export * from "./names.ts";
export * from "./faucet.ts";
export * from "./offer.ts";
export * from "./refund.ts";
