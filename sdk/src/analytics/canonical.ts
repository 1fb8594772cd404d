// Canonical JSON: object keys sorted (by UTF-16 code units) at every depth, no spaces, numbers
// as JSON.stringify writes them. The schema, manifest and query hashes are keccak256 of it, so
// the seller's tools, the nodes and the buyer agree byte for byte.
import { keccak256, stringToBytes, type Hex } from "viem";
import { KrakenError } from "../errors.ts";

/** Canonical JSON of a JSON value. Properties whose value is undefined are left out (as JSON.stringify does); anything that is not JSON throws. */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new KrakenError("not-json", `canonical JSON has no ${value}`);
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new KrakenError("not-json", "canonical JSON takes plain objects only");
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    default:
      throw new KrakenError("not-json", `canonical JSON has no ${typeof value}`);
  }
}

/** keccak256 of the canonical JSON (UTF-8). */
export const canonicalHash = (value: unknown): Hex => keccak256(stringToBytes(canonicalJson(value)));
