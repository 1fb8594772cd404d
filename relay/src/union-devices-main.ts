// A data union's member devices as their own process: `node --import tsx
// relay/src/union-devices-main.ts` with their options (UnionDevicesOptions without `log`;
// `productId` as a decimal string; the deployment inline or as `deploymentFile`) as JSON in
// KRAKEN_SERVICE_CONFIG. With `opsPort`, serves /health, /ready and /metrics there.
import { readFileSync } from "node:fs";
import { runService, serveOps, serviceOptions } from "@kraken/sdk/ops";
import { publisherOps } from "./publisher-ops.ts";
import { startUnionDevices, type UnionDevicesOptions } from "./union-devices.ts";

type Options = Omit<UnionDevicesOptions, "productId" | "deployment"> & { productId: string; deployment?: UnionDevicesOptions["deployment"]; deploymentFile?: string; opsPort?: number };
const o = serviceOptions<Options>("union", "KRAKEN_SERVICE_CONFIG", "union, productId, streamId, keys, rpcUrl, deployment or deploymentFile, streamr; docs/operations.md");
await runService("union", async (log) => {
  const deployment = o.deployment ?? JSON.parse(readFileSync(o.deploymentFile!, "utf8"));
  const devices = await startUnionDevices({ ...o, deployment, productId: BigInt(o.productId), log });
  const { ops, refresh } = publisherOps({
    service: "union", streamId: devices.streamId, devices: devices.running,
    published: () => devices.published().reduce((a, b) => a + b, 0),
  });
  const http = o.opsPort === undefined ? undefined : await serveOps(ops, { port: o.opsPort, refresh });
  return {
    stop: async () => {
      await http?.close();
      await devices.stop();
    },
    info: { streamId: devices.streamId, devices: devices.running(), url: http?.url },
  };
});
