// Seeds the demo world (contracts/scripts/demo.ts) into a fresh deployment and returns the
// machine-readable description written to deployments/<network>.demo.json.
import { randomUUID } from "node:crypto";
import {
  keccak256,
  parseEther,
  parseEventLogs,
  toHex,
  type Abi,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import {
  agreementsAbi,
  dataUnionAbi,
  dataUnionFactoryAbi,
  individualsIn,
  ProductType,
  toUnionSetupArgs,
  catalogueAbi,
  clientsFor,
  credentialsAbi,
  dataTokenAbi,
  deriveEncryptionKeyPair,
  DEV_MNEMONIC,
  encodeMetadata,
  metadataCid,
  policiesAbi,
  readOffer,
  signAttestation,
  toPolicyArgs,
  CategoryNames,
  CountryNames,
  OrganisationTypeNames,
  type Deployment,
} from "@kraken/sdk";
import { streamRegistryAbi } from "@kraken/streamr/registry";
import { PERSONAS, PRODUCTS, STEPS, type DemoAnonymisation, type PersonaKey } from "./demo.ts";

export interface DemoFile {
  network: string;
  warning: string;
  mnemonic: string;
  personas: Record<
    PersonaKey,
    { name: string; role: string; address: Address; privateKey: Hex; accountIndex: number; category?: string; organisationType?: string; country?: string; encryptionPublicKey?: Hex }
  >;
  products: {
    id: number; key: string; title: string; seller: PersonaKey; metadataURI: string; metadata: unknown; streams: string[];
    /** anonymised batch products: how `npm start` makes the released file (relay/src/relay-demo.ts) */
    anonymise?: DemoAnonymisation;
  }[];
  agreements: { id: number; label: string; product: string; consumer: PersonaKey }[];
  /** the data unions behind DATA_UNION products: members still in, and those who parted */
  unions: { key: string; address: Address; productId: number; streamId: string; admin: PersonaKey; members: PersonaKey[]; parted: PersonaKey[] }[];
}

export async function seedDemo(chain: Chain, d: Deployment, log: (line: string) => void = () => {}): Promise<DemoFile> {
  const accounts = Object.fromEntries(
    PERSONAS.map((p) => [p.key, mnemonicToAccount(DEV_MNEMONIC, { addressIndex: p.accountIndex })]),
  ) as Record<PersonaKey, ReturnType<typeof mnemonicToAccount>>;
  const clients = (key: PersonaKey) => clientsFor(chain, accounts[key], 20);
  const { publicClient } = clients("admin");
  const c = d.contracts;

  async function send<const abi extends Abi, fn extends ContractFunctionName<abi, "nonpayable">>(
    as: PersonaKey,
    address: Address,
    abi: abi,
    functionName: fn,
    args: ContractFunctionArgs<abi, "nonpayable", fn>,
  ) {
    const { wallet } = clients(as);
    // The signature above checks each call. viem cannot resolve its parameter type for a generic
    // ABI, so the call takes its untyped form; function arguments are always a tuple.
    const call: { address: Address; abi: Abi; functionName: string; args: readonly unknown[] } = { address, abi, functionName, args: args as readonly unknown[] };
    // viem simulates first, so a revert surfaces as a decoded custom error.
    const hash = await wallet.writeContract(call);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${String(functionName)} by ${as} reverted (${hash})`);
    return receipt;
  }

  const demo: DemoFile = {
    network: d.network,
    warning: "Development keys from the public test mnemonic. Never use them on a real network.",
    mnemonic: DEV_MNEMONIC,
    personas: {} as DemoFile["personas"],
    products: [],
    agreements: [],
    unions: [],
  };

  // Issuer, tokens and credentials.
  await send("admin", c.Credentials.address, credentialsAbi, "trustIssuer", [accounts.issuer.address]);
  const { wallet: issuerWallet } = clients("issuer");
  const now = BigInt(Math.floor(Date.now() / 1000));
  let nonce = now * 1000n;
  for (const p of PERSONAS) {
    const account = accounts[p.key];
    const entry: DemoFile["personas"][PersonaKey] = {
      name: p.name,
      role: p.role,
      address: account.address,
      privateKey: toHex(account.getHdKey().privateKey!),
      accountIndex: p.accountIndex,
    };
    if (p.fundDATA) {
      await send("admin", c.DataToken.address, dataTokenAbi, "mint", [account.address, parseEther(String(p.fundDATA))]);
    }
    if (p.credential) {
      const { publicKey } = await deriveEncryptionKeyPair({ address: account.address, chainId: d.chainId, signTypedData: (t) => account.signTypedData(t) });
      // Stands in for the hash of the verifiable credential the issuer service will issue.
      const credentialHash = keccak256(toHex(JSON.stringify({ id: `urn:uuid:${randomUUID()}`, subject: account.address })));
      const att = {
        subject: account.address,
        issuer: accounts.issuer.address,
        ...p.credential,
        credentialHash,
        encryptionKey: publicKey,
        issuedAt: now - 60n,
        expiresAt: now + 365n * 86400n,
        nonce: nonce++,
        chainId: BigInt(d.chainId),
      };
      const signature = await signAttestation(issuerWallet, c.Credentials.address, att, accounts.issuer);
      await send(p.key, c.Credentials.address, credentialsAbi, "register", [att, signature]);
      Object.assign(entry, {
        category: CategoryNames[p.credential.category],
        organisationType: OrganisationTypeNames[p.credential.organisationType],
        country: CountryNames[p.credential.country],
        encryptionPublicKey: publicKey,
      });
    }
    demo.personas[p.key] = entry;
  }
  log(`registered ${PERSONAS.filter((p) => p.credential).length} personas with credentials`);

  // Products and their consent policies.
  const relays = [accounts.relay1.address, accounts.relay2.address, accounts.relay3.address];
  const smpcNodes = [accounts.smpc1.address, accounts.smpc2.address, accounts.smpc3.address];
  const productIds: Record<string, bigint> = {};
  for (const p of PRODUCTS) {
    const metadata = {
      schema: "kraken.product/v1" as const,
      title: p.title,
      summary: p.summary,
      description: p.description,
      category: p.category,
      tags: p.tags,
      // anonymised stream products: the filter their publishers apply to every message
      ...(p.streamFilter ? { streamFilter: p.streamFilter } : {}),
    };
    const metadataURI = `ipfs://${await metadataCid(encodeMetadata(metadata))}`;
    // Stream products sell a Streamr stream their seller owns: created on our StreamRegistry
    // (the id is `<owner address>/<path>`, as the Streamr SDK forms it).
    const streams: string[] = [];
    if (p.productType === ProductType.Stream && d.streamRegistry) {
      const path = `/kraken/${p.key}`;
      await send(p.seller, d.streamRegistry, streamRegistryAbi, "createStream", [path, JSON.stringify({ description: p.title })]);
      streams.push(`${accounts[p.seller].address.toLowerCase()}${path}`);
    }
    const description = { metadataURI, title: p.title, summary: p.summary, category: p.category, tags: p.tags };
    let id: bigint;
    if (p.union) {
      // A data union: the union contract (made by the factory) creates its own stream, publishes
      // the product and sets its policy; then its members join with their credentials.
      const factory = c.DataUnionFactory?.address;
      if (!factory) throw new Error("the demo's data unions need DataUnionFactory (a deployment with a StreamRegistry)");
      const setup = toUnionSetupArgs({
        feeBps: p.union.feePercent * 100, minMembers: p.union.minMembers, join: individualsIn(p.union.joinCountries), streamPath: p.union.streamPath,
        modality: p.modality, price: parseEther(String(p.priceDATA)), pricingUnit: p.pricingUnit, description, policy: p.policy,
      });
      const receipt = await send(p.seller, factory, dataUnionFactoryAbi, "create", [setup]);
      const [init] = parseEventLogs({ abi: dataUnionAbi, logs: receipt.logs, eventName: "UnionInitialized" });
      id = init.args.productId;
      for (const m of p.union.members) await send(m, init.address, dataUnionAbi, "join", []);
      streams.push(init.args.streamId);
      demo.unions.push({ key: p.key, address: init.address, productId: Number(id), streamId: init.args.streamId, admin: p.seller, members: [...p.union.members], parted: [] });
    } else {
      const receipt = await send(p.seller, c.Catalogue.address, catalogueAbi, "publish", [
        p.productType,
        p.modality,
        parseEther(String(p.priceDATA)),
        p.pricingUnit,
        p.computation ? smpcNodes : p.delivery ? relays : [],
        p.computation || p.delivery ? 2 : 0,
        description,
        streams,
      ]);
      id = BigInt(receipt.logs[0].topics[1]!);
      await send(p.seller, c.Policies.address, policiesAbi, "setPolicy", toPolicyArgs(id, p.policy));
    }
    productIds[p.key] = id;
    demo.products.push({ id: Number(id), key: p.key, title: p.title, seller: p.seller, metadataURI, metadata, streams, ...(p.anonymise ? { anonymise: p.anonymise } : {}) });
  }
  log(`published ${PRODUCTS.length} products with consent policies (${demo.unions.length} by data unions, with their members)`);

  // Agreements in every status.
  const labels: Record<string, { id: bigint; consumer: PersonaKey; product: string }> = {};
  const sellerOf = (product: string) => PRODUCTS.find((p) => p.key === product)!.seller; // a union's product: its admin
  for (const s of STEPS) {
    if (s.do === "request") {
      const product = PRODUCTS.find((p) => p.key === s.product)!;
      const periods = s.periods ?? 1;
      const total = parseEther(String(product.priceDATA)) * BigInt(periods);
      if (total > 0n) await send(s.as, c.DataToken.address, dataTokenAbi, "approve", [c.Agreements.address, total]);
      const offer = await readOffer(publicClient, { catalogue: c.Catalogue.address, policies: c.Policies.address }, productIds[s.product]);
      const receipt = await send(s.as, c.Agreements.address, agreementsAbi, "requestAccess", [
        productIds[s.product],
        s.purpose,
        offer.policyVersion,
        offer.pricingUnit,
        periods,
        total,
      ]);
      const created = receipt.logs.find((l) => l.address.toLowerCase() === c.Agreements.address.toLowerCase())!;
      const id = BigInt(created.topics[1]!);
      labels[s.label] = { id, consumer: s.as, product: s.product };
      demo.agreements.push({ id: Number(id), label: s.label, product: s.product, consumer: s.as });
    } else if (s.do === "approve" || s.do === "reject") {
      const a = labels[s.label];
      await send(sellerOf(a.product), c.Agreements.address, agreementsAbi, s.do, [a.id]);
    } else if (s.do === "cancel") {
      const a = labels[s.label];
      await send(a.consumer, c.Agreements.address, agreementsAbi, "cancel", [a.id]);
    } else if (s.do === "renew") {
      const a = labels[s.label];
      const product = PRODUCTS.find((p) => p.key === a.product)!;
      const total = parseEther(String(product.priceDATA)) * BigInt(s.periods);
      await send(a.consumer, c.DataToken.address, dataTokenAbi, "approve", [c.Agreements.address, total]);
      const offer = await readOffer(publicClient, { catalogue: c.Catalogue.address, policies: c.Policies.address }, productIds[a.product]);
      await send(a.consumer, c.Agreements.address, agreementsAbi, "renew", [a.id, offer.policyVersion, offer.pricingUnit, s.periods, total]);
    } else if (s.do === "retract") {
      await send(sellerOf(s.product), c.Policies.address, policiesAbi, "retractConsent", [
        productIds[s.product],
        accounts[s.consumer].address,
      ]);
    } else if (s.do === "part") {
      const u = demo.unions.find((x) => x.key === s.product)!;
      await send(s.member, u.address, dataUnionAbi, "part", []);
      u.members = u.members.filter((m) => m !== s.member);
      u.parted.push(s.member);
    } else if (s.do === "deliver") {
      const a = labels[s.label];
      const envelopeHash = keccak256(toHex(`demo envelope ${a.id} ${s.agent}`));
      await send(s.agent, c.Agreements.address, agreementsAbi, "recordDelivery", [a.id, envelopeHash]);
    }
  }
  log(`created ${demo.agreements.length} agreements (active, pending, rejected, cancelled)`);
  return demo;
}
