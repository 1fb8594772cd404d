// A stream publisher (the demo wearable) as its own process: `node --import tsx
// relay/src/publisher-main.ts` with its options (WearablePublisherOptions without `log`;
// `productId` as a decimal string; the deployment inline or as `deploymentFile`) as JSON in
// KRAKEN_SERVICE_CONFIG.
import { readFileSync } from "node:fs";
import { runService, serviceOptions } from "@kraken/sdk/ops";
import { startWearablePublisher, type WearablePublisherOptions } from "./wearable.ts";

type Options = Omit<WearablePublisherOptions, "productId" | "deployment" | "pseudonymKey"> & { productId: string; deployment?: WearablePublisherOptions["deployment"]; deploymentFile?: string };
const o = serviceOptions<Options>("publisher", "KRAKEN_SERVICE_CONFIG", "key, rpcUrl, deployment or deploymentFile, productId, streamId, streamr; docs/operations.md");
await runService("publisher", async (log) => {
  const deployment = o.deployment ?? JSON.parse(readFileSync(o.deploymentFile!, "utf8"));
  const publisher = await startWearablePublisher({ ...o, deployment, productId: BigInt(o.productId), log });
  return { stop: publisher.stop, info: { streamId: publisher.streamId } };
});
