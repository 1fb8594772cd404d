// Registration with a credential from the demo issuer and login with a wallet-signed
// presentation, on a real local chain: the happy paths and every refusal, each with its message.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialsAbi, CredentialStatus } from "@kraken/sdk";
import {
  canonicalJson,
  createPresentation,
  credentialHash,
  decodeCredentialJwt,
  heldCredentialFromJson,
  heldCredentialToJson,
  loginWithPresentation,
  postJson,
  registerWithIssuer,
  requestCredential,
  SsiError,
  verifyIssuedCredential,
  type HeldCredential,
  type LoginChallenge,
} from "@kraken/sdk/ssi";
import { LoginVerifier } from "@kraken/sdk/ssi/verifier";
import { deriveEncryptionKeyPair } from "@kraken/sdk";
import { startIssuer, type RunningIssuer } from "../../issuer/src/index.ts";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { join } from "node:path";

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.stop();
});

const org = { category: "Organisation", organisationType: "Hospital", country: "IT", legalName: "Ospedale Test", registrationNumber: "IT-REG-0001", email: "dpo@ospedale.test" } as const;
const person = { category: "Individual", country: "PT", legalName: "Test Person", email: "person@example.test" } as const;

async function register(index: number, claims: Parameters<typeof registerWithIssuer>[0]["claims"] = person, issuerUrl = s.issuer.url) {
  const c = s.clients(index);
  return registerWithIssuer({ issuerUrl, wallet: c.wallet, publicClient: c.publicClient, deployment: s.deployment, claims });
}

async function expectRefusal(p: Promise<unknown>, code: string, messagePart: string) {
  const err = await p.then(() => undefined, (e) => e);
  expect(err, `expected refusal ${code}`).toBeInstanceOf(SsiError);
  expect({ code: err.code, message: err.message }).toMatchObject({ code, message: expect.stringContaining(messagePart) });
}

describe("credential helpers", () => {
  it("canonical JSON sorts keys at every level and the hash ignores the proof", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: "x" } })).toBe('{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}');
    expect(credentialHash({ id: "x", proof: { jws: "..." } })).toBe(credentialHash({ id: "x" }));
  });
});

describe("registration", () => {
  let held: HeldCredential;

  it("an organisation obtains a credential, verifies it and registers on chain", async () => {
    const steps: string[] = [];
    const c = s.clients(15);
    const r = await registerWithIssuer({ issuerUrl: s.issuer.url, wallet: c.wallet, publicClient: c.publicClient, deployment: s.deployment, claims: org, onStep: (st) => steps.push(st) });
    held = r.held;
    expect(steps).toEqual(["derive-key", "challenge", "sign-challenge", "issue", "verify", "register"]);
    const subject = r.held.credential.credentialSubject;
    expect(subject).toMatchObject({ id: `did:pkh:eip155:31337:${c.account.address}`, ...org });
    expect(r.held.credential.issuer).toBe(s.issuer.did);
    expect(r.held.credential.issuer).toMatch(/^did:key:z6Mk/);
    expect(decodeCredentialJwt(r.held.credentialJwt).vc.credentialSubject).toEqual(subject);

    const onChain = await c.publicClient.readContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "credentialOf", args: [c.account.address] });
    expect(onChain.credentialHash).toBe(credentialHash(r.held.credential));
    expect(onChain.issuer).toBe(s.clients(1).account.address);
    const { publicKey } = await deriveEncryptionKeyPair((message) => c.account.signMessage({ message }));
    expect(onChain.encryptionKey).toBe(publicKey); // recoverable from the wallet alone
    const [status] = await c.publicClient.readContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "statusOf", args: [c.account.address] });
    expect(status).toBe(CredentialStatus.Valid);
  });

  it("the held credential round-trips through its JSON file", () => {
    const back = heldCredentialFromJson(heldCredentialToJson(held));
    expect(back).toEqual(held);
  });

  it("the issuer refuses a signature from another wallet, a reused challenge and bad claims", async () => {
    const holder = s.clients(16), other = s.clients(17);
    const ch = await postJson<{ id: string; message: string }>(`${s.issuer.url}/challenges`, { address: holder.account.address });
    const key = "0x" + "11".repeat(32);
    await expectRefusal(
      postJson(`${s.issuer.url}/credentials`, { ...person, organisationType: "None", challengeId: ch.id, signature: await other.account.signMessage({ message: ch.message }), encryptionKey: key }),
      "bad-signature", `does not prove control of ${holder.account.address}`);
    await expectRefusal(
      postJson(`${s.issuer.url}/credentials`, { ...person, challengeId: ch.id, signature: await holder.account.signMessage({ message: ch.message }), encryptionKey: key }),
      "challenge-replayed", "already used");
    const ch2 = await postJson<{ id: string; message: string }>(`${s.issuer.url}/challenges`, { address: holder.account.address });
    const sig2 = await holder.account.signMessage({ message: ch2.message });
    await expectRefusal(postJson(`${s.issuer.url}/credentials`, { ...person, country: "US", challengeId: ch2.id, signature: sig2, encryptionKey: key }), "bad-request", 'unsupported country "US"');
    await expectRefusal(postJson(`${s.issuer.url}/credentials`, { ...org, organisationType: "None", challengeId: ch2.id, signature: sig2, encryptionKey: key }), "bad-request", "needs an organisation type");
    await expectRefusal(postJson(`${s.issuer.url}/credentials`, { ...person, challengeId: "nope", signature: sig2, encryptionKey: key }), "challenge-unknown", "unknown challenge");
  });

  it("the client refuses a tampered credential and an issuer not trusted on chain", async () => {
    const c = s.clients(16);
    const { publicKey } = await deriveEncryptionKeyPair((message) => c.account.signMessage({ message }));
    const issued = await requestCredential({ issuerUrl: s.issuer.url, wallet: c.wallet, claims: person, encryptionKey: publicKey });
    const tampered = structuredClone(issued);
    tampered.credential.credentialSubject.country = "DE";
    await expectRefusal(verifyIssuedCredential({ issued: tampered, publicClient: c.publicClient, deployment: s.deployment, holder: c.account.address, encryptionKey: publicKey }), "invalid-credential", "does not verify");

    const rogue = await startIssuer({ port: 0, rpcUrl: s.rpcUrl, deployment: s.deployment, dataDir: join(s.dir, "rogue"), privateKey: s.clients(19).privateKey, log: () => {} });
    try {
      await expectRefusal(register(16, person, rogue.url), "untrusted-issuer", `${s.clients(19).account.address} (${rogue.did}) is not trusted`);
    } finally {
      await rogue.stop();
    }
  });
});

describe("login with a presentation", () => {
  let orgHeld: HeldCredential; // account 15 (registered above)
  let other: HeldCredential; // account 17
  const challenge = () => postJson<LoginChallenge>(`${s.issuer.url}/login/challenge`, {});
  const login = (presentation: string) => postJson<{ token: string }>(`${s.issuer.url}/login`, { presentation: JSON.parse(presentation) });
  const present = async (index: number, held: Pick<HeldCredential, "credentialJwt">, ch?: LoginChallenge, domain?: string) => {
    const c = ch ?? (await challenge());
    return createPresentation({ wallet: s.clients(index).wallet, chainId: 31337, held, challenge: c.challenge, domain: domain ?? c.domain });
  };

  beforeAll(async () => {
    orgHeld = (await register(16, org)).held;
    other = (await register(17, person)).held;
  });

  it("a registered holder logs in and gets a short-lived session", async () => {
    const c = s.clients(16);
    const session = await loginWithPresentation({ serviceUrl: s.issuer.url, wallet: c.wallet, chainId: 31337, held: orgHeld });
    expect(session).toMatchObject({ address: c.account.address, did: `did:pkh:eip155:31337:${c.account.address}`, category: "Organisation", organisationType: "Hospital", country: "IT" });
    const res = await fetch(`${s.issuer.url}/session`, { headers: { authorization: `Bearer ${session.token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ address: c.account.address });
    expect((await fetch(`${s.issuer.url}/session`, { headers: { authorization: `Bearer ${session.token}x` } })).status).toBe(401);
  });

  it("refuses a replayed challenge", async () => {
    const vp = await present(16, orgHeld);
    await login(vp);
    await expectRefusal(login(vp), "challenge-replayed", "replayed challenge");
  });

  it("refuses an unknown challenge and a presentation for another domain", async () => {
    const ch = await challenge();
    await expectRefusal(login(await present(16, orgHeld, { ...ch, challenge: "made-up" })), "challenge-unknown", "unknown challenge");
    await expectRefusal(login(await present(16, orgHeld, ch, "evil.example")), "wrong-domain", 'is for "evil.example"');
  });

  it("refuses a presentation altered after signing", async () => {
    const vp = JSON.parse(await present(16, orgHeld));
    vp.holder = `did:pkh:eip155:31337:${s.clients(17).account.address}`;
    await expectRefusal(login(JSON.stringify(vp)), "invalid-presentation", "not signed by its holder");
    const vp2 = JSON.parse(await present(16, orgHeld));
    vp2.verifiableCredential = other.credentialJwt; // swapped after signing
    await expectRefusal(login(JSON.stringify(vp2)), "invalid-presentation", "signature does not verify");
  });

  it("refuses someone else's credential (wrong holder)", async () => {
    await expectRefusal(login(await present(17, orgHeld)), "wrong-holder", `issued to did:pkh:eip155:31337:${s.clients(16).account.address}`);
  });

  it("refuses a tampered credential", async () => {
    const [h, p, sig] = orgHeld.credentialJwt.split(".");
    const payload = JSON.parse(Buffer.from(p, "base64url").toString());
    payload.vc.credentialSubject.organisationType = "ResearchUniversity";
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${sig}`;
    await expectRefusal(login(await present(16, { credentialJwt: forged })), "tampered-credential", "issuer's signature on the credential does not verify");
  });

  it("refuses an expired credential", async () => {
    const later = Date.now() + 2 * 365 * 86400_000;
    const v = new LoginVerifier({ publicClient: s.clients(0).publicClient, credentials: s.deployment.contracts.Credentials.address, chainId: 31337, domain: "svc.test", now: () => later });
    const ch = v.createChallenge();
    await expectRefusal(v.verify(await present(16, orgHeld, ch)), "credential-expired", "credential expired");
  });

  it("refuses a credential that is not the one registered, and a holder who never registered", async () => {
    const first = other;
    other = (await register(17, person)).held; // re-registering replaces the credential on chain
    await expectRefusal(login(await present(17, first)), "credential-not-registered", "is not the credential registered on chain");
    const c = s.clients(18);
    const { publicKey } = await deriveEncryptionKeyPair((message) => c.account.signMessage({ message }));
    const unregistered = await requestCredential({ issuerUrl: s.issuer.url, wallet: c.wallet, claims: person, encryptionKey: publicKey });
    await expectRefusal(login(await present(18, unregistered)), "not-registered", "has no credential on chain");
  });

  it("refuses a revoked credential (issuer's status list and chain) and needs the admin token to revoke", async () => {
    const held = (await register(18, person)).held;
    await login(await present(18, held));
    const id = held.credential.id;
    await expectRefusal(postJson(`${s.issuer.url}/credentials/revoke`, { credentialId: id }, { authorization: "Bearer wrong" }), "unauthorized", "admin bearer token");
    const r = await postJson<{ revokedOnChain: boolean }>(`${s.issuer.url}/credentials/revoke`, { credentialId: id }, { authorization: `Bearer ${s.adminToken}` });
    expect(r.revokedOnChain).toBe(true);
    const status = await (await fetch(held.credential.credentialStatus!.id)).json();
    expect(status).toEqual({ id, revoked: true });
    await expectRefusal(login(await present(18, held)), "credential-revoked", "issuer's status list marks");
    // A verifier that does not ask the issuer still sees the revocation on chain.
    const v = new LoginVerifier({ publicClient: s.clients(0).publicClient, credentials: s.deployment.contracts.Credentials.address, chainId: 31337, domain: "svc.test" });
    await expectRefusal(v.verify(await present(18, held, v.createChallenge())), "credential-revoked", "revoked on chain");
  });

  it("refuses credentials of an issuer no longer trusted on chain, or not in the service's list", async () => {
    const second = s.clients(19);
    const admin = s.clients(0);
    const credentials = s.deployment.contracts.Credentials.address;
    const trust = async (fn: "trustIssuer" | "untrustIssuer") =>
      admin.publicClient.waitForTransactionReceipt({ hash: await admin.wallet.writeContract({ address: credentials, abi: credentialsAbi, functionName: fn, args: [second.account.address] }) });
    const issuer2: RunningIssuer = await startIssuer({ port: 0, rpcUrl: s.rpcUrl, deployment: s.deployment, dataDir: join(s.dir, "issuer2"), privateKey: second.privateKey, log: () => {} });
    try {
      await trust("trustIssuer");
      const held = (await register(14, person, issuer2.url)).held;
      const strict = new LoginVerifier({ publicClient: admin.publicClient, credentials, chainId: 31337, domain: "svc.test", trustedIssuerDids: [s.issuer.did] });
      await expectRefusal(strict.verify(await present(14, held, strict.createChallenge())), "untrusted-issuer", `${issuer2.did} is not an issuer this service trusts`);
      await login(await present(14, held)); // still fine while trusted
      await trust("untrustIssuer");
      await expectRefusal(login(await present(14, held)), "untrusted-issuer", `${second.account.address}, who attested this credential, is no longer trusted on chain`);
    } finally {
      await issuer2.stop();
    }
  });
});
