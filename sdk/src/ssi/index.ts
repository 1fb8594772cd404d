// @kraken/sdk/ssi: self-sovereign identity for the marketplace (browser- and Node-safe; didkit
// is loaded lazily on first use). The login verifier for services is in ./verifier.ts (Node).
export * from "./challenges.ts";
export * from "./credential.ts";
export * from "./did.ts";
export * from "./didkit.ts";
export * from "./errors.ts";
export * from "./presentation.ts";
export * from "./protocol.ts";
export * from "./registration.ts";
