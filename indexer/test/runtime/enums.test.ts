// Enum values in events: every value declared in contracts/src/MarketTypes.sol is indexed under
// its GraphQL name, and a value the subgraph does not know (appended in Solidity without
// rebuilding) stops the handler with a deterministic MappingError naming the enum and the value,
// never a silent default (the indexer then stops at that block, as graph-node does).
import { beforeEach, describe, expect, it } from "vitest";
import type { Hex } from "viem";
import { MapEntityAccess, MappingError, MappingModule } from "../../src/runtime/index.ts";
import { readMarketEnums } from "../../../scripts/lib/enums.ts";
import { graphqlName } from "../../../subgraph/scripts/enums.ts";
import { makeEvent, readAbi, readSchema, readWasm } from "./helpers.ts";

const ADDRESS = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const SELLER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as Hex;
const CONSUMER = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc" as Hex;
const ISSUER = "0x90f79bf6eb2c4f870365e785982e1f101e93b906" as Hex;
const schema = readSchema();
const solidity = Object.fromEntries(readMarketEnums().map((e) => [e.name, e.members]));

const abis = {
  Catalogue: readAbi("Catalogue"),
  Policies: readAbi("Policies"),
  Agreements: readAbi("Agreements"),
  Credentials: readAbi("Credentials"),
};
type DS = keyof typeof abis;

let store: MapEntityAccess;
let modules: Record<DS, MappingModule>;

beforeEach(async () => {
  store = new MapEntityAccess();
  modules = {} as Record<DS, MappingModule>;
  for (const ds of Object.keys(abis) as DS[]) {
    modules[ds] = await MappingModule.load(readWasm(ds), { dataSourceName: ds, address: ADDRESS, network: "localhost", store, schema });
  }
});

function run(ds: DS, event: string, args: Record<string, unknown>) {
  modules[ds].runHandler(`handle${event}`, makeEvent(abis[ds], event, args, { blockNumber: 77n }));
}

/** Runs the handler, expects it to fail; returns the MappingError. */
function failing(ds: DS, event: string, args: Record<string, unknown>): MappingError {
  const before = store.count();
  try {
    run(ds, event, args);
  } catch (e) {
    expect(e).toBeInstanceOf(MappingError);
    const err = e as MappingError;
    expect(err.kind).toBe("abort");
    expect(err.deterministic).toBe(true); // graph-node and the indexer stop; no retry
    expect(err.handler).toBe(`handle${event}`);
    expect(err.blockNumber).toBe(77n);
    expect(store.count()).toBe(before); // nothing the handler wrote before failing is kept
    return err;
  }
  throw new Error(`handle${event} did not fail`);
}

const agreement = (purpose: number, status = 2) => ({
  agreementId: 1n, productId: 7n, consumer: CONSUMER, seller: SELLER, purpose, policyVersion: 1, status,
  amount: 10n, startsAt: 1n, endsAt: 2n,
});
const product = (productType: number, modality = 0, pricingUnit = 0) => ({
  productId: 7n, seller: SELLER, productType, modality, price: 1n, pricingUnit, metadataURI: "ipfs://m",
  title: "t", summary: "s", category: "health", tags: [],
});
const credential = (category: number, organisationType: number, country: number) => ({
  subject: CONSUMER, issuer: ISSUER, credentialHash: ("0x" + "11".repeat(32)) as Hex, category, organisationType,
  country, issuedAt: 1n, expiresAt: 2n, encryptionKey: ("0x" + "22".repeat(32)) as Hex,
});
const policy = (purposes: number, jurisdictions: bigint) => ({
  productId: 7n, version: 1, purposes, consumerCategories: 0b01, organisationTypes: 0, jurisdictions,
  requiresApproval: false, retentionDays: 0,
});

describe("enum values", () => {
  it("every Purpose declared in MarketTypes.sol is indexed under its GraphQL name", () => {
    solidity.Purpose.forEach((member, value) => {
      run("Agreements", "AgreementCreated", { ...agreement(value), agreementId: BigInt(value + 1) });
      expect(store.get("Agreement", String(value + 1))?.purpose).toBe(graphqlName(member));
    });
  });

  it("an unknown Purpose stops the handler with an error naming the enum and the value", () => {
    const err = failing("Agreements", "AgreementCreated", agreement(200));
    expect(err.reason).toMatch(/^unknown Purpose value 200 \(the subgraph knows 0\.\.10; regenerate it/);
    expect(err.file).toMatch(/shared\.ts$/);
    expect(err.message).toContain("Mapping Agreements.handleAgreementCreated failed at block #77");
    // The first value past the last declared one fails too: no off-by-one default.
    expect(failing("Agreements", "AgreementCreated", agreement(solidity.Purpose.length)).reason).toMatch(
      new RegExp(`^unknown Purpose value ${solidity.Purpose.length} `),
    );
  });

  it("unknown AgreementStatus, ProductType, Modality and PricingUnit values fail", () => {
    const statuses = solidity.AgreementStatus.length;
    expect(failing("Agreements", "AgreementCreated", agreement(0, statuses)).reason).toMatch(
      new RegExp(`^unknown AgreementStatus value ${statuses} `),
    );
    expect(failing("Catalogue", "ProductPublished", product(9)).reason).toMatch(/^unknown ProductType value 9 /);
    expect(failing("Catalogue", "ProductPublished", product(0, 3)).reason).toMatch(/^unknown Modality value 3 /);
    expect(failing("Catalogue", "ProductPublished", product(0, 0, 255)).reason).toMatch(/^unknown PricingUnit value 255 /);
    run("Catalogue", "ProductPublished", product(0));
    expect(failing("Catalogue", "ProductPriceUpdated", { productId: 7n, price: 2n, pricingUnit: 5 }).reason).toMatch(
      /^unknown PricingUnit value 5 /,
    );
  });

  it("unknown Category, OrganisationType and Country values in a credential fail", () => {
    expect(failing("Credentials", "CredentialRegistered", credential(2, 0, 1)).reason).toMatch(/^unknown Category value 2 /);
    expect(failing("Credentials", "CredentialRegistered", credential(1, 9, 1)).reason).toMatch(
      /^unknown OrganisationType value 9 /,
    );
    expect(failing("Credentials", "CredentialRegistered", credential(0, 0, 33)).reason).toMatch(/^unknown Country value 33 /);
    run("Credentials", "CredentialRegistered", credential(0, 0, 32));
    expect(store.get("Credential", CONSUMER)?.country).toBe("SK");
  });

  it("a bitmask with a bit past the enum's last value fails, naming the value", () => {
    expect(failing("Policies", "PolicyUpdated", policy((1 << 0) | (1 << 11), 1n << 1n)).reason).toMatch(
      /^unknown Purpose value 11 in bitmask 2049 \(the subgraph knows 0\.\.10/,
    );
    expect(failing("Policies", "PolicyUpdated", policy(1, (1n << 1n) | (1n << 40n))).reason).toMatch(
      /^unknown Country value 40 in bitmask /,
    );
    run("Policies", "PolicyUpdated", policy(1 << 10, 1n << 32n));
    expect(store.get("PolicyVersion", "7-1")).toMatchObject({ purposes: ["STATISTICS"], jurisdictions: ["SK"] });
  });
});
