// Runs the embedded IPFS node on its own:
//   node --import tsx ipfs/src/main.ts [--api-port 5001] [--gateway-port 8080] [--data-dir .data/ipfs]
//                                      [--max-upload-bytes N] [--pin-demo deployments/localhost.demo.json]
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LOCAL_HOST, readConfig } from "@kraken/sdk/config";
import { DEFAULT_MAX_UPLOAD_BYTES, pinDemoMetadata, startIpfs } from "./index.ts";

const cfg = readConfig();
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
const ipfs = await startIpfs({
  apiPort: Number(values["api-port"]),
  gatewayPort: Number(values["gateway-port"]),
  host: values.host,
  dataDir: values["data-dir"]!,
  maxUploadBytes: Number(values["max-upload-bytes"]),
});
process.stdout.write(`ipfs API ${ipfs.apiUrl}/api/v0  gateway ${ipfs.gatewayUrl}/ipfs/<cid>  peer ${ipfs.peerId}\n`);
const demo = values["pin-demo"];
if (demo) {
  if (!existsSync(demo)) process.stderr.write(`ipfs: ${demo} does not exist (run npm start first); nothing pinned\n`);
  else process.stdout.write(`pinned ${(await pinDemoMetadata(ipfs.apiUrl, demo)).length} product metadata documents from ${demo}\n`);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void ipfs.stop().then(() => process.exit(0)));
