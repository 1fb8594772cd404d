// Test fixture for the identity flows: a real local chain (anvil on a random port, state in a
// temp dir), the marketplace deployed (optionally with the whole demo seed) by the code
// `npm start` uses, the demo issuer trusted on chain, and the issuer service on a free port.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { clientsFor, credentialsAbi, DEV_MNEMONIC, marketplaceChain, type Deployment } from "@kraken/sdk";
import { startChain } from "../../chain/src/index.ts";
import { startIssuer, type RunningIssuer } from "../../issuer/src/index.ts";
import { ensureDeployment } from "../../scripts/lib/deployment.ts";

export interface Stack {
  dir: string;
  rpcUrl: string;
  deployment: Deployment;
  deploymentFile: string;
  issuer: RunningIssuer;
  issuerDataDir: string;
  adminToken: string;
  logs: string[];
  /** Viem clients for development account `index` of the test mnemonic. */
  clients(index: number): ReturnType<typeof clientsFor> & { account: ReturnType<typeof mnemonicToAccount>; privateKey: Hex };
  restartIssuer(): Promise<RunningIssuer>;
  stop(): Promise<void>;
}

export async function startStack(o: { seed?: boolean } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "kraken-ssi-"));
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const chain = await startChain({ port, dataDir: join(dir, "chain"), log });
  const deploymentsDir = join(dir, "deployments");
  const { deployment } = await ensureDeployment({ rpcUrl: chain.rpcUrl, network: "localhost", deploymentsDir, seed: o.seed ?? false, log });
  const ch = marketplaceChain(chain.rpcUrl, deployment.chainId);
  const clients = (index: number) => {
    const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });
    const privateKey = `0x${Buffer.from(account.getHdKey().privateKey!).toString("hex")}` as Hex;
    return { ...clientsFor(ch, account, 20), account, privateKey };
  };
  if (!o.seed) {
    // The seed trusts the demo issuer (account #1); without it, do just that.
    const admin = clients(0);
    const hash = await admin.wallet.writeContract({ address: deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "trustIssuer", args: [clients(1).account.address] });
    await admin.publicClient.waitForTransactionReceipt({ hash });
  }
  const issuerDataDir = join(dir, "data", "issuer");
  const adminToken = "test-admin-token";
  const launch = () => startIssuer({ port: 0, rpcUrl: chain.rpcUrl, deployment, dataDir: issuerDataDir, adminToken, log: (l) => logs.push(`issuer: ${l}`) });
  const stack: Stack = {
    dir,
    rpcUrl: chain.rpcUrl,
    deployment,
    deploymentFile: join(deploymentsDir, "localhost.json"),
    issuer: await launch(),
    issuerDataDir,
    adminToken,
    logs,
    clients,
    async restartIssuer() {
      await stack.issuer.stop();
      stack.issuer = await launch();
      return stack.issuer;
    },
    async stop() {
      await stack.issuer.stop().catch(() => {});
      await chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return stack;
}
