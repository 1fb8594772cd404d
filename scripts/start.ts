// `npm start`: the whole marketplace on one machine, offline. Brings up the local chain,
// deploys and seeds the demo (first run only; the chain persists under .data/), and keeps
// running until Ctrl-C. Pointing at another chain is configuration (see README).
import { join } from "node:path";
import { startChain } from "../chain/src/index.ts";
import { startIssuer } from "../issuer/src/index.ts";
import { startIndexer } from "../indexer/src/index.ts";
import { pinDemoMetadata, startIpfs } from "../ipfs/src/index.ts";
import { buildSubgraph } from "../subgraph/scripts/build.ts";
import { compile } from "./compile.ts";
import { ensureDeployment } from "./lib/deployment.ts";
import { log, root } from "./lib/proc.ts";
import { createPublicClient, http, type Hex } from "viem";

const env = process.env;
const once = process.argv.includes("--once"); // deploy/seed, print, exit (used by tests and CI)
const dataDir = env.KRAKEN_DATA_DIR ?? join(root, ".data");
const deploymentsDir = env.KRAKEN_DEPLOYMENTS_DIR ?? join(root, "deployments");
const externalRpc = env.KRAKEN_RPC_URL; // e.g. a Besu/QBFT node; no local chain is started then

async function main(): Promise<void> {
  compile();
  let stopChain = async () => {};
  let rpcUrl = externalRpc;
  if (!rpcUrl) {
    const chain = await startChain({
      port: Number(env.KRAKEN_CHAIN_PORT ?? 8545),
      dataDir: join(dataDir, "chain"),
      log: (line) => log(`chain: ${line}`),
    });
    rpcUrl = chain.rpcUrl;
    stopChain = chain.stop;
  }
  const network = env.KRAKEN_NETWORK ?? (externalRpc ? "consortium" : "localhost");
  const { deployment, demo, fresh } = await ensureDeployment({
    rpcUrl,
    network,
    deploymentsDir,
    seed: externalRpc ? env.KRAKEN_SEED === "1" : true,
    deployerKey: env.KRAKEN_DEPLOYER_KEY as Hex | undefined,
    log,
  });

  // Product metadata and encrypted batch files live on IPFS: the embedded node, unless a Kubo
  // node is configured (KRAKEN_IPFS_API_URL / KRAKEN_IPFS_GATEWAY_URL).
  const ipfs = env.KRAKEN_IPFS_API_URL
    ? undefined
    : await startIpfs({
        apiPort: Number(env.KRAKEN_IPFS_API_PORT ?? 5001),
        gatewayPort: Number(env.KRAKEN_IPFS_GATEWAY_PORT ?? 8080),
        dataDir: join(dataDir, "ipfs"),
        log: (line) => log(`ipfs: ${line}`),
      });
  const ipfsApiUrl = env.KRAKEN_IPFS_API_URL ?? ipfs!.apiUrl;
  const ipfsGatewayUrl = env.KRAKEN_IPFS_GATEWAY_URL ?? ipfs!.gatewayUrl;
  if (demo) await pinDemoMetadata(ipfsApiUrl, demo); // idempotent: same bytes, same CIDs

  const issuer = await startIssuer({
    port: Number(env.KRAKEN_ISSUER_PORT ?? 8787),
    rpcUrl,
    deployment,
    dataDir: join(dataDir, "issuer"),
    log: (line) => log(`issuer: ${line}`),
  });

  // The subgraph runs on the local indexer unless a graph-node is configured (KRAKEN_SUBGRAPH_URL).
  const indexer = env.KRAKEN_SUBGRAPH_URL
    ? undefined
    : await startIndexer({
        rpcUrl,
        manifestFile: buildSubgraph(deployment),
        dataDir: join(dataDir, "indexer"),
        connectionString: env.KRAKEN_INDEXER_DATABASE_URL,
        port: Number(env.KRAKEN_INDEXER_PORT ?? 8000),
        log: (line) => log(`indexer: ${line}`),
      });
  await indexer?.waitFor(await headOf(rpcUrl), 120_000); // serve a caught-up catalogue
  const subgraphUrl = env.KRAKEN_SUBGRAPH_URL ?? indexer!.url;

  const lines = [
    "",
    "Kraken marketplace is up.",
    `  Chain JSON-RPC   ${rpcUrl}  (chain id ${deployment.chainId}${externalRpc ? "" : ", state kept in " + join(dataDir, "chain")})`,
    ...Object.entries(deployment.contracts).map(([name, c]) => `  ${name.padEnd(16)} ${c.address}`),
    `  Deployment       ${join(deploymentsDir, `${network}.json`)}${fresh ? " (new)" : ""}`,
    `  Subgraph GraphQL ${subgraphUrl}`,
    `  IPFS API         ${ipfsApiUrl}/api/v0   gateway ${ipfsGatewayUrl}/ipfs/<cid>`,
    `  Issuer (demo)    ${issuer.url}  (${issuer.did})`,
  ];
  if (demo) {
    lines.push(`  Demo personas    ${join(deploymentsDir, `${network}.demo.json`)} and docs/demo.md`);
    lines.push(`  Demo data        ${demo.products.length} products, ${demo.agreements.length} agreements`);
  }
  lines.push("", once ? "Done (--once)." : "Press Ctrl-C to stop; chain state is kept for the next start.", "");
  process.stdout.write(lines.join("\n"));

  const stopAll = async () => {
    await indexer?.stop();
    await ipfs?.stop();
    await issuer.stop();
    await stopChain();
  };
  if (once) return stopAll();
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = () => {
      // A Ctrl-C reaches us both from the terminal and through scripts/run.mjs: stop once.
      if (stopping) return log("still stopping (saving chain state)…");
      stopping = true;
      resolve();
    };
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, onSignal);
  });
  log("stopping…");
  await stopAll();
}

async function headOf(rpcUrl: string): Promise<bigint> {
  return createPublicClient({ transport: http(rpcUrl) }).getBlockNumber();
}

main().catch((err) => {
  log(`start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
