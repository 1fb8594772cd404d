// Runs the issuer on its own against a running chain:
//   node --import tsx issuer/src/main.ts [--port 8787] [--deployment deployments/localhost.json] [--data-dir .data/issuer]
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Deployment } from "@kraken/sdk";
import { readConfig } from "@kraken/sdk/config";
import { startIssuer } from "./server.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cfg = readConfig();
const { values } = parseArgs({
  options: {
    port: { type: "string", default: String(cfg.KRAKEN_ISSUER_PORT) },
    deployment: { type: "string", default: join(root, "deployments", "localhost.json") },
    "data-dir": { type: "string", default: join(cfg.KRAKEN_DATA_DIR, "issuer") },
    rpc: { type: "string" },
  },
});
const deployment: Deployment = JSON.parse(readFileSync(values.deployment!, "utf8"));
const issuer = await startIssuer({
  port: Number(values.port),
  rpcUrl: values.rpc ?? cfg.KRAKEN_RPC_URL ?? deployment.rpcUrl,
  deployment,
  dataDir: values["data-dir"]!,
});
process.stdout.write(`issuer ${issuer.did} at ${issuer.url}\n`);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void issuer.stop().then(() => process.exit(0)));
