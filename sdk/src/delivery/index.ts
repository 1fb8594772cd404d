// Batch delivery cryptography: file encryption, sealed envelopes (and key shares).
export * from "./file-cipher.ts";
export * from "./envelope.ts";
export * from "./key-shares.ts";
