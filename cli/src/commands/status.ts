// kraken status: every service of the marketplace in one table — alive (/health), ready (/ready)
// and what is wrong — from the same configuration the other commands use. Exit code 0 when all
// are ready, `refused` (4) when any is down or not ready.
import { parseArgs } from "node:util";
import { dirname } from "node:path";
import { serviceStatus, type ServiceEndpoint, type ServiceStatus } from "@kraken/sdk";
import { loadRelayDirectory, loadSmpcDirectory } from "@kraken/sdk/delivery/node";
import { configValue, localUrl } from "@kraken/sdk/config";
import { COMMON_OPTIONS, loadDeployment, rpcUrlOf } from "../context.ts";
import { ipfsApiUrl } from "../delivery.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Command } from "../main.ts";

/** The endpoints to ask: the chain, indexer, issuer, faucet, IPFS, dApp, the demo's publishers (wearable, union devices) on the local chain, and each relay and SMPC node in the directories. */
export function endpointsOf(values: { rpc?: string; deployment?: string }): ServiceEndpoint[] {
  const subgraph = new URL(configValue("KRAKEN_SUBGRAPH_URL") ?? localUrl(configValue("KRAKEN_INDEXER_PORT")));
  const list: ServiceEndpoint[] = [
    { name: "chain", url: rpcUrlOf(values), kind: "rpc" },
    { name: "indexer", url: subgraph.origin },
    { name: "issuer", url: configValue("KRAKEN_ISSUER_URL") },
    { name: "faucet", url: configValue("KRAKEN_FAUCET_URL") },
    { name: "ipfs", url: ipfsApiUrl() },
    { name: "dapp", url: localUrl(configValue("KRAKEN_DAPP_PORT")) },
  ];
  // The directories are next to the deployment file; without one (or without directories), none are listed.
  let where: { network: string; deploymentsDir: string } | undefined;
  try {
    const { deployment, file } = loadDeployment(values);
    where = { network: deployment.network, deploymentsDir: dirname(file) };
  } catch {
    where = undefined;
  }
  const directory = (load: typeof loadRelayDirectory) => {
    try {
      return where ? load(where) : [];
    } catch {
      return [];
    }
  };
  // The demo's publishers (the wearable, the union's devices) run only with `npm start`'s local chain.
  if (where?.network === "localhost") {
    list.push({ name: "publisher", url: localUrl(configValue("KRAKEN_PUBLISHER_PORT")) });
    list.push({ name: "union devices", url: localUrl(configValue("KRAKEN_UNION_DEVICES_PORT")) });
  }
  directory(loadRelayDirectory).forEach((r, i) => list.push({ name: `relay ${i + 1}`, url: r.url }));
  directory(loadSmpcDirectory).forEach((r, i) => list.push({ name: `smpc ${i + 1}`, url: r.url }));
  return list;
}

export function renderStatus(rows: readonly ServiceStatus[]): string {
  const mark = (v: boolean | null) => (v === null ? "-" : v ? "yes" : "NO");
  const w = (k: (r: ServiceStatus) => string, h: string) => Math.max(h.length, ...rows.map((r) => k(r).length));
  const [wn, wu] = [w((r) => r.name, "service"), w((r) => r.url, "url")];
  const line = (c: string[]) => `${c[0].padEnd(wn)}  ${c[1].padEnd(wu)}  ${c[2].padEnd(5)}  ${c[3].padEnd(5)}  ${c[4]}`;
  const ok = rows.filter((r) => r.alive && r.ready !== false).length;
  return [
    line(["service", "url", "alive", "ready", "detail"]),
    ...rows.map((r) => line([r.name, r.url, mark(r.alive), mark(r.alive ? r.ready : false), r.detail])),
    "",
    ok === rows.length ? `All ${rows.length} services are up.` : `${rows.length - ok} of ${rows.length} services are down or not ready.`,
  ].join("\n");
}

export const status: Command = {
  name: "status",
  summary: "every service's health in one table (alive, ready, what is wrong)",
  usage: `kraken status [--rpc URL] [--deployment FILE] [--timeout MS] [--json]

  Asks the chain (eth_blockNumber) and each service's /health and /ready: the indexer
  (KRAKEN_SUBGRAPH_URL), issuer (KRAKEN_ISSUER_URL), faucet (KRAKEN_FAUCET_URL), IPFS
  (KRAKEN_IPFS_API_URL), the dApp (KRAKEN_DAPP_PORT), and every relay and SMPC node in the
  directories next to the deployment file. Exit code 0 when all are ready, 4 otherwise.`,
  async run(argv, out) {
    const { values } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, timeout: { type: "string", default: "3000" } } });
    const timeoutMs = Number(values.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) throw new CliError(EXIT.usage, "--timeout must be a whole number of milliseconds between 100 and 60000");
    const rows = await serviceStatus(endpointsOf(values), { timeoutMs });
    out.result(rows, renderStatus);
    const bad = rows.filter((r) => !r.alive || r.ready === false);
    if (bad.length) throw new CliError(EXIT.refused, `not ready: ${bad.map((r) => r.name).join(", ")}`, "not-ready");
  },
};
