// The relay's durable store: survives a reopen, and state of another deployment (a reset chain,
// another Agreements address) is set aside instead of being applied to the new one.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RelayStore } from "../src/relay-store.ts";

const dir = mkdtempSync(join(tmpdir(), "kraken-relay-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("relay store", () => {
  const share = { productId: "7", version: 1, envelope: "0xabcd" as const, envelopeHash: `0x${"1".repeat(64)}` as const, seller: "0x0", storedAt: "now" };

  it("keeps shares, checkpoint and counters across reopen", () => {
    const a = new RelayStore(dir, 5, "31337:0xaaa");
    expect(a.state.checkpointBlock).toBe(5);
    a.putShare(share);
    a.state.checkpointBlock = 42;
    a.state.counters.delivered = 3;
    a.save();
    const b = new RelayStore(dir, 5, "31337:0xaaa");
    expect(b.state.checkpointBlock).toBe(42);
    expect(b.state.counters.delivered).toBe(3);
    expect(b.share(7n)).toEqual(share);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("sets aside the state of another deployment and starts afresh", () => {
    let movedTo = "";
    const c = new RelayStore(dir, 9, "31337:0xbbb", (m) => (movedTo = m));
    expect(movedTo).toContain("stale-");
    expect(existsSync(join(movedTo, "state.json"))).toBe(true);
    expect(existsSync(join(movedTo, "shares", "7.json"))).toBe(true);
    expect(c.state.checkpointBlock).toBe(9);
    expect(c.share(7n)).toBeUndefined();
    expect(c.products()).toEqual([]);
  });

  it("claims a re-delivery nonce once until it expires, across reopen", () => {
    const d = mkdtempSync(join(dir, "nonces-"));
    const t = Math.floor(Date.now() / 1000); // save() forgets nonces expired by the wall clock
    const a = new RelayStore(d, 0, "31337:0xccc");
    expect(a.claimNonce("0x01", t + 1_000, t)).toBe(true);
    expect(a.claimNonce("0x01", t + 2_000, t)).toBe(false); // no second claim, and the expiry stays
    expect(a.state.usedNonces["0x01"]).toBe(t + 1_000);
    a.save();
    const b = new RelayStore(d, 0, "31337:0xccc");
    expect(b.claimNonce("0x01", t + 2_000, t + 1_000)).toBe(false); // still inside its window
    expect(b.claimNonce("0x01", t + 2_000, t + 1_001)).toBe(true); // expired: the request it belonged to is stale by now
  });

  it("commit() writes once for all changes of a tick, and only resolves once they are on disk", async () => {
    const d = mkdtempSync(join(dir, "commit-"));
    const a = new RelayStore(d, 0, "31337:0xddd");
    const before = a.writes;
    const waits: Promise<void>[] = [];
    for (let i = 1; i <= 1000; i++) {
      a.state.checkpointBlock = i;
      waits.push(a.commit());
    }
    expect(a.writes).toBe(before); // nothing written yet within the tick
    await Promise.all(waits);
    expect(a.writes).toBe(before + 1); // 1,000 changes, one write
    expect(new RelayStore(d, 0, "31337:0xddd").state.checkpointBlock).toBe(1000); // durable once resolved
    a.state.checkpointBlock = 1001; // a change after the write needs (and gets) another
    await a.commit();
    expect(a.writes).toBe(before + 2);
    expect(new RelayStore(d, 0, "31337:0xddd").state.checkpointBlock).toBe(1001);
    expect(readdirSync(d).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("opens state written by an older version (fewer counters) with the new counters at zero", () => {
    const d = mkdtempSync(join(dir, "old-"));
    const a = new RelayStore(d, 0, "31337:0xeee");
    (a.state as { counters: object }).counters = { sharesStored: 1, delivered: 2, redelivered: 3, rejected: 4 };
    a.save();
    expect(new RelayStore(d, 0, "31337:0xeee").state.counters).toEqual({ sharesStored: 1, delivered: 2, redelivered: 3, rejected: 4, rateLimited: 0, dropped: 0 });
  });
});
