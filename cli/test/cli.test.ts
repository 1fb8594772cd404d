// `kraken register` and `kraken login` as a user runs them (a child process), against a real
// local chain and the demo issuer.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialsAbi, deriveEncryptionKeyPair } from "@kraken/sdk";
import { credentialHash } from "@kraken/sdk/ssi";
import { registerWithLegacyKey } from "../../test/helpers/legacy-key.ts";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { kraken } from "./run.ts";

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.stop();
});

describe("kraken register", () => {
  const common = () => ["--rpc", s.rpcUrl, "--deployment", s.deploymentFile, "--issuer", s.issuer.url];

  it("registers an organisation from PRIVATE_KEY, saves the credential, prints JSON; then logs in", async () => {
    const c = s.clients(15);
    const out = join(s.dir, "org-credential.json");
    const r = await kraken(["register", "--category", "organisation", "--organisation-type", "pharma", "--country", "be",
      "--legal-name", "Example Pharma SA", "--registration-number", "BE0123456789", "--email", "compliance@pharma.test", "--out", out, "--json", ...common()],
      { PRIVATE_KEY: c.privateKey });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ address: c.account.address, category: "Organisation", organisationType: "Pharma", country: "BE", credentialFile: out });
    const saved = JSON.parse(readFileSync(out, "utf8"));
    expect(saved.credential.credentialSubject).toMatchObject({ legalName: "Example Pharma SA", registrationNumber: "BE0123456789", email: "compliance@pharma.test" });
    const onChain = await c.publicClient.readContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "credentialOf", args: [c.account.address] });
    expect(onChain.credentialHash).toBe(credentialHash(saved.credential));

    const l = await kraken(["login", "--credential", out, "--service", s.issuer.url, "--json", "--deployment", s.deploymentFile], { PRIVATE_KEY: c.privateKey });
    expect(l.code, l.stderr + l.stdout).toBe(0);
    expect(JSON.parse(l.stdout)).toMatchObject({ address: c.account.address, organisationType: "Pharma", token: expect.any(String) });
  });

  it("registers an individual with --key-file and prints a human summary", async () => {
    const c = s.clients(16);
    const keyFile = join(s.dir, "key");
    writeFileSync(keyFile, c.privateKey + "\n", { mode: 0o600 });
    const r = await kraken(["register", "--category", "individual", "--country", "DE", "--key-file", keyFile, "--out", join(s.dir, "p.json"), ...common()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Registered ${c.account.address} as Individual in DE.`);
  });

  it("exits with distinct codes and says what is wrong", async () => {
    const key = { PRIVATE_KEY: s.clients(17).privateKey };
    const usage = await kraken(["register", "--category", "organisation", "--country", "DE", ...common()], key);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("an organisation needs --organisation-type");
    const noKey = await kraken(["register", "--category", "individual", "--country", "DE", "--json", ...common()]);
    expect(noKey.code).toBe(3);
    expect(JSON.parse(noKey.stdout)).toMatchObject({ error: "config", message: expect.stringContaining("set PRIVATE_KEY or pass --key-file") });
    const badCountry = await kraken(["register", "--category", "individual", "--country", "US", ...common()], key);
    expect(badCountry.code).toBe(2);
    const noIssuer = await kraken(["register", "--category", "individual", "--country", "DE", "--rpc", s.rpcUrl, "--deployment", s.deploymentFile, "--issuer", "http://127.0.0.1:9"], key);
    expect(noIssuer.code).toBe(4);
    expect(noIssuer.stderr).toContain("cannot reach http://127.0.0.1:9");
    const noChain = await kraken(["register", "--category", "individual", "--country", "DE", "--rpc", "http://127.0.0.1:9", "--deployment", s.deploymentFile], key);
    expect(noChain.code).toBe(5);
    expect(noChain.stderr).toContain("cannot reach the chain");
    expect((await kraken(["frobnicate"])).code).toBe(2);
  });
});

describe("kraken key", () => {
  const common = () => ["--rpc", s.rpcUrl, "--deployment", s.deploymentFile];

  it("rotates a key registered by an older version to the one the wallet derives now", async () => {
    const c = s.clients(18);
    const key = { PRIVATE_KEY: c.privateKey };
    const legacy = await registerWithLegacyKey(s, 18);
    const derived = await deriveEncryptionKeyPair({ address: c.account.address, chainId: s.deployment.chainId, signTypedData: (t) => c.account.signTypedData(t) });
    const before = await kraken(["key", "status", ...common()], key);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toContain("from an older version: run `kraken key rotate`");

    const r = await kraken(["key", "rotate", "--json", ...common()], key);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ address: c.account.address, rotated: true, previous: legacy, encryptionPublicKey: derived.publicKey, transactionHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    const onChain = await c.publicClient.readContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "encryptionKeyOf", args: [c.account.address] });
    expect(onChain).toBe(derived.publicKey);

    const again = await kraken(["key", "rotate", ...common()], key);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("already current; nothing sent");
    const after = await kraken(["key", "status", "--json", ...common()], key);
    expect(JSON.parse(after.stdout)).toMatchObject({ status: "current", registered: derived.publicKey, derived: derived.publicKey });
  });

  it("exits with distinct codes: unregistered address, unknown action, no key", async () => {
    const unregistered = await kraken(["key", "rotate", "--json", ...common()], { PRIVATE_KEY: s.clients(19).privateKey });
    expect(unregistered.code).toBe(3);
    expect(JSON.parse(unregistered.stdout)).toMatchObject({ error: "not-registered", message: expect.stringContaining("is not registered") });
    const usage = await kraken(["key", "frobnicate", ...common()], { PRIVATE_KEY: s.clients(19).privateKey });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("give one action: status or rotate");
    expect((await kraken(["key", "rotate", ...common()])).code).toBe(3);
  });
});
