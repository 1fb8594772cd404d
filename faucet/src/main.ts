// The demo faucet as its own process: `node --import tsx faucet/src/main.ts` with its options
// (FaucetOptions without `log`; `amount` as a decimal string of wei) as JSON in
// KRAKEN_SERVICE_CONFIG; the deployment inline or as `deploymentFile`.
import { readFileSync } from "node:fs";
import { runService, serviceOptions } from "@kraken/sdk/ops";
import { startFaucet, type FaucetOptions } from "./server.ts";

type Options = Omit<FaucetOptions, "amount" | "deployment"> & { amount?: string; deployment?: FaucetOptions["deployment"]; deploymentFile?: string };
const o = serviceOptions<Options>("faucet", "KRAKEN_SERVICE_CONFIG", "rpcUrl, deployment or deploymentFile, dataDir, port; docs/operations.md");
await runService("faucet", async (log) => {
  const deployment = o.deployment ?? JSON.parse(readFileSync(o.deploymentFile!, "utf8"));
  const faucet = await startFaucet({ ...o, deployment, amount: o.amount === undefined ? undefined : BigInt(o.amount), log });
  return { stop: faucet.stop, info: { url: faucet.url, info: faucet.info } };
});
