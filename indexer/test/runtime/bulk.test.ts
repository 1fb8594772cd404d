// Throughput of ProductPublished, and instance recycling under memory pressure.
import { describe, expect, it } from "vitest";
import { keccak256, toHex, type Hex } from "viem";
import { MapEntityAccess, MappingModule, type EthereumEvent } from "../../src/runtime/index.ts";
import { abiEvent, encodeLog, makeEvent, readAbi, readSchema, readWasm } from "./helpers.ts";
import { decodeEventParams } from "../../src/runtime/index.ts";

const abi = readAbi("Catalogue");
const sellers = Array.from({ length: 50 }, (_, i) => keccak256(toHex(`seller-${i}`)).slice(0, 42) as Hex);
const args = (i: number) => ({
  productId: BigInt(i),
  seller: sellers[i % sellers.length],
  productType: i % 4,
  modality: i % 3,
  price: BigInt(i) * 10n ** 18n,
  pricingUnit: i % 5,
  metadataURI: `ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/${i}.json`,
  title: `Dataset number ${i}: cardiology outcomes`,
  summary: "Anonymised outcomes of twelve thousand patients, 2019-2024, with ECG features.",
  category: "health",
  tags: ["cardiology", "outcomes", "ecg", `t${i % 10}`],
});

async function load(store: MapEntityAccess, extra: { maxMemoryBytes?: number } = {}) {
  return MappingModule.load(readWasm("Catalogue"), {
    dataSourceName: "Catalogue",
    address: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
    network: "localhost",
    store,
    schema: readSchema(),
    ...extra,
  });
}

describe("performance", () => {
  it("runs ≥ 3,000 ProductPublished events/s", async () => {
    const N = 5000;
    const events: EthereumEvent[] = Array.from({ length: N }, (_, i) => makeEvent(abi, "ProductPublished", args(i + 1)));
    const store = new MapEntityAccess();
    const m = await load(store);
    // warm-up on a separate store
    const warm = new MapEntityAccess();
    m.setStore(warm);
    for (let i = 0; i < 300; i++) m.runHandler("handleProductPublished", events[i]!);
    m.setStore(store);

    const t0 = performance.now();
    for (const e of events) m.runHandler("handleProductPublished", e);
    const secs = (performance.now() - t0) / 1000;
    const rate = N / secs;

    // decode + run, from raw logs
    const ev = abiEvent(abi, "ProductPublished");
    const logs = Array.from({ length: 2000 }, (_, i) => encodeLog(ev, args(N + i + 1)));
    const t1 = performance.now();
    for (let i = 0; i < logs.length; i++) {
      const e = events[i]!;
      m.runHandler("handleProductPublished", { ...e, params: decodeEventParams(ev, logs[i]!) });
    }
    const rateWithDecode = logs.length / ((performance.now() - t1) / 1000);

    console.log(
      `ProductPublished: ${Math.round(rate)} events/s (runHandler), ${Math.round(rateWithDecode)} events/s ` +
        `(decodeEventParams + runHandler); instances ${m.instancesCreated}, memory ${(m.memoryBytes / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(store.count("Product")).toBe(N + logs.length);
    expect(store.get("MarketStats", "global")).toMatchObject({ products: N + logs.length, sellers: sellers.length });
  });

  it("re-instantiates past the memory threshold without losing state", async () => {
    const store = new MapEntityAccess();
    const m = await load(store, { maxMemoryBytes: 2 * 2 ** 20 });
    for (let i = 1; i <= 3000; i++) m.runHandler("handleProductPublished", makeEvent(abi, "ProductPublished", args(i)));
    expect(m.instancesCreated).toBeGreaterThan(1);
    expect(m.memoryBytes).toBeLessThanOrEqual(4 * 2 ** 20);
    expect(store.get("MarketStats", "global")).toMatchObject({ products: 3000, activeProducts: 3000, sellers: 50 });
    expect(store.get("Account", sellers[0]!)?.productsPublished).toBe(60);
  });
});
