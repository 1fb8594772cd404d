// Challenge stores under a flood of unauthenticated challenge requests (review, low: "the
// issuer's challenge maps grow without bound with O(n) pruning"): the issuer's registration
// challenges and the login verifier's challenges stay at their cap, evict the oldest first, and
// cost the same per challenge however many were asked for.
import { describe, expect, it } from "vitest";
import type { PublicClient } from "viem";
import { SsiError } from "@kraken/sdk/ssi";
import { LoginVerifier } from "@kraken/sdk/ssi/verifier";
import { IssuanceChallenges } from "../src/issuance.ts";

const TOTAL = 50_000;
const BATCH = 1_000;
const CAP = 10_000;
const ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

function refusal(f: () => unknown): { code?: string; message?: string } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SsiError);
    return { code: (e as SsiError).code, message: (e as SsiError).message };
  }
  return {};
}

/**
 * Creates TOTAL challenges in batches, checking the size after each; returns the ids and the
 * fastest of the first and of the last five batch times (the fastest: a busy machine delays
 * single batches, an O(n) store slows every late one).
 */
function flood<T>(create: () => T, size: () => number, cap: number) {
  const created: T[] = [];
  const times: number[] = [];
  for (let b = 0; b < TOTAL / BATCH; b++) {
    const t0 = performance.now();
    for (let i = 0; i < BATCH; i++) created.push(create());
    times.push(performance.now() - t0);
    expect(size()).toBeLessThanOrEqual(cap); // fails at once where the map grows without bound
  }
  expect(size()).toBe(cap);
  return { created, first: Math.min(...times.slice(0, 5)), last: Math.min(...times.slice(-5)) };
}

describe("challenge stores under a flood", () => {
  it("issuer registration challenges: capped at 10,000 by default, oldest evicted, creation time flat", () => {
    const challenges = new IssuanceChallenges("did:key:z6MkTest");
    const { created, first, last } = flood(() => challenges.create(ADDRESS), () => challenges.size, CAP);
    expect(last).toBeLessThanOrEqual(3 * first + 5);

    // The newest works once, then is refused as replayed; an evicted one is refused as unknown.
    const newest = created.at(-1)!;
    expect(challenges.take(newest.id)).toMatchObject({ id: newest.id, address: ADDRESS });
    expect(refusal(() => challenges.take(newest.id))).toEqual({ code: "challenge-replayed", message: "replayed challenge: this challenge was already used" });
    expect(refusal(() => challenges.take(created[0].id))).toEqual({ code: "challenge-unknown", message: "unknown challenge: ask for a new one (POST /challenges)" });
    expect(refusal(() => challenges.take(created[TOTAL - CAP - 1].id)).code).toBe("challenge-unknown");
    expect(challenges.take(created[TOTAL - CAP].id).id).toBe(created[TOTAL - CAP].id); // oldest kept
  });

  it("issuer registration challenges: the cap is configurable; expired ones are refused and pruned from the front", () => {
    let now = 1_000_000;
    const challenges = new IssuanceChallenges("did:key:z6MkTest", { maxChallenges: 3, now: () => now });
    const a = challenges.create(ADDRESS);
    const b = challenges.create(ADDRESS);
    challenges.take(b.id);
    now += 5 * 60_000; // a and b expire
    expect(refusal(() => challenges.take(a.id)).code).toBe("challenge-expired");
    expect(refusal(() => challenges.take(b.id)).code).toBe("challenge-replayed"); // used stays refused as replayed
    now += 60_001; // past the grace minute: pruned at the next creation
    const c = challenges.create(ADDRESS);
    expect(challenges.size).toBe(1);
    expect(refusal(() => challenges.take(b.id)).code).toBe("challenge-unknown");
    for (let i = 0; i < 3; i++) challenges.create(ADDRESS);
    expect(challenges.size).toBe(3);
    expect(refusal(() => challenges.take(c.id)).code).toBe("challenge-unknown");
  });

  it("login challenges: capped (configurable), oldest evicted, creation time flat", async () => {
    const cap = 5_000;
    const v = new LoginVerifier({ publicClient: {} as PublicClient, credentials: ADDRESS, chainId: 31337, domain: "https://svc.test", maxChallenges: cap });
    const { created, first, last } = flood(() => v.createChallenge(), () => v.challengeCount, cap);
    expect(last).toBeLessThanOrEqual(3 * first + 5);

    const present = (challenge: string) => v.verify({ proof: { challenge } });
    const err = (p: Promise<unknown>) => p.then(() => undefined, (e: SsiError) => ({ code: e.code, message: e.message }));
    // The newest is accepted as a challenge (consumed; this fake presentation then fails later checks) …
    expect((await err(present(created.at(-1)!.challenge)))?.code).not.toMatch(/^challenge-/);
    // … and is refused as replayed afterwards; an evicted one is refused as unknown.
    expect(await err(present(created.at(-1)!.challenge))).toEqual({ code: "challenge-replayed", message: "replayed challenge: this challenge was already used for a login" });
    expect(await err(present(created[0].challenge))).toEqual({ code: "challenge-unknown", message: "unknown challenge: ask this service for a new one" });
    expect(await err(present(created[TOTAL - cap - 1].challenge))).toMatchObject({ code: "challenge-unknown" });
    expect((await err(present(created[TOTAL - cap].challenge)))?.code).not.toMatch(/^challenge-/); // oldest kept

    const d = new LoginVerifier({ publicClient: {} as PublicClient, credentials: ADDRESS, chainId: 31337, domain: "https://svc.test" });
    for (let i = 0; i < 10_001; i++) d.createChallenge();
    expect(d.challengeCount).toBe(10_000); // default cap
  });
});
