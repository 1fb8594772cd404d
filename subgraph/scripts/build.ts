// Builds the subgraph for a deployment: writes subgraph.yaml and abis/, then runs
// `graph codegen` and `graph build` (AssemblyScript → build/<DataSource>/<DataSource>.wasm).
// The same build output runs on the local indexer and on a production graph-node.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Deployment } from "@kraken/sdk";
import { placeholderDeployment, writeManifest } from "./manifest.ts";

const subgraphDir = join(import.meta.dirname, "..");
const graphCli = join(subgraphDir, "..", "node_modules", "@graphprotocol", "graph-cli", "bin", "run.js");

function graph(args: string[], quiet: boolean): void {
  const r = spawnSync(process.execPath, [graphCli, ...args], { cwd: subgraphDir, encoding: "utf8", stdio: quiet ? "pipe" : "inherit" });
  if (r.status !== 0) throw new Error(`graph ${args[0]} failed:\n${r.stdout ?? ""}${r.stderr ?? ""}`);
}

/** Returns the path of build/subgraph.yaml. */
export function buildSubgraph(deployment: Deployment = placeholderDeployment(), quiet = true): string {
  writeManifest(deployment);
  graph(["codegen", "--skip-migrations"], quiet);
  graph(["build", "--skip-migrations"], quiet);
  return join(subgraphDir, "build", "subgraph.yaml");
}

if (import.meta.url === `file://${process.argv[1]}`) buildSubgraph(undefined, false);
