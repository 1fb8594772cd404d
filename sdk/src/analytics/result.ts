// The buyer's side of a query's result: the payload each node seals to the buyer (its shares of
// every revealed value), its strict parser, and the reconstruction of the result from two or
// three payloads. Three shares of a value must lie on one line; when they do not, a node
// delivered a wrong share and InconsistentShareError names the nodes (docs/analytics.md).
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { ResultError } from "./errors.ts";
import { elementFromHex, toSigned } from "./field.ts";
import type { Aggregate, PlanCell, QueryPlan } from "./plan.ts";
import { queryHash } from "./query.ts";
import { reconstruct } from "./shamir.ts";

export const RESULT_KIND = "kraken.analytics-result";
export const MAX_RESULT_CELLS = 4096;

export interface ResultShareCell {
  key: string;
  suppressed: boolean;
  /** this node's shares of the revealed values (none when suppressed), 0x-hex field elements */
  shares: Partial<Record<Aggregate, Hex>>;
}

/** What one node seals to the buyer for one job. */
export interface ResultPayload {
  kind: typeof RESULT_KIND;
  v: 1;
  jobId: string;
  productId: string;
  node: Address;
  /** the node's index among the product's agents (its shares are at x = index + 1) */
  index: number;
  /** the indexes of the nodes that computed the job, ascending */
  participants: number[];
  queryHash: Hex;
  cells: ResultShareCell[];
  /** ε this query spent (0: no noise) */
  epsilon: number;
}

export interface ResultCell {
  key: string;
  group?: string;
  bin?: string;
  suppressed: boolean;
  count?: number;
  sum?: number;
  mean?: number;
  variance?: number;
  stddev?: number;
}

export interface QueryResult {
  cells: ResultCell[];
  /** the nodes whose shares were combined */
  nodes: number[];
  /** true when three shares of every value were present and agreed; false with two (not cross-checked) */
  consistent: boolean;
  epsilon: number;
}

const bad = (message: string): never => {
  throw new ResultError("bad-payload", `malformed result payload: ${message}`);
};
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const only = (c: Record<string, unknown>, keys: readonly string[], what: string) => {
  for (const k of Object.keys(c)) if (!keys.includes(k)) bad(`${what} has an unknown field "${k.slice(0, 40)}"`);
};
const id = (x: unknown, what: string): string => (typeof x === "string" && /^[0-9]{1,78}$/.test(x) ? x : bad(`${what} is not a decimal id`));
const AGGREGATES: Aggregate[] = ["count", "sum", "sumsq"];

export function parseResultPayload(json: unknown): ResultPayload {
  if (!isObj(json)) return bad("not an object");
  only(json, ["kind", "v", "jobId", "productId", "node", "index", "participants", "queryHash", "cells", "epsilon"], "the payload");
  if (json.kind !== RESULT_KIND) bad(`kind must be "${RESULT_KIND}"`);
  if (json.v !== 1) bad(`unsupported version ${String(json.v).slice(0, 20)}`);
  const index = Number.isInteger(json.index) && (json.index as number) >= 0 && (json.index as number) <= 2 ? (json.index as number) : bad("index must be 0, 1 or 2");
  const p = json.participants;
  if (!Array.isArray(p) || p.length < 2 || p.length > 3 || p.some((x, i) => !Number.isInteger(x) || x < 0 || x > 2 || (i > 0 && x <= p[i - 1])))
    bad("participants must be 2 or 3 ascending node indexes");
  if (!(p as number[]).includes(index)) bad("the node is not among the participants");
  if (!Array.isArray(json.cells) || json.cells.length === 0 || json.cells.length > MAX_RESULT_CELLS) bad(`cells must be 1 to ${MAX_RESULT_CELLS} cells`);
  const keys = new Set<string>();
  const cells = (json.cells as unknown[]).map((c, i): ResultShareCell => {
    if (!isObj(c)) return bad(`cells[${i}] is not an object`);
    only(c, ["key", "suppressed", "shares"], `cells[${i}]`);
    const key = typeof c.key === "string" && c.key.length > 0 && c.key.length <= 200 ? c.key : bad(`cells[${i}].key`);
    if (keys.has(key)) bad(`two cells have the key "${key.slice(0, 40)}"`);
    keys.add(key);
    if (typeof c.suppressed !== "boolean") bad(`cells[${i}].suppressed is not a boolean`);
    if (!isObj(c.shares)) return bad(`cells[${i}].shares is not an object`);
    only(c.shares, AGGREGATES, `cells[${i}].shares`);
    const shares: Partial<Record<Aggregate, Hex>> = {};
    for (const a of AGGREGATES) {
      const h = c.shares[a];
      if (h === undefined) continue;
      try {
        elementFromHex(h);
      } catch {
        bad(`cells[${i}].shares.${a} is not a field element`);
      }
      shares[a] = h as Hex;
    }
    if (c.suppressed && Object.keys(shares).length > 0) bad(`cells[${i}] is suppressed but has shares`);
    return { key, suppressed: c.suppressed as boolean, shares };
  });
  const epsilon = typeof json.epsilon === "number" && Number.isFinite(json.epsilon) && json.epsilon >= 0 && json.epsilon <= 1e6 ? json.epsilon : bad("epsilon must be a number ≥ 0");
  return {
    kind: RESULT_KIND, v: 1,
    jobId: id(json.jobId, "jobId"),
    productId: id(json.productId, "productId"),
    node: typeof json.node === "string" && isAddress(json.node, { strict: false }) ? getAddress(json.node) : bad("node is not an address"),
    index,
    participants: [...(p as number[])],
    queryHash: typeof json.queryHash === "string" && /^0x[0-9a-fA-F]{64}$/.test(json.queryHash) ? (json.queryHash.toLowerCase() as Hex) : bad("queryHash is not a 32-byte hex hash"),
    cells,
    epsilon,
  };
}

/** a/b as a JS number (correctly rounded from 20 significant digits). */
export function ratioToNumber(num: bigint, den: bigint): number {
  if (den === 0n) return NaN;
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const neg = num < 0n;
  const abs = neg ? -num : num;
  const digits = abs.toString().length - den.toString().length;
  const k = Math.max(0, 20 - digits);
  const q = (abs * 10n ** BigInt(k)) / den;
  const x = Number(`${q}e-${k}`);
  return neg ? -x : x;
}

/** The result cell of revealed aggregates (signed integers in fixed-point units). */
export function cellResult(plan: QueryPlan, cell: PlanCell, suppressed: boolean, values: Partial<Record<Aggregate, bigint>>): ResultCell {
  const out: ResultCell = { key: cell.key, suppressed };
  if (cell.group !== undefined) out.group = cell.group;
  if (cell.bin !== undefined) out.bin = cell.bin;
  if (suppressed) return out;
  const scale = 10n ** BigInt(plan.value?.decimals ?? 0);
  const { count, sum, sumsq } = values;
  if (count !== undefined) out.count = Number(count);
  if (sum !== undefined) out.sum = ratioToNumber(sum, scale);
  if (count !== undefined && sum !== undefined && count > 0n) {
    out.mean = ratioToNumber(sum, count * scale);
    if (sumsq !== undefined) {
      // sumsq/n − mean², exactly: (n·sumsq − sum²) / (n² · 10^2d); noise can make it negative → 0
      const num = count * sumsq - sum * sum;
      out.variance = num <= 0n ? 0 : ratioToNumber(num, count * count * scale * scale);
      out.stddev = Math.sqrt(out.variance);
    }
  }
  return out;
}

const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Reconstructs a query's result from the nodes' payloads (parsed or raw JSON): at least two
 * from the same participants; with three, every value's shares must agree
 * (InconsistentShareError otherwise).
 */
export function combineResults(plan: QueryPlan, payloads: readonly unknown[]): QueryResult {
  const parsed = payloads.map((p) => parseResultPayload(p));
  // The largest group of payloads computed by the same participants.
  const groups = new Map<string, ResultPayload[]>();
  for (const p of parsed) {
    const k = p.participants.join(",");
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  const group = [...groups.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const byIndex = new Map<number, ResultPayload>();
  for (const p of group) {
    if (byIndex.has(p.index)) throw new ResultError("mismatched-payloads", `two payloads from node ${p.index}`);
    byIndex.set(p.index, p);
  }
  const use = [...byIndex.values()].sort((a, b) => a.index - b.index);
  if (use.length < 2) throw new ResultError("not-enough-shares", `a result needs the shares of 2 nodes that computed it together; got ${use.length}`);
  const first = use[0];
  const expectedHash = queryHash(plan.query);
  for (const p of use) {
    const what = `node ${p.index}'s payload`;
    if (p.jobId !== first.jobId || p.productId !== first.productId) throw new ResultError("mismatched-payloads", `${what} is for another job`);
    if (p.queryHash !== expectedHash) throw new ResultError("mismatched-payloads", `${what} answers another query (hash ${p.queryHash})`);
    if (p.epsilon !== first.epsilon) throw new ResultError("mismatched-payloads", `${what} names another ε`);
    if (!sameList(p.participants, first.participants)) throw new ResultError("mismatched-payloads", `${what} names other participants`);
    if (p.cells.length !== plan.cells.length || p.cells.some((c, i) => c.key !== plan.cells[i].key)) throw new ResultError("mismatched-payloads", `${what} has other cells than the query`);
  }
  const nodes = use.map((p) => p.index);
  const cells = plan.cells.map((cell, i) => {
    const suppressed = use[0].cells[i].suppressed;
    if (use.some((p) => p.cells[i].suppressed !== suppressed)) throw new ResultError("mismatched-payloads", `the nodes disagree on whether cell "${cell.key}" is suppressed`);
    const values: Partial<Record<Aggregate, bigint>> = {};
    if (!suppressed) {
      for (const a of plan.reveals) {
        const points = use.map((p) => {
          const h = p.cells[i].shares[a];
          if (h === undefined) throw new ResultError("mismatched-payloads", `node ${p.index} sent no ${a} share for cell "${cell.key}"`);
          return { x: p.index + 1, y: elementFromHex(h) };
        });
        values[a] = toSigned(reconstruct(points, `the ${a} of cell "${cell.key}"`)); // InconsistentShareError with 3 disagreeing shares
      }
    }
    return cellResult(plan, cell, suppressed, values);
  });
  return { cells, nodes, consistent: use.length >= 3, epsilon: first.epsilon };
}
