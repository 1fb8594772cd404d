// Reads the built subgraph (build/subgraph.yaml) into what the indexer needs: per data source
// its address, start block, compiled mapping and the handler of each event, keyed by topic0.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { toEventSelector, type Abi, type AbiEvent, type Address, type Hex } from "viem";

export interface EventRoute {
  dataSource: string;
  handler: string;
  abiEvent: AbiEvent;
}

export interface DataSource {
  name: string;
  network: string;
  address: Address;
  startBlock: number;
  wasm: Uint8Array;
}

export interface BuiltSubgraph {
  dataSources: DataSource[];
  routes: Map<string, EventRoute>; // `${address}:${topic0}` → route
  schemaFile: string;
  /** Identifies the build (addresses, mappings, schema): a new one means re-indexing. */
  id: string;
}

/** Canonical signature of an ABI event as the manifest writes it: `Name(indexed type,…)`. */
function manifestSignature(e: AbiEvent): string {
  const type = (p: { type: string; components?: readonly unknown[] }): string =>
    p.type.startsWith("tuple") ? `(${(p.components as { type: string }[]).map(type).join(",")})${p.type.slice(5)}` : p.type;
  return `${e.name}(${e.inputs.map((p) => (p.indexed ? "indexed " : "") + type(p)).join(",")})`;
}

export function loadBuiltSubgraph(manifestFile: string): BuiltSubgraph {
  const dir = dirname(manifestFile);
  const manifest = parse(readFileSync(manifestFile, "utf8"));
  const hash = createHash("sha256").update(readFileSync(manifestFile));
  const dataSources: DataSource[] = [];
  const routes = new Map<string, EventRoute>();
  for (const ds of manifest.dataSources) {
    const address = (ds.source.address as string).toLowerCase() as Address;
    const wasm = readFileSync(join(dir, ds.mapping.file));
    hash.update(wasm);
    dataSources.push({ name: ds.name, network: ds.network, address, startBlock: Number(ds.source.startBlock ?? 0), wasm });
    const abiFile = ds.mapping.abis.find((a: { name: string }) => a.name === ds.source.abi).file;
    const abi = JSON.parse(readFileSync(join(dir, abiFile), "utf8")) as Abi;
    const events = abi.filter((i): i is AbiEvent => i.type === "event");
    for (const h of ds.mapping.eventHandlers) {
      const abiEvent = events.find((e) => manifestSignature(e) === h.event);
      if (!abiEvent) throw new Error(`${ds.name}: event ${h.event} is not in its ABI`);
      routes.set(`${address}:${toEventSelector(abiEvent)}`, { dataSource: ds.name, handler: h.handler, abiEvent });
    }
  }
  const schemaFile = join(dir, manifest.schema.file);
  hash.update(readFileSync(schemaFile));
  return { dataSources, routes, schemaFile, id: hash.digest("hex") };
}

export function routeKey(address: Hex, topic0: Hex): string {
  return `${address.toLowerCase()}:${topic0.toLowerCase()}`;
}
