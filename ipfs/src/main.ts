// Runs the embedded IPFS node on its own:
//   node --import tsx ipfs/src/main.ts [--api-port 5001] [--gateway-port 8080] [--data-dir .data/ipfs]
//                                      [--max-upload-bytes N] [--pin-demo deployments/localhost.demo.json]
// or with its options (IpfsOptions without `log`) as JSON in KRAKEN_SERVICE_CONFIG, as npm start runs it.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LOCAL_HOST, readConfig } from "@kraken/sdk/config";
import { runService, serviceOptions } from "@kraken/sdk/ops";
import { DEFAULT_MAX_UPLOAD_BYTES, pinDemoMetadata, startIpfs, type IpfsOptions } from "./index.ts";

const cfg = readConfig();
let o: Omit<IpfsOptions, "log">;
let demo: string | undefined;
if (cfg.KRAKEN_SERVICE_CONFIG !== undefined) {
  o = serviceOptions<Omit<IpfsOptions, "log">>("ipfs", "KRAKEN_SERVICE_CONFIG", "apiPort, gatewayPort, dataDir; docs/operations.md");
} else {
  const { values } = parseArgs({
    options: {
      "api-port": { type: "string", default: String(cfg.KRAKEN_IPFS_API_PORT) },
      "gateway-port": { type: "string", default: String(cfg.KRAKEN_IPFS_GATEWAY_PORT) },
      host: { type: "string", default: LOCAL_HOST },
      "data-dir": { type: "string", default: join(cfg.KRAKEN_DATA_DIR, "ipfs") },
      "max-upload-bytes": { type: "string", default: String(DEFAULT_MAX_UPLOAD_BYTES) },
      "pin-demo": { type: "string" },
    },
  });
  o = { apiPort: Number(values["api-port"]), gatewayPort: Number(values["gateway-port"]), host: values.host, dataDir: values["data-dir"]!, maxUploadBytes: Number(values["max-upload-bytes"]) };
  demo = values["pin-demo"];
}
await runService("ipfs", async (log) => {
  const ipfs = await startIpfs({ ...o, log });
  if (demo) {
    if (!existsSync(demo)) log(`${demo} does not exist (run npm start first); nothing pinned`, "warn");
    else log(`pinned ${(await pinDemoMetadata(ipfs.apiUrl, demo)).length} product metadata documents from ${demo}`);
  }
  return { stop: ipfs.stop, info: { url: ipfs.apiUrl, apiUrl: ipfs.apiUrl, gatewayUrl: ipfs.gatewayUrl, peerId: ipfs.peerId } };
});
