// Test fixture: an in-process Hardhat chain with the marketplace deployed by the same deploy
// code `npm start` uses, and helpers for the user flows (register, publish, buy).
import hre from "hardhat";
import {
  BaseError,
  ContractFunctionRevertedError,
  keccak256,
  parseEther,
  toHex,
  type Address,
  type Hex,
} from "viem";
import {
  agreementsAbi,
  catalogueAbi,
  Category,
  Country,
  credentialsAbi,
  dataTokenAbi,
  deriveEncryptionKeyPair,
  Modality,
  OrganisationType,
  policiesAbi,
  PricingUnit,
  ProductType,
  readOffer,
  signAttestation,
  toPolicyArgs,
  type Policy,
} from "@kraken/sdk";
import { deployMarketplace } from "../../contracts/scripts/deploy.ts";

export async function marketplaceFixture() {
  const connection = await hre.network.create();
  const { viem, networkHelpers } = connection;
  const publicClient = await viem.getPublicClient();
  const wallets = await viem.getWalletClients();
  const [admin, issuer] = wallets;
  const deployment = await deployMarketplace({
    network: "hardhat",
    rpcUrl: "in-process",
    wallet: admin,
    publicClient,
    admin: admin.account.address,
  });
  const c = deployment.contracts;
  const addr = {
    token: c.DataToken.address,
    credentials: c.Credentials.address,
    catalogue: c.Catalogue.address,
    policies: c.Policies.address,
    agreements: c.Agreements.address,
    unionFactory: c.DataUnionFactory!.address, // deployed: the fixture deploys a StreamRegistry
    streamRegistry: deployment.streamRegistry!,
  };
  type Wallet = (typeof wallets)[number];

  async function tx(p: Promise<Hex>) {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await p });
    if (receipt.status !== "success") throw new Error("transaction reverted");
    return receipt;
  }

  await tx(admin.writeContract({ address: addr.credentials, abi: credentialsAbi, functionName: "trustIssuer", args: [issuer.account.address] }));

  let nonce = 1n;
  async function register(
    who: Wallet,
    facts: { category: Category; organisationType?: OrganisationType; country: Country },
    overrides: Partial<{ issuedAt: bigint; expiresAt: bigint; chainId: bigint; signer: Wallet }> = {},
  ) {
    const now = BigInt(await networkHelpers.time.latest());
    const { publicKey } = await deriveEncryptionKeyPair({ address: who.account.address, chainId: deployment.chainId, signTypedData: (t) => who.signTypedData({ account: who.account, ...t }) });
    const att = {
      subject: who.account.address,
      issuer: issuer.account.address,
      category: facts.category,
      organisationType: facts.organisationType ?? OrganisationType.None,
      country: facts.country,
      credentialHash: keccak256(toHex(`vc of ${who.account.address} #${nonce}`)),
      encryptionKey: publicKey,
      issuedAt: overrides.issuedAt ?? now - 10n,
      expiresAt: overrides.expiresAt ?? now + 365n * 86400n,
      nonce: nonce++,
      chainId: overrides.chainId ?? BigInt(await publicClient.getChainId()),
    };
    const signature = await signAttestation(overrides.signer ?? issuer, addr.credentials, att, (overrides.signer ?? issuer).account);
    return { att, signature, send: () => tx(who.writeContract({ address: addr.credentials, abi: credentialsAbi, functionName: "register", args: [att, signature] })) };
  }

  type PublishOptions = Partial<{ productType: ProductType; modality: Modality; price: bigint; unit: PricingUnit; agents: Address[]; threshold: number; title: string; streams: string[] }>;
  async function publishTx(seller: Wallet, o: PublishOptions = {}) {
    return tx(
      seller.writeContract({
        address: addr.catalogue,
        abi: catalogueAbi,
        functionName: "publish",
        args: [
          o.productType ?? ProductType.Batch,
          o.modality ?? Modality.Anonymised,
          o.price ?? parseEther("10"),
          o.unit ?? PricingUnit.OneTime,
          o.agents ?? [wallets[11].account.address, wallets[12].account.address, wallets[13].account.address],
          o.threshold ?? 2,
          { metadataURI: "ipfs://bafkreitest", title: o.title ?? "Test data", summary: "s", category: "Health", tags: ["t"] },
          o.streams ?? [],
        ],
      }),
    );
  }

  async function publish(seller: Wallet, o: PublishOptions = {}): Promise<bigint> {
    return BigInt((await publishTx(seller, o)).logs[0].topics[1]!);
  }

  async function setPolicy(seller: Wallet, productId: bigint, terms: Policy) {
    return tx(seller.writeContract({ address: addr.policies, abi: policiesAbi, functionName: "setPolicy", args: toPolicyArgs(productId, terms) }));
  }

  async function fund(who: Wallet, amount: bigint) {
    await tx(admin.writeContract({ address: addr.token, abi: dataTokenAbi, functionName: "mint", args: [who.account.address, amount] }));
    await tx(who.writeContract({ address: addr.token, abi: dataTokenAbi, functionName: "approve", args: [addr.agreements, amount] }));
  }

  const balanceOf = (a: Address) => publicClient.readContract({ address: addr.token, abi: dataTokenAbi, functionName: "balanceOf", args: [a] });
  const agreement = (id: bigint) => publicClient.readContract({ address: addr.agreements, abi: agreementsAbi, functionName: "getAgreement", args: [id] });
  /** The policy version and pricing unit a request or renewal of `productId` pins now. */
  async function pins(productId: bigint): Promise<readonly [policyVersion: number, pricingUnit: PricingUnit]> {
    const o = await readOffer(publicClient, addr, productId);
    return [o.policyVersion, o.pricingUnit] as const;
  }

  return { connection, networkHelpers, publicClient, wallets, admin, issuer, addr, deployment, tx, register, publish, publishTx, setPolicy, fund, balanceOf, agreement, pins };
}

/** Awaits `p`, expecting a revert with custom error `errorName`; returns the error's args. */
export async function expectRevert(p: Promise<unknown>, errorName: string): Promise<readonly unknown[] | undefined> {
  try {
    await p;
  } catch (err) {
    const reverted = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
    if (reverted instanceof ContractFunctionRevertedError) {
      if (reverted.data?.errorName !== errorName) {
        throw new Error(`expected revert ${errorName}, got ${reverted.data?.errorName ?? reverted.shortMessage}`);
      }
      return reverted.data?.args;
    }
    throw err;
  }
  throw new Error(`expected revert ${errorName}, but the call succeeded`);
}
