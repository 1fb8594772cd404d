// A stream publisher (the demo wearable) as its own process: `node --import tsx
// relay/src/publisher-main.ts` with its options (WearablePublisherOptions without `log`;
// `productId` as a decimal string; the deployment inline or as `deploymentFile`) as JSON in
// KRAKEN_SERVICE_CONFIG. With `opsPort`, serves /health, /ready and /metrics there.
import { readFileSync } from "node:fs";
import { runService, serveOps, serviceOptions } from "@kraken/sdk/ops";
import { publisherOps } from "./publisher-ops.ts";
import { startWearablePublisher, type WearablePublisherOptions } from "./wearable.ts";

type Options = Omit<WearablePublisherOptions, "productId" | "deployment" | "pseudonymKey"> & { productId: string; deployment?: WearablePublisherOptions["deployment"]; deploymentFile?: string; opsPort?: number };
const o = serviceOptions<Options>("publisher", "KRAKEN_SERVICE_CONFIG", "key, rpcUrl, deployment or deploymentFile, productId, streamId, streamr; docs/operations.md");
await runService("publisher", async (log) => {
  const deployment = o.deployment ?? JSON.parse(readFileSync(o.deploymentFile!, "utf8"));
  const publisher = await startWearablePublisher({ ...o, deployment, productId: BigInt(o.productId), log });
  const { ops, refresh } = publisherOps({ service: "publisher", streamId: publisher.streamId, published: publisher.published });
  const http = o.opsPort === undefined ? undefined : await serveOps(ops, { port: o.opsPort, refresh });
  return {
    stop: async () => {
      await http?.close();
      await publisher.stop();
    },
    info: { streamId: publisher.streamId, url: http?.url },
  };
});
