// An SMPC node's durable state in its data directory (docs/analytics.md, "SMPC node"). Every
// file is written atomically (temp file + fsync + rename), so a kill at any point leaves the old
// or the new version:
//   state.json                  checkpoint block, counters, committed datasets this node serves,
//                               jobs (queued → sealed → done | refused | failed), the per-(product,
//                               buyer) cohort histories, signed-but-unconfirmed transactions
//   bundles/<product>/<hash>.krkn   a bundle exactly as uploaded: still encrypted (file cipher)
//   bundles/<product>/<hash>.json   its metadata and the sealed file key (sealed to this node)
//   uploads/<id>.part           an upload in progress (deleted when completed or abandoned)
//   queries/<hash>.json         query texts buyers posted (validated; expire after a TTL)
//   manifests/<hash>.json       manifests fetched from IPFS (public)
//   results/<job>.json          the sealed result envelope of a job, saved before it is published
// The plaintext shares never touch the disk: they are decrypted into memory when a job needs
// them. Nothing personal is stored (the query text is the buyer's question, not data).
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";

/** Atomic and durable: temp file, fsync, rename. */
export function writeAtomic(file: string, content: string | Uint8Array): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    if (typeof content === "string") writeSync(fd, content);
    else writeSync(fd, content, 0, content.length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** JSON with bigints (the engine's histories and outcomes may hold field elements). */
export const toJson = (value: unknown, space?: number): string =>
  JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? { $bigint: v.toString() } : v), space);
export const fromJson = <T>(text: string): T =>
  JSON.parse(text, (_k, v) => (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.$bigint === "string" ? BigInt(v.$bigint) : v)) as T;

export interface BundleMeta {
  productId: string;
  bundleHash: Hex; // SHA-256 of the ciphertext
  size: number;
  sealedKey: Hex; // the file key sealed to this node (as uploaded)
  seller: string;
  /** From the bundle header. */
  index: number;
  rows: number;
  columns: number;
  schemaHash: Hex;
  storedAt: string;
}

/** A dataset version committed on chain (Analytics.DatasetCommitted) naming this node. */
export interface CommitRecord {
  productId: string;
  version: number;
  manifestHash: Hex;
  manifestURI: string;
  /** This node's position among the product's agents, and the bundle hash committed for it. */
  index: number;
  bundleHash: Hex;
  rows: number;
  minCohort: number;
  /** thousandths */
  epsilonPerQuery: number;
  jobTimeout: number;
  /** active: bundle held and manifest checked; waiting: not yet (retried); invalid: never usable. */
  status: "active" | "waiting" | "invalid";
  /** Why it is waiting or invalid. */
  reason?: string;
  seenAt: string;
  activatedAt?: string;
}

/** Versions kept per product (jobs pin the version they were requested on). */
export const MAX_VERSIONS = 4;

export type JobStatus = "queued" | "sealed" | "done" | "refused" | "failed" | "skipped";

export interface JobRecord {
  jobId: string;
  productId: string;
  status: JobStatus;
  /** The refusal reason (enum name) or why the job failed / was skipped. */
  reason?: string;
  envelopeHash?: Hex;
  consumer?: string;
  /** Unix s: the job's deadline (from the chain). */
  deadline?: number;
  updatedAt: string;
  /** ms from the request block's time to the result on the inbox (done jobs). */
  latencyMs?: number;
}

export interface PendingTx {
  key: string; // "result:<job>" | "refusal:<job>"
  jobId: string;
  txHash: Hex;
  raw: Hex; // signed: re-broadcast after a restart (same hash, so never twice)
}

export interface Counters {
  uploadsStored: number;
  uploadsRejected: number;
  queriesStored: number;
  queriesRejected: number;
  jobsDone: number;
  jobsRefused: number;
  jobsFailed: number;
  peerRejected: number;
  rateLimited: number;
}

const ZERO: Counters = { uploadsStored: 0, uploadsRejected: 0, queriesStored: 0, queriesRejected: 0, jobsDone: 0, jobsRefused: 0, jobsFailed: 0, peerRejected: 0, rateLimited: 0 };

export interface NodeState {
  /** chain id + Analytics address the state belongs to (a new deployment starts afresh). */
  scope?: string;
  checkpointBlock: number;
  counters: Counters;
  /** productId -> the committed versions naming this node, oldest first (at most MAX_VERSIONS). */
  commits: Record<string, CommitRecord[]>;
  jobs: Record<string, JobRecord>;
  /** "<productId>:<consumer lower-case>" -> the engine's cohort history (most recent last). */
  cohorts: Record<string, unknown[]>;
  pendingTxs: Record<string, PendingTx>;
}

export interface StoredQuery {
  queryHash: Hex;
  productId: string;
  query: unknown; // the validated query
  bytes: number;
  expiresAt: number; // unix ms
}

export interface QueryBounds {
  /** Most query texts held. */
  maxCount: number;
  /** Most bytes of query texts held. */
  maxBytes: number;
  ttlMs: number;
}

export const DEFAULT_QUERY_BOUNDS: QueryBounds = { maxCount: 10_000, maxBytes: 16 * 2 ** 20, ttlMs: 24 * 3600_000 };
/** Finished jobs kept in state.json (the chain keeps the rest). */
const MAX_FINISHED_JOBS = 2000;
/** Cohort history entries kept per (product, buyer). */
export const MAX_COHORT_HISTORY = 64;

export class NodeStore {
  readonly state: NodeState;
  private readonly stateFile: string;
  readonly bundleDir: string;
  readonly uploadDir: string;
  private readonly queryDir: string;
  private readonly manifestDir: string;
  private readonly resultDir: string;
  private readonly bundles = new Map<string, Map<string, BundleMeta>>(); // productId -> hash -> meta
  private readonly queries = new Map<string, StoredQuery>(); // insertion order = age
  private queryBytes = 0;
  private scheduled: Promise<void> | undefined;
  writes = 0;

  constructor(readonly dir: string, initialCheckpoint: number, scope: string, readonly queryBounds: QueryBounds = DEFAULT_QUERY_BOUNDS, onStale?: (movedTo: string) => void) {
    this.stateFile = join(dir, "state.json");
    this.bundleDir = join(dir, "bundles");
    this.uploadDir = join(dir, "uploads");
    this.queryDir = join(dir, "queries");
    this.manifestDir = join(dir, "manifests");
    this.resultDir = join(dir, "results");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    let state = existsSync(this.stateFile) ? fromJson<NodeState>(readFileSync(this.stateFile, "utf8")) : undefined;
    if (state && state.scope !== scope) {
      const aside = join(dir, `stale-${Date.now()}`);
      mkdirSync(aside, { recursive: true });
      renameSync(this.stateFile, join(aside, "state.json"));
      for (const d of [this.bundleDir, this.queryDir, this.resultDir]) if (existsSync(d)) renameSync(d, join(aside, d.slice(dir.length + 1)));
      onStale?.(aside);
      state = undefined;
    }
    for (const d of [this.bundleDir, this.uploadDir, this.queryDir, this.manifestDir, this.resultDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
    this.state = state ?? { scope, checkpointBlock: initialCheckpoint, counters: { ...ZERO }, commits: {}, jobs: {}, cohorts: {}, pendingTxs: {} };
    this.state.counters = { ...ZERO, ...this.state.counters };
    // Uploads in progress do not survive a restart (the seller starts again).
    for (const f of readdirSync(this.uploadDir)) rmSync(join(this.uploadDir, f), { force: true });
    for (const p of readdirSync(this.bundleDir)) {
      if (!/^\d+$/.test(p)) continue;
      for (const f of readdirSync(join(this.bundleDir, p))) {
        if (!f.endsWith(".json")) continue;
        const meta = JSON.parse(readFileSync(join(this.bundleDir, p, f), "utf8")) as BundleMeta;
        if (existsSync(this.bundleFile(meta.productId, meta.bundleHash))) this.remember(meta);
      }
    }
    const now = Date.now();
    const stored: StoredQuery[] = [];
    for (const f of readdirSync(this.queryDir)) {
      if (!f.endsWith(".json")) continue;
      try {
        const q = JSON.parse(readFileSync(join(this.queryDir, f), "utf8")) as StoredQuery;
        if (q.expiresAt > now) stored.push(q);
        else rmSync(join(this.queryDir, f), { force: true });
      } catch {
        rmSync(join(this.queryDir, f), { force: true });
      }
    }
    for (const q of stored.sort((a, b) => a.expiresAt - b.expiresAt)) {
      this.queries.set(q.queryHash, q);
      this.queryBytes += q.bytes;
    }
  }

  // --- bundles ---

  bundleFile(productId: string, bundleHash: Hex): string {
    return join(this.bundleDir, productId, `${bundleHash.slice(2)}.krkn`);
  }

  private remember(meta: BundleMeta): void {
    let m = this.bundles.get(meta.productId);
    if (!m) this.bundles.set(meta.productId, (m = new Map()));
    m.set(meta.bundleHash, meta);
  }

  /** Moves a completed upload's file into place and records its metadata (both durable). */
  putBundle(meta: BundleMeta, uploadedFile: string): void {
    mkdirSync(join(this.bundleDir, meta.productId), { recursive: true, mode: 0o700 });
    const fd = openSync(uploadedFile, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(uploadedFile, this.bundleFile(meta.productId, meta.bundleHash));
    writeAtomic(join(this.bundleDir, meta.productId, `${meta.bundleHash.slice(2)}.json`), JSON.stringify(meta, null, 2) + "\n");
    this.writes += 2;
    this.remember(meta);
  }

  bundle(productId: string, bundleHash: string): BundleMeta | undefined {
    return this.bundles.get(productId)?.get(bundleHash.toLowerCase());
  }

  bundlesOf(productId: string): BundleMeta[] {
    return [...(this.bundles.get(productId)?.values() ?? [])];
  }

  /** Products with at least one bundle held. */
  products(): string[] {
    return [...this.bundles.keys()].filter((p) => (this.bundles.get(p)?.size ?? 0) > 0);
  }

  /** Deletes a bundle (its file and metadata). */
  dropBundle(productId: string, bundleHash: Hex): void {
    rmSync(this.bundleFile(productId, bundleHash), { force: true });
    rmSync(join(this.bundleDir, productId, `${bundleHash.slice(2)}.json`), { force: true });
    this.bundles.get(productId)?.delete(bundleHash.toLowerCase());
  }

  /** Bundles of a product that no kept commitment names, oldest first. */
  unreferencedBundles(productId: string): BundleMeta[] {
    const named = new Set((this.state.commits[productId] ?? []).map((c) => c.bundleHash.toLowerCase()));
    return this.bundlesOf(productId).filter((b) => !named.has(b.bundleHash.toLowerCase())).sort((a, b) => a.storedAt.localeCompare(b.storedAt));
  }

  // --- queries ---

  /** Stores a validated query (idempotent); evicts expired, then the oldest, to stay within the bounds. */
  putQuery(q: Omit<StoredQuery, "expiresAt" | "bytes">, now = Date.now()): StoredQuery {
    const text = JSON.stringify(q.query);
    const existing = this.queries.get(q.queryHash);
    const stored: StoredQuery = { ...q, bytes: text.length, expiresAt: now + this.queryBounds.ttlMs };
    if (existing) {
      this.queries.delete(q.queryHash);
      this.queryBytes -= existing.bytes;
    }
    this.pruneQueries(now);
    while (this.queries.size > 0 && (this.queries.size + 1 > this.queryBounds.maxCount || this.queryBytes + stored.bytes > this.queryBounds.maxBytes)) {
      const oldest = this.queries.values().next().value!;
      this.dropQuery(oldest.queryHash);
    }
    writeAtomic(join(this.queryDir, `${q.queryHash.slice(2)}.json`), JSON.stringify(stored));
    this.writes++;
    this.queries.set(q.queryHash, stored);
    this.queryBytes += stored.bytes;
    return stored;
  }

  query(queryHash: string, now = Date.now()): StoredQuery | undefined {
    const q = this.queries.get(queryHash.toLowerCase());
    return q && q.expiresAt > now ? q : undefined;
  }

  private dropQuery(hash: string): void {
    const q = this.queries.get(hash);
    if (!q) return;
    this.queries.delete(hash);
    this.queryBytes -= q.bytes;
    rmSync(join(this.queryDir, `${hash.slice(2)}.json`), { force: true });
  }

  pruneQueries(now = Date.now()): void {
    for (const q of [...this.queries.values()]) if (q.expiresAt <= now) this.dropQuery(q.queryHash);
  }

  get queryStats() {
    return { count: this.queries.size, bytes: this.queryBytes };
  }

  // --- manifests (public documents, cached by hash) ---

  manifestText(manifestHash: Hex): string | undefined {
    const f = join(this.manifestDir, `${manifestHash.slice(2)}.json`);
    return existsSync(f) ? readFileSync(f, "utf8") : undefined;
  }

  putManifestText(manifestHash: Hex, text: string): void {
    writeAtomic(join(this.manifestDir, `${manifestHash.slice(2)}.json`), text);
    this.writes++;
  }

  // --- results (sealed envelopes, saved before they are published) ---

  putResult(jobId: string, envelope: Hex): void {
    writeAtomic(join(this.resultDir, `${jobId}.json`), JSON.stringify({ jobId, envelope }));
    this.writes++;
  }

  result(jobId: string): Hex | undefined {
    const f = join(this.resultDir, `${jobId}.json`);
    return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as { envelope: Hex }).envelope : undefined;
  }

  // --- commitments ---

  commitOf(productId: string, version: number): CommitRecord | undefined {
    return this.state.commits[productId]?.find((c) => c.version === version);
  }

  /**
   * Records (or replaces) a commitment; keeps the last MAX_VERSIONS versions and deletes the
   * bundles only the versions let go of named (jobs can no longer pin those).
   */
  putCommit(c: CommitRecord): void {
    const list = (this.state.commits[c.productId] ?? []).filter((x) => x.version !== c.version);
    list.push(c);
    list.sort((a, b) => a.version - b.version);
    const kept = list.slice(-MAX_VERSIONS);
    this.state.commits[c.productId] = kept;
    const named = new Set(kept.map((x) => x.bundleHash.toLowerCase()));
    for (const gone of list.slice(0, list.length - kept.length)) if (!named.has(gone.bundleHash.toLowerCase())) this.dropBundle(c.productId, gone.bundleHash);
  }

  /** The latest active version of a product. */
  active(productId: string): CommitRecord | undefined {
    return [...(this.state.commits[productId] ?? [])].reverse().find((c) => c.status === "active");
  }

  // --- jobs and histories ---

  setJob(r: Omit<JobRecord, "updatedAt">): JobRecord {
    const rec = { ...this.state.jobs[r.jobId], ...r, updatedAt: new Date().toISOString() };
    this.state.jobs[r.jobId] = rec;
    return rec;
  }

  cohortHistory(productId: string, consumer: string): unknown[] {
    return this.state.cohorts[`${productId}:${consumer.toLowerCase()}`] ?? [];
  }

  setCohortHistory(productId: string, consumer: string, history: readonly unknown[]): void {
    this.state.cohorts[`${productId}:${consumer.toLowerCase()}`] = history.slice(-MAX_COHORT_HISTORY);
  }

  /** Keeps the last MAX_FINISHED_JOBS finished jobs (and their result files) in the state. */
  private pruneJobs(): void {
    const finished = Object.values(this.state.jobs).filter((j) => j.status !== "queued" && j.status !== "sealed");
    if (finished.length <= MAX_FINISHED_JOBS) return;
    finished.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
    for (const j of finished.slice(0, finished.length - MAX_FINISHED_JOBS)) {
      delete this.state.jobs[j.jobId];
      rmSync(join(this.resultDir, `${j.jobId}.json`), { force: true });
    }
  }

  /** Writes state.json now (synchronously, atomically, durably). */
  save(): void {
    this.pruneJobs();
    writeAtomic(this.stateFile, toJson(this.state, 2) + "\n");
    this.writes++;
  }

  /** One write of state.json for every change made up to the end of this tick; resolves once on disk. */
  commit(): Promise<void> {
    this.scheduled ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.scheduled = undefined;
        try {
          this.save();
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    return this.scheduled;
  }

  /** Bytes used by held bundles (ciphertext). */
  bundleBytes(): number {
    let n = 0;
    for (const m of this.bundles.values()) for (const b of m.values()) n += existsSync(this.bundleFile(b.productId, b.bundleHash)) ? statSync(this.bundleFile(b.productId, b.bundleHash)).size : 0;
    return n;
  }
}
