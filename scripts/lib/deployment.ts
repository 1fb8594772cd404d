// Makes sure the marketplace is deployed (and, on a local chain, seeded) on the chain at
// `rpcUrl`: reuses deployments/<network>.json when its contracts are still on that chain,
// otherwise deploys afresh and rewrites the file.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPublicClient, http, type Address, type Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { clientsFor, DEV_MNEMONIC, marketplaceChain, type Deployment } from "@kraken/sdk";
import { artifactsHash, deployMarketplace } from "../../contracts/scripts/deploy.ts";
import { seedDemo, type DemoFile } from "../../contracts/scripts/seed.ts";

export interface EnsureOptions {
  rpcUrl: string;
  network: string;
  deploymentsDir: string;
  seed: boolean;
  deployerKey?: Hex; // defaults to the first development account
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
    if (code && code !== "0x" && (!stale || o.network !== "localhost") && process.env.KRAKEN_REDEPLOY !== "1") {
      o.log(`reusing the deployment in ${file} (chain state persisted)`);
      const demo = existsSync(demoFile) ? (JSON.parse(readFileSync(demoFile, "utf8")) as DemoFile) : undefined;
      return { deployment: existing, demo, fresh: false };
    }
    o.log(code && code !== "0x"
      ? `the contracts changed since ${file} was deployed: deploying afresh`
      : `${file} does not match the chain at ${o.rpcUrl} (new or reset chain): deploying afresh`);
  }

  const account = o.deployerKey ? privateKeyToAccount(o.deployerKey) : mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 0 });
  const { wallet, publicClient } = clientsFor(chain, account, 20);
  const deployment = await deployMarketplace({
    network: o.network,
    rpcUrl: o.rpcUrl,
    wallet,
    publicClient,
    admin: account.address,
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
