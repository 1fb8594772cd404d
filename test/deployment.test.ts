// Deploying to a chain that is not the local development chain (review finding 8): the public
// development mnemonic must never become the marketplace's deployer or admin there, and the admin
// roles can be handed to a configured address (e.g. a multisig). Anvil started with chain id 1337
// stands in for such a chain.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, toHex, zeroHash, type Address, type Hex } from "viem";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { clientsFor, credentialsAbi, dataTokenAbi, DEV_MNEMONIC, marketplaceChain, streamRegistryAbi } from "@kraken/sdk";
import { freePort, startChain, type RunningChain } from "../chain/src/index.ts";
import { deployMarketplace } from "../contracts/scripts/deploy.ts";
import { ensureDeployment } from "../scripts/lib/deployment.ts";
import { issuerAccount } from "../issuer/src/identity.ts";

const OTHER_CHAIN_ID = 1337;
let chain: RunningChain;
let dir: string;

const client = () => createPublicClient({ transport: http(chain.rpcUrl) });
const devAccount = (i: number) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });
const devKey = (i: number) => toHex(devAccount(i).getHdKey().privateKey!);
const nonce = (address: Address) => client().getTransactionCount({ address });

async function freshFundedKey(): Promise<Hex> {
  const key = generatePrivateKey();
  await client().request({ method: "anvil_setBalance" as never, params: [privateKeyToAccount(key).address, toHex(10n ** 20n)] as never });
  return key;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kraken-deploy-"));
  chain = await startChain({ port: await freePort(), dataDir: join(dir, "chain"), chainId: OTHER_CHAIN_ID, log: () => {} });
  expect(await client().getChainId()).toBe(OTHER_CHAIN_ID);
});
afterAll(async () => {
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("deploying to a non-local chain", () => {
  it("refuses without an explicit deployer key and deploys nothing", async () => {
    const deploymentsDir = join(dir, "no-key");
    const before = await nonce(devAccount(0).address);
    await expect(ensureDeployment({ rpcUrl: chain.rpcUrl, network: "consortium", deploymentsDir, seed: false, log: () => {} }))
      .rejects.toMatchObject({ name: "DeploymentRefusedError", code: "no-deployer-key" });
    expect(await nonce(devAccount(0).address)).toBe(before);
    expect(existsSync(join(deploymentsDir, "consortium.json"))).toBe(false);
  });

  it("refuses a public development key, through ensureDeployment and deployMarketplace", async () => {
    const deploymentsDir = join(dir, "dev-key");
    const dev = devAccount(7);
    await expect(ensureDeployment({ rpcUrl: chain.rpcUrl, network: "consortium", deploymentsDir, seed: false, deployerKey: devKey(7), log: () => {} }))
      .rejects.toMatchObject({ name: "DeploymentRefusedError", code: "development-key" });
    const { wallet, publicClient } = clientsFor(marketplaceChain(chain.rpcUrl, OTHER_CHAIN_ID), privateKeyToAccount(devKey(7)), 20);
    await expect(deployMarketplace({ network: "consortium", rpcUrl: chain.rpcUrl, wallet, publicClient, admin: dev.address }))
      .rejects.toMatchObject({ name: "DeploymentRefusedError", code: "development-key" });
    expect(await nonce(dev.address)).toBe(0);
    expect(existsSync(join(deploymentsDir, "consortium.json"))).toBe(false);
  });

  it("refuses a public development account as the admin address", async () => {
    await expect(ensureDeployment({
      rpcUrl: chain.rpcUrl, network: "consortium", deploymentsDir: join(dir, "dev-admin"), seed: false,
      deployerKey: await freshFundedKey(), adminAddress: devAccount(0).address, log: () => {},
    })).rejects.toMatchObject({ name: "DeploymentRefusedError", code: "development-admin" });
  });

  it("with a fresh key and an admin address, hands every admin role to that address", async () => {
    const deploymentsDir = join(dir, "handover");
    const deployerKey = await freshFundedKey();
    const deployer = privateKeyToAccount(deployerKey).address;
    const admin = privateKeyToAccount(generatePrivateKey()).address; // stands in for a multisig
    const lines: string[] = [];
    const { deployment } = await ensureDeployment({
      rpcUrl: chain.rpcUrl, network: "consortium", deploymentsDir, seed: false, deployerKey, adminAddress: admin,
      log: (l) => lines.push(l),
    });
    expect(deployment.chainId).toBe(OTHER_CHAIN_ID);
    expect(deployment.admin).toBe(admin);
    expect(JSON.parse(readFileSync(join(deploymentsDir, "consortium.json"), "utf8")).admin).toBe(admin);
    expect(deployment.streamRegistry).toBeDefined();

    const c = client();
    const token = deployment.contracts.DataToken.address;
    const credentials = deployment.contracts.Credentials.address;
    const registry = deployment.streamRegistry!;
    const MINTER_ROLE = await c.readContract({ address: token, abi: dataTokenAbi, functionName: "MINTER_ROLE" });
    const TRUSTED_ROLE = await c.readContract({ address: registry, abi: streamRegistryAbi, functionName: "TRUSTED_ROLE" }) as Hex;
    const roles: [Address, typeof dataTokenAbi | typeof credentialsAbi | typeof streamRegistryAbi, Hex][] = [
      [token, dataTokenAbi, zeroHash],
      [token, dataTokenAbi, MINTER_ROLE],
      [credentials, credentialsAbi, zeroHash],
      [registry, streamRegistryAbi, zeroHash],
    ];
    const has = (address: Address, abi: (typeof roles)[number][1], role: Hex, account: Address) =>
      c.readContract({ address, abi, functionName: "hasRole", args: [role, account] } as never) as Promise<boolean>;
    for (const [address, abi, role] of roles) {
      expect(await has(address, abi, role, admin), `${address} ${role} held by the admin`).toBe(true);
      expect(await has(address, abi, role, deployer), `${address} ${role} not held by the deployer`).toBe(false);
    }
    // The deployer keeps no StreamRegistry privilege either; Agreements keeps its trusted path.
    expect(await has(registry, streamRegistryAbi, TRUSTED_ROLE, deployer)).toBe(false);
    expect(await has(registry, streamRegistryAbi, TRUSTED_ROLE, deployment.contracts.Agreements.address)).toBe(true);
    expect(lines.join("\n")).not.toMatch(/warning/i);
  });

  it("without an admin address, keeps the deployer key as admin and warns", async () => {
    const deployerKey = await freshFundedKey();
    const deployer = privateKeyToAccount(deployerKey).address;
    const lines: string[] = [];
    const { deployment } = await ensureDeployment({
      rpcUrl: chain.rpcUrl, network: "consortium", deploymentsDir: join(dir, "no-admin"), seed: false, deployerKey,
      log: (l) => lines.push(l),
    });
    expect(deployment.admin).toBe(deployer);
    expect(await client().readContract({ address: deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "hasRole", args: [zeroHash, deployer] })).toBe(true);
    expect(lines.join("\n")).toMatch(/warning: .*KRAKEN_ADMIN_ADDRESS/);
  });
});

describe("the issuer on a non-local chain", () => {
  it("refuses to sign with the development key unless KRAKEN_ISSUER_KEY is set", () => {
    const saved = process.env.KRAKEN_ISSUER_KEY;
    delete process.env.KRAKEN_ISSUER_KEY;
    try {
      expect(() => issuerAccount(OTHER_CHAIN_ID)).toThrow(/KRAKEN_ISSUER_KEY/);
      expect(issuerAccount(31337).address).toBe(devAccount(1).address); // the local demo is unchanged
      const key = generatePrivateKey();
      expect(issuerAccount(OTHER_CHAIN_ID, key).address).toBe(privateKeyToAccount(key).address);
    } finally {
      if (saved !== undefined) process.env.KRAKEN_ISSUER_KEY = saved;
    }
  });
});
