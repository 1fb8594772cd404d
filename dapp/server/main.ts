// The dApp's static server as its own process: `node --import tsx dapp/server/main.ts` with its
// options (DappServerOptions without `log`: port, dataDir, mode and the browser's `config`, see
// dappConfigFrom) as JSON in KRAKEN_SERVICE_CONFIG. Builds the bundle first when its inputs changed.
import { runService, serviceOptions } from "@kraken/sdk/ops";
import { startDapp, type DappServerOptions } from "./index.ts";

const o = serviceOptions<Omit<DappServerOptions, "log">>("dapp", "KRAKEN_SERVICE_CONFIG", "port, dataDir, config; docs/operations.md");
await runService("dapp", async (log) => {
  const dapp = await startDapp({ ...o, log });
  return { stop: dapp.stop, info: { url: dapp.url } };
});
