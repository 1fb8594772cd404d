// The issuer's record of what it issued, and the revocation status the verifiers check
// (GET /credentials/status/:id). It holds no personal data: credential id, subject address,
// credential hash, dates and the revoked / re-admitted marks only. Legal names, registration
// numbers and emails are in the credential, which only the holder keeps.
//
// Writes: the whole list is one JSON file (status.json), rewritten atomically. Issuances only
// mark the list dirty and one write per `flushMs` carries all of them, so a burst of issuances
// costs a few writes, not one each; revocations and re-admissions are written before they are
// answered (they are rare, and a revocation must survive a crash). `close()` writes what is
// pending (the server calls it on stop). An issuance answered in the last `flushMs` before a
// crash can be missing from the list; revocation by subject still reaches it on chain (see
// revocation.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import { writeFileAtomic } from "./store.ts";

export interface StatusEntry {
  subject: Address;
  credentialHash: Hex;
  issuedAt: string;
  expiresAt: string;
  revoked: boolean;
  revokedAt?: string;
  /** Set on a revoked entry when its subject was re-admitted: the credential stays revoked, but no longer bars new issuances. */
  readmittedAt?: string;
}

export interface StatusListOptions {
  /** Longest time an issuance waits in memory before the list is written (default 200 ms). */
  flushMs?: number;
  log?: (line: string) => void;
  /** Writes the file (default: writeFileAtomic); for tests. */
  write?: (file: string, text: string) => void;
}

export const DEFAULT_STATUS_FLUSH_MS = 200;

export class StatusList {
  private readonly file: string;
  private readonly entries: Record<string, StatusEntry>;
  /** Lower-case subject address -> its credential ids, in issuance order. */
  private readonly bySubject = new Map<string, string[]>();
  private readonly flushMs: number;
  private readonly log: (line: string) => void;
  private readonly write: (file: string, text: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private closed = false;
  /** Number of times the file was written. */
  writes = 0;

  constructor(dataDir: string, o: StatusListOptions = {}) {
    this.file = join(dataDir, "status.json");
    this.flushMs = o.flushMs ?? DEFAULT_STATUS_FLUSH_MS;
    this.log = o.log ?? (() => {});
    this.write = o.write ?? ((file, text) => writeFileAtomic(file, text, 0o600));
    this.entries = existsSync(this.file) ? JSON.parse(readFileSync(this.file, "utf8")).credentials : {};
    const ordered = Object.entries(this.entries).sort(([, a], [, b]) => a.issuedAt.localeCompare(b.issuedAt));
    for (const [id, e] of ordered) this.index(id, e.subject);
  }

  /** Records an issued credential; written within `flushMs`. */
  add(credentialId: string, entry: StatusEntry): void {
    if (!this.entries[credentialId]) this.index(credentialId, entry.subject);
    this.entries[credentialId] = entry;
    this.scheduleSave();
  }

  get(credentialId: string): StatusEntry | undefined {
    return this.entries[credentialId];
  }

  /** All credentials issued to `subject`, oldest first. */
  allOf(subject: Address): [string, StatusEntry][] {
    return (this.bySubject.get(subject.toLowerCase()) ?? []).map((id) => [id, this.entries[id]]);
  }

  /** The most recently issued credential of `subject`. */
  latestOf(subject: Address): [string, StatusEntry] | undefined {
    return this.allOf(subject).at(-1);
  }

  /** Whether a credential of `subject` was revoked here and the subject not re-admitted since. */
  barred(subject: Address): boolean {
    return this.allOf(subject).some(([, e]) => e.revoked && !e.readmittedAt);
  }

  /** Marks credentials revoked; written before returning. */
  markRevoked(...credentialIds: string[]): void {
    const at = new Date().toISOString();
    for (const id of credentialIds) {
      const e = this.entries[id];
      e.revoked = true;
      e.revokedAt = at;
    }
    this.dirty = true;
    this.saveNow();
  }

  /** Re-admits `subject`: its revoked credentials stop barring new issuances. Written before returning; returns how many entries it marked. */
  readmit(subject: Address): number {
    const at = new Date().toISOString();
    let n = 0;
    for (const [, e] of this.allOf(subject)) {
      if (e.revoked && !e.readmittedAt) {
        e.readmittedAt = at;
        n++;
      }
    }
    if (n) {
      this.dirty = true;
      this.saveNow();
    }
    return n;
  }

  /** Writes pending changes now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty) this.saveNow();
  }

  /** Writes pending changes; later changes are written at once (no timer is left behind). */
  close(): void {
    this.closed = true;
    this.flush();
  }

  private index(credentialId: string, subject: Address): void {
    const key = subject.toLowerCase();
    const ids = this.bySubject.get(key);
    if (ids) ids.push(credentialId);
    else this.bySubject.set(key, [credentialId]);
  }

  private scheduleSave(): void {
    this.dirty = true;
    if (this.closed || this.flushMs <= 0) return this.saveNow();
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.saveNow();
      } catch (err) {
        // Still dirty: the next change or close() tries again.
        this.log(`could not write ${this.file}: ${(err as Error).message}`);
      }
    }, this.flushMs);
  }

  private saveNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.write(this.file, JSON.stringify({ credentials: this.entries }, null, 2) + "\n");
    this.writes++;
    this.dirty = false;
  }
}
