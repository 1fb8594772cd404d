// Exit codes of `kraken` (documented in cli/README.md).
import { KrakenError } from "@kraken/sdk";

export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2, // bad or missing arguments
  config: 3, // no key, no deployment file, unreadable files
  refused: 4, // the issuer or a service refused (or could not be reached)
  chain: 5, // the chain refused or could not be reached
  notEligible: 6, // the product's consent policy or the caller's credential refuses the purchase
  notFound: 7, // no such product or agreement
  conflict: 8, // already has access, or a request is pending the seller's approval
  payment: 9, // price above --max-price, or not enough DATA
  delivery: 10, // relays did not store or deliver key shares, or the file could not be uploaded/downloaded
  integrity: 11, // the downloaded file was tampered with (hash mismatch)
} as const;

/** A failure the CLI reports: `code` as every KrakenError (the contract error's name for a
 * revert), plus the process exit code. */
export class CliError extends KrakenError {
  override name = "CliError";

  constructor(
    readonly exitCode: number,
    message: string,
    code: string = (Object.keys(EXIT) as (keyof typeof EXIT)[]).find((k) => EXIT[k] === exitCode) ?? "error",
  ) {
    super(code, message);
  }
}
