// Runs the compiled subgraph mappings over synthetic events and checks the entities they write.
// They live in indexer/ because they drive the mappings through the indexer's own WASM runtime
// (the same one `npm start` uses); the subgraph workspace has no runtime of its own.
import { beforeEach, describe, expect, it } from "vitest";
import { bytesToHex, concat, numberToHex, type Hex } from "viem";
import { MapEntityAccess, MappingModule, type EntityData } from "../../src/runtime/index.ts";
import { makeEvent, readAbi, readSchema, readWasm } from "./helpers.ts";

const ADDRESS = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const SELLER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as Hex;
const CONSUMER = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc" as Hex;
const ISSUER = "0x90f79bf6eb2c4f870365e785982e1f101e93b906" as Hex;
const schema = readSchema();

const abis = {
  Catalogue: readAbi("Catalogue"),
  Policies: readAbi("Policies"),
  Agreements: readAbi("Agreements"),
  Credentials: readAbi("Credentials"),
};
type DS = keyof typeof abis;

let store: MapEntityAccess;
let modules: Record<DS, MappingModule>;
const logs: string[] = [];

async function loadAll(withSchema = true): Promise<Record<DS, MappingModule>> {
  const out = {} as Record<DS, MappingModule>;
  for (const ds of Object.keys(abis) as DS[]) {
    out[ds] = await MappingModule.load(readWasm(ds), {
      dataSourceName: ds,
      address: ADDRESS,
      network: "localhost",
      store,
      schema: withSchema ? schema : undefined,
      log: (level, msg) => logs.push(`${level}: ${msg}`),
    });
  }
  return out;
}

function run(ds: DS, event: string, args: Record<string, unknown>, o: Parameters<typeof makeEvent>[3] = {}) {
  modules[ds].runHandler(`handle${event}`, makeEvent(abis[ds], event, args, o));
}

function publish(productId: bigint, seller: Hex = SELLER, timestamp = 1_700_000_000n) {
  run(
    "Catalogue",
    "ProductPublished",
    {
      productId,
      seller,
      productType: 1,
      modality: 1,
      price: 250n * 10n ** 18n,
      pricingUnit: 4,
      metadataURI: "ipfs://bafy/meta.json",
      title: "Cardiology outcomes 2019-2024",
      summary: "Anonymised outcomes of 12k patients",
      category: "health",
      tags: ["cardiology", "outcomes", "ecg"],
    },
    { timestamp },
  );
}

function get(entity: string, id: string): EntityData {
  const e = store.get(entity, id);
  expect(e, `${entity}[${id}]`).not.toBeNull();
  return e!;
}

beforeEach(async () => {
  store = new MapEntityAccess();
  logs.length = 0;
  modules = await loadAll();
});

describe("module loading", () => {
  it("lists imports, provides every one, and exports the manifest handlers", () => {
    for (const m of Object.values(modules)) {
      expect(m.unsupportedImports).toEqual([]);
      expect(m.implementedImports.length).toBe(m.imports.length);
      expect(m.imports).toContain("index.store.set");
    }
    expect(modules.Catalogue.handlers).toContain("handleProductPublished");
    expect(modules.Policies.imports).toContain("numbers.bigInt.rightShift");
    expect(modules.Agreements.imports).toContain("numbers.bigInt.plus");
  });
});

describe("Catalogue", () => {
  it("ProductPublished creates the Product, the seller Account and MarketStats", () => {
    publish(7n);
    const p = get("Product", "7");
    expect(p.id).toBe("7");
    expect(p.productId).toBe(7n);
    expect(p.productType).toBe("BATCH");
    expect(p.modality).toBe("ENCRYPTED");
    expect(p.pricingUnit).toBe("MONTH");
    expect(p.price).toBe(250n * 10n ** 18n);
    expect(p.title).toBe("Cardiology outcomes 2019-2024");
    expect(p.tags).toEqual(["cardiology", "outcomes", "ecg"]);
    expect(p.tagsText).toBe("cardiology outcomes ecg");
    expect(p.active).toBe(true);
    expect(p.deliveryAgents).toEqual([]);
    expect(p.threshold).toBe(0);
    expect(p.createdAt).toBe(1_700_000_000n);
    expect(p.salesCount).toBe(0);
    expect(p.revenue).toBe(0n);
    expect(p.requiresApproval).toBe(false);
    expect(bytesToHex(p.seller as Uint8Array)).toBe(SELLER);

    const seller = get("Account", SELLER);
    expect(bytesToHex(seller.id as Uint8Array)).toBe(SELLER);
    expect(seller.productsPublished).toBe(1);
    expect(seller.spent).toBe(0n);

    const stats = get("MarketStats", "global");
    expect(stats).toMatchObject({ products: 1, activeProducts: 1, sellers: 1, agreements: 0, volume: 0n, consumers: 0, buyers: 0 });
  });

  it("counts a second product of the same seller, updates and deactivates", () => {
    publish(1n);
    publish(2n);
    expect(get("Account", SELLER).productsPublished).toBe(2);
    expect(get("MarketStats", "global")).toMatchObject({ products: 2, activeProducts: 2, sellers: 1 });

    run("Catalogue", "ProductDescriptionUpdated", {
      productId: 2n,
      metadataURI: "ipfs://new",
      title: "New title",
      summary: "New summary",
      category: "genomics",
      tags: [],
    }, { timestamp: 1_700_000_100n });
    expect(get("Product", "2")).toMatchObject({ title: "New title", category: "genomics", tags: [], tagsText: "", updatedAt: 1_700_000_100n });
    // untouched fields survive (the entity was loaded and saved whole)
    expect(get("Product", "2").productType).toBe("BATCH");

    run("Catalogue", "ProductPriceUpdated", { productId: 2n, price: 99n, pricingUnit: 0 });
    expect(get("Product", "2")).toMatchObject({ price: 99n, pricingUnit: "ONE_TIME" });

    const agents = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"] as Hex[];
    run("Catalogue", "DeliveryAgentsUpdated", { productId: 2n, agents, threshold: 2 });
    const p2 = get("Product", "2");
    expect((p2.deliveryAgents as Uint8Array[]).map((a) => bytesToHex(a))).toEqual(agents);
    expect(p2.threshold).toBe(2);

    run("Catalogue", "ProductDeactivated", { productId: 2n });
    expect(get("Product", "2").active).toBe(false);
    expect(get("MarketStats", "global").activeProducts).toBe(1);
    run("Catalogue", "ProductDeactivated", { productId: 2n }); // no-op when already inactive
    expect(get("MarketStats", "global").activeProducts).toBe(1);
    run("Catalogue", "ProductReactivated", { productId: 2n });
    expect(get("MarketStats", "global").activeProducts).toBe(2);

    // unknown product: handler returns without writing
    const before = store.count();
    run("Catalogue", "ProductPriceUpdated", { productId: 999n, price: 1n, pricingUnit: 0 });
    expect(store.count()).toBe(before);
  });
});

describe("Policies", () => {
  it("PolicyUpdated creates a PolicyVersion from the bitmasks and updates the product", () => {
    publish(7n);
    run(
      "Policies",
      "PolicyUpdated",
      {
        productId: 7n,
        version: 1,
        purposes: (1 << 0) | (1 << 2) | (1 << 10), // RESEARCH, PUBLIC_HEALTH, STATISTICS
        consumerCategories: 0b11,
        organisationTypes: (1 << 0) | (1 << 1) | (1 << 2), // bit 0 = NONE is skipped
        jurisdictions: (1n << 1n) | (1n << 4n) | (1n << 32n), // DE, IT, SK
        requiresApproval: true,
        retentionDays: 365,
      },
      { timestamp: 1_700_000_500n },
    );
    const v = get("PolicyVersion", "7-1");
    expect(v.product).toBe("7");
    expect(v.version).toBe(1);
    expect(v.purposes).toEqual(["RESEARCH", "PUBLIC_HEALTH", "STATISTICS"]);
    expect(v.consumerCategories).toEqual(["INDIVIDUAL", "ORGANISATION"]);
    expect(v.organisationTypes).toEqual(["HOSPITAL", "RESEARCH_UNIVERSITY"]);
    expect(v.jurisdictions).toEqual(["DE", "IT", "SK"]);
    expect(v.requiresApproval).toBe(true);
    expect(v.retentionDays).toBe(365);
    expect(v.createdAt).toBe(1_700_000_500n);

    const p = get("Product", "7");
    expect(p.policy).toBe("7-1");
    expect(p.purposes).toEqual(["RESEARCH", "PUBLIC_HEALTH", "STATISTICS"]);
    expect(p.jurisdictions).toEqual(["DE", "IT", "SK"]);
    expect(p.requiresApproval).toBe(true);
    expect(p.updatedAt).toBe(1_700_000_500n);
  });

  it("ConsentRetracted / ConsentRestored maintain a Retraction", () => {
    publish(7n);
    run("Policies", "ConsentRetracted", { productId: 7n, consumer: CONSUMER });
    const id = `7-${CONSUMER}`;
    expect(get("Retraction", id)).toMatchObject({ product: "7", retracted: true });
    expect(bytesToHex(get("Retraction", id).consumer as Uint8Array)).toBe(CONSUMER);
    expect(get("Account", CONSUMER).purchasesCount).toBe(0);
    run("Policies", "ConsentRestored", { productId: 7n, consumer: CONSUMER });
    expect(get("Retraction", id).retracted).toBe(false);
  });
});

describe("Agreements", () => {
  const amount = 250n * 10n ** 18n;
  const created = (agreementId: bigint, status: number) => ({
    agreementId,
    productId: 7n,
    consumer: CONSUMER,
    seller: SELLER,
    purpose: 0,
    policyVersion: 1,
    status,
    amount,
    startsAt: status === 2 ? 1_700_001_000n : 0n,
    endsAt: status === 2 ? 1_702_593_000n : 0n,
  });

  it("AgreementCreated (ACTIVE) records the sale on product, accounts and market", () => {
    publish(7n);
    run("Agreements", "AgreementCreated", created(1n, 2), { timestamp: 1_700_001_000n });
    const a = get("Agreement", "1");
    expect(a).toMatchObject({
      agreementId: 1n,
      product: "7",
      purpose: "RESEARCH",
      status: "ACTIVE",
      policyVersion: "7-1",
      amountPaid: amount,
      startsAt: 1_700_001_000n,
      endsAt: 1_702_593_000n,
      renewals: 0,
    });
    expect(get("Product", "7")).toMatchObject({ salesCount: 1, revenue: amount });
    expect(get("Account", SELLER)).toMatchObject({ salesCount: 1, revenue: amount, productsPublished: 1 });
    expect(get("Account", CONSUMER)).toMatchObject({ purchasesCount: 1, spent: amount });
    expect(get("MarketStats", "global")).toMatchObject({ agreements: 1, volume: amount, consumers: 1, buyers: 1 });

    run("Agreements", "AgreementRenewed", { agreementId: 1n, periods: 1, endsAt: 1_705_185_000n, amount, policyVersion: 2 });
    expect(get("Agreement", "1")).toMatchObject({ renewals: 1, amountPaid: 2n * amount, policyVersion: "7-2" });
    expect(get("Product", "7")).toMatchObject({ salesCount: 1, revenue: 2n * amount });
    expect(get("MarketStats", "global")).toMatchObject({ agreements: 1, volume: 2n * amount, consumers: 1, buyers: 1 });
  });

  it("AgreementTerminated marks the agreement TERMINATED and takes the refund out of revenue and spending", () => {
    publish(7n);
    run("Agreements", "AgreementCreated", created(1n, 2));
    const refunded = amount / 4n;
    run("Agreements", "AgreementTerminated", { agreementId: 1n, refunded });
    expect(get("Agreement", "1")).toMatchObject({ status: "TERMINATED", amountPaid: amount - refunded, refunded });
    expect(get("Product", "7")).toMatchObject({ salesCount: 1, revenue: amount - refunded });
    expect(get("Account", SELLER)).toMatchObject({ revenue: amount - refunded });
    expect(get("Account", CONSUMER)).toMatchObject({ spent: amount - refunded });
    expect(get("MarketStats", "global")).toMatchObject({ volume: amount - refunded });
  });

  it("a PENDING agreement counts on approval; a rejected one never", () => {
    publish(7n);
    run("Agreements", "AgreementCreated", created(1n, 1));
    expect(get("Agreement", "1").status).toBe("PENDING");
    expect(get("Product", "7").salesCount).toBe(0);
    expect(get("MarketStats", "global")).toMatchObject({ agreements: 1, volume: 0n });
    run("Agreements", "AgreementApproved", { agreementId: 1n, startsAt: 5n, endsAt: 6n });
    expect(get("Agreement", "1")).toMatchObject({ status: "ACTIVE", startsAt: 5n, endsAt: 6n });
    expect(get("Product", "7")).toMatchObject({ salesCount: 1, revenue: amount });

    run("Agreements", "AgreementCreated", created(2n, 1));
    run("Agreements", "AgreementRejected", { agreementId: 2n, refunded: amount });
    expect(get("Agreement", "2")).toMatchObject({ status: "REJECTED", amountPaid: 0n });
    expect(get("Product", "7").salesCount).toBe(1);
  });

  it("DeliveryRecorded creates a Delivery with a Bytes id (tx hash ++ log index)", () => {
    publish(7n);
    run("Agreements", "AgreementCreated", created(1n, 2));
    const txHash = "0xabababababababababababababababababababababababababababababababab" as Hex;
    const envelopeHash = "0x" + "cd".repeat(32);
    run("Agreements", "DeliveryRecorded", { agreementId: 1n, agent: ISSUER, envelopeHash }, { txHash, logIndex: 3n, timestamp: 1_700_002_000n });
    // Bytes.concatI32 appends the i32 little-endian
    const id = concat([txHash, numberToHex(3, { size: 4 }).replace(/^0x(..)(..)(..)(..)$/, "0x$4$3$2$1") as Hex]);
    const d = get("Delivery", id);
    expect(bytesToHex(d.id as Uint8Array)).toBe(id);
    expect(d.agreement).toBe("1");
    expect(bytesToHex(d.agent as Uint8Array)).toBe(ISSUER);
    expect(bytesToHex(d.envelopeHash as Uint8Array)).toBe(envelopeHash);
    expect(d.timestamp).toBe(1_700_002_000n);
  });
});

describe("Credentials", () => {
  it("CredentialRegistered creates a Credential and links the Account", () => {
    const credentialHash = ("0x" + "11".repeat(32)) as Hex;
    const encryptionKey = ("0x" + "22".repeat(32)) as Hex;
    run("Credentials", "CredentialRegistered", {
      subject: CONSUMER,
      issuer: ISSUER,
      credentialHash,
      category: 1,
      organisationType: 1,
      country: 4,
      issuedAt: 1_690_000_000n,
      expiresAt: 1_790_000_000n,
      encryptionKey,
    }, { timestamp: 1_700_000_777n });
    const c = get("Credential", CONSUMER);
    expect(c).toMatchObject({
      category: "ORGANISATION",
      organisationType: "HOSPITAL",
      country: "IT",
      issuedAt: 1_690_000_000n,
      expiresAt: 1_790_000_000n,
      revoked: false,
      registeredAt: 1_700_000_777n,
    });
    expect(bytesToHex(c.subject as Uint8Array)).toBe(CONSUMER);
    expect(bytesToHex(c.issuer as Uint8Array)).toBe(ISSUER);
    expect(bytesToHex(c.credentialHash as Uint8Array)).toBe(credentialHash);
    expect(bytesToHex(c.encryptionKey as Uint8Array)).toBe(encryptionKey);
    expect(bytesToHex(get("Account", CONSUMER).credential as Uint8Array)).toBe(CONSUMER);

    run("Credentials", "EncryptionKeyRotated", { subject: CONSUMER, encryptionKey: credentialHash });
    expect(bytesToHex(get("Credential", CONSUMER).encryptionKey as Uint8Array)).toBe(credentialHash);
    run("Credentials", "CredentialRevoked", { subject: CONSUMER, issuer: ISSUER, credentialHash });
    expect(get("Credential", CONSUMER).revoked).toBe(true);
  });

  it("SubjectReadmitted records the re-admission; the credential stays revoked until a new registration", () => {
    const credentialHash = ("0x" + "33".repeat(32)) as Hex;
    const registered = (timestamp: bigint) =>
      run("Credentials", "CredentialRegistered", {
        subject: CONSUMER, issuer: ISSUER, credentialHash, category: 0, organisationType: 0, country: 4,
        issuedAt: 1_690_000_000n, expiresAt: 1_790_000_000n, encryptionKey: credentialHash,
      }, { timestamp });
    registered(1_700_000_000n);
    run("Credentials", "CredentialRevoked", { subject: CONSUMER, issuer: ISSUER, credentialHash });
    run("Credentials", "SubjectReadmitted", { subject: CONSUMER, by: ISSUER }, { timestamp: 1_700_000_500n });
    const readmitted = get("Credential", CONSUMER);
    expect(readmitted).toMatchObject({ revoked: true, readmittedAt: 1_700_000_500n });
    expect(bytesToHex(readmitted.readmittedBy as Uint8Array)).toBe(ISSUER);
    registered(1_700_000_900n);
    const fresh = get("Credential", CONSUMER);
    expect(fresh).toMatchObject({ revoked: false, registeredAt: 1_700_000_900n });
    expect(fresh.readmittedAt ?? null).toBeNull();
    expect(fresh.readmittedBy ?? null).toBeNull();
  });

  it("IssuerTrusted / IssuerUntrusted", () => {
    run("Credentials", "IssuerTrusted", { issuer: ISSUER }, { timestamp: 10n });
    expect(get("Issuer", ISSUER)).toMatchObject({ trusted: true, updatedAt: 10n });
    run("Credentials", "IssuerUntrusted", { issuer: ISSUER }, { timestamp: 11n });
    expect(get("Issuer", ISSUER)).toMatchObject({ trusted: false, updatedAt: 11n });
  });
});

describe("without a schema", () => {
  it("runs the same handlers with untyped values", async () => {
    modules = await loadAll(false);
    publish(7n);
    expect(get("Product", "7")).toMatchObject({ productType: "BATCH", tagsText: "cardiology outcomes ecg" });
    expect(get("Account", SELLER).productsPublished).toBe(1);
  });
});
