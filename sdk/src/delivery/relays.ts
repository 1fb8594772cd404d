// Where the relays' HTTP APIs are: `deployments/<network>.relays.json` (written by `npm start`)
// or KRAKEN_RELAYS, both `[{ "address": "0x…", "url": "http://…" }]`. Reading the file is in
// node.ts; this parses and looks up (browser-safe).
import { getAddress, isAddress, type Address } from "viem";
import { DEFAULT_PORTS } from "../config/defaults.ts";
import { DeliveryError } from "./errors.ts";
import type { RelayEndpoint } from "./transport.ts";

/** Default local ports: relay i (1-based) serves HTTP on 127.0.0.1:(8790 + i), Streamr websocket on 40500 + i. */
export const relayHttpPort = (i: number) => DEFAULT_PORTS.relayBase + i;
export const relayStreamrPort = (i: number) => DEFAULT_PORTS.streamr + i;

export function parseRelayDirectory(json: unknown, source = "relay directory"): RelayEndpoint[] {
  if (!Array.isArray(json)) throw new DeliveryError("no-relays", `${source}: expected a JSON array of { address, url }`);
  return json.map((e, i) => {
    const address = (e as { address?: unknown })?.address;
    const url = (e as { url?: unknown })?.url;
    if (typeof address !== "string" || !isAddress(address)) throw new DeliveryError("no-relays", `${source}[${i}]: address is not an Ethereum address`);
    if (typeof url !== "string" || !/^https?:\/\/\S+$/.test(url)) throw new DeliveryError("no-relays", `${source}[${i}]: url must be http(s)://…`);
    return { address: getAddress(address), url: url.replace(/\/+$/, "") };
  });
}

/** The endpoints of `agents` (a product's delivery agents); throws naming those not configured. */
export function endpointsFor(directory: readonly RelayEndpoint[], agents: readonly Address[]): RelayEndpoint[] {
  const byAddress = new Map(directory.map((r) => [r.address.toLowerCase(), r]));
  const missing = agents.filter((a) => !byAddress.has(a.toLowerCase()));
  if (missing.length) {
    throw new DeliveryError("no-relays", `no HTTP endpoint configured for relay${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (add them to deployments/<network>.relays.json or KRAKEN_RELAYS)`);
  }
  return agents.map((a) => byAddress.get(a.toLowerCase())!);
}
