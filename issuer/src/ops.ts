// The issuer's operations endpoints (@kraken/sdk/ops): /health, /ready (chain reachable, issuer
// key loaded and trusted on chain) and /metrics. Labels are fixed words only: an outcome or one of
// REFUSAL_REASONS, never an address, a DID, a credential id or a path.
import type { Address, PublicClient } from "viem";
import { credentialsAbi } from "@kraken/sdk";
import { CHAIN_CHECK_TIMEOUT_MS, chainCheck, createOps, LATENCY_BUCKETS, type Check, type Ops } from "@kraken/sdk/ops";
import type { SsiErrorCode } from "@kraken/sdk/ssi";

/** Refusal codes counted by name; any other code counts as "other". */
export const REFUSAL_REASONS = [
  "bad-request",
  "challenge-unknown",
  "challenge-expired",
  "challenge-replayed",
  "bad-signature",
  "unauthorized",
  "credential-revoked",
  "untrusted-issuer",
  "not-found",
  "login-refused",
  "rate-limited",
  "too-large",
] as const satisfies readonly SsiErrorCode[];
export type RefusalReason = (typeof REFUSAL_REASONS)[number] | "other";
export type RequestOutcome = "ok" | "refused" | "error";

export interface IssuerOpsOptions {
  rpcUrl: string;
  chainId: number;
  publicClient: PublicClient;
  credentials: Address;
  /** The issuer's Ethereum address (its key is loaded when this exists). */
  issuer: Address;
  did: string;
  /** Trust on chain as last read (at start); /ready re-reads it when the chain answers. */
  trusted: boolean;
  /** The issuer's state directory (kraken_disk_free_ratio). */
  dataDir: string;
}

export interface IssuerOps {
  ops: Ops;
  issued(): void;
  refused(code: string): void;
  /** One answered request (not the operations endpoints), with its duration in seconds. */
  request(outcome: RequestOutcome, seconds: number): void;
}

export function issuerOps(o: IssuerOpsOptions): IssuerOps {
  let trusted = o.trusted;
  const ops = createOps({
    service: "issuer",
    dataDir: o.dataDir,
    async checks() {
      const chain = await chainCheck(o.rpcUrl, o.chainId);
      let key: Check;
      if (!o.issuer || !o.did) key = { ok: false, detail: "issuer key not loaded" };
      else {
        if (chain.ok) {
          try {
            trusted = await withTimeout(
              o.publicClient.readContract({ address: o.credentials, abi: credentialsAbi, functionName: "isTrustedIssuer", args: [o.issuer] }),
              CHAIN_CHECK_TIMEOUT_MS,
              "isTrustedIssuer",
            );
          } catch {
            // keep the last known answer; the chain check says what is wrong
          }
        }
        key = trusted ? { ok: true } : { ok: false, detail: "the issuer's key is not a trusted issuer in Credentials: registrations with its attestations are refused" };
      }
      return { chain, key };
    },
  });
  const issuances = ops.counter("issuances_total", "credentials issued (with their attestation)");
  const refusals = ops.counter("refusals_total", "requests refused, by reason (an issuer error code, or other)", ["reason"] as const);
  const requests = ops.counter("requests_total", "requests answered, by outcome (ok, refused, error)", ["outcome"] as const);
  const latency = ops.histogram("request_seconds", "time to answer a request", LATENCY_BUCKETS);
  const known = new Set<string>(REFUSAL_REASONS);
  return {
    ops,
    issued: () => issuances.inc(),
    refused: (code) => refusals.inc({ reason: known.has(code) ? code : "other" }),
    request(outcome, seconds) {
      requests.inc({ outcome });
      latency.observe(seconds);
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
