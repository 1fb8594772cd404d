// The demo faucet's client, shared by the CLI (`kraken faucet`) and the dApp ("Get demo DATA"):
// on the local chain of `npm start`, anyone may ask for some DATA to try the marketplace with a
// brand-new wallet. The faucet (faucet/) exists only there: never on a real network.
import { isAddress, type Address, type Hex } from "viem";
import { DEFAULT_PORTS, DEFAULT_URLS } from "./config/defaults.ts";
import { KrakenError } from "./errors.ts";

export const DEFAULT_FAUCET_PORT = DEFAULT_PORTS.faucet;
export const LOCAL_FAUCET_URL = DEFAULT_URLS.faucet;

/** What the faucet answers to a successful request. */
export interface FaucetDrip {
  address: Address;
  /** DATA minted to the address, in wei (decimal string). */
  amount: string;
  txHash: Hex;
  /** The address's DATA balance after the drip, in wei (decimal string). */
  balance: string;
  /** When the address may ask again (ms since the epoch). */
  nextAt: number;
}

/** What the faucet says about itself (GET /health). */
export interface FaucetInfo {
  chainId: number;
  token: Address;
  /** DATA per request, in wei (decimal string). */
  amount: string;
  cooldownSeconds: number;
}

export type FaucetErrorCode = "bad-address" | "rate-limited" | "busy" | "unreachable" | "failed";

/** A refusal or failure of the faucet; `retryAt` (ms since the epoch) when it is a rate limit. */
export class FaucetError extends KrakenError<FaucetErrorCode> {
  override name = "FaucetError";

  constructor(
    code: FaucetErrorCode,
    message: string,
    readonly retryAt?: number,
  ) {
    super(code, message);
  }
}

/** Asks the faucet at `faucetUrl` for demo DATA for `address`; resolves once it is minted. */
export async function requestDemoData(faucetUrl: string, address: string, fetchFn: typeof fetch = fetch): Promise<FaucetDrip> {
  if (!isAddress(address, { strict: false })) throw new FaucetError("bad-address", `"${address}" is not an Ethereum address`);
  let res: Response;
  try {
    res = await fetchFn(`${faucetUrl.replace(/\/$/, "")}/drip`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ address }),
    });
  } catch (err) {
    throw new FaucetError("unreachable", `cannot reach the demo faucet at ${faucetUrl} (${(err as Error).message}); it runs with \`npm start\` on the local chain only`);
  }
  const body = (await res.json().catch(() => ({}))) as Partial<FaucetDrip> & { error?: FaucetErrorCode; message?: string; retryAt?: number };
  if (!res.ok) throw new FaucetError(body.error ?? "failed", body.message ?? `the faucet answered HTTP ${res.status}`, body.retryAt);
  return body as FaucetDrip;
}
