// k-of-n key shares for a product's delivery agents (Shamir secret sharing over GF(256),
// the audited `shamir-secret-sharing` package): no single relay learns the file key when
// k > 1, and any k of them together let the consumer rebuild it.
import { combine, split } from "shamir-secret-sharing";
import { KrakenError } from "../errors.ts";
import { bytesToHex } from "viem";

export class KeyShareError extends KrakenError {
  override name = "KeyShareError";

  constructor(message: string, code = "bad-key-share") {
    super(code, message);
  }
}

/** Splits `key` into `agents` shares, any `threshold` of which rebuild it. */
export async function splitKey(key: Uint8Array, agents: number, threshold: number): Promise<Uint8Array[]> {
  if (!Number.isInteger(agents) || agents < 1 || agents > 16) throw new KeyShareError(`agents must be 1–16, not ${agents}`);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > agents) throw new KeyShareError(`threshold must be 1–${agents}, not ${threshold}`);
  // The library needs at least 2 shares; one agent simply holds the key.
  if (agents === 1) return [key.slice()];
  if (threshold === 1) return Array.from({ length: agents }, () => key.slice());
  return split(key, agents, threshold);
}

/** Rebuilds the key from `threshold` or more distinct shares. */
export async function combineShares(shares: Uint8Array[], threshold: number): Promise<Uint8Array> {
  const distinct = [...new Map(shares.map((s) => [bytesToHex(s), s])).values()];
  if (distinct.length < threshold) throw new KeyShareError(`need ${threshold} key shares, have ${distinct.length}`);
  if (threshold === 1) return distinct[0].slice();
  return combine(distinct);
}
