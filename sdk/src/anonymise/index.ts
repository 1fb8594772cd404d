// The anonymiser (docs/anonymisation.md), browser- and Node-safe: column classification,
// Safe Harbor-style preset, k-anonymity (Mondrian partitioning or global recoding), ℓ-diversity,
// keyed pseudonyms, the report bound to a product on chain, and the stream products' filter.
export * from "./errors.ts";
export * from "./types.ts";
export { classifyColumns, kindOf } from "./classify.ts";
export * from "./report.ts";
export * from "./anonymise.ts";
export * from "./stream-filter.ts";
