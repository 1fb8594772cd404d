// Failing handlers: typed MappingError, nothing written, the next event runs on a fresh instance.
import { describe, expect, it } from "vitest";
import type { Hex } from "viem";
import {
  MapEntityAccess,
  MappingError,
  MappingModule,
  type EntityAccess,
  type EthereumEvent,
  type EthValue,
} from "../../src/runtime/index.ts";
import { HandlerWrites } from "../../src/runtime/writes.ts";
import { parseSubgraphSchema } from "../../src/runtime/schema.ts";
import { makeEvent, readAbi, readSchema, readWasm } from "./helpers.ts";

const SELLER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as Hex;
const CONSUMER = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc" as Hex;
const schema = readSchema();

function agreementCreated(): EthereumEvent {
  return makeEvent(
    readAbi("Agreements"),
    "AgreementCreated",
    {
      agreementId: 1n,
      productId: 7n,
      consumer: CONSUMER,
      seller: SELLER,
      purpose: 0,
      policyVersion: 1,
      status: 2,
      amount: 10n,
      startsAt: 1n,
      endsAt: 2n,
    },
    { blockNumber: 42n },
  );
}

async function load(store: EntityAccess, ds = "Agreements") {
  return MappingModule.load(readWasm(ds), { dataSourceName: ds, address: SELLER, network: "localhost", store, schema });
}

describe("failing handlers", () => {
  it("an aborting handler throws MappingError and writes nothing", async () => {
    const store = new MapEntityAccess();
    const m = await load(store);
    const event = agreementCreated();
    // handleAgreementCreated saves the consumer and seller Accounts, then reads `purpose` with
    // toI32(), which asserts (aborts) when the value is not an int.
    const purpose = event.params.findIndex((p) => p.name === "purpose");
    event.params[purpose] = { name: "purpose", value: { kind: "string", value: "oops" } as EthValue };

    let error: unknown;
    try {
      m.runHandler("handleAgreementCreated", event);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MappingError);
    const err = error as MappingError;
    expect(err.kind).toBe("abort");
    expect(err.deterministic).toBe(true);
    expect(err.handler).toBe("handleAgreementCreated");
    expect(err.dataSource).toBe("Agreements");
    expect(err.blockNumber).toBe(42n);
    expect(err.txHash).toBe(event.transaction.hash);
    expect(err.reason).toMatch(/not an int or uint/);
    expect(err.file).toMatch(/ethereum\.ts$/);
    expect(err.line).toBeGreaterThan(0);
    expect(err.message).toContain("block #42");
    expect(store.count()).toBe(0); // the Accounts saved before the abort were discarded

    // The next event runs on a fresh instance and succeeds.
    const before = m.instancesCreated;
    m.runHandler("handleAgreementCreated", agreementCreated());
    expect(m.instancesCreated).toBe(before + 1);
    expect(store.get("Agreement", "1")?.status).toBe("ACTIVE");
    expect(store.get("Account", CONSUMER)?.purchasesCount).toBe(1);
  });

  it("a missing event parameter (index out of range) aborts", async () => {
    const store = new MapEntityAccess();
    const m = await load(store);
    const event = agreementCreated();
    event.params = event.params.slice(0, 3);
    expect(() => m.runHandler("handleAgreementCreated", event)).toThrow(MappingError);
    expect(store.count()).toBe(0);
  });

  it("a failing EntityAccess gives a non-deterministic MappingError", async () => {
    const inner = new MapEntityAccess();
    let fail = true;
    const store: EntityAccess = {
      get: (e, id) => {
        if (fail) throw new Error("database is down");
        return inner.get(e, id);
      },
      set: (e, id, d) => inner.set(e, id, d),
      remove: (e, id) => inner.remove(e, id),
    };
    const m = await load(store);
    const err = (() => {
      try {
        m.runHandler("handleAgreementCreated", agreementCreated());
      } catch (e) {
        return e as MappingError;
      }
    })();
    expect(err).toBeInstanceOf(MappingError);
    expect(err!.kind).toBe("store");
    expect(err!.deterministic).toBe(false);
    expect(err!.reason).toContain("database is down");
    expect(inner.count()).toBe(0);
    fail = false;
    m.runHandler("handleAgreementCreated", agreementCreated());
    expect(inner.count("Agreement")).toBe(1);
  });

  it("an unknown handler name is a MappingError", async () => {
    const m = await load(new MapEntityAccess());
    expect(() => m.runHandler("handleNothing", agreementCreated())).toThrow(/exports no handler handleNothing/);
  });
});

describe("store.set semantics (graph-node)", () => {
  const info = parseSubgraphSchema(schema);
  it("merges into the existing entity and validates the merged entity", () => {
    const store = new MapEntityAccess();
    store.set("Issuer", "0xab", { id: Uint8Array.of(0xab), trusted: true, updatedAt: 1n });
    const w = new HandlerWrites(store, info);
    w.set("Issuer", "0xAB", { trusted: false }); // id filled in, Bytes id normalised
    w.commit();
    expect(store.get("Issuer", "0xab")).toEqual({ id: Uint8Array.of(0xab), trusted: false, updatedAt: 1n });
  });

  it("rejects undefined fields, missing required fields, wrong types, derived fields and id conflicts", () => {
    const w = new HandlerWrites(new MapEntityAccess(), info);
    expect(() => w.set("Issuer", "0xab", { id: Uint8Array.of(0xab), trusted: true, updatedAt: 1n, bogus: 1 })).toThrow(
      /undefined fields \[bogus\]/,
    );
    expect(() => w.set("Issuer", "0xab", { id: Uint8Array.of(0xab), trusted: true })).toThrow(
      /missing value for non-nullable field `updatedAt`/,
    );
    expect(() => w.set("Issuer", "0xab", { id: Uint8Array.of(0xab), trusted: 1, updatedAt: 1n })).toThrow(
      /must have type Boolean!/,
    );
    expect(() => w.set("Issuer", "0xab", { id: Uint8Array.of(0xcd), trusted: true, updatedAt: 1n })).toThrow(
      /conflicts with ID/,
    );
    expect(() => w.set("Issuer", "0xab", { id: "0xab", trusted: true, updatedAt: 1n })).toThrow(/wrong type/);
    expect(() => w.set("Nope", "1", { id: "1" })).toThrow(/not defined in the schema/);
    expect(w.size).toBe(0);
  });
});
