// `kraken publish` and `kraken fetch` as users run them (child processes) over the real stack:
// anvil, Streamr on loopback, embedded IPFS and three relays. The file comes back byte for
// byte; every failure has its exit code and a message saying what to do.
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialsAbi } from "@kraken/sdk";
import { ACCOUNTS, startDeliveryStack, type DeliveryStack } from "../../relay/test/helpers/delivery-stack.ts";
import { legacyEncryptionKeyPair } from "../../test/helpers/legacy-key.ts";
import { kraken } from "./run.ts";

let k: DeliveryStack;
let env: Record<string, string>;
beforeAll(async () => {
  k = await startDeliveryStack();
  for (const i of [ACCOUNTS.seller, ACCOUNTS.consumer, ACCOUNTS.consumer2]) await k.register(i);
  env = {
    KRAKEN_RELAYS: JSON.stringify(k.directory),
    KRAKEN_IPFS_API_URL: k.ipfs.apiUrl,
    KRAKEN_IPFS_GATEWAY_URL: k.ipfs.gatewayUrl,
    KRAKEN_STREAMR_REGISTRY: k.registry,
    KRAKEN_STREAMR_ENTRY_POINTS: JSON.stringify(k.net.settings.entryPoints),
  };
});
afterAll(async () => {
  await k?.stop();
});

const common = () => ["--rpc", k.s.rpcUrl, "--deployment", k.s.deploymentFile];
const as = (i: number) => ({ ...env, PRIVATE_KEY: k.s.clients(i).privateKey });

describe("kraken publish / fetch", () => {
  const data = randomBytes(1_500_000);
  let productId: string;
  let agreementId: string;

  it("publishes a batch file: encrypted, uploaded, on chain with its policy, key shares confirmed by the relays", async () => {
    const file = join(k.dir, "cohort.csv");
    writeFileSync(file, data);
    const policy = join(k.dir, "policy.json");
    writeFileSync(policy, JSON.stringify({ purposes: ["research"], consumers: ["organisation"], organisationTypes: ["research-university", "hospital"], jurisdictions: "target", requiresApproval: false, retentionDays: 365 }));
    const r = await kraken(["publish", "--type", "batch", "--file", file, "--title", "Cohort labs 2025", "--summary", "lab results", "--tags", "labs,cohort", "--price", "5", "--policy", policy, "--json", ...common()], as(ACCOUNTS.seller));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ type: "Batch", threshold: 2, bytes: data.length, link: expect.stringMatching(/^ipfs:\/\//), unconfirmed: [] });
    expect(out.confirmed).toHaveLength(3);
    productId = out.productId;
    for (const relay of k.relays.relays) expect((await relay.health()).counters.sharesStored).toBeGreaterThanOrEqual(1);
    // the plaintext never reached IPFS
    const stored = Buffer.from(await (await fetch(`${k.ipfs.gatewayUrl}/ipfs/${out.link.slice(7)}`)).arrayBuffer());
    expect(stored.includes(data.subarray(0, 64))).toBe(false);
  });

  it("the consumer buys with `kraken buy` and gets the file with `kraken fetch`, byte for byte", async () => {
    const s = k.s.clients(0);
    const { dataTokenAbi } = await import("@kraken/sdk");
    const consumer = k.s.clients(ACCOUNTS.consumer);
    await s.publicClient.waitForTransactionReceipt({ hash: await s.wallet.writeContract({ address: k.s.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "mint", args: [consumer.account.address, 10n ** 20n] }) });
    const b = await kraken(["buy", productId, "--purpose", "research", "--json", ...common()], as(ACCOUNTS.consumer));
    expect(b.code, b.stderr + b.stdout).toBe(0);
    agreementId = JSON.parse(b.stdout).agreementId;
    const outFile = join(k.dir, "fetched.csv");
    const f = await kraken(["fetch", agreementId, "--out", outFile, ...common()], as(ACCOUNTS.consumer));
    expect(f.code, f.stderr + f.stdout).toBe(0);
    expect(f.stderr).toContain("key share from relay");
    expect(f.stdout).toContain(`Saved ${outFile}`);
    expect(Buffer.compare(readFileSync(outFile), data)).toBe(0);
  });

  it("a consumer whose registered key is from an older version is told to run `kraken key rotate`; after it the relays re-deliver to the new key", async () => {
    const b = k.s.clients(ACCOUNTS.consumer);
    const { publicKey: legacy } = await legacyEncryptionKeyPair(b.account);
    const hash = await b.wallet.writeContract({ address: k.s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "rotateEncryptionKey", args: [legacy] });
    await b.publicClient.waitForTransactionReceipt({ hash }); // as if registered before the EIP-712 derivation
    const outFile = join(k.dir, "refetched.csv");
    const f = await kraken(["fetch", agreementId, "--out", outFile, ...common()], as(ACCOUNTS.consumer));
    expect(f.code, f.stderr).toBe(3);
    expect(f.stderr).toContain("your registered encryption key is from an older version; run `kraken key rotate`");
    const r = await kraken(["key", "rotate", ...common()], as(ACCOUNTS.consumer));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`Rotated the encryption key of ${b.account.address}.`);
    const again = await kraken(["fetch", agreementId, "--out", outFile, ...common()], as(ACCOUNTS.consumer));
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(Buffer.compare(readFileSync(outFile), data)).toBe(0);
  });

  it("fetch fails with a code and a reason: someone else's agreement, unknown agreement, existing output, no relays", async () => {
    const out = join(k.dir, "nope.bin");
    const other = await kraken(["fetch", agreementId, "--out", out, "--json", ...common()], as(ACCOUNTS.consumer2));
    expect(other.code).toBe(7);
    expect(JSON.parse(other.stdout)).toMatchObject({ error: "not-your-agreement", message: expect.stringContaining("belongs to") });
    const unknown = await kraken(["fetch", "9999", "--out", out, ...common()], as(ACCOUNTS.consumer));
    expect(unknown.code).toBe(7);
    expect(unknown.stderr).toContain("does not exist");
    const exists = await kraken(["fetch", agreementId, "--out", join(k.dir, "fetched.csv"), ...common()], as(ACCOUNTS.consumer));
    expect(exists.code).toBe(2);
    expect(exists.stderr).toContain("--force");
    const noRelays = await kraken(["fetch", agreementId, "--out", out, ...common()], { ...as(ACCOUNTS.consumer), KRAKEN_RELAYS: "[]" });
    expect(noRelays.code).toBe(3);
    expect(noRelays.stderr).toContain("no HTTP endpoint configured for relays");
    const badPolicy = join(k.dir, "bad-policy.json");
    writeFileSync(badPolicy, JSON.stringify({ purposes: ["sightseeing"], consumers: ["organisation"] }));
    const p = await kraken(["publish", "--type", "batch", "--file", join(k.dir, "cohort.csv"), "--title", "x", "--policy", badPolicy, ...common()], as(ACCOUNTS.seller));
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('unknown purposes value "sightseeing"');
  });

  it("publishes a stream product: creates the seller's stream", async () => {
    const policy = join(k.dir, "policy.json");
    const r = await kraken(["publish", "--type", "stream", "--stream", "/kraken/test/heart-rate", "--title", "Heart rate, live", "--price", "1", "--unit", "hour", "--policy", policy, "--json", ...common()], as(ACCOUNTS.seller));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: "Stream", streams: [`${k.s.clients(ACCOUNTS.seller).account.address.toLowerCase()}/kraken/test/heart-rate`] });
  });
});
