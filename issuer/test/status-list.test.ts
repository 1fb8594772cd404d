// The issuer's status list on its own: issuances are written in batches (one write per flush
// window), revocations and re-admissions at once, everything pending on close; what it wrote
// reads back complete; the revoked / re-admitted bar per subject.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Address, Hex } from "viem";
import { StatusList, type StatusEntry } from "../src/status-list.ts";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "kraken-status-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const A = "0x00000000000000000000000000000000000000aA" as Address;
const B = "0x00000000000000000000000000000000000000bB" as Address;
const entry = (subject: Address, n: number): StatusEntry => ({
  subject,
  credentialHash: `0x${n.toString(16).padStart(64, "0")}` as Hex,
  issuedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  expiresAt: "2027-01-01T00:00:00Z",
  revoked: false,
});
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

describe("status list", () => {
  it("writes 100 issuances in one write per flush window, and reads them back after a restart", async () => {
    const dir = tempDir();
    const list = new StatusList(dir, { flushMs: 100 });
    for (let i = 0; i < 100; i++) {
      list.add(`urn:uuid:${i}`, entry(i % 2 ? A : B, i));
      if (i % 25 === 24) await sleep(1); // issuances arrive over time, not in one tick
    }
    expect(list.writes).toBe(0); // nothing written yet: the window is still open
    await sleep(250);
    expect(list.writes).toBe(1);
    const reread = new StatusList(dir);
    for (let i = 0; i < 100; i++) expect(reread.get(`urn:uuid:${i}`), String(i)).toEqual(entry(i % 2 ? A : B, i));
    expect(reread.allOf(A)).toHaveLength(50);
    expect(reread.latestOf(B)?.[0]).toBe("urn:uuid:98");
    list.close();
    expect(list.writes).toBe(1); // nothing pending, nothing written
  });

  it("writes what is pending on close, and everything after close at once", () => {
    const dir = tempDir();
    const list = new StatusList(dir, { flushMs: 60_000 });
    list.add("urn:uuid:1", entry(A, 1));
    list.add("urn:uuid:2", entry(A, 2));
    expect(list.writes).toBe(0);
    list.close();
    expect(list.writes).toBe(1);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, "status.json"), "utf8")).credentials)).toEqual(["urn:uuid:1", "urn:uuid:2"]);
    list.add("urn:uuid:3", entry(A, 3)); // e.g. an issuance still in flight when the server stopped
    expect(list.writes).toBe(2);
    expect(new StatusList(dir).get("urn:uuid:3")).toBeDefined();
  });

  it("writes revocations and re-admissions before returning, with pending issuances", () => {
    const dir = tempDir();
    const list = new StatusList(dir, { flushMs: 60_000 });
    list.add("urn:uuid:1", entry(A, 1));
    list.add("urn:uuid:2", entry(A, 2));
    list.add("urn:uuid:3", entry(B, 3));
    expect(list.barred(A)).toBe(false);
    list.markRevoked("urn:uuid:1", "urn:uuid:2");
    expect(list.writes).toBe(1);
    const afterRevoke = new StatusList(dir);
    expect(afterRevoke.get("urn:uuid:1")).toMatchObject({ revoked: true, revokedAt: expect.any(String) });
    expect(afterRevoke.get("urn:uuid:3")).toBeDefined(); // the pending issuance went with it
    expect(afterRevoke.barred(A)).toBe(true);
    expect(afterRevoke.barred(B)).toBe(false);

    expect(list.readmit(A)).toBe(2);
    expect(list.writes).toBe(2);
    expect(list.barred(A)).toBe(false);
    expect(list.get("urn:uuid:1")).toMatchObject({ revoked: true, readmittedAt: expect.any(String) }); // stays revoked
    expect(new StatusList(dir).barred(A)).toBe(false);
    expect(list.readmit(A)).toBe(0); // nothing left to re-admit: no write
    expect(list.writes).toBe(2);

    // a later revocation bars the subject again
    list.add("urn:uuid:4", entry(A, 4));
    list.markRevoked("urn:uuid:4");
    expect(list.barred(A)).toBe(true);
    expect(list.allOf(A.toLowerCase() as Address).map(([id]) => id)).toEqual(["urn:uuid:1", "urn:uuid:2", "urn:uuid:4"]);
    list.close();
  });

  it("keeps changes in memory and retries when a timed write fails", async () => {
    const dir = tempDir();
    const logs: string[] = [];
    let fail = true;
    const list = new StatusList(dir, {
      flushMs: 20,
      log: (l) => logs.push(l),
      write: (file, text) => {
        if (fail) throw new Error("disk full");
        writeFileSync(file, text);
      },
    });
    list.add("urn:uuid:1", entry(A, 1));
    await sleep(60);
    expect(logs.join("\n")).toContain("disk full");
    expect(list.get("urn:uuid:1")).toBeDefined();
    fail = false;
    list.close();
    expect(list.writes).toBe(1);
    expect(new StatusList(dir).get("urn:uuid:1")).toBeDefined();
  });
});
