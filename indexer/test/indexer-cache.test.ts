// The bounded entity cache end to end: the seeded chain indexed with a cache of 10 entities (most
// reads go through to the database: miss, roll back, load, run again) gives exactly the entities
// an unbounded cache gives, from scratch and after a restart with more blocks mined meanwhile
// (the restarted indexer starts from a Bloom filter of the stored ids, not from the entities).
// The versions kept for time travel are compared too, and with a third run that writes many
// blocks per transaction: each block's version must be the one a block-by-block write keeps.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther } from "viem";
import { catalogueAbi, Modality, PricingUnit, ProductType } from "@kraken/sdk";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { buildSubgraph } from "../../subgraph/scripts/build.ts";
import { startIndexer } from "../src/index.ts";
import { loadBuiltSubgraph } from "../src/manifest.ts";
import { PgStore } from "../src/store/index.ts";
import { historyRef, tableRef } from "../src/store/columns.ts";

let s: Stack;
let manifestFile: string;

beforeAll(async () => {
  s = await startStack({ seed: true });
  manifestFile = buildSubgraph(s.deployment);
});

afterAll(async () => {
  await s?.stop();
});

/** Indexes up to the chain head with `cacheEntities` into `dir`, one block per write unless
 * `flushBlocks` says otherwise (so the cache evicts after each block), then returns every stored
 * entity, the block of each one's last change, and every earlier version with its blocks. */
async function indexAll(dir: string, cacheEntities: number, flushBlocks = 1) {
  const lines: string[] = [];
  let loads = 0;
  const indexer = await startIndexer({ rpcUrl: s.rpcUrl, manifestFile, dataDir: join(s.dir, dir), port: 0, cacheEntities, flushBlocks, log: (l) => lines.push(l) });
  try {
    await indexer.waitFor(await s.clients(0).publicClient.getBlockNumber(), 60_000);
    expect(indexer.status().failed).toBeNull();
    loads = indexer.status().cacheLoads;
  } finally {
    await indexer.stop();
  }
  const store = await PgStore.open({ schema: loadBuiltSubgraph(manifestFile).schemaFile, dataDir: join(s.dir, dir, "pg"), deployment: "test", log: () => {} });
  try {
    const versions: Record<string, unknown[]> = {};
    for (const e of store.model.entities.values()) {
      versions[e.name] = [
        ...(await store.sql.query(`SELECT id, "_block" FROM ${tableRef(e)} ORDER BY id`)).rows,
        ...(await store.sql.query(`SELECT * FROM ${historyRef(e)} ORDER BY id, "_from"`)).rows,
      ];
    }
    return { entities: await store.loadAll(), versions, lines, loads };
  } finally {
    await store.close();
  }
}

const total = (m: Map<string, Map<string, unknown>>) => [...m.values()].reduce((n, t) => n + t.size, 0);

describe("bounded entity cache", () => {
  it("a cache of 10 entities stores exactly what an unbounded one does", async () => {
    const unbounded = await indexAll("unbounded", Infinity);
    const bounded = await indexAll("bounded", 10);
    expect(total(unbounded.entities)).toBeGreaterThan(50); // the bound is really exceeded
    expect(bounded.entities).toEqual(unbounded.entities);
    expect(bounded.versions).toEqual(unbounded.versions);
    const batched = await indexAll("batched", Infinity, 200);
    expect(batched.entities).toEqual(unbounded.entities);
    expect(batched.versions).toEqual(unbounded.versions);
    expect(Object.values(unbounded.versions).flat().length).toBeGreaterThan(total(unbounded.entities)); // earlier versions exist
    expect(unbounded.loads).toBe(0);
    expect(bounded.loads).toBeGreaterThan(0); // reads went through to the database
  });

  it("and after a restart mid-way, with blocks mined meanwhile that update stored entities", async () => {
    const hospital = s.clients(2);
    for (let i = 0; i < 3; i++) {
      const hash = await hospital.wallet.writeContract({
        address: s.deployment.contracts.Catalogue.address,
        abi: catalogueAbi,
        functionName: "publish",
        args: [ProductType.Stream, Modality.Encrypted, parseEther("3"), PricingUnit.Day, [], 0, { metadataURI: "ipfs://bafkreitest", title: `restart ${i}`, summary: "s", category: "Health / Diabetes", tags: ["cgm"] }, []],
      });
      await hospital.publicClient.waitForTransactionReceipt({ hash });
    }
    // "bounded" holds the index up to the previous head: it resumes from there
    const resumed = await indexAll("bounded", 10);
    expect(resumed.lines.join("\n")).toMatch(/resuming after block \d+/);
    const fresh = await indexAll("unbounded-2", Infinity);
    expect(resumed.entities).toEqual(fresh.entities);
    expect(resumed.versions).toEqual(fresh.versions);
    expect(resumed.loads).toBeGreaterThan(0);
  });
});
