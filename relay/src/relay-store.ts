// A relay's durable state in its data directory, written atomically (temp file + fsync +
// rename) so a kill at any point leaves either the old or the new version:
//   shares/<productId>.json  the share envelope exactly as received — still sealed to the
//                            relay's key; the opened share never touches the disk
//   state.json               checkpoint block, counters, signed-but-unconfirmed receipt
//                            transactions, used re-delivery nonces (hashed, until they expire)
// Nothing personal is stored: ids, hashes and the relay's own transactions only.
// Writes are coalesced: `commit()` schedules one write of state.json for every change made in
// the same tick and resolves once it is on disk, so callers await it before they publish,
// acknowledge or send anything that depends on the change. Rejected input changes nothing
// that has to be durable (only in-memory counters, saved with the next real write).
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";

export interface StoredShare {
  productId: string;
  version: number;
  envelope: Hex; // sealed to this relay, as received
  envelopeHash: Hex;
  seller: string;
  storedAt: string;
}

export interface Counters {
  sharesStored: number;
  delivered: number;
  redelivered: number;
  rejected: number;
  /** Requests and share messages refused by a rate limit (not counted in `rejected`). */
  rateLimited: number;
  /** Share messages dropped because the intake queue was full. */
  dropped: number;
}

const ZERO_COUNTERS: Counters = { sharesStored: 0, delivered: 0, redelivered: 0, rejected: 0, rateLimited: 0, dropped: 0 };

export interface PendingReceipt {
  agreementId: string;
  txHash: Hex;
  raw: Hex; // the signed transaction, re-broadcast after a restart (same hash, so never twice)
}

export interface RelayState {
  /** chain id + Agreements address the state belongs to (a new deployment starts afresh). */
  scope?: string;
  checkpointBlock: number;
  counters: Counters;
  pendingReceipts: Record<string, PendingReceipt>;
  usedNonces: Record<string, number>; // keccak(nonce) -> expiry (unix s)
  backfill?: string[]; // products whose earlier agreements still need a look (share just stored)
  /** The chain head last seen: a lower one, or another hash at its height, means the chain lost blocks. */
  seenHead?: { number: number; hash: Hex };
  /** Agreements whose receipt this relay recorded lately → the receipt's block (re-checked when blocks are lost). */
  recentReceipts?: Record<string, number>;
}

/** Atomic and durable: temp file, fsync, rename. */
function writeAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify(value, null, 2) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export class RelayStore {
  readonly state: RelayState;
  private readonly shares = new Map<string, StoredShare>();
  private readonly stateFile: string;
  private readonly shareDir: string;
  private scheduled: Promise<void> | undefined;
  /** Files written (state.json and share files) since this store was opened. */
  writes = 0;

  /** `onStale` is told when state of another deployment was set aside (renamed, never deleted). */
  constructor(readonly dir: string, initialCheckpoint: number, scope: string, onStale?: (movedTo: string) => void) {
    this.stateFile = join(dir, "state.json");
    this.shareDir = join(dir, "shares");
    let state = existsSync(this.stateFile) ? (JSON.parse(readFileSync(this.stateFile, "utf8")) as RelayState) : undefined;
    if (state && state.scope !== scope) {
      const aside = join(dir, `stale-${Date.now()}`);
      mkdirSync(aside, { recursive: true });
      renameSync(this.stateFile, join(aside, "state.json"));
      if (existsSync(this.shareDir)) renameSync(this.shareDir, join(aside, "shares"));
      onStale?.(aside);
      state = undefined;
    }
    mkdirSync(this.shareDir, { recursive: true, mode: 0o700 });
    this.state = state ?? { scope, checkpointBlock: initialCheckpoint, counters: { ...ZERO_COUNTERS }, pendingReceipts: {}, usedNonces: {} };
    this.state.counters = { ...ZERO_COUNTERS, ...this.state.counters }; // state of an older version lacks newer counters
    for (const f of readdirSync(this.shareDir)) {
      if (!/^\d+\.json$/.test(f)) continue;
      const s = JSON.parse(readFileSync(join(this.shareDir, f), "utf8")) as StoredShare;
      this.shares.set(s.productId, s);
    }
  }

  share(productId: string | bigint): StoredShare | undefined {
    return this.shares.get(String(productId));
  }

  products(): string[] {
    return [...this.shares.keys()];
  }

  putShare(s: StoredShare): void {
    writeAtomic(join(this.shareDir, `${s.productId}.json`), s);
    this.writes++;
    this.shares.set(s.productId, s);
  }

  /**
   * Marks a re-delivery nonce (its hash) used until `expiresAt` (unix s); false when it already
   * is. Synchronous, so a check and its set cannot be interleaved with another request's.
   */
  claimNonce(key: string, expiresAt: number, now = Math.floor(Date.now() / 1000)): boolean {
    const until = this.state.usedNonces[key];
    if (until !== undefined && until >= now) return false;
    this.state.usedNonces[key] = expiresAt;
    return true;
  }

  /** Writes state.json now (synchronously, atomically, durably). */
  save(): void {
    const now = Math.floor(Date.now() / 1000);
    for (const [k, exp] of Object.entries(this.state.usedNonces)) if (exp < now) delete this.state.usedNonces[k];
    writeAtomic(this.stateFile, this.state);
    this.writes++;
  }

  /**
   * Writes state.json once for all changes made up to the end of this tick: every caller in the
   * tick awaits the same write, which resolves once it is on disk (and rejects if it failed).
   */
  commit(): Promise<void> {
    this.scheduled ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.scheduled = undefined; // changes made from here on need another write
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
}
