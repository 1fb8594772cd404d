// What `kraken publish` and `kraken fetch` share: the relay directory, IPFS endpoints, the
// user's Streamr client, the consent-policy file, and DeliveryErrors mapped to exit codes.
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Hex } from "viem";
import {
  CategoryNames, CountryNames, DeliveryError, OrganisationTypeNames, PurposeNames, TARGET_COUNTRIES, ALL_COUNTRIES,
  type Deployment, type Policy, type RelayEndpoint,
} from "@kraken/sdk";
import { loadRelayDirectory } from "@kraken/sdk/delivery/node";
import { configValue, localUrl, setDefaultForLibraries } from "@kraken/sdk/config";
import { CliError, EXIT } from "./errors.ts";
import { enumIndex, toFlag } from "./format.ts";

export const ipfsApiUrl = () => configValue("KRAKEN_IPFS_API_URL") ?? localUrl(configValue("KRAKEN_IPFS_API_PORT"));
export const ipfsGatewayUrl = () => configValue("KRAKEN_IPFS_GATEWAY_URL") ?? localUrl(configValue("KRAKEN_IPFS_GATEWAY_PORT"));

/** The relays' HTTP endpoints: KRAKEN_RELAYS, else `<network>.relays.json` next to the deployment file. */
export function relayDirectory(deployment: Deployment, deploymentFile: string): RelayEndpoint[] {
  try {
    return loadRelayDirectory({ network: deployment.network, deploymentsDir: dirname(deploymentFile) });
  } catch (err) {
    throw toCliError(err);
  }
}

/**
 * A Streamr client for the user's key on the marketplace's Streamr network: the local one of
 * `npm start` (entry node 127.0.0.1:40500, the registry from the deployment) unless
 * KRAKEN_STREAMR_* say otherwise (streamr/README.md). Streamr's own logs are kept off stdout.
 */
export async function streamrClient(key: Hex, deployment: Deployment, rpcUrl: string) {
  setDefaultForLibraries("LOG_LEVEL", "error");
  const { StreamrClient } = await import("@streamr/sdk");
  const { entryPointDescriptor, localClientConfig, publicClientConfig, streamrEnv } = await import("@kraken/streamr");
  const env = streamrEnv();
  if (env.environment !== "local") return new StreamrClient(publicClientConfig(env.environment, key, { permissionCacheMs: env.permissionCacheMs }));
  const registry = env.streamRegistry ?? deployment.streamRegistry;
  if (!registry) throw new CliError(EXIT.config, "no Streamr registry: the deployment file has no streamRegistry (start the marketplace with `npm start`) and KRAKEN_STREAMR_REGISTRY is not set");
  return new StreamrClient(localClientConfig({
    rpcUrl, chainId: deployment.chainId, streamRegistry: registry,
    entryPoints: env.entryPoints ?? [entryPointDescriptor(env.host, env.port)], theGraphUrl: env.theGraphUrl,
  }, key, { id: "kraken-cli", permissionCacheMs: env.permissionCacheMs }));
}

/** Maps a DeliveryError to the CLI's exit codes; other errors pass through. */
export function toCliError(err: unknown): unknown {
  if (!(err instanceof DeliveryError)) return err;
  const exit: Record<string, number> = {
    "agreement-not-found": EXIT.notFound,
    "not-your-agreement": EXIT.notFound,
    "agreement-not-active": EXIT.notEligible,
    "not-eligible": EXIT.notEligible,
    "no-relays": EXIT.config,
    "relay-key-missing": EXIT.delivery,
    "shares-not-confirmed": EXIT.delivery,
    "shares-timeout": EXIT.delivery,
    "inconsistent-shares": EXIT.integrity,
    "ciphertext-tampered": EXIT.integrity,
    "plaintext-mismatch": EXIT.integrity,
    "download-failed": EXIT.delivery,
    "bad-message": EXIT.delivery,
  };
  const hint: Record<string, string> = {
    "shares-timeout": "; check that the relays run (`curl <relay>/health`) and try again",
    "shares-not-confirmed": "; the product is published — check the relays and publish the key again",
    "ciphertext-tampered": "; nothing was written. Tell the seller: the file at the link is not the one they published",
  };
  return new CliError(exit[err.code] ?? EXIT.unexpected, `${err.message}${hint[err.code] ?? ""}`, err.code);
}

/**
 * A consent-policy file (JSON), e.g.
 * { "purposes": ["research", "public-health"], "consumers": ["organisation"],
 *   "organisationTypes": ["hospital", "research-university"], "jurisdictions": "target",
 *   "requiresApproval": false, "retentionDays": 365 }
 * Names in any spelling (research-university, ResearchUniversity); jurisdictions: ISO codes,
 * "target" (the 13 target countries) or "all".
 */
export function loadPolicyFile(file: string): Policy {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new CliError(EXIT.config, `cannot read the policy file ${file}: ${(err as Error).message}`);
  }
  const list = (key: string, names: readonly string[], skipFirst = false): number[] => {
    const v = json[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new CliError(EXIT.usage, `policy file: "${key}" must be a list`);
    return v.map((x) => {
      const i = enumIndex(names, x as string);
      if (i < (skipFirst ? 1 : 0)) throw new CliError(EXIT.usage, `policy file: unknown ${key} value "${x}" (one of ${names.slice(skipFirst ? 1 : 0).map(toFlag).join(", ")})`);
      return i;
    });
  };
  const purposes = list("purposes", PurposeNames);
  if (purposes.length === 0) throw new CliError(EXIT.usage, `policy file: "purposes" must name at least one purpose (${PurposeNames.map(toFlag).join(", ")})`);
  const consumerCategories = list("consumers", CategoryNames);
  if (consumerCategories.length === 0) throw new CliError(EXIT.usage, `policy file: "consumers" must name individual and/or organisation`);
  const organisationTypes = list("organisationTypes", OrganisationTypeNames, true);
  const j = json.jurisdictions;
  const jurisdictions = j === "target" || j === undefined ? TARGET_COUNTRIES : j === "all" ? ALL_COUNTRIES : list("jurisdictions", CountryNames, true);
  const retention = json.retentionDays ?? 0;
  if (!Number.isInteger(retention) || (retention as number) < 0) throw new CliError(EXIT.usage, "policy file: retentionDays must be a whole number of days (0 = no limit)");
  return {
    purposes, consumerCategories, organisationTypes, jurisdictions,
    requiresApproval: json.requiresApproval === true, retentionDays: retention as number,
  } as Policy;
}
