// Test (and benchmark) fixture for batch delivery: a real local chain with the marketplace
// deployed, the demo issuer trusted, StreamRegistryV5, a Streamr entry node on loopback, an
// embedded IPFS node and three relays — all on free ports in a temp dir. Helpers register
// users (with their derived X25519 keys) and publish batch products through the SDK.
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { StreamrClient } from "@streamr/sdk";
import {
  agreementsAbi, catalogueAbi, Category, Country, credentialsAbi, deriveEncryptionKeyPair, distributeKey, encryptBatch, Modality,
  OrganisationType, policiesAbi, PricingUnit, ProductType, Purpose, readOffer, signAttestation, toPolicyArgs, type Policy, type RelayEndpoint,
} from "@kraken/sdk";
import { ipfsAdd, nodeSha256 } from "@kraken/sdk/delivery/node";
import { deployStreamRegistry, freePort, startStreamrNetwork, type RunningStreamrNetwork } from "@kraken/streamr";
import { startIpfs, type RunningIpfs } from "../../../ipfs/src/index.ts";
import { startStack, type Stack } from "../../../test/helpers/stack.ts";
import { startRelays, type RunningRelays } from "../../src/index.ts";

export const ACCOUNTS = { seller: 2, consumer: 4, consumer2: 5, outsider: 6, consumer3: 8, relays: [11, 12, 13] } as const;

export const OPEN_POLICY: Policy = {
  purposes: [Purpose.Research],
  consumerCategories: [Category.Individual, Category.Organisation],
  organisationTypes: [OrganisationType.Hospital, OrganisationType.ResearchUniversity, OrganisationType.Pharma, OrganisationType.HealthTech],
  jurisdictions: [Country.DE, Country.SE, Country.IT, Country.PT],
  requiresApproval: false,
  retentionDays: 0,
};

export interface DeliveryStack {
  s: Stack;
  dir: string;
  net: RunningStreamrNetwork;
  registry: Address;
  ipfs: RunningIpfs;
  relays: RunningRelays;
  directory: RelayEndpoint[];
  relayKeys: Hex[];
  logs: string[];
  /** A Streamr client of dev account `index` (destroyed by stop()). */
  streamrClient(index: number): StreamrClient;
  register(index: number, category?: Category): Promise<void>;
  publishBatch(o: { sellerIndex?: number; data: Uint8Array; policy?: Policy; title?: string; publisher: StreamrClient }): Promise<{ productId: bigint; link: string; ciphertextHash: Hex; plaintextHash: Hex; confirmed: Address[] }>;
  buy(consumerIndex: number, productId: bigint): Promise<{ agreementId: bigint; blockNumber: bigint; status: number }>;
  stop(): Promise<void>;
}

export async function startDeliveryStack(o: { relays?: number; pollMs?: number; seed?: boolean; registerRelays?: boolean } = {}): Promise<DeliveryStack> {
  const s = await startStack({ seed: o.seed ?? false });
  const dir = mkdtempSync(join(tmpdir(), "kraken-delivery-"));
  process.env.XDG_DATA_HOME = join(dir, "xdg"); // Streamr keeps group keys under env-paths("streamr-sdk")
  const logs: string[] = [];
  const clients: StreamrClient[] = [];
  const registry = s.deployment.streamRegistry ?? (await deployStreamRegistry({ rpcUrl: s.rpcUrl, deployerKey: s.clients(0).privateKey }));
  const net = await startStreamrNetwork({ port: await freePort(), rpcUrl: s.rpcUrl, streamRegistry: registry, log: () => {} });
  const ipfs = await startIpfs({ apiPort: 0, gatewayPort: 0, dataDir: join(dir, "ipfs"), log: () => {} });

  let nonce = BigInt(Date.now()) * 1000n;
  const register = async (index: number, category: Category = Category.Organisation) => {
    const c = s.clients(index);
    const existing = await c.publicClient.readContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "encryptionKeyOf", args: [c.account.address] });
    if (existing !== `0x${"0".repeat(64)}`) return;
    const issuer = s.clients(1);
    const { publicKey } = await deriveEncryptionKeyPair({ address: c.account.address, chainId: s.deployment.chainId, signTypedData: (t) => c.account.signTypedData(t) });
    const now = BigInt(Math.floor(Date.now() / 1000));
    const att = {
      subject: c.account.address, issuer: issuer.account.address, category,
      organisationType: category === Category.Individual ? OrganisationType.None : OrganisationType.ResearchUniversity,
      country: Country.SE, credentialHash: keccak256(toHex(randomUUID())), encryptionKey: publicKey,
      issuedAt: now - 60n, expiresAt: now + 365n * 86400n, nonce: nonce++, chainId: BigInt(s.deployment.chainId),
    };
    const signature = await signAttestation(issuer.wallet, s.deployment.contracts.Credentials.address, att, issuer.account);
    const hash = await c.wallet.writeContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "register", args: [att, signature] });
    await c.publicClient.waitForTransactionReceipt({ hash });
  };

  const relayKeys = ACCOUNTS.relays.slice(0, o.relays ?? 3).map((i) => s.clients(i).privateKey);
  if (o.registerRelays !== false) for (const i of ACCOUNTS.relays) await register(i);
  const streamrPorts = await Promise.all(relayKeys.map(() => freePort()));
  const relays = await startRelays({
    keys: relayKeys, rpcUrl: s.rpcUrl, deployment: s.deployment, streamr: net.settings, ipfs: { apiUrl: ipfs.apiUrl },
    dataDir: join(dir, "relays"), httpPorts: relayKeys.map(() => 0), streamrPorts, log: (l) => logs.push(l), pollMs: o.pollMs ?? 100,
  });

  const stack: DeliveryStack = {
    s, dir, net, registry, ipfs, relays, directory: relays.directory, relayKeys, logs,
    streamrClient(index) {
      const c = new StreamrClient(net.clientConfig(s.clients(index).privateKey, { id: `test-${index}`, keyRequestTimeoutMs: 5000 }));
      clients.push(c);
      return c;
    },
    register,
    async publishBatch(p) {
      const seller = s.clients(p.sellerIndex ?? ACCOUNTS.seller);
      const enc = encryptBatch((async function* () { yield p.data; })(), { createHash: nodeSha256 });
      const cid = await ipfsAdd(ipfs.apiUrl, enc.ciphertext);
      const hashes = enc.hashes();
      const link = `ipfs://${cid}`;
      const hash = await seller.wallet.writeContract({
        address: s.deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "publish",
        args: [ProductType.Batch, Modality.Encrypted, 0n, PricingUnit.OneTime, stack.directory.map((r) => r.address), 2,
          { metadataURI: link, title: p.title ?? "Test batch", summary: "", category: "test", tags: [] }, []], // no streams: a batch product
      });
      const receipt = await seller.publicClient.waitForTransactionReceipt({ hash });
      const productId = BigInt(receipt.logs[0].topics[1]!);
      const ph = await seller.wallet.writeContract({ address: s.deployment.contracts.Policies.address, abi: policiesAbi, functionName: "setPolicy", args: toPolicyArgs(productId, p.policy ?? OPEN_POLICY) });
      await seller.publicClient.waitForTransactionReceipt({ hash: ph });
      const { confirmed } = await distributeKey({ publicClient: seller.publicClient, deployment: s.deployment, productId, key: enc.key, link, hashes, publisher: p.publisher, relays: stack.directory });
      return { productId, link, ciphertextHash: hashes.ciphertextHash, plaintextHash: hashes.plaintextHash, confirmed };
    },
    async buy(consumerIndex, productId) {
      const b = s.clients(consumerIndex);
      const offer = await readOffer(b.publicClient, { catalogue: s.deployment.contracts.Catalogue.address, policies: s.deployment.contracts.Policies.address }, productId);
      const hash = await b.wallet.writeContract({ address: s.deployment.contracts.Agreements.address, abi: agreementsAbi, functionName: "requestAccess", args: [productId, Purpose.Research, offer.policyVersion, offer.pricingUnit, 1, 0n] });
      const receipt = await b.publicClient.waitForTransactionReceipt({ hash });
      const [created] = parseEventLogs({ abi: agreementsAbi, logs: receipt.logs, eventName: "AgreementCreated" });
      return { agreementId: created.args.agreementId, blockNumber: receipt.blockNumber, status: created.args.status };
    },
    async stop() {
      await Promise.all(clients.map((c) => c.destroy().catch(() => {})));
      await relays.stop();
      await net.stop().catch(() => {});
      await ipfs.stop().catch(() => {});
      await s.stop();
    },
  };
  return stack;
}
