// Analytics products (docs/analytics.md), browser- and Node-safe: the field and Shamir sharing,
// schemas, manifests, row encoding, bundles, the seller's sharing of a CSV, the query language,
// plans, noise, the buyer's reconstruction and the plaintext reference evaluator; the wire
// formats around the SMPC nodes and a client of their HTTP API.
export * from "./errors.ts";
export * from "./field.ts";
export * from "./shamir.ts";
export * from "./canonical.ts";
export * from "./decimal.ts";
export * from "./schema.ts";
export * from "./manifest.ts";
export * from "./encode.ts";
export * from "./bundle.ts";
export * from "./csv.ts";
export * from "./share.ts";
export * from "./query.ts";
export * from "./plan.ts";
export * from "./noise.ts";
export * from "./result.ts";
export * from "./plaintext.ts";
export * from "./protocol.ts";
export * from "./node-client.ts";
export * from "./seller.ts";
export * from "./buyer.ts";
