// Reads the built subgraph (build/subgraph.yaml) into what the indexer needs: per data source
// its address, start block, compiled mapping and the handler of each event, keyed by topic0;
// per data source template (`templates:`) its compiled mapping and the handler of each event,
// keyed by template name and topic0 (instances are created at run time by `dataSource.create`).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { toEventSelector, type Abi, type AbiEvent, type Address, type Hex } from "viem";

export interface EventRoute {
  /** The data source's (or template's) name. */
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

/** A data source template: a data source without an address, instantiated by `dataSource.create`. */
export interface DataSourceTemplate {
  name: string;
  network: string;
  wasm: Uint8Array;
  /** topic0 of every event it handles (lower-case) */
  topics: Hex[];
}

export interface BuiltSubgraph {
  dataSources: DataSource[];
  templates: DataSourceTemplate[];
  routes: Map<string, EventRoute>; // `${address}:${topic0}` → route
  templateRoutes: Map<string, EventRoute>; // `${template}:${topic0}` → route
  schemaFile: string;
  /** Identifies the build (addresses, mappings, templates, schema): a new one means re-indexing. */
  id: string;
}

/** Canonical signature of an ABI event as the manifest writes it: `Name(indexed type,…)`. */
function manifestSignature(e: AbiEvent): string {
  const type = (p: { type: string; components?: readonly unknown[] }): string =>
    p.type.startsWith("tuple") ? `(${(p.components as { type: string }[]).map(type).join(",")})${p.type.slice(5)}` : p.type;
  return `${e.name}(${e.inputs.map((p) => (p.indexed ? "indexed " : "") + type(p)).join(",")})`;
}

interface ManifestSource {
  kind?: string;
  name: string;
  network: string;
  source: { address?: string; abi: string; startBlock?: number | string };
  mapping: { abis: { name: string; file: string }[]; eventHandlers?: { event: string; handler: string }[]; file: string };
}

export function loadBuiltSubgraph(manifestFile: string): BuiltSubgraph {
  const dir = dirname(manifestFile);
  const manifest = parse(readFileSync(manifestFile, "utf8")) as { dataSources?: ManifestSource[]; templates?: ManifestSource[]; schema: { file: string } };
  const hash = createHash("sha256").update(readFileSync(manifestFile));

  /** The compiled mapping and the (topic0, route) pairs of one data source or template. */
  const load = (ds: ManifestSource) => {
    const wasm = readFileSync(join(dir, ds.mapping.file));
    hash.update(wasm);
    const abiRef = ds.mapping.abis.find((a) => a.name === ds.source.abi);
    if (!abiRef) throw new Error(`${ds.name}: ABI ${ds.source.abi} is not listed in mapping.abis`);
    const abiText = readFileSync(join(dir, abiRef.file));
    hash.update(abiText);
    const events = (JSON.parse(abiText.toString("utf8")) as Abi).filter((i): i is AbiEvent => i.type === "event");
    const routes: [Hex, EventRoute][] = [];
    for (const h of ds.mapping.eventHandlers ?? []) {
      const abiEvent = events.find((e) => manifestSignature(e) === h.event.replace(/\s+/g, " ").replace(/, /g, ","));
      if (!abiEvent) throw new Error(`${ds.name}: event ${h.event} is not in its ABI`);
      routes.push([toEventSelector(abiEvent).toLowerCase() as Hex, { dataSource: ds.name, handler: h.handler, abiEvent }]);
    }
    return { wasm, routes };
  };

  const dataSources: DataSource[] = [];
  const routes = new Map<string, EventRoute>();
  for (const ds of manifest.dataSources ?? []) {
    const address = (ds.source.address as string).toLowerCase() as Address;
    const { wasm, routes: r } = load(ds);
    dataSources.push({ name: ds.name, network: ds.network, address, startBlock: Number(ds.source.startBlock ?? 0), wasm });
    for (const [topic0, route] of r) routes.set(`${address}:${topic0}`, route);
  }

  const templates: DataSourceTemplate[] = [];
  const templateRoutes = new Map<string, EventRoute>();
  for (const t of manifest.templates ?? []) {
    if (t.kind !== undefined && t.kind !== "ethereum/contract" && t.kind !== "ethereum") {
      throw new Error(`template ${t.name}: kind ${t.kind} is not supported (only ethereum/contract)`);
    }
    if (templates.some((x) => x.name === t.name)) throw new Error(`template ${t.name} is defined twice`);
    const { wasm, routes: r } = load(t);
    templates.push({ name: t.name, network: t.network, wasm, topics: [...new Set(r.map(([topic0]) => topic0))] });
    for (const [topic0, route] of r) templateRoutes.set(templateRouteKey(t.name, topic0), route);
  }

  const schemaFile = join(dir, manifest.schema.file);
  hash.update(readFileSync(schemaFile));
  return { dataSources, templates, routes, templateRoutes, schemaFile, id: hash.digest("hex") };
}

export function routeKey(address: Hex, topic0: Hex): string {
  return `${address.toLowerCase()}:${topic0.toLowerCase()}`;
}

export function templateRouteKey(template: string, topic0: Hex): string {
  return `${template}:${topic0.toLowerCase()}`;
}
