// The SMPC job engine (docs/analytics.md, "Computation"): pure computation on this node's
// shares with the other participants' engines through a PeerChannel — no network, no chain.
//
// Every aggregate of the job is a term Σ_r Π factors(r), where a factor is a condition of a
// filter (the sum of its indicator columns) or the value column (x or x²). Sums and sums of
// products of two degree-1 vectors are local (degree 1 or 2). A term with more factors first
// multiplies all but its last factor into one degree-1 vector: products of two vectors are
// computed locally (degree 2) and reshared to degree 1, all the products of one level in one
// round ("mul-<level>", one message per peer). Then:
//   "open"  — the cohort size, every cell's count and the intersections with the buyer's earlier
//             cohorts are opened among the participants (the nodes learn counts, never values);
//             differencing refuses, cells below minCohort are suppressed;
//   "final" — every revealed value is reshared to a fresh degree-1 sharing, each node adding its
//             own discrete-Laplace noise, and the node's share goes into the payload it seals to
//             the buyer.
// Messages carry the job, the round and the sender's participant set; any mismatch aborts.
import {
  addWordsMod, canonicalJson, checkElements, decodeElements, dotWords, ELEMENT_BYTES, elementToHex, encodedColumns, encodeElements, filterKey, lagrangeAtZero,
  laplaceNoise, LITTLE_ENDIAN, mergeFilters, mod, mulWordsMod, negWordsMod, planQuery, QueryError, queryHash, randomElementWords, schemaHash, sumWords, toSigned,
  validateQuery,
  type Aggregate, type AnalyticsManifest, type CohortFilter, type FilterCondition, type Query, type QueryPlan, type ResultPayload, type ResultShareCell,
} from "@kraken/sdk/analytics";
import { KrakenError } from "@kraken/sdk";
import type { Hex } from "viem";
import type { ShareTable } from "./share-table.ts";

/** Messages between the engines of one job. `to` / `from` are node indexes (0..2, the product's agent order). */
export interface PeerChannel {
  send(to: number, round: string, data: Uint8Array): Promise<void>;
  /** Rejects after the caller's round timeout. */
  receive(from: number, round: string): Promise<Uint8Array>;
}

/** A cohort this buyer already queried on this dataset (the differencing check compares with it). */
export interface CohortRecord {
  filter: CohortFilter;
  /** |cohort| as opened among the nodes */
  size: number;
  jobId?: string;
  queryHash?: Hex;
}

export interface JobInput {
  jobId: string;
  query: Query;
  manifest: AnalyticsManifest;
  table: ShareTable;
  /** this node's index (0..2) */
  me: number;
  /** ascending indexes of the nodes taking part (this one included) */
  participants: number[];
  /** the buyer's earlier cohorts on this dataset, most recent last */
  history: CohortRecord[];
}

export type RefusalReason = "QueryMalformed" | "QueryNotAllowed" | "Differencing" | "DatasetMismatch" | "NotEnoughNodes";
/** The contract's RefusalReason for each (NotEnoughNodes has none of its own: ComputeFailed). */
export const ON_CHAIN_REFUSAL: Record<RefusalReason, "QueryMalformed" | "QueryNotAllowed" | "Differencing" | "DatasetMismatch" | "ComputeFailed"> = {
  QueryMalformed: "QueryMalformed",
  QueryNotAllowed: "QueryNotAllowed",
  Differencing: "Differencing",
  DatasetMismatch: "DatasetMismatch",
  NotEnoughNodes: "ComputeFailed",
};

export interface JobStats {
  rounds: number;
  /** degree-1 vectors reshared (one row each) */
  resharedVectors: number;
  bytesSent: number;
  ms: number;
}

export type JobOutcome =
  | { kind: "result"; payload: ResultPayload; cohort: CohortRecord; stats: JobStats }
  | { kind: "refused"; reason: RefusalReason; detail: string };

/** The last this many distinct cohorts per buyer and dataset are compared with. */
export const MAX_COHORT_HISTORY = 64;

/** A failure inside a job's computation (a peer's message does not fit, an opened count is impossible). */
export type EngineErrorCode = "bad-input" | "bad-message" | "peer-mismatch" | "bad-opening";

export class EngineError extends KrakenError<EngineErrorCode> {
  override name = "EngineError";
}

/** A history with `record` appended: distinct filters only (a repeated one moves to the end), at most MAX_COHORT_HISTORY. */
export function recordCohort(history: readonly CohortRecord[], record: CohortRecord): CohortRecord[] {
  const k = filterKey(record.filter);
  return [...history.filter((h) => filterKey(h.filter) !== k), record].slice(-MAX_COHORT_HISTORY);
}

// --- messages ---

const MAGIC = [0x4b, 0x52, 0x50, 0x4d]; // "KRPM"
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

interface MessageHeader {
  v: 1;
  job: string;
  round: string;
  from: number;
  participants: number[];
  count: number;
}

/** A message: magic, version, header length (u32 BE), canonical JSON header, `count` 16-byte LE elements. */
export function encodeMessage(h: Omit<MessageHeader, "v" | "count">, body: Uint8Array): Uint8Array {
  if (body.length % ELEMENT_BYTES !== 0) throw new EngineError("bad-input", "a message body is whole 16-byte elements");
  const json = enc.encode(canonicalJson({ v: 1, ...h, count: body.length / ELEMENT_BYTES }));
  const out = new Uint8Array(9 + json.length + body.length);
  out.set(MAGIC, 0);
  out[4] = 1;
  new DataView(out.buffer).setUint32(5, json.length);
  out.set(json, 9);
  out.set(body, 9 + json.length);
  return out;
}

/** Parses a message; the body is a fresh (aligned) copy whose elements are all below p. */
export function decodeMessage(data: unknown): { header: MessageHeader; body: Uint8Array } {
  if (!(data instanceof Uint8Array) || data.length < 9 || MAGIC.some((b, i) => data[i] !== b) || data[4] !== 1) throw new EngineError("bad-message", "a peer message is not an engine message");
  const len = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(5);
  if (len > 4096 || 9 + len > data.length) throw new EngineError("bad-message", "a peer message's header is malformed");
  let h: MessageHeader;
  try {
    h = JSON.parse(dec.decode(data.subarray(9, 9 + len)));
  } catch {
    throw new EngineError("bad-message", "a peer message's header is not JSON");
  }
  const body = data.slice(9 + len);
  if (typeof h !== "object" || h === null || h.v !== 1 || typeof h.job !== "string" || typeof h.round !== "string" || !Number.isInteger(h.from) || !Array.isArray(h.participants) || !Number.isInteger(h.count) || body.length !== h.count * ELEMENT_BYTES)
    throw new EngineError("bad-message", "a peer message's header is malformed");
  try {
    checkElements(body);
  } catch {
    throw new EngineError("bad-message", "a peer message holds a value that is not a field element");
  }
  return { header: h, body };
}

// --- vectors ---

/** A shared vector over the rows: four 32-bit limbs per row (a table column's own memory, or computed). */
type Vec = Uint32Array;

/** dst = dst + src mod p, element-wise. */
function addInto(dst: Vec, src: Vec): void {
  for (let d = 0; d < dst.length; d += 4) addWordsMod(dst, d, src[d], src[d + 1], src[d + 2], src[d + 3], dst, d);
}

// --- terms ---

/** A leaf factor: a condition (sum of indicator columns) or a value column. */
interface Leaf {
  key: string;
  indexes: number[]; // encoded columns to add up
}

/** Σ over rows of the product of the leaves (none: the public row count); null = known to be 0. */
interface Term {
  leaves: Leaf[];
}

const condLeaf = (c: FilterCondition): Leaf => ({ key: `i:${c.indexes.join(",")}`, indexes: c.indexes });
const valueLeaf = (index: number): Leaf => ({ key: `c:${index}`, indexes: [index] });

function termOf(filter: CohortFilter | null, value?: number): Term | null {
  if (!filter) return null;
  const leaves = filter.map(condLeaf);
  if (value !== undefined) leaves.push(valueLeaf(value));
  return { leaves };
}

/** A product node: the degree-1 vector of the product of `leaves` (≥ 2), reshared at `level`. */
interface ProductNode {
  key: string;
  left: Leaf | ProductNode;
  right: Leaf | ProductNode;
  level: number;
  vec?: Vec;
}
const isProduct = (x: Leaf | ProductNode): x is ProductNode => "level" in x;

// --- the job ---

const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export async function runJob(input: JobInput, channel: PeerChannel): Promise<JobOutcome> {
  const t0 = performance.now();
  const { jobId, manifest, table, me, participants } = input;
  if (!participants.every((p, i) => Number.isInteger(p) && p >= 0 && p <= 2 && (i === 0 || p > participants[i - 1])) || !participants.includes(me))
    throw new EngineError("bad-input", `participants must be ascending node indexes including this node (${me}), not [${participants.join(", ")}]`);
  const refuse = (reason: RefusalReason, detail: string): JobOutcome => ({ kind: "refused", reason, detail });
  if (participants.length < 2) return refuse("NotEnoughNodes", `only ${participants.length} node takes part; a query needs at least 2`);

  let query: Query;
  try {
    query = validateQuery(input.query, manifest);
  } catch (err) {
    if (err instanceof QueryError) return refuse(err.code === "malformed" ? "QueryMalformed" : "QueryNotAllowed", err.message);
    throw err;
  }
  const schema = manifest.schema;
  const h = table.header;
  const width = encodedColumns(schema).length;
  if (h.index !== me || h.productId !== manifest.productId || h.rows !== manifest.rows || h.columns !== width || h.schemaHash !== schemaHash(schema) || h.node.toLowerCase() !== manifest.nodes[me].toLowerCase())
    return refuse("DatasetMismatch", `this node's shares (product ${h.productId}, index ${h.index}, ${h.rows} rows × ${h.columns}) are not those of the manifest (product ${manifest.productId}, index ${me}, ${manifest.rows} rows × ${width})`);

  const plan: QueryPlan = planQuery(query, schema);
  if (!plan.linear && participants.length < 3) return refuse("NotEnoughNodes", `this query multiplies shared values, which needs all three nodes; ${participants.length} take part`);
  const n = table.rows;
  const minCohort = BigInt(manifest.privacy.minCohort);
  const three = participants.length === 3;

  // Terms: cohort, per cell count (always) and the revealed sums, intersections with history.
  const cohortKey = filterKey(plan.filter);
  const cohortTerm = termOf(plan.filter)!;
  const cellTerms = plan.cells.map((cell) => ({
    count: termOf(cell.filter),
    sum: plan.reveals.includes("sum") ? termOf(cell.filter, plan.value!.x) : null,
    sumsq: plan.reveals.includes("sumsq") ? termOf(cell.filter, plan.value!.x2) : null,
  }));
  type Diff = { record: CohortRecord; inter: "zero" | "cohort" | "record" | Term };
  const diffs: Diff[] = [];
  const seen = new Set<string>();
  for (const record of input.history.slice(-MAX_COHORT_HISTORY).reverse()) {
    const k = filterKey(record.filter);
    if (k === cohortKey || seen.has(k)) continue;
    seen.add(k);
    const merged = mergeFilters(plan.filter, record.filter);
    if (!merged) diffs.push({ record, inter: "zero" });
    else if (filterKey(merged) === cohortKey) diffs.push({ record, inter: "cohort" });
    else if (filterKey(merged) === k) diffs.push({ record, inter: "record" });
    else diffs.push({ record, inter: termOf(merged)! });
  }
  const allTerms: Term[] = [cohortTerm, ...cellTerms.flatMap((c) => [c.count, c.sum, c.sumsq]), ...diffs.map((d) => (typeof d.inter === "string" ? null : d.inter))].filter((t): t is Term => t !== null);
  if (!three && allTerms.some((t) => t.leaves.length > 1))
    return refuse("NotEnoughNodes", "the differencing check against one of the buyer's earlier cohorts multiplies shared values, which needs all three nodes");

  // Order each term's leaves from the most shared to the least (so the prefixes multiplied are reused), then plan the products.
  const freq = new Map<string, number>();
  for (const t of allTerms) for (const l of t.leaves) freq.set(l.key, (freq.get(l.key) ?? 0) + 1);
  const order = (a: Leaf, b: Leaf) => (freq.get(b.key)! - freq.get(a.key)!) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const products = new Map<string, ProductNode>();
  const productOf = (leaves: Leaf[]): Leaf | ProductNode => {
    if (leaves.length === 1) return leaves[0];
    const key = leaves.map((l) => l.key).join("*");
    const known = products.get(key);
    if (known) return known;
    const mid = Math.ceil(leaves.length / 2);
    const left = productOf(leaves.slice(0, mid));
    const right = productOf(leaves.slice(mid));
    const node: ProductNode = { key, left, right, level: 1 + Math.max(isProduct(left) ? left.level : 0, isProduct(right) ? right.level : 0) };
    products.set(key, node);
    return node;
  };
  /** A term as at most two degree-1 factors. */
  const reduced = new Map<Term, (Leaf | ProductNode)[]>();
  for (const t of allTerms) {
    const leaves = [...t.leaves].sort(order);
    reduced.set(t, leaves.length <= 2 ? leaves : [productOf(leaves.slice(0, -1)), leaves[leaves.length - 1]]);
  }

  // Vectors of leaves (table columns or sums of them) and channel plumbing.
  if (!LITTLE_ENDIAN) throw new EngineError("bad-input", "the engine needs a little-endian platform");
  const leafVecs = new Map<string, Vec>();
  const leafVec = (l: Leaf): Vec => {
    let v = leafVecs.get(l.key);
    if (v) return v;
    if (l.indexes.length === 1) v = table.words(l.indexes[0]);
    else {
      v = table.words(l.indexes[0]).slice();
      for (const j of l.indexes.slice(1)) addInto(v, table.words(j));
    }
    leafVecs.set(l.key, v);
    return v;
  };
  const vecOf = (x: Leaf | ProductNode): Vec => (isProduct(x) ? x.vec! : leafVec(x));

  const peers = participants.filter((p) => p !== me);
  const xs = participants.map((p) => p + 1);
  const lambda = lagrangeAtZero(xs);
  const myLambda = lambda[participants.indexOf(me)];
  let rounds = 0;
  let bytesSent = 0;
  /** Sends `toPeer(peer)` (16-byte elements) to each peer; returns each peer's body (checked: job, round, sender, participants, size). */
  const exchange = async (round: string, toPeer: (peer: number) => Uint8Array, expect: number): Promise<Map<number, Uint8Array>> => {
    rounds++;
    const got = new Map<number, Uint8Array>();
    await Promise.all([
      ...peers.map(async (p) => {
        const msg = encodeMessage({ job: jobId, round, from: me, participants }, toPeer(p));
        bytesSent += msg.length;
        await channel.send(p, round, msg);
      }),
      ...peers.map(async (p) => {
        const { header, body } = decodeMessage(await channel.receive(p, round));
        if (header.job !== jobId || header.round !== round || header.from !== p || !sameList(header.participants, participants))
          throw new EngineError("peer-mismatch", `job ${jobId}, round ${round}: node ${p} sent a message for job ${header.job}, round ${header.round}, from ${header.from}, participants [${header.participants}] (expected [${participants}])`);
        if (header.count !== expect) throw new EngineError("peer-mismatch", `job ${jobId}, round ${round}: node ${p} sent ${header.count} values, expected ${expect}`);
        got.set(p, body);
      }),
    ]);
    return got;
  };
  /**
   * Reshares m values whose λ-weighted sum is wanted (this node holds base = λ_me · v + its
   * noise, as limbs): each node sends f(x_j) = base + s·x_j with a fresh random slope s per
   * value, and adds up what it receives: a fresh degree-1 sharing of Σ λ_i v_i (+ Σ noise).
   */
  const reshare = async (round: string, base: Uint32Array): Promise<Uint32Array> => {
    const m = base.length / 4;
    const slopes = randomElementWords(m);
    const f = [new Uint32Array(4 * m), new Uint32Array(4 * m), new Uint32Array(4 * m)]; // x = 1, 2, 3
    for (let d = 0; d < 4 * m; d += 4) {
      const s0 = slopes[d], s1 = slopes[d + 1], s2 = slopes[d + 2], s3 = slopes[d + 3];
      addWordsMod(base, d, s0, s1, s2, s3, f[0], d);
      addWordsMod(f[0], d, s0, s1, s2, s3, f[1], d);
      addWordsMod(f[1], d, s0, s1, s2, s3, f[2], d);
    }
    const bytes = (p: number) => new Uint8Array(f[p].buffer, f[p].byteOffset, f[p].byteLength);
    const got = await exchange(round, bytes, m);
    const mine = f[me];
    for (const p of peers) {
      const body = got.get(p)!;
      addInto(mine, new Uint32Array(body.buffer, body.byteOffset, body.byteLength / 4));
    }
    return mine;
  };
  const toWords = (values: readonly bigint[]): Uint32Array => {
    const b = encodeElements(values.map((v) => mod(v)));
    return new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  const fromWords = (w: Uint32Array): bigint[] => decodeElements(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));

  // Multiplication levels: local products (degree 2), times λ_me, reshared to degree 1 in one round per level.
  const levels = Math.max(0, ...[...products.values()].map((p) => p.level));
  let resharedVectors = 0;
  for (let level = 1; level <= levels; level++) {
    const nodes = [...products.values()].filter((p) => p.level === level);
    const base = new Uint32Array(nodes.length * n * 4);
    nodes.forEach((node, k) => {
      const a = vecOf(node.left);
      const b = vecOf(node.right);
      const off = k * n * 4;
      for (let i = 0; i < 4 * n; i += 4) {
        const d = off + i;
        mulWordsMod(a, i, b, i, base, d);
        // λ at 0 of the points 1, 2, 3 is 3, −3, 1
        if (me !== 2) {
          const w0 = base[d], w1 = base[d + 1], w2 = base[d + 2], w3 = base[d + 3];
          addWordsMod(base, d, w0, w1, w2, w3, base, d);
          addWordsMod(base, d, w0, w1, w2, w3, base, d);
          if (me === 1) negWordsMod(base, d, base, d);
        }
      }
    });
    const shares = await reshare(`mul-${level}`, base);
    nodes.forEach((node, k) => (node.vec = shares.subarray(k * n * 4, (k + 1) * n * 4)));
    resharedVectors += nodes.length;
  }

  // Every term's share (degree ≤ 2); the sums of products sharing a first factor in one pass.
  const termShare = new Map<Term, bigint>();
  const byFirst = new Map<Leaf | ProductNode, Term[]>();
  for (const t of allTerms) {
    const f = reduced.get(t)!;
    if (f.length === 0) termShare.set(t, BigInt(n)); // every node holds the public row count
    else if (f.length === 1) termShare.set(t, sumWords(vecOf(f[0]), n));
    else byFirst.set(f[0], [...(byFirst.get(f[0]) ?? []), t]);
  }
  for (const [first, terms] of byFirst) {
    const sums = dotWords(vecOf(first), terms.map((t) => vecOf(reduced.get(t)![1])), n);
    terms.forEach((t, k) => termShare.set(t, sums[k]));
  }
  const share = (t: Term | null): bigint => (t ? termShare.get(t)! : 0n);

  // Open the counts among the participants.
  const toOpen: (Term | null)[] = [cohortTerm, ...cellTerms.map((c) => c.count), ...diffs.map((d) => (typeof d.inter === "string" ? null : d.inter))];
  const mine = toOpen.map(share);
  const got = await exchange("open", () => encodeElements(mine), mine.length);
  const theirs = new Map([...got].map(([p, body]) => [p, decodeElements(body)]));
  const opened = mine.map((v, k) => {
    let acc = 0n;
    participants.forEach((p, i) => (acc += lambda[i] * (p === me ? v : theirs.get(p)![k])));
    const value = toSigned(mod(acc));
    if (value < 0n || value > BigInt(n)) throw new EngineError("bad-opening", `job ${jobId}: an opened count is ${value}, outside 0..${n}: a node's shares are corrupt`);
    return value;
  });
  const cohortSize = opened[0];
  const cellCounts = opened.slice(1, 1 + plan.cells.length);
  const interOpened = opened.slice(1 + plan.cells.length);

  // Differencing: 0 < |A Δ B| < minCohort refuses.
  let d = 0;
  for (const { record, inter } of diffs) {
    const b = BigInt(record.size);
    const i = inter === "zero" ? 0n : inter === "cohort" ? cohortSize : inter === "record" ? b : interOpened[d++];
    const delta = cohortSize + b - 2n * i;
    if (delta > 0n && delta < minCohort)
      return refuse("Differencing", `the cohort differs from an earlier cohort of this buyer${record.jobId ? ` (job ${record.jobId})` : ""} by fewer than ${minCohort} rows`);
  }

  // Suppression, then the final reshare with noise.
  const suppressed = cellCounts.map((c) => c < minCohort);
  const epsilon = manifest.privacy.epsilonPerQuery;
  const revealed: { cell: number; agg: Aggregate; value: bigint }[] = [];
  plan.cells.forEach((_, c) => {
    if (suppressed[c]) return;
    for (const agg of plan.reveals) revealed.push({ cell: c, agg, value: share(cellTerms[c][agg]) });
  });
  const noise = (k: number) => (epsilon > 0 ? laplaceNoise(epsilon, plan.sensitivity[revealed[k].agg], plan.reveals.length) : 0n);
  const finalShares = fromWords(await reshare("final", toWords(revealed.map((r, k) => myLambda * r.value + noise(k)))));

  const cells: ResultShareCell[] = plan.cells.map((cell, c) => ({ key: cell.key, suppressed: suppressed[c], shares: {} }));
  revealed.forEach((r, k) => (cells[r.cell].shares[r.agg] = elementToHex(finalShares[k])));
  const qh = queryHash(query);
  const payload: ResultPayload = {
    kind: "kraken.analytics-result", v: 1, jobId, productId: manifest.productId, node: manifest.nodes[me], index: me,
    participants: [...participants], queryHash: qh, cells, epsilon: epsilon > 0 ? epsilon : 0,
  };
  return {
    kind: "result",
    payload,
    cohort: { filter: plan.filter, size: Number(cohortSize), jobId, queryHash: qh },
    stats: { rounds, resharedVectors, bytesSent, ms: performance.now() - t0 },
  };
}

