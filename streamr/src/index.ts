export * from "./config.ts";
export * from "./registry.ts";
export * from "./network.ts";
export * from "./streams.ts";
