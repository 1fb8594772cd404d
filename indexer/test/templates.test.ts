// Data source templates (graph-node's dynamic data sources): the manifest's `templates:`, the
// dataSource.create / createWithContext host functions, the store's dynamic data source table,
// and the indexer end to end over a small fake chain, with a fixture subgraph
// (test/fixtures/template-subgraph: a Factory data source creating Union template instances)
// compiled by graph-cli like the real subgraph.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keccak256, numberToHex, toHex, type Abi, type Hex } from "viem";
import { loadBuiltSubgraph, templateRouteKey, type BuiltSubgraph } from "../src/manifest.ts";
import { MapEntityAccess, MappingError, MappingModule } from "../src/runtime/index.ts";
import { PgStore, type StoredDataSource } from "../src/store/index.ts";
import { startIndexer, type RunningIndexer } from "../src/index.ts";
import { encodeLog, makeEvent, ROOT } from "./runtime/helpers.ts";

const FIXTURE = join(ROOT, "indexer/test/fixtures/template-subgraph");
const FACTORY = "0x00000000000000000000000000000000000000fa" as Hex;
const ADMIN = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as Hex;
const MEMBER = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc" as Hex;
const union = (n: number) => `0x${n.toString(16).padStart(4, "0").padStart(40, "0")}` as Hex;
const factoryAbi = JSON.parse(readFileSync(join(FIXTURE, "abis/Factory.json"), "utf8")) as Abi;
const unionAbi = JSON.parse(readFileSync(join(FIXTURE, "abis/Union.json"), "utf8")) as Abi;

let dir: string;
let manifestFile: string;
let built: BuiltSubgraph;

beforeAll(() => {
  // graph codegen + build in a copy (node_modules linked so graph-ts resolves), ~15 s
  dir = mkdtempSync(join(tmpdir(), "indexer-templates-"));
  cpSync(FIXTURE, join(dir, "subgraph"), { recursive: true });
  for (const f of readdirSync(join(dir, "subgraph/src"))) renameSync(join(dir, "subgraph/src", f), join(dir, "subgraph/src", f.replace(/\.as$/, ".ts")));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "subgraph", "node_modules"));
  const cli = join(ROOT, "node_modules/@graphprotocol/graph-cli/bin/run.js");
  for (const cmd of ["codegen", "build"]) {
    const r = spawnSync(process.execPath, [cli, cmd, "--skip-migrations"], { cwd: join(dir, "subgraph"), encoding: "utf8" });
    if (r.status !== 0) throw new Error(`graph ${cmd} failed:\n${r.stdout}${r.stderr}`);
  }
  manifestFile = join(dir, "subgraph/build/subgraph.yaml");
  built = loadBuiltSubgraph(manifestFile);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("manifest templates", () => {
  it("parses templates beside data sources: name, compiled mapping, routes by template and topic0", () => {
    expect(built.dataSources.map((d) => [d.name, d.address, d.startBlock])).toEqual([["Factory", FACTORY, 1]]);
    expect(built.templates.map((t) => t.name)).toEqual(["Union"]);
    const [t] = built.templates;
    expect(t.network).toBe("localhost");
    expect(Buffer.from(t.wasm.subarray(0, 4)).toString("latin1")).toBe("\0asm");
    const joined = encodeLog(unionAbi.find((e) => "name" in e && e.name === "MemberJoined") as never, { member: MEMBER, weight: 1n }).topics[0];
    expect(t.topics).toHaveLength(2);
    expect(t.topics).toContain(joined);
    expect(built.templateRoutes.get(templateRouteKey("Union", joined))).toMatchObject({ dataSource: "Union", handler: "handleMemberJoined" });
    // template events are not routed by address
    expect([...built.routes.values()].map((r) => r.handler)).toEqual(["handleUnionCreated"]);
  });

  it("the build id covers the templates' mappings", () => {
    const copy = join(dir, "copy");
    cpSync(join(dir, "subgraph/build"), copy, { recursive: true });
    const again = loadBuiltSubgraph(join(copy, "subgraph.yaml"));
    expect(again.id).toBe(built.id);
    const wasm = readFileSync(join(copy, "templates/Union/Union.wasm"));
    wasm[wasm.length - 1] ^= 1;
    writeFileSync(join(copy, "templates/Union/Union.wasm"), wasm);
    expect(loadBuiltSubgraph(join(copy, "subgraph.yaml")).id).not.toBe(built.id);
  });
});

describe("dataSource.create / createWithContext", () => {
  const schema = () => readFileSync(built.schemaFile, "utf8");
  const factoryModule = (store: MapEntityAccess, templates?: string[]) =>
    MappingModule.load(built.dataSources[0].wasm, { dataSourceName: "Factory", address: FACTORY, network: "localhost", store, schema: schema(), templates });

  it("a handler's createWithContext is returned by runHandler, with the address and the context", async () => {
    const store = new MapEntityAccess();
    const m = await factoryModule(store, ["Union"]);
    const U = "0x00000000000000000000000000000000000abcde" as Hex;
    const created = m.runHandler("handleUnionCreated", makeEvent(factoryAbi, "UnionCreated", { union: U, admin: ADMIN }, { address: FACTORY, blockNumber: 7n }));
    expect(created).toEqual([
      { template: "Union", address: U, params: [U], context: { label: "union-bcde", admin: Uint8Array.from(Buffer.from(ADMIN.slice(2), "hex")), block: 7n } },
    ]);
    expect(created[0].context!.admin).toBeInstanceOf(Uint8Array);
    // each run returns only its own creations
    expect(m.runHandler("handleUnionCreated", makeEvent(factoryAbi, "UnionCreated", { union: union(2), admin: ADMIN }, { address: FACTORY }))).toHaveLength(1);
  });

  it("an unknown template name fails the handler like graph-node, and its writes are dropped", async () => {
    const store = new MapEntityAccess();
    const m = await factoryModule(store, ["Other"]);
    const run = () => m.runHandler("handleUnionCreated", makeEvent(factoryAbi, "UnionCreated", { union: union(1), admin: ADMIN }, { address: FACTORY }));
    expect(run).toThrow(MappingError);
    expect(run).toThrow(/Failed to create data source from name `Union`: No template with this name in parent data source `Factory`. Available names: Other./);
    expect(store.entities.get("Union")?.size ?? 0).toBe(0);
  });

  it("one template module serves every instance: dataSource.address() and context() are the instance's", async () => {
    const store = new MapEntityAccess();
    const f = await factoryModule(store, ["Union"]);
    const instances = [union(1), union(2)].map((u) => f.runHandler("handleUnionCreated", makeEvent(factoryAbi, "UnionCreated", { union: u, admin: ADMIN }, { address: FACTORY }))[0]);
    const t = await MappingModule.load(built.templates[0].wasm, { dataSourceName: "Union", address: "0x0000000000000000000000000000000000000000", network: "localhost", store, schema: schema(), templates: ["Union"] });
    for (const [i, inst] of [instances[1], instances[0], instances[1]].entries()) {
      t.runHandler("handleMemberJoined", makeEvent(unionAbi, "MemberJoined", { member: MEMBER, weight: 5n }, { address: inst.address as Hex, logIndex: BigInt(i) }), inst);
    }
    const joins = [...store.entities.get("Join")!.values()].sort((a, b) => (a.seq as number) - (b.seq as number));
    expect(joins.map((j) => [Buffer.from(j.source as Uint8Array).toString("hex").slice(-4), j.contextLabel])).toEqual([["0002", "union-0002"], ["0001", "union-0001"], ["0002", "union-0002"]]);
    expect(t.instancesCreated).toBe(1);
    // without an instance the module's own address and empty context apply again
    expect(() => t.runHandler("handleMemberJoined", makeEvent(unionAbi, "MemberJoined", { member: MEMBER, weight: 5n }))).toThrow(/unexpected null|abort/i);
  });
});

describe("stored dynamic data sources", () => {
  it("round-trip with the block that created them, context values typed; a failed write stores none", async () => {
    const store = await PgStore.fromSdl("type A @entity(immutable: false) { id: ID! n: Int! }", { dataDir: "memory://", log: () => {} });
    const ds: StoredDataSource[] = [
      { template: "Union", address: union(1), params: [union(1)], blockNumber: 5, context: null },
      {
        template: "Union",
        address: union(2),
        params: [union(2), "extra 'quoted' \u0000"],
        blockNumber: 5,
        context: { s: "x'y", i: 3, b: true, big: -(10n ** 30n), bytes: Uint8Array.from([1, 2, 255]), dec: { bigDecimal: "1.5" }, list: [1n, null, "a"], nil: null },
      },
    ];
    await store.applyBlock({ number: 5, hash: "0x05" }, [{ entity: "A", id: "a", data: { id: "a", n: 1 } }], ds);
    await expect(store.applyBlock({ number: 6, hash: "0x06" }, [{ entity: "A", id: "b", data: { id: "b", n: "not an int" as never } }], [
      { template: "Union", address: union(3), params: [union(3)], blockNumber: 6, context: null },
    ])).rejects.toThrow();
    await store.applyBlock({ number: 7, hash: "0x07" }, [], [{ template: "Union", address: union(4), params: [union(4)], blockNumber: 7, context: {} }]);
    expect(await store.loadDataSources()).toEqual([...ds, { template: "Union", address: union(4), params: [union(4)], blockNumber: 7, context: {} }]);
    expect((await store.checkpoint()).block!.number).toBe(7);
    await store.close();
  });
});

// ------------------------------------------------------------------------------------------
// A fake JSON-RPC chain: blocks of logs (one transaction per log), served to viem.

interface FakeLog { address: Hex; topics: Hex[]; data: Hex }
const blocks: FakeLog[][] = [[]]; // block 0 is empty
const blockHash = (n: number) => keccak256(toHex(`block-${n}`));
const txHash = (n: number, i: number) => keccak256(toHex(`tx-${n}-${i}`));

function rpcBlock(n: number, full: boolean) {
  if (n >= blocks.length) return null;
  return {
    number: numberToHex(n), hash: blockHash(n), parentHash: n ? blockHash(n - 1) : `0x${"0".repeat(64)}`,
    sha3Uncles: `0x${"1".repeat(64)}`, miner: ADMIN, stateRoot: `0x${"2".repeat(64)}`, transactionsRoot: `0x${"3".repeat(64)}`,
    receiptsRoot: `0x${"4".repeat(64)}`, logsBloom: `0x${"0".repeat(512)}`, gasUsed: "0x5208", gasLimit: "0x1c9c380",
    timestamp: numberToHex(1_700_000_000 + n), difficulty: "0x0", totalDifficulty: "0x0", size: "0x100", baseFeePerGas: "0x3b9aca00",
    extraData: "0x", mixHash: `0x${"0".repeat(64)}`, nonce: "0x0000000000000000", uncles: [],
    transactions: blocks[n].map((l, i) => full
      ? { hash: txHash(n, i), blockHash: blockHash(n), blockNumber: numberToHex(n), transactionIndex: numberToHex(i), from: ADMIN, to: l.address,
          value: "0x0", gas: "0x7a120", gasPrice: "0x3b9aca00", input: "0x", nonce: numberToHex(i), type: "0x0", v: "0x1b", r: "0x1", s: "0x1" }
      : txHash(n, i)),
  };
}

function rpcLogs(f: { fromBlock: Hex; toBlock: Hex; address?: Hex | Hex[]; topics?: (Hex | Hex[] | null)[] }) {
  const addrs = f.address === undefined ? null : (Array.isArray(f.address) ? f.address : [f.address]).map((a) => a.toLowerCase());
  const t0 = f.topics?.[0] == null ? null : Array.isArray(f.topics[0]) ? f.topics[0] : [f.topics[0]];
  const out = [];
  for (let n = Number(f.fromBlock); n <= Math.min(Number(f.toBlock), blocks.length - 1); n++) {
    for (const [i, l] of blocks[n].entries()) {
      if (addrs && !addrs.includes(l.address.toLowerCase())) continue;
      if (t0 && !t0.includes(l.topics[0])) continue;
      out.push({ ...l, blockNumber: numberToHex(n), blockHash: blockHash(n), transactionHash: txHash(n, i), transactionIndex: numberToHex(i), logIndex: numberToHex(i), removed: false });
    }
  }
  return out;
}

let rpc: Server;
let rpcUrl: string;
const unfilteredTopicQueries: number[] = [];

function emit(address: Hex, abi: Abi, name: string, args: Record<string, unknown>): FakeLog {
  return { address, ...encodeLog(abi.find((e) => "name" in e && e.name === name) as never, args) };
}
const created = (u: Hex) => emit(FACTORY, factoryAbi, "UnionCreated", { union: u, admin: ADMIN });
const joined = (u: Hex, weight = 1n) => emit(u, unionAbi, "MemberJoined", { member: MEMBER, weight });
const spawned = (u: Hex, child: Hex) => emit(u, unionAbi, "Spawned", { child });

async function query(url: string, q: string) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: q }) });
  return ((await res.json()) as { data: any }).data;
}

describe("indexer with templates (fake chain)", () => {
  let indexer: RunningIndexer | undefined;
  const dataDir = () => join(dir, "indexer");
  const start = () => startIndexer({ rpcUrl, manifestFile, dataDir: dataDir(), port: 0, pollMs: 10, log: () => {} });

  beforeAll(async () => {
    rpc = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const { id, method, params } = JSON.parse(body);
        let result: unknown;
        if (method === "eth_blockNumber") result = numberToHex(blocks.length - 1);
        else if (method === "eth_chainId") result = "0x7a69";
        else if (method === "eth_getBlockByNumber") result = rpcBlock(Number(params[0]), params[1]);
        else if (method === "eth_getLogs") {
          if (params[0].address === undefined) unfilteredTopicQueries.push(Number(params[0].fromBlock));
          result = rpcLogs(params[0]);
        } else {
          res.end(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32601, message: `no ${method}` } }));
          return;
        }
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ jsonrpc: "2.0", id, result }));
      });
    });
    await new Promise<void>((r) => rpc.listen(0, "127.0.0.1", r));
    rpcUrl = `http://127.0.0.1:${(rpc.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await indexer?.stop().catch(() => {});
    await new Promise((r) => rpc?.close(r));
  });

  it("indexes instances created mid-range, from the creating block on, in graph-node's order", async () => {
    blocks.push(
      // 1: the union's event after its creation in the same block
      [created(union(1)), joined(union(1), 10n)],
      // 2: an instance's event *before* its creation log (graph-node reprocesses the block for
      //    new data sources), and a contract nobody created
      [joined(union(2), 20n), created(union(2)), joined(union(9), 90n)],
      // 3: order: the old instance's later log runs before the new instance's earlier one
      [created(union(3)), joined(union(3), 30n), joined(union(1), 11n)],
      // 4: an instance creating an instance (no context), whose event follows
      [spawned(union(1), union(0x10)), joined(union(0x10), 40n)],
      [],
    );
    indexer = await start();
    await indexer.waitFor(blocks.length - 1);
    const data = await query(indexer.url, `{
      unions(orderBy: createdAt) { id label createdAt members }
      joins(orderBy: seq) { union { id } weight contextLabel seq }
    }`);
    expect(data.unions).toEqual([
      { id: union(1), label: "union-0001", createdAt: "1", members: 2 },
      { id: union(2), label: "union-0002", createdAt: "2", members: 1 },
      { id: union(3), label: "union-0003", createdAt: "3", members: 1 },
      { id: union(0x10), label: "child", createdAt: "4", members: 1 },
    ]);
    expect(data.joins.map((j: any) => [j.union.id, j.weight, j.contextLabel])).toEqual([
      [union(1), "10", "union-0001"],
      [union(2), "20", "union-0002"],
      [union(1), "11", "union-0001"], // block 3, main pass
      [union(3), "30", "union-0003"], // block 3, the new instance's pass
      [union(0x10), "40", "none"],
    ]);
    expect(indexer.status().events).toBe(3 + 1 + 5); // creations, spawn, joins (union 9 ignored)
    expect(unfilteredTopicQueries.length).toBeGreaterThan(0);
  });

  it("keeps indexing the instances live and after a restart (reloaded from the database)", async () => {
    blocks.push([joined(union(2), 21n)]);
    await indexer!.waitFor(blocks.length - 1);
    await indexer!.stop();
    indexer = undefined;
    blocks.push([joined(union(3), 31n), joined(union(0x10), 41n)]);
    indexer = await start();
    await indexer.waitFor(blocks.length - 1);
    expect(indexer.status().events).toBe(2);
    const data = await query(indexer.url, `{ unions(orderBy: createdAt) { members } }`);
    expect(data.unions.map((u: any) => u.members)).toEqual([2, 2, 2, 2]);
  });

  it("a failed block keeps none of its data sources; the blocks before it keep theirs", async () => {
    blocks.push([created(union(5))], [created(union(6)), joined(union(6), 0n) /* the mapping fails */]);
    await expect(indexer!.waitFor(blocks.length - 1, 10_000)).rejects.toThrow(/Union 0x0+6\.handleMemberJoined failed at block \d+.*zero weight/);
    await indexer!.stop();
    indexer = undefined;
    const store = await PgStore.open({ schema: built.schemaFile, dataDir: join(dataDir(), "pg"), log: () => {} });
    try {
      const stored = await store.loadDataSources();
      expect(stored.map((d) => [d.address, d.blockNumber])).toEqual([
        [union(1), 1], [union(2), 2], [union(3), 3], [union(0x10), 4], [union(5), blocks.length - 2],
      ]);
      expect(stored[0].context).toEqual({ label: "union-0001", admin: Uint8Array.from(Buffer.from(ADMIN.slice(2), "hex")), block: 1n });
      expect(stored[3].context).toBeNull();
      expect((await store.checkpoint()).block!.number).toBe(blocks.length - 2);
    } finally {
      await store.close();
    }
  });
});
