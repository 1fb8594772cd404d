// Who may get DATA now: one drip per address per cooldown (kept on disk, so a restart does not
// reset it) and a ceiling on drips per minute over all addresses, because new addresses cost
// nothing to make. Written by hand: rate-limit plugins key on the client's IP, not on the
// address asked for, and do not persist.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export type DripDecision = { ok: true } | { ok: false; reason: "address" | "global"; retryAt: number };

export interface LimiterOptions {
  /** JSON file of the last drip per address. */
  file: string;
  cooldownMs: number;
  /** Drips allowed per minute over all addresses. */
  perMinute: number;
  /** The clock (tests). */
  now?: () => number;
}

export class DripLimiter {
  private readonly last = new Map<string, number>();
  private readonly recent: number[] = []; // times of the drips in the last minute
  private readonly now: () => number;

  constructor(private readonly o: LimiterOptions) {
    this.now = o.now ?? Date.now;
    if (existsSync(o.file)) {
      try {
        for (const [a, t] of Object.entries(JSON.parse(readFileSync(o.file, "utf8")) as Record<string, number>)) {
          if (/^0x[0-9a-f]{40}$/.test(a) && Number.isFinite(t)) this.last.set(a, t);
        }
      } catch {
        // A damaged file only forgets cooldowns; the faucet keeps working.
      }
    }
  }

  /** Whether `address` may get a drip now; does not record anything. */
  check(address: string): DripDecision {
    const now = this.now();
    const at = this.last.get(address.toLowerCase());
    if (at !== undefined && now - at < this.o.cooldownMs) return { ok: false, reason: "address", retryAt: at + this.o.cooldownMs };
    this.prune(now);
    if (this.recent.length >= this.o.perMinute) return { ok: false, reason: "global", retryAt: this.recent[0] + 60_000 };
    return { ok: true };
  }

  /** Records a drip to `address` (before minting, so concurrent requests cannot both pass). */
  record(address: string): number {
    const now = this.now();
    this.last.set(address.toLowerCase(), now);
    this.recent.push(now);
    this.save(now);
    return now + this.o.cooldownMs;
  }

  /** Forgets a recorded drip whose mint failed, so the address may try again at once. */
  undo(address: string): void {
    this.last.delete(address.toLowerCase());
    this.recent.pop();
    this.save(this.now());
  }

  private prune(now: number) {
    while (this.recent.length && now - this.recent[0] >= 60_000) this.recent.shift();
  }

  private save(now: number) {
    // Only cooldowns still running matter: the file stays as small as the active users.
    const live = Object.fromEntries([...this.last].filter(([, t]) => now - t < this.o.cooldownMs));
    mkdirSync(dirname(this.o.file), { recursive: true });
    const tmp = `${this.o.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(live));
    renameSync(tmp, this.o.file);
  }
}
