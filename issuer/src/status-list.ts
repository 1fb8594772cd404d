// The issuer's record of what it issued, and the revocation status the verifiers check
// (GET /credentials/status/:id). It holds no personal data: credential id, subject address,
// credential hash, dates and the revoked flag only. Legal names, registration numbers and emails
// are in the credential, which only the holder keeps.
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
}

export class StatusList {
  private readonly file: string;
  private readonly entries: Record<string, StatusEntry>;

  constructor(dataDir: string) {
    this.file = join(dataDir, "status.json");
    this.entries = existsSync(this.file) ? JSON.parse(readFileSync(this.file, "utf8")).credentials : {};
  }

  add(credentialId: string, entry: StatusEntry): void {
    this.entries[credentialId] = entry;
    this.save();
  }

  get(credentialId: string): StatusEntry | undefined {
    return this.entries[credentialId];
  }

  /** The most recently issued credential of `subject`. */
  latestOf(subject: Address): [string, StatusEntry] | undefined {
    const mine = Object.entries(this.entries).filter(([, e]) => e.subject.toLowerCase() === subject.toLowerCase());
    return mine.sort(([, a], [, b]) => a.issuedAt.localeCompare(b.issuedAt)).at(-1);
  }

  markRevoked(credentialId: string): void {
    const e = this.entries[credentialId];
    e.revoked = true;
    e.revokedAt = new Date().toISOString();
    this.save();
  }

  private save(): void {
    writeFileAtomic(this.file, JSON.stringify({ credentials: this.entries }, null, 2) + "\n", 0o600);
  }
}
