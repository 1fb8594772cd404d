// The dApp's static server as its own process: `node --import tsx dapp/server/main.ts` with its
// options as JSON in KRAKEN_SERVICE_CONFIG: port, host, dataDir, mode, and either the browser's
// whole `config` (as npm start passes it) or `deploymentFile` plus the endpoints dappConfigFrom
// takes (rpcUrl, subgraphUrl, ipfsApiUrl, ipfsGatewayUrl, issuerUrl, relays…), as a deployment
// passes them. Builds the bundle first when its inputs changed.
import { readFileSync } from "node:fs";
import { configFailure, runService, serviceOptions } from "@kraken/sdk/ops";
import { dappConfigFrom } from "./config.ts";
import { startDapp, type DappServerOptions } from "./index.ts";

type Endpoints = Omit<Parameters<typeof dappConfigFrom>[0], "deployment" | "demo">;
type Options = Omit<DappServerOptions, "log" | "config"> & { config?: DappServerOptions["config"]; deploymentFile?: string } & Partial<Endpoints>;
const o = serviceOptions<Options>("dapp", "KRAKEN_SERVICE_CONFIG", "port, dataDir, config or deploymentFile and endpoints; docs/operations.md");
if (!o.config && !o.deploymentFile) configFailure("dapp", "KRAKEN_SERVICE_CONFIG needs `config` or `deploymentFile` (docs/operations.md)");
await runService("dapp", async (log) => {
  const config = o.config ?? dappConfigFrom({ ...(o as Endpoints), deployment: JSON.parse(readFileSync(o.deploymentFile!, "utf8")) });
  const dapp = await startDapp({ port: o.port, host: o.host, dataDir: o.dataDir, mode: o.mode, rateLimits: o.rateLimits, config, log });
  return { stop: dapp.stop, info: { url: dapp.url } };
});
