// The one parser of the domain enums in contracts/src/MarketTypes.sol (the source of truth).
// scripts/compile.ts generates the SDK's enums from it, subgraph/scripts/enums.ts the
// subgraph's name lists and the check of schema.graphql's enum declarations.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./proc.ts";

export const MARKET_TYPES = join(root, "contracts", "src", "MarketTypes.sol");

export interface SolidityEnum {
  name: string;
  /** Member names in declaration order: member i has the value i on chain. */
  members: string[];
}

/** The enums declared in a Solidity source, in source order (comments ignored). */
export function parseSolidityEnums(source: string): SolidityEnum[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  return [...code.matchAll(/enum\s+(\w+)\s*\{([^}]*)\}/g)].map((m) => ({
    name: m[1],
    members: m[2].split(",").map((s) => s.trim()).filter(Boolean),
  }));
}

/** The enums of contracts/src/MarketTypes.sol. */
export function readMarketEnums(): SolidityEnum[] {
  return parseSolidityEnums(readFileSync(MARKET_TYPES, "utf8"));
}
