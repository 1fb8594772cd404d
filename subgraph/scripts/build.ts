// Builds the subgraph for a deployment: writes subgraph.yaml, abis/ and generated/enums.ts
// (checking schema.graphql's enums against contracts/src/MarketTypes.sol), then runs
// `graph codegen` and `graph build` (AssemblyScript → build/<DataSource>/<DataSource>.wasm).
// The same build output runs on the local indexer and on a production graph-node.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Deployment } from "@kraken/sdk";
import { checkSchemaEnums, ENUMS_MODULE } from "./enums.ts";
import { placeholderDeployment, writeManifest } from "./manifest.ts";

const subgraphDir = join(import.meta.dirname, "..");
const graphCli = join(subgraphDir, "..", "node_modules", "@graphprotocol", "graph-cli", "bin", "run.js");

function graph(args: string[], quiet: boolean): void {
  const r = spawnSync(process.execPath, [graphCli, ...args], { cwd: subgraphDir, encoding: "utf8", stdio: quiet ? "pipe" : "inherit" });
  if (r.status !== 0) throw new Error(`graph ${args[0]} failed:\n${r.stdout ?? ""}${r.stderr ?? ""}`);
}

/** Hash of everything the build depends on, to skip an unchanged rebuild (~10 s). */
function inputsHash(manifest: string): string {
  const h = createHash("sha256").update(manifest);
  for (const dir of ["src", "abis"]) {
    for (const f of readdirSync(join(subgraphDir, dir)).sort()) h.update(f).update(readFileSync(join(subgraphDir, dir, f)));
  }
  h.update(readFileSync(ENUMS_MODULE)); // generated from contracts/src/MarketTypes.sol
  return h.update(readFileSync(join(subgraphDir, "schema.graphql"))).digest("hex");
}

/** Returns the path of build/subgraph.yaml. */
export function buildSubgraph(deployment: Deployment = placeholderDeployment(), quiet = true): string {
  const built = join(subgraphDir, "build", "subgraph.yaml");
  const stamp = join(subgraphDir, "build", ".inputs-hash");
  const hash = inputsHash(writeManifest(deployment)); // also writes generated/enums.ts
  checkSchemaEnums(); // schema.graphql's enums must match MarketTypes.sol (see enums.ts)
  if (existsSync(built) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return built;
  graph(["codegen", "--skip-migrations"], quiet);
  graph(["build", "--skip-migrations"], quiet);
  writeFileSync(stamp, hash);
  return built;
}

if (import.meta.url === `file://${process.argv[1]}`) buildSubgraph(undefined, false);
