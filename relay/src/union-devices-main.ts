// A data union's member devices as their own process: `node --import tsx
// relay/src/union-devices-main.ts` with their options (UnionDevicesOptions without `log`;
// `productId` as a decimal string; the deployment inline or as `deploymentFile`) as JSON in
// KRAKEN_SERVICE_CONFIG.
import { readFileSync } from "node:fs";
import { runService, serviceOptions } from "@kraken/sdk/ops";
import { startUnionDevices, type UnionDevicesOptions } from "./union-devices.ts";

type Options = Omit<UnionDevicesOptions, "productId" | "deployment"> & { productId: string; deployment?: UnionDevicesOptions["deployment"]; deploymentFile?: string };
const o = serviceOptions<Options>("union", "KRAKEN_SERVICE_CONFIG", "union, productId, streamId, keys, rpcUrl, deployment or deploymentFile, streamr; docs/operations.md");
await runService("union", async (log) => {
  const deployment = o.deployment ?? JSON.parse(readFileSync(o.deploymentFile!, "utf8"));
  const devices = await startUnionDevices({ ...o, deployment, productId: BigInt(o.productId), log });
  return { stop: devices.stop, info: { streamId: devices.streamId, devices: devices.running() } };
});
