// Typed errors of the identity flows. `code` is stable (for programs and tests), `message` says
// in words what was refused and why.

import { KrakenError } from "../errors.ts";

export type SsiErrorCode =
  // issuing / registration
  | "bad-request"
  | "challenge-unknown"
  | "challenge-expired"
  | "challenge-replayed"
  | "bad-signature"
  | "issuer-unreachable"
  | "issuer-refused"
  | "unsafe-challenge" // the issuer asked the wallet to sign something other than a registration challenge
  | "invalid-credential"
  | "attestation-mismatch"
  | "untrusted-issuer"
  | "registration-failed"
  | "unauthorized"
  | "not-found"
  // login
  | "wrong-domain"
  | "invalid-presentation"
  | "tampered-credential"
  | "credential-expired"
  | "wrong-holder"
  | "credential-revoked"
  | "not-registered"
  | "credential-not-registered"
  | "status-unavailable"
  // what a service tells its client about any other login refusal (the reason is in its log)
  | "login-refused"
  // an HTTP service refusing abuse: too many requests from one address, a body over its limit
  | "rate-limited"
  | "too-large";

export class SsiError extends KrakenError<SsiErrorCode> {
  override name = "SsiError";
}
