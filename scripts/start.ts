// `npm start`: the whole marketplace on one machine, offline. Brings up the local chain,
// deploys and seeds the demo (first run only; the chain persists under .data/), and keeps
// running until Ctrl-C. Pointing at another chain is configuration (see README).
import "./lib/quiet-streamr.ts"; // first: before any Streamr module loads
import { join } from "node:path";
import { startChain } from "../chain/src/index.ts";
import { startIssuer } from "../issuer/src/index.ts";
import { startIndexer } from "../indexer/src/index.ts";
import { pinDemoMetadata, startIpfs } from "../ipfs/src/index.ts";
import { buildSubgraph } from "../subgraph/scripts/build.ts";
import { browserClientConfig, startStreamrNetwork, streamrEnv, type RunningStreamrNetwork } from "../streamr/src/index.ts";
import {
  devRelayKeys, seedDemoBatchFiles, startRelays, startUnionDevices, startWearablePublisher, type RunningRelays, type RunningUnionDevices, type RunningWearablePublisher,
} from "../relay/src/index.ts";
import { seedDemoAnalytics, startSmpcNodes, type RunningSmpcNodes } from "../smpc/src/index.ts";
import { dappConfigFrom, startDapp } from "../dapp/server/index.ts";
import { startFaucet, type RunningFaucet } from "../faucet/src/index.ts";
import { ensureDeployment } from "./lib/deployment.ts";
import { log as plainLog } from "./lib/proc.ts";
import { createPublicClient, http } from "viem";
import { streamFilterOf, type ProductMetadata } from "@kraken/sdk";
import { checkConfig, ConfigError, createLogger, DEMO_RELAY_COUNT, flushAlerts, PUBLISHER_STREAMR_OFFSET, SMPC_STREAMR_OFFSET, readConfig, setDefaultForLibraries, UNION_DEVICES_STREAMR_OFFSET, variablesOf, type Logger, type LogLevel } from "@kraken/sdk/config";

// Every variable the stack reads is validated up front: a typo fails here, naming the variable
// and the value (the CLI's PRIVATE_KEY and the like are not ours to refuse).
try {
  checkConfig(variablesOf("start", "chain", "issuer", "ipfs", "streamr", "relay", "sdk"));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  plainLog(`configuration: ${err.message.replaceAll("\n", "\n  ")}`); // the logger's own settings may be the problem
  process.exit(2);
}

// One logger per component, all writing the process's log (JSON lines or readable lines; see
// sdk/src/config/log.ts). A service's log option is a sink: its entries keep their level and
// component (relays, SMPC nodes and publishers name themselves); plain lines are info.
const loggers = new Map<string, Logger>();
const loggerOf = (component: string): Logger => {
  let l = loggers.get(component);
  if (!l) loggers.set(component, (l = createLogger(component)));
  return l;
};
const sinkOf = (component: string) => (line: string, level: LogLevel = "info", entry?: { component: string; msg: string }) =>
  loggerOf(entry?.component ?? component)[level](entry?.msg ?? line);
const startLog = loggerOf("start");
const log = (msg: string) => startLog.info(msg);
const cfg = readConfig();
const once = process.argv.includes("--once"); // deploy/seed, print, exit (used by tests and CI)
const dataDir = cfg.KRAKEN_DATA_DIR;
const deploymentsDir = cfg.KRAKEN_DEPLOYMENTS_DIR;
const externalRpc = cfg.KRAKEN_RPC_URL; // e.g. a Besu/QBFT node; no local chain is started then
// Streamr clients keep group keys under env-paths("streamr-sdk"): keep them with our state.
setDefaultForLibraries("XDG_DATA_HOME", join(dataDir, "xdg"));

async function main(): Promise<void> {
  // The contracts were compiled and the ABIs generated before this file loaded (scripts/run.mjs).
  let stopChain = async () => {};
  let rpcUrl = externalRpc;
  if (!rpcUrl) {
    const chain = await startChain({
      port: cfg.KRAKEN_CHAIN_PORT,
      dataDir: join(dataDir, "chain"),
      log: sinkOf("chain"),
    });
    rpcUrl = chain.rpcUrl;
    stopChain = chain.stop;
  }
  const network = cfg.KRAKEN_NETWORK ?? (externalRpc ? "consortium" : "localhost");
  const { deployment, demo, fresh } = await ensureDeployment({
    rpcUrl,
    network,
    deploymentsDir,
    seed: externalRpc ? cfg.KRAKEN_SEED === true : true,
    deployerKey: cfg.KRAKEN_DEPLOYER_KEY,
    adminAddress: cfg.KRAKEN_ADMIN_ADDRESS,
    streamRegistry: cfg.KRAKEN_STREAMR_REGISTRY,
    redeploy: cfg.KRAKEN_REDEPLOY,
    log,
  });

  // Product metadata and encrypted batch files live on IPFS: the embedded node, unless a Kubo
  // node is configured (KRAKEN_IPFS_API_URL / KRAKEN_IPFS_GATEWAY_URL).
  const ipfs = cfg.KRAKEN_IPFS_API_URL
    ? undefined
    : await startIpfs({
        apiPort: cfg.KRAKEN_IPFS_API_PORT,
        gatewayPort: cfg.KRAKEN_IPFS_GATEWAY_PORT,
        dataDir: join(dataDir, "ipfs"),
        log: sinkOf("ipfs"),
      });
  const ipfsApiUrl = cfg.KRAKEN_IPFS_API_URL ?? ipfs!.apiUrl;
  const ipfsGatewayUrl = cfg.KRAKEN_IPFS_GATEWAY_URL ?? ipfs!.gatewayUrl;
  if (demo) await pinDemoMetadata(ipfsApiUrl, demo); // idempotent: same bytes, same CIDs

  const issuer = await startIssuer({
    port: cfg.KRAKEN_ISSUER_PORT,
    rpcUrl,
    deployment,
    dataDir: join(dataDir, "issuer"),
    log: sinkOf("issuer"),
  });

  // Demo DATA for any wallet that asks: on the local chain only (gas is free there already).
  const faucet: RunningFaucet | undefined = externalRpc
    ? undefined
    : await startFaucet({
        rpcUrl,
        deployment,
        port: cfg.KRAKEN_FAUCET_PORT,
        dataDir: join(dataDir, "faucet"),
        log: sinkOf("faucet"),
      });

  // The subgraph runs on the local indexer unless a graph-node is configured (KRAKEN_SUBGRAPH_URL).
  const indexer = cfg.KRAKEN_SUBGRAPH_URL
    ? undefined
    : await startIndexer({
        rpcUrl,
        manifestFile: buildSubgraph(deployment),
        dataDir: join(dataDir, "indexer"),
        connectionString: cfg.KRAKEN_INDEXER_DATABASE_URL,
        port: cfg.KRAKEN_INDEXER_PORT,
        log: sinkOf("indexer"),
      });
  await indexer?.waitFor(await headOf(rpcUrl), 120_000); // serve a caught-up catalogue
  const subgraphUrl = cfg.KRAKEN_SUBGRAPH_URL ?? indexer!.url;

  // Streamr: a local entry node on loopback (real-time streams and key deliveries) unless the
  // configuration points at another Streamr network (streamr/README.md).
  const streamrCfg = streamrEnv();
  const streamrPort = streamrCfg.port;
  let streamr: RunningStreamrNetwork | undefined;
  if (streamrCfg.environment === "local" && deployment.streamRegistry) {
    streamr = await startStreamrNetwork({
      port: streamrPort,
      rpcUrl,
      chainId: deployment.chainId,
      streamRegistry: deployment.streamRegistry,
      dataDir: join(dataDir, "streamr"),
      log: sinkOf("streamr"),
    });
  } else if (streamrCfg.environment === "local") {
    log("streamr: the deployment links no StreamRegistry; stream products and relays are off");
  }

  // Relays (2-of-3 key shares for batch products) and the demo's publishers, local demo only:
  // on a real network relays and publishers run where their operators and sellers are.
  let relays: RunningRelays | undefined;
  let wearable: RunningWearablePublisher | undefined;
  let unionDevices: RunningUnionDevices | undefined;
  let smpc: RunningSmpcNodes | undefined;
  if (streamr && demo) {
    relays = await startRelays({
      keys: devRelayKeys(),
      rpcUrl,
      deployment,
      streamr: streamr.settings,
      ipfs: { apiUrl: ipfsApiUrl },
      dataDir: join(dataDir, "relays"),
      httpPorts: cfg.KRAKEN_RELAY_PORTS,
      streamrPorts: cfg.KRAKEN_RELAY_STREAMR_PORTS ?? Array.from({ length: DEMO_RELAY_COUNT }, (_, i) => streamrPort + i + 1),
      deploymentsDir,
      log: sinkOf("relay"),
    });
    // The seeded batch products' files: encrypted by their sellers, key shares at the relays.
    const batch = await seedDemoBatchFiles({
      rpcUrl, deployment, demo, relays: relays.directory, streamr: streamr.settings, ipfsApiUrl,
      outDir: join(dataDir, "demo-files"),
      log: sinkOf("demo files"),
    });
    if (batch.seeded.length) log(`demo files: ${batch.seeded.length} batch files encrypted and their key shares delivered to the relays`);
    if (batch.anonymised.length) log(`demo files: ${batch.anonymised.length} anonymised products made by the anonymiser, their reports bound on chain`);
    // The SMPC nodes computing analytics products; the demo hospital shares its admissions table
    // to them and the research institute's seeded query runs (first start only).
    if (deployment.contracts.Analytics) {
      smpc = await startSmpcNodes({
        rpcUrl, deployment, streamr: streamr.settings, ipfs: { apiUrl: ipfsApiUrl, gatewayUrl: ipfsGatewayUrl },
        dataDir: join(dataDir, "smpc"), deploymentsDir,
        httpPorts: cfg.KRAKEN_SMPC_PORTS, streamrPorts: cfg.KRAKEN_SMPC_STREAMR_PORTS ?? [1, 2, 3].map((i) => streamrPort + SMPC_STREAMR_OFFSET + i),
        log: sinkOf("smpc"),
      });
      await seedDemoAnalytics({ rpcUrl, deployment, demo, nodes: smpc.directory, ipfsApiUrl, ipfsGatewayUrl, log: sinkOf("demo analytics") });
    }
    // Anna's watch publishing to her seeded stream product.
    const wearableProduct = demo.products.find((p) => p.key === "anna-heart-rate");
    if (wearableProduct?.streams?.length) {
      wearable = await startWearablePublisher({
        key: demo.personas[wearableProduct.seller].privateKey,
        rpcUrl,
        deployment,
        productId: BigInt(wearableProduct.id),
        streamId: wearableProduct.streams[0],
        streamr: { network: streamr.settings, port: cfg.KRAKEN_PUBLISHER_STREAMR_PORT ?? streamrPort + PUBLISHER_STREAMR_OFFSET },
        log: sinkOf("publisher"),
      });
    }
    // The wearables data union's members, each publishing from their own device (own key),
    // through the product's stream filter (an anonymised product: its metadata configures one).
    const union = demo.unions?.find((u) => u.key === "wearables-union");
    if (union) {
      unionDevices = await startUnionDevices({
        union: union.address, productId: BigInt(union.productId), streamId: union.streamId,
        filter: streamFilterOf(demo.products.find((p) => p.key === union.key)?.metadata as ProductMetadata | undefined),
        keys: union.members.map((m) => demo.personas[m].privateKey),
        rpcUrl, deployment,
        streamr: { network: streamr.settings, ports: union.members.map((_, i) => cfg.KRAKEN_UNION_DEVICES_STREAMR_PORTS?.[i] ?? streamrPort + UNION_DEVICES_STREAMR_OFFSET + i) },
        log: sinkOf("union"),
      });
    }
  }

  const dapp = await startDapp({
    port: cfg.KRAKEN_DAPP_PORT,
    dataDir: join(dataDir, "dapp"),
    log: sinkOf("dapp"),
    config: dappConfigFrom({
      deployment,
      demo,
      rpcUrl,
      subgraphUrl,
      ipfsApiUrl,
      ipfsGatewayUrl,
      issuerUrl: issuer.url,
      faucetUrl: faucet?.url,
      streamRegistry: deployment.streamRegistry,
      streamr: streamr ? (browserClientConfig(streamr.settings) as { entryPoints: unknown[] }) : undefined,
      relays: relays?.directory,
      smpcNodes: smpc?.directory,
    }),
  });

  const lines = [
    "",
    "Kraken marketplace is up.",
    `  Chain JSON-RPC   ${rpcUrl}  (chain id ${deployment.chainId}${externalRpc ? "" : ", state kept in " + join(dataDir, "chain")})`,
    ...Object.entries(deployment.contracts).map(([name, c]) => `  ${name.padEnd(16)} ${c.address}`),
    `  Deployment       ${join(deploymentsDir, `${network}.json`)}${fresh ? " (new)" : ""}`,
    `  Subgraph GraphQL ${subgraphUrl}`,
    `  IPFS API         ${ipfsApiUrl}/api/v0   gateway ${ipfsGatewayUrl}/ipfs/<cid>`,
    `  Issuer (demo)    ${issuer.url}  (${issuer.did})`,
    ...(faucet ? [`  Faucet (demo)    ${faucet.url}/drip  (gas is free; ${BigInt(faucet.info.amount) / 10n ** 18n} DATA per address per ${faucet.info.cooldownSeconds / 60} min: npx kraken faucet)`] : []),
    streamr ? `  Streamr entry    ws://${streamr.entryPoint.websocket!.host}:${streamr.entryPoint.websocket!.port}  (registry ${deployment.streamRegistry})` : `  Streamr          ${streamrCfg.environment === "local" ? "off" : streamrCfg.environment}`,
    ...(relays ? [`  Relays           ${relays.directory.map((r) => r.url).join("  ")}  (/health)`] : []),
    ...(smpc ? [`  SMPC nodes       ${smpc.directory.map((r) => r.url).join("  ")}  (/health)`] : []),
    ...(wearable ? [`  Demo wearable    publishing to ${wearable.streamId}`] : []),
    ...(unionDevices ? [`  Data union       ${unionDevices.running()} member devices publishing to ${unionDevices.streamId}`] : []),
    `  dApp             ${dapp.url}`,
  ];
  if (demo) {
    lines.push(`  Demo personas    ${join(deploymentsDir, `${network}.demo.json`)} and docs/demo.md`);
    lines.push(`  Demo data        ${demo.products.length} products, ${demo.agreements.length} agreements`);
  }
  lines.push("", once ? "Done (--once)." : "Press Ctrl-C to stop; chain state is kept for the next start.", "");
  process.stdout.write(lines.join("\n"));

  const stopAll = async () => {
    await dapp.stop();
    await wearable?.stop();
    await unionDevices?.stop();
    await smpc?.stop();
    await relays?.stop();
    await streamr?.stop();
    await indexer?.stop();
    await ipfs?.stop();
    await issuer.stop();
    await faucet?.stop();
    await stopChain();
  };
  if (once) {
    await stopAll();
    process.exit(0); // Streamr clients may leave timers behind
  }
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
  process.exit(0);
}

async function headOf(rpcUrl: string): Promise<bigint> {
  return createPublicClient({ transport: http(rpcUrl) }).getBlockNumber();
}

main().catch(async (err) => {
  startLog.fatal(`start failed: ${err instanceof Error ? err.message : String(err)}`);
  await flushAlerts(); // the alert e-mail, when configured, before the process ends
  process.exit(1);
});
