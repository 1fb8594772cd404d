// Typed failures of batch delivery, one class per thing the user can act on. `code` is stable
// (CLIs and the dApp switch on it); messages say what happened and what to do.
import { KrakenError } from "../errors.ts";

export type DeliveryErrorCode =
  | "not-your-agreement"
  | "agreement-not-found"
  | "agreement-not-active"
  | "not-eligible"
  | "no-relays"
  | "relay-key-missing"
  | "shares-not-confirmed"
  | "shares-timeout"
  | "inconsistent-shares"
  | "ciphertext-tampered"
  | "plaintext-mismatch"
  | "download-failed"
  | "bad-message";

export class DeliveryError extends KrakenError<DeliveryErrorCode> {
  override name = "DeliveryError";
}

/** The relays that did not answer (or refused), with the reason each gave, if any. */
export interface RelayFailure {
  relay: string;
  reason: string;
}

export class SharesTimeoutError extends DeliveryError {
  constructor(
    readonly received: number,
    readonly threshold: number,
    readonly missing: RelayFailure[],
  ) {
    super(
      "shares-timeout",
      `received ${received} of the ${threshold} key shares needed; no share from ${missing.map((m) => `${m.relay} (${m.reason})`).join(", ")}`,
    );
    this.name = "SharesTimeoutError";
  }
}

export class SharesNotConfirmedError extends DeliveryError {
  constructor(readonly missing: RelayFailure[]) {
    super("shares-not-confirmed", `these relays did not confirm they stored their key share: ${missing.map((m) => `${m.relay} (${m.reason})`).join(", ")}`);
    this.name = "SharesNotConfirmedError";
  }
}
