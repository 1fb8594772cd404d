// Makes sure the marketplace is deployed (and, on a local chain, seeded) on the chain at
// `rpcUrl`: reuses deployments/<network>.json when its contracts are still on that chain,
// otherwise deploys afresh and rewrites the file. Off the local chain it needs a deployer key of
// its own (never a public development account) and can hand the admin roles to another address.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPublicClient, http, type Address, type Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { clientsFor, DEV_MNEMONIC, LOCAL_CHAIN_ID, marketplaceChain, type Deployment } from "@kraken/sdk";
import { configValue } from "@kraken/sdk/config";
import { artifactsHash, checkDeploymentKeys, deployMarketplace, DEV_ACCOUNTS, DeploymentRefusedError } from "../../contracts/scripts/deploy.ts";
import { seedDemo, type DemoFile } from "../../contracts/scripts/seed.ts";

export interface EnsureOptions {
  rpcUrl: string;
  network: string;
  deploymentsDir: string;
  seed: boolean;
  /** KRAKEN_DEPLOYER_KEY. Defaults to the first development account on the local chain only;
   *  required on any other chain, where a development account's key is refused. */
  deployerKey?: Hex;
  /** KRAKEN_ADMIN_ADDRESS: receives every admin role (e.g. a multisig); the deployer keeps none.
   *  Defaults to the deployer. */
  adminAddress?: Address;
  /** KRAKEN_REDEPLOY: deploy afresh even when the deployment file matches the chain. */
  redeploy?: boolean;
  /** See DeployOptions.streamRegistry (undefined: deploy one). */
  streamRegistry?: Address | null;
  log: (line: string) => void;
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n");
  renameSync(tmp, file); // never leave a half-written deployment file behind
}

export async function ensureDeployment(o: EnsureOptions): Promise<{ deployment: Deployment; demo?: DemoFile; fresh: boolean }> {
  const probe = createPublicClient({ transport: http(o.rpcUrl) });
  const chainId = await probe.getChainId();
  const chain = marketplaceChain(o.rpcUrl, chainId);
  const file = join(o.deploymentsDir, `${o.network}.json`);
  const demoFile = join(o.deploymentsDir, `${o.network}.demo.json`);

  if (existsSync(file)) {
    const existing: Deployment = JSON.parse(readFileSync(file, "utf8"));
    const code = existing.chainId === chainId ? await probe.getCode({ address: existing.contracts.Agreements.address }) : undefined;
    const stale = existing.artifactsHash !== artifactsHash();
    if (code && code !== "0x" && stale && o.network !== "localhost") {
      o.log(`warning: the contracts changed since ${file} was deployed; redeploy with KRAKEN_REDEPLOY=1`);
    }
    if (code && code !== "0x" && (!stale || o.network !== "localhost") && !(o.redeploy ?? configValue("KRAKEN_REDEPLOY"))) {
      o.log(`reusing the deployment in ${file} (chain state persisted)`);
      const demo = existsSync(demoFile) ? (JSON.parse(readFileSync(demoFile, "utf8")) as DemoFile) : undefined;
      return { deployment: existing, demo, fresh: false };
    }
    o.log(code && code !== "0x"
      ? `the contracts changed since ${file} was deployed: deploying afresh`
      : `${file} does not match the chain at ${o.rpcUrl} (new or reset chain): deploying afresh`);
  }

  if (!o.deployerKey && chainId !== LOCAL_CHAIN_ID) {
    throw new DeploymentRefusedError("no-deployer-key",
      `refusing to deploy to chain ${chainId} (not the local chain ${LOCAL_CHAIN_ID}) with the public development key: set KRAKEN_DEPLOYER_KEY`);
  }
  const account = o.deployerKey ? privateKeyToAccount(o.deployerKey) : mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 0 });
  const admin = o.adminAddress ?? account.address;
  checkDeploymentKeys(chainId, account.address, admin); // before anything is sent
  if (o.seed && admin.toLowerCase() !== DEV_ACCOUNTS[0].toLowerCase()) {
    throw new DeploymentRefusedError("seed-needs-development-admin",
      `the demo seed mints and trusts its issuer as development account #0, but the admin would be ${admin}: the demo seed (always on for the local chain, KRAKEN_SEED=1 otherwise) cannot be combined with KRAKEN_ADMIN_ADDRESS or another deployer key`);
  }
  if (chainId !== LOCAL_CHAIN_ID && !o.adminAddress) {
    o.log(`warning: the deployer ${account.address} stays admin (token minter, trusted-issuer registry, StreamRegistry) on chain ${chainId}; ` +
      `in production set KRAKEN_ADMIN_ADDRESS to a multisig to hand these roles over`);
  }
  const { wallet, publicClient } = clientsFor(chain, account, 20);
  const deployment = await deployMarketplace({
    network: o.network,
    rpcUrl: o.rpcUrl,
    wallet,
    publicClient,
    admin,
    streamRegistry: o.streamRegistry,
    log: o.log,
  });
  mkdirSync(o.deploymentsDir, { recursive: true });
  let demo: DemoFile | undefined;
  if (o.seed) {
    demo = await seedDemo(chain, deployment, o.log);
    writeJsonAtomic(demoFile, demo);
  }
  // Written last: its presence means "deployed and seeded".
  writeJsonAtomic(file, deployment);
  return { deployment, demo, fresh: true };
}
