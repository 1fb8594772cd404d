// Runs the issuer on its own against a running chain:
//   node --import tsx issuer/src/main.ts [--port 8787] [--deployment deployments/localhost.json] [--data-dir .data/issuer] [--rpc URL]
// or with its options (IssuerOptions without `log`; the deployment inline or as `deploymentFile`)
// as JSON in KRAKEN_SERVICE_CONFIG, as npm start runs it.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Deployment } from "@kraken/sdk";
import { readConfig } from "@kraken/sdk/config";
import { runService, serviceOptions } from "@kraken/sdk/ops";
import { startIssuer, type IssuerOptions } from "./server.ts";

type Options = Omit<IssuerOptions, "deployment" | "log"> & { deployment?: Deployment; deploymentFile?: string };
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cfg = readConfig();
let o: Options;
if (cfg.KRAKEN_SERVICE_CONFIG !== undefined) {
  o = serviceOptions<Options>("issuer", "KRAKEN_SERVICE_CONFIG", "rpcUrl, deployment or deploymentFile, dataDir, port; docs/operations.md");
} else {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: String(cfg.KRAKEN_ISSUER_PORT) },
      deployment: { type: "string", default: join(root, "deployments", "localhost.json") },
      "data-dir": { type: "string", default: join(cfg.KRAKEN_DATA_DIR, "issuer") },
      rpc: { type: "string" },
    },
  });
  o = { port: Number(values.port), deploymentFile: values.deployment!, dataDir: values["data-dir"]!, rpcUrl: values.rpc ?? cfg.KRAKEN_RPC_URL ?? "" };
}
await runService("issuer", async (log) => {
  const deployment: Deployment = o.deployment ?? JSON.parse(readFileSync(o.deploymentFile!, "utf8"));
  const issuer = await startIssuer({ ...o, rpcUrl: o.rpcUrl || deployment.rpcUrl, deployment, log });
  return { stop: issuer.stop, info: { url: issuer.url, did: issuer.did } };
});
