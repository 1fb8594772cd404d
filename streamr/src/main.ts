// The local Streamr entry node as its own process: `node --import tsx streamr/src/main.ts` with
// its options (StreamrNetworkOptions without `log`) as JSON in KRAKEN_SERVICE_CONFIG. Reports the
// network settings every other Streamr client of the stack needs.
import { runService, serviceOptions } from "@kraken/sdk/ops";
import { startStreamrNetwork, type StreamrNetworkOptions } from "./network.ts";

const o = serviceOptions<StreamrNetworkOptions>("streamr", "KRAKEN_SERVICE_CONFIG", "port, rpcUrl, chainId, streamRegistry, dataDir; docs/operations.md");
await runService("streamr", async (log) => {
  const network = await startStreamrNetwork({ ...o, log });
  return { stop: network.stop, info: { settings: network.settings, entryPoint: network.entryPoint } };
});
