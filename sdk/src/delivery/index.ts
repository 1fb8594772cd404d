// Batch delivery (browser- and Node-safe): file encryption, sealed envelopes, key shares, the
// wire protocol, and the seller's and consumer's halves. Node-only helpers: ./node.ts
// ("@kraken/sdk/delivery/node").
export * from "./file-cipher.ts";
export * from "./envelope.ts";
export * from "./key-shares.ts";
export * from "./errors.ts";
export * from "./hashing.ts";
export * from "./protocol.ts";
export * from "./transport.ts";
export * from "./relays.ts";
export * from "./seller.ts";
export * from "./consumer.ts";
