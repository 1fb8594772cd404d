// The analytics manifest (docs/analytics.md, "Manifest"): public, on IPFS, its hash on chain.
// parseManifest checks every field (and the schema's headroom for its rows); manifestHash is
// keccak256 of its canonical JSON; toDatasetInput gives what Analytics.commitDataset takes.
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { canonicalHash } from "./canonical.ts";
import { ManifestError, SchemaError } from "./errors.ts";
import { checkHeadroom, parseSchema, type Schema } from "./schema.ts";

export const MANIFEST_KIND = "kraken.analytics-manifest";
export const OPERATIONS = ["count", "sum", "mean", "variance", "stddev", "histogram"] as const;
export type Operation = (typeof OPERATIONS)[number];
/** The nodes answer a job within this many seconds unless the manifest says otherwise. */
export const DEFAULT_JOB_TIMEOUT = 600;
export const MIN_JOB_TIMEOUT = 60;
export const MAX_JOB_TIMEOUT = 7 * 86_400;
export const MAX_ROWS = 2 ** 40;
/** Largest ε per query and budget (so thousandths fit a uint32 on chain). */
export const MAX_EPSILON_PER_QUERY = 100;
export const MAX_EPSILON_BUDGET = 1_000_000;
export const MAX_MIN_COHORT = 1_000_000;

export interface AnalyticsManifest {
  kind: typeof MANIFEST_KIND;
  v: 1;
  productId: string; // decimal
  schema: Schema;
  rows: number;
  allowed: { columns: string[]; operations: Operation[]; groupBy: string[] };
  privacy: {
    /** cells (and cohort differences) below this many rows are suppressed (refused) */
    minCohort: number;
    /** 0: no noise; at most 3 decimals (counted in thousandths on chain) */
    epsilonPerQuery: number;
    epsilonBudget: number;
  };
  /** the product's computation agents in order: node i holds the shares at x = i + 1 */
  nodes: Address[];
  threshold: 2;
  /** SHA-256 of each node's encrypted bundle, in node order, 0x… lower case */
  bundleHashes: Hex[];
  /** seconds the nodes have to answer a job (default 600) */
  jobTimeout?: number;
}

/** What Analytics.commitDataset takes (sdk/src/actions/analytics.ts `DatasetInput`). */
export interface AnalyticsDatasetInput {
  manifestHash: Hex;
  manifestURI: string;
  bundleHashes: readonly Hex[];
  rows: number;
  minCohort: number;
  /** thousandths */
  epsilonPerQuery: number;
  /** thousandths */
  epsilonBudget: number;
  /** seconds */
  jobTimeout: number;
}

const bad = (message: string): never => {
  throw new ManifestError("bad-manifest", `invalid manifest: ${message}`);
};
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const obj = (x: unknown, what: string): Record<string, unknown> => (isObj(x) ? x : bad(`${what} is not an object`));
const only = (c: Record<string, unknown>, keys: readonly string[], what: string) => {
  for (const k of Object.keys(c)) if (!keys.includes(k)) bad(`${what} has an unknown field "${k.slice(0, 40)}"`);
};
const int = (x: unknown, what: string, min: number, max: number): number =>
  Number.isSafeInteger(x) && (x as number) >= min && (x as number) <= max ? (x as number) : bad(`${what} must be an integer from ${min} to ${max}`);
const strings = (x: unknown, what: string): string[] => {
  if (!Array.isArray(x) || x.some((s) => typeof s !== "string")) return bad(`${what} must be an array of strings`);
  if (new Set(x).size !== x.length) bad(`${what} has a duplicate`);
  return [...(x as string[])];
};

/** ε in thousandths (0.5 → 500); throws when it has more than 3 decimals. */
export function epsilonThousandths(epsilon: number): number {
  const t = Math.round(epsilon * 1000);
  if (!Number.isFinite(epsilon) || epsilon < 0 || Math.abs(epsilon * 1000 - t) > 1e-6) throw new ManifestError("bad-manifest", `ε ${epsilon} must be ≥ 0 with at most 3 decimals`);
  return t;
}

const epsilon = (x: unknown, what: string, max: number): number => {
  if (typeof x !== "number" || !Number.isFinite(x) || x < 0 || x > max) return bad(`${what} must be a number from 0 to ${max}`);
  epsilonThousandths(x);
  return x;
};

export function parseManifest(json: unknown): AnalyticsManifest {
  const c = obj(json, "the manifest");
  only(c, ["kind", "v", "productId", "schema", "rows", "allowed", "privacy", "nodes", "threshold", "bundleHashes", "jobTimeout"], "the manifest");
  if (c.kind !== MANIFEST_KIND) bad(`kind must be "${MANIFEST_KIND}"`);
  if (c.v !== 1) bad(`unsupported version ${String(c.v).slice(0, 20)}`);
  const productId = typeof c.productId === "string" && /^[1-9][0-9]{0,30}$/.test(c.productId) ? c.productId : bad("productId is not an id (a decimal string)");
  let schema: Schema;
  try {
    schema = parseSchema(c.schema);
  } catch (err) {
    if (err instanceof SchemaError) return bad(err.message);
    throw err;
  }
  const rows = int(c.rows, "rows", 1, MAX_ROWS);
  try {
    checkHeadroom(schema, rows);
  } catch (err) {
    if (err instanceof SchemaError) throw new ManifestError("no-headroom", err.message);
    throw err;
  }

  const a = obj(c.allowed, "allowed");
  only(a, ["columns", "operations", "groupBy"], "allowed");
  const names = new Set(schema.columns.map((col) => col.name));
  const columns = strings(a.columns, "allowed.columns");
  for (const n of columns) if (!names.has(n)) bad(`allowed.columns names "${n.slice(0, 40)}", which the schema does not have`);
  const operations = strings(a.operations, "allowed.operations");
  if (operations.length === 0) bad("allowed.operations is empty");
  for (const op of operations) if (!(OPERATIONS as readonly string[]).includes(op)) bad(`allowed.operations: unknown operation "${op.slice(0, 40)}"`);
  const groupBy = strings(a.groupBy, "allowed.groupBy");
  for (const g of groupBy) {
    const col = schema.columns.find((x) => x.name === g);
    if (!col) bad(`allowed.groupBy names "${g.slice(0, 40)}", which the schema does not have`);
    else if (col.kind !== "categorical") bad(`allowed.groupBy: "${g}" is not categorical`);
    if (!columns.includes(g)) bad(`allowed.groupBy: "${g}" is not in allowed.columns`);
  }

  const p = obj(c.privacy, "privacy");
  only(p, ["minCohort", "epsilonPerQuery", "epsilonBudget"], "privacy");
  const privacy = {
    minCohort: int(p.minCohort, "privacy.minCohort", 1, MAX_MIN_COHORT),
    epsilonPerQuery: epsilon(p.epsilonPerQuery, "privacy.epsilonPerQuery", MAX_EPSILON_PER_QUERY),
    epsilonBudget: epsilon(p.epsilonBudget, "privacy.epsilonBudget", MAX_EPSILON_BUDGET),
  };
  if (privacy.epsilonPerQuery > 0 && privacy.epsilonBudget < privacy.epsilonPerQuery) bad("privacy.epsilonBudget is below one query's ε");

  if (!Array.isArray(c.nodes) || c.nodes.length !== 3) bad("nodes must be 3 addresses");
  const nodes = (c.nodes as unknown[]).map((n, i) => (typeof n === "string" && isAddress(n, { strict: false }) ? getAddress(n) : bad(`nodes[${i}] is not an address`)));
  if (new Set(nodes).size !== 3) bad("nodes has a duplicate");
  if (c.threshold !== 2) bad("threshold must be 2");
  if (!Array.isArray(c.bundleHashes) || c.bundleHashes.length !== 3) bad("bundleHashes must be 3 hashes");
  const bundleHashes = (c.bundleHashes as unknown[]).map((h, i) => (typeof h === "string" && /^0x[0-9a-fA-F]{64}$/.test(h) ? (h.toLowerCase() as Hex) : bad(`bundleHashes[${i}] is not a 32-byte hex hash`)));
  const m: AnalyticsManifest = {
    kind: MANIFEST_KIND, v: 1, productId, schema, rows,
    allowed: { columns, operations: operations as Operation[], groupBy },
    privacy, nodes, threshold: 2, bundleHashes,
  };
  if (c.jobTimeout !== undefined) m.jobTimeout = int(c.jobTimeout, "jobTimeout", MIN_JOB_TIMEOUT, MAX_JOB_TIMEOUT);
  return m;
}

/** keccak256 of the manifest's canonical JSON (what the chain records). */
export const manifestHash = (manifest: AnalyticsManifest): Hex => canonicalHash(manifest);

/** The commitment of a manifest published at `manifestURI` (ipfs://… or https://…). */
export function toDatasetInput(manifest: AnalyticsManifest, manifestURI: string): AnalyticsDatasetInput {
  if (typeof manifestURI !== "string" || manifestURI.length > 2048 || !(/^ipfs:\/\/[A-Za-z0-9]+(\/\S*)?$/.test(manifestURI) || /^https:\/\/\S+$/.test(manifestURI)))
    throw new ManifestError("bad-manifest", "the manifest URI must be ipfs://<cid> or https://…");
  return {
    manifestHash: manifestHash(manifest),
    manifestURI,
    bundleHashes: [...manifest.bundleHashes],
    rows: manifest.rows,
    minCohort: manifest.privacy.minCohort,
    epsilonPerQuery: epsilonThousandths(manifest.privacy.epsilonPerQuery),
    epsilonBudget: epsilonThousandths(manifest.privacy.epsilonBudget),
    jobTimeout: manifest.jobTimeout ?? DEFAULT_JOB_TIMEOUT,
  };
}
