// Reading from IPFS through the configured gateway only (never a public one).
import type { ProductMetadata } from "@kraken/sdk";
import { KrakenError } from "@kraken/sdk";

/** ipfs://<cid>[/path] → <gateway>/ipfs/<cid>[/path]; other URLs unchanged; undefined for anything not http(s)/ipfs. */
export function gatewayUrl(gateway: string, uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  if (uri.startsWith("ipfs://")) return `${gateway.replace(/\/$/, "")}/ipfs/${uri.slice("ipfs://".length)}`;
  return undefined; // only content from the configured gateway is loaded
}

export class IpfsError extends KrakenError {
  override name = "IpfsError";

  constructor(message: string) {
    super("ipfs-unavailable", message);
  }
}

/** Fetches a product's metadata document (ipfs://…) through the gateway. */
export async function fetchMetadata(gateway: string, uri: string, signal?: AbortSignal): Promise<ProductMetadata> {
  const url = gatewayUrl(gateway, uri);
  if (!url) throw new IpfsError(`the metadata address ${uri} is not an ipfs:// URI`);
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new IpfsError(`the description cannot be loaded from IPFS (${url} unreachable)`);
  }
  if (!res.ok) throw new IpfsError(`the description is not available on IPFS (HTTP ${res.status})`);
  try {
    return (await res.json()) as ProductMetadata;
  } catch {
    throw new IpfsError("the description on IPFS is not valid JSON");
  }
}

/** Fetches a document's bytes (ipfs://…) through the gateway; `what` names it in errors ("the anonymisation report"). */
export async function fetchIpfsBytes(gateway: string, uri: string, what: string, signal?: AbortSignal): Promise<Uint8Array> {
  const url = gatewayUrl(gateway, uri);
  if (!url) throw new IpfsError(`${what} is at ${uri}, not an ipfs:// address, so it is not loaded`);
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new IpfsError(`${what} cannot be loaded from IPFS (${url} unreachable)`);
  }
  if (!res.ok) throw new IpfsError(`${what} is not available on IPFS (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}
