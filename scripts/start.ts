// `npm start`: the whole marketplace on one machine, offline. Brings up the local chain,
// deploys and seeds the demo (first run only; the chain persists under .data/), and keeps
// running until Ctrl-C. Pointing at another chain is configuration (see README).
import "./lib/quiet-streamr.ts"; // first: before any Streamr module loads
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createPublicClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { relayHttpPort, streamFilterOf, type ProductMetadata, type RelayEndpoint } from "@kraken/sdk";
import type { SmpcNodeEndpoint } from "@kraken/sdk/analytics";
import {
  checkConfig, ConfigError, createLogger, flushAlerts, LOCAL_HOST, PUBLISHER_STREAMR_OFFSET, readConfig, setDefaultForLibraries, SMPC_STREAMR_OFFSET, UNION_DEVICES_STREAMR_OFFSET, variablesOf,
} from "@kraken/sdk/config";
import { sinkOf } from "@kraken/sdk/ops";
import { startChain } from "../chain/src/index.ts";
import { pinDemoMetadata } from "../ipfs/src/index.ts";
import { buildSubgraph } from "../subgraph/scripts/build.ts";
import { browserClientConfig, streamrEnv, type LocalNetworkSettings } from "../streamr/src/index.ts";
import { devRelayKeys, seedDemoBatchFiles } from "../relay/src/index.ts";
import { devSmpcKeys, seedDemoAnalytics, smpcDirectoryFile, smpcHttpPort } from "../smpc/src/index.ts";
import { dappConfigFrom } from "../dapp/server/config.ts";
import { ensureDeployment } from "./lib/deployment.ts";
import { log as plainLog } from "./lib/proc.ts";
import { Supervisor } from "./lib/supervisor.ts";

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
// sdk/src/config/log.ts); each service process logs the same way under its own component.
const startLog = createLogger("start");
const log = (msg: string) => startLog.info(msg);
const root = join(import.meta.dirname, "..");
let stopServices = async () => {};
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

  // Every service runs as its own process (scripts/lib/supervisor.ts): one crashing is restarted
  // while the others keep serving. Services that need nothing but the chain start together.
  const supervisor = new Supervisor({ root, log: startLog, stateFile: join(dataDir, "services.json") });
  stopServices = () => supervisor.stopAll();
  const deploymentFile = join(deploymentsDir, `${network}.json`);
  const streamrCfg = streamrEnv();
  const streamrPort = streamrCfg.port;
  const localStreamr = streamrCfg.environment === "local" && !!deployment.streamRegistry;
  if (streamrCfg.environment === "local" && !deployment.streamRegistry) log("streamr: the deployment links no StreamRegistry; stream products and relays are off");
  const [ipfs, issuer, faucet, indexer, streamr] = await Promise.all([
    // Product metadata and encrypted batch files live on IPFS: the embedded node, unless a Kubo
    // node is configured (KRAKEN_IPFS_API_URL / KRAKEN_IPFS_GATEWAY_URL).
    cfg.KRAKEN_IPFS_API_URL ? undefined : supervisor.start({
      name: "ipfs", entry: "ipfs/src/main.ts",
      options: { apiPort: cfg.KRAKEN_IPFS_API_PORT, gatewayPort: cfg.KRAKEN_IPFS_GATEWAY_PORT, dataDir: join(dataDir, "ipfs") },
    }),
    supervisor.start({
      name: "issuer", entry: "issuer/src/main.ts",
      options: { port: cfg.KRAKEN_ISSUER_PORT, rpcUrl, deploymentFile, dataDir: join(dataDir, "issuer") },
    }),
    // Demo DATA for any wallet that asks: on the local chain only (gas is free there already).
    externalRpc ? undefined : supervisor.start({
      name: "faucet", entry: "faucet/src/main.ts",
      options: { rpcUrl, deploymentFile, port: cfg.KRAKEN_FAUCET_PORT, dataDir: join(dataDir, "faucet") },
    }),
    // The subgraph runs on the local indexer unless a graph-node is configured (KRAKEN_SUBGRAPH_URL).
    cfg.KRAKEN_SUBGRAPH_URL ? undefined : supervisor.start({
      name: "indexer", entry: "indexer/src/main.ts",
      options: { rpcUrl, manifestFile: buildSubgraph(deployment), dataDir: join(dataDir, "indexer"), connectionString: cfg.KRAKEN_INDEXER_DATABASE_URL, port: cfg.KRAKEN_INDEXER_PORT },
    }),
    // Streamr: a local entry node on loopback (real-time streams and key deliveries) unless the
    // configuration points at another Streamr network (streamr/README.md).
    !localStreamr ? undefined : supervisor.start({
      name: "streamr", entry: "streamr/src/main.ts",
      options: { port: streamrPort, rpcUrl, chainId: deployment.chainId, streamRegistry: deployment.streamRegistry, dataDir: join(dataDir, "streamr") },
    }),
  ]);
  const ipfsApiUrl = cfg.KRAKEN_IPFS_API_URL ?? (ipfs!.info.apiUrl as string);
  const ipfsGatewayUrl = cfg.KRAKEN_IPFS_GATEWAY_URL ?? (ipfs!.info.gatewayUrl as string);
  if (demo) await pinDemoMetadata(ipfsApiUrl, demo); // idempotent: same bytes, same CIDs
  const subgraphUrl = cfg.KRAKEN_SUBGRAPH_URL ?? (indexer!.info.url as string);
  if (indexer) await caughtUp(subgraphUrl, await headOf(rpcUrl), 120_000); // serve a caught-up catalogue
  const issuerUrl = issuer.info.url as string;
  const streamrSettings = streamr?.info.settings as LocalNetworkSettings | undefined;

  // Relays (2-of-3 key shares for batch products) and the demo's publishers, local demo only:
  // on a real network relays and publishers run where their operators and sellers are.
  let relayDirectory: { address: string; url: string }[] | undefined;
  let smpcDirectory: { address: string; url: string }[] | undefined;
  let wearableStream: string | undefined;
  let publisherUrl: string | undefined;
  let unionDevices: { streamId: string; devices: number; url: string } | undefined;
  if (streamrSettings && demo) {
    // One process per relay, each from its own account (so they may start together).
    const relays = await Promise.all(devRelayKeys().map((key, i) => supervisor.start({
      name: `relay ${i + 1}`, entry: "relay/src/relay-main.ts", configVariable: "KRAKEN_RELAY_CONFIG",
      options: {
        key, rpcUrl, deploymentFile, ipfs: { apiUrl: ipfsApiUrl }, dataDir: join(dataDir, "relays", String(i + 1)),
        streamr: { network: streamrSettings, port: cfg.KRAKEN_RELAY_STREAMR_PORTS?.[i] ?? streamrPort + i + 1 },
        port: cfg.KRAKEN_RELAY_PORTS?.[i] ?? relayHttpPort(i + 1),
      },
    })));
    relayDirectory = relays.map((r) => ({ address: r.info.address as string, url: r.info.url as string }));
    writeJson(join(deploymentsDir, `${network}.relays.json`), relayDirectory);
    // The seeded batch products' files: encrypted by their sellers, key shares at the relays.
    const batch = await seedDemoBatchFiles({
      rpcUrl, deployment, demo, relays: relayDirectory as RelayEndpoint[], streamr: streamrSettings, ipfsApiUrl,
      outDir: join(dataDir, "demo-files"),
      log: sinkOf("demo files"),
    });
    if (batch.seeded.length) log(`demo files: ${batch.seeded.length} batch files encrypted and their key shares delivered to the relays`);
    if (batch.anonymised.length) log(`demo files: ${batch.anonymised.length} anonymised products made by the anonymiser, their reports bound on chain`);
    // The SMPC nodes computing analytics products; the demo hospital shares its admissions table
    // to them and the research institute's seeded query runs (first start only). Each node knows
    // the others' endpoints from the start: addresses follow from the keys, URLs from the ports.
    if (deployment.contracts.Analytics) {
      const keys = devSmpcKeys();
      const ports = keys.map((_, i) => cfg.KRAKEN_SMPC_PORTS?.[i] ?? smpcHttpPort(i + 1));
      const directory = keys.map((k, i) => ({ address: privateKeyToAccount(k).address, url: `http://${LOCAL_HOST}:${ports[i]}` }));
      const directoryFile = smpcDirectoryFile(deploymentsDir, network);
      writeJson(directoryFile, directory);
      const nodes = await Promise.all(keys.map((key, i) => supervisor.start({
        name: `smpc ${i + 1}`, entry: "smpc/src/node-main.ts", configVariable: "KRAKEN_SMPC_CONFIG",
        options: {
          key, rpcUrl, deploymentFile, ipfs: { apiUrl: ipfsApiUrl, gatewayUrl: ipfsGatewayUrl }, dataDir: join(dataDir, "smpc", String(i + 1)),
          streamr: { network: streamrSettings, port: cfg.KRAKEN_SMPC_STREAMR_PORTS?.[i] ?? streamrPort + SMPC_STREAMR_OFFSET + i + 1 },
          port: ports[i], directory, directoryFile,
        },
      })));
      smpcDirectory = nodes.map((n) => ({ address: n.info.address as string, url: n.info.url as string }));
      await seedDemoAnalytics({ rpcUrl, deployment, demo, nodes: smpcDirectory as SmpcNodeEndpoint[], ipfsApiUrl, ipfsGatewayUrl, log: sinkOf("demo analytics") });
    }
    // Anna's watch publishing to her seeded stream product.
    const wearableProduct = demo.products.find((p) => p.key === "anna-heart-rate");
    if (wearableProduct?.streams?.length) {
      const publisher = await supervisor.start({
        name: "publisher", entry: "relay/src/publisher-main.ts",
        options: {
          key: demo.personas[wearableProduct.seller].privateKey, rpcUrl, deploymentFile,
          productId: wearableProduct.id, streamId: wearableProduct.streams[0], opsPort: cfg.KRAKEN_PUBLISHER_PORT,
          streamr: { network: streamrSettings, port: cfg.KRAKEN_PUBLISHER_STREAMR_PORT ?? streamrPort + PUBLISHER_STREAMR_OFFSET },
        },
      });
      wearableStream = publisher.info.streamId as string;
      publisherUrl = publisher.info.url as string;
    }
    // The wearables data union's members, each publishing from their own device (own key),
    // through the product's stream filter (an anonymised product: its metadata configures one).
    const union = demo.unions?.find((u) => u.key === "wearables-union");
    if (union) {
      const devices = await supervisor.start({
        name: "union", entry: "relay/src/union-devices-main.ts",
        options: {
          union: union.address, productId: union.productId, streamId: union.streamId, opsPort: cfg.KRAKEN_UNION_DEVICES_PORT,
          filter: streamFilterOf(demo.products.find((p) => p.key === union.key)?.metadata as ProductMetadata | undefined),
          keys: union.members.map((m) => demo.personas[m].privateKey), rpcUrl, deploymentFile,
          streamr: { network: streamrSettings, ports: union.members.map((_, i) => cfg.KRAKEN_UNION_DEVICES_STREAMR_PORTS?.[i] ?? streamrPort + UNION_DEVICES_STREAMR_OFFSET + i) },
        },
      });
      unionDevices = devices.info as { streamId: string; devices: number; url: string };
    }
  }

  const dapp = await supervisor.start({
    name: "dapp", entry: "dapp/server/main.ts",
    readyTimeoutMs: 600_000, // a first start builds the bundle
    options: {
      port: cfg.KRAKEN_DAPP_PORT,
      dataDir: join(dataDir, "dapp"),
      config: dappConfigFrom({
        deployment,
        demo,
        rpcUrl,
        subgraphUrl,
        ipfsApiUrl,
        ipfsGatewayUrl,
        issuerUrl,
        faucetUrl: faucet?.info.url as string | undefined,
        streamRegistry: deployment.streamRegistry,
        streamr: streamrSettings ? (browserClientConfig(streamrSettings) as { entryPoints: unknown[] }) : undefined,
        relays: relayDirectory as RelayEndpoint[] | undefined,
        smpcNodes: smpcDirectory as SmpcNodeEndpoint[] | undefined,
      }),
    },
  });
  const entry = streamr?.info.entryPoint as { websocket?: { host: string; port: number } } | undefined;
  const faucetInfo = faucet?.info.info as { amount: string; cooldownSeconds: number } | undefined;

  const lines = [
    "",
    "Kraken marketplace is up.",
    `  Chain JSON-RPC   ${rpcUrl}  (chain id ${deployment.chainId}${externalRpc ? "" : ", state kept in " + join(dataDir, "chain")})`,
    ...Object.entries(deployment.contracts).map(([name, c]) => `  ${name.padEnd(16)} ${c.address}`),
    `  Deployment       ${join(deploymentsDir, `${network}.json`)}${fresh ? " (new)" : ""}`,
    `  Subgraph GraphQL ${subgraphUrl}`,
    `  IPFS API         ${ipfsApiUrl}/api/v0   gateway ${ipfsGatewayUrl}/ipfs/<cid>`,
    `  Issuer (demo)    ${issuerUrl}  (${issuer.info.did as string})`,
    ...(faucet && faucetInfo ? [`  Faucet (demo)    ${faucet.info.url as string}/drip  (gas is free; ${BigInt(faucetInfo.amount) / 10n ** 18n} DATA per address per ${faucetInfo.cooldownSeconds / 60} min: npx kraken faucet)`] : []),
    entry?.websocket ? `  Streamr entry    ws://${entry.websocket.host}:${entry.websocket.port}  (registry ${deployment.streamRegistry})` : `  Streamr          ${streamrCfg.environment === "local" ? "off" : streamrCfg.environment}`,
    ...(relayDirectory ? [`  Relays           ${relayDirectory.map((r) => r.url).join("  ")}  (/health)`] : []),
    ...(smpcDirectory ? [`  SMPC nodes       ${smpcDirectory.map((r) => r.url).join("  ")}  (/health)`] : []),
    ...(wearableStream ? [`  Demo wearable    publishing to ${wearableStream}  (${publisherUrl}/metrics)`] : []),
    ...(unionDevices ? [`  Data union       ${unionDevices.devices} member devices publishing to ${unionDevices.streamId}  (${unionDevices.url}/metrics)`] : []),
    `  dApp             ${dapp.info.url as string}`,
    `  Services         ${supervisor.count()} processes, each restarted if it stops (kraken status)`,
  ];
  if (demo) {
    lines.push(`  Demo personas    ${join(deploymentsDir, `${network}.demo.json`)} and docs/demo.md`);
    lines.push(`  Demo data        ${demo.products.length} products, ${demo.agreements.length} agreements`);
  }
  lines.push("", once ? "Done (--once)." : "Press Ctrl-C to stop; chain state is kept for the next start.", "");
  process.stdout.write(lines.join("\n"));

  const stopAll = async () => {
    await stopServices();
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

/** Waits until the indexer at `subgraphUrl` has indexed `block` (its _meta). */
async function caughtUp(subgraphUrl: string, block: bigint, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let seen: unknown;
  while (Date.now() < until) {
    try {
      const r = await fetch(subgraphUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ _meta { block { number } hasIndexingErrors } }" }), signal: AbortSignal.timeout(5000) });
      const meta = ((await r.json()) as { data?: { _meta?: { block: { number: number }; hasIndexingErrors: boolean } } }).data?._meta;
      seen = meta?.block.number;
      if (meta?.hasIndexingErrors) throw new Error("the indexer reports an indexing error (see its log)");
      if (meta && BigInt(meta.block.number) >= block) return;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("the indexer reports")) throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the indexer had not indexed block ${block} after ${timeoutMs / 1000} s (at ${String(seen ?? "none")})`);
}

/** Writes a directory file whole (readers never see half of it). */
function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2) + "\n");
  renameSync(`${file}.tmp`, file);
}

main().catch(async (err) => {
  startLog.fatal(`start failed: ${err instanceof Error ? err.message : String(err)}`);
  await stopServices();
  await flushAlerts(); // the alert e-mail, when configured, before the process ends
  process.exit(1);
});
