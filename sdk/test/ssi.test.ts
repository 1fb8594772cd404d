// Registration with a credential from the demo issuer and login with a wallet-signed
// presentation, on a real local chain: the happy paths and every refusal, each with its message.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createWalletClient, http } from "viem";
import { toAccount } from "viem/accounts";
import { credentialsAbi, CredentialStatus, encryptionKeyStatus, LEGACY_ENCRYPTION_KEY_MESSAGE, rotateEncryptionKey } from "@kraken/sdk";
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
import { issuerStatusList, LOGIN_REFUSED_MESSAGE, LoginVerifier } from "@kraken/sdk/ssi/verifier";
import { deriveEncryptionKeyPair } from "@kraken/sdk";
import { startIssuer, type RunningIssuer } from "../../issuer/src/index.ts";
import { registerWithLegacyKey } from "../../test/helpers/legacy-key.ts";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
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

/**
 * A login the issuer service refused: the client sees only the generic refusal, the reason
 * (code and message) is in the service's log.
 */
async function expectLoginRefusal(p: Promise<unknown>, code: string, messagePart: string, logs: string[] = s.logs) {
  const err = await p.then(() => undefined, (e) => e);
  expect(err, `expected login refusal ${code}`).toBeInstanceOf(SsiError);
  expect({ code: err.code, message: err.message }).toEqual({ code: "login-refused", message: LOGIN_REFUSED_MESSAGE });
  const reason = logs.filter((l) => l.includes("login refused (")).at(-1);
  expect(reason).toContain(`login refused (${code}: `);
  expect(reason).toContain(messagePart);
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
    const { publicKey } = await deriveEncryptionKeyPair({ address: c.account.address, chainId: s.deployment.chainId, signTypedData: (t) => c.account.signTypedData(t) });
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
    const { publicKey } = await deriveEncryptionKeyPair({ address: c.account.address, chainId: s.deployment.chainId, signTypedData: (t) => c.account.signTypedData(t) });
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

describe("a hostile issuer cannot get the encryption key signed", () => {
  it("a challenge resembling the key-derivation text is refused before the wallet is asked to sign anything", async () => {
    const c = s.clients(7);
    const signMessage = vi.fn(async () => "0x" as const), signTypedData = vi.fn(async () => "0x" as const), signTransaction = vi.fn(async () => "0x" as const);
    const wallet = createWalletClient({ account: toAccount({ address: c.account.address, signMessage, signTypedData, signTransaction }), chain: c.wallet.chain, transport: http(s.rpcUrl) });
    const nonce = "0123456789abcdef0123456789abcdef";
    let message = LEGACY_ENCRYPTION_KEY_MESSAGE;
    const requests: string[] = [];
    const hostile = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      for await (const _ of req) { /* drain */ }
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: nonce, address: c.account.address, message, expiresAt: new Date(Date.now() + 60_000).toISOString() }));
    });
    await new Promise<void>((r) => hostile.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
      const phishing: [string, string][] = [
        [LEGACY_ENCRYPTION_KEY_MESSAGE, "derive your encryption key"],
        [`Kraken marketplace: I control this address and ask for a credential.\n\nAddress: ${c.account.address}\nIssuer: did:key:z6Mk\nChallenge: ${nonce}\n\nThis also derives my data-delivery encryption key.`, "derive your encryption key"],
        ["Kraken marketplace: sign to continue.\n\nVersion: 1", "not a marketplace registration challenge"],
        [`Kraken marketplace: I control this address and ask for a credential.\n\nAddress: ${s.clients(6).account.address}\nIssuer: did:key:z6Mk\nChallenge: ${nonce}\n\nSigning costs nothing and allows no transaction.`, "not your address"],
      ];
      for (const [text, part] of phishing) {
        message = text;
        await expectRefusal(requestCredential({ issuerUrl: url, wallet, claims: person, encryptionKey: `0x${"11".repeat(32)}` }), "unsafe-challenge", part);
      }
      // the whole registration too: only its own key derivation (EIP-712) is signed, never the issuer's text
      message = LEGACY_ENCRYPTION_KEY_MESSAGE;
      signTypedData.mockImplementation(((t: Parameters<typeof c.account.signTypedData>[0]) => c.account.signTypedData(t)) as never);
      await expectRefusal(registerWithIssuer({ issuerUrl: url, wallet, publicClient: c.publicClient, deployment: s.deployment, claims: person }), "unsafe-challenge", "derive your encryption key");
      expect(signMessage).not.toHaveBeenCalled();
      expect(signTransaction).not.toHaveBeenCalled();
      expect(signTypedData).toHaveBeenCalledTimes(1);
      expect(signTypedData.mock.calls[0]).toMatchObject([{ primaryType: "EncryptionKey" }]);
      expect(requests).toEqual(Array(phishing.length + 1).fill("POST /challenges")); // no signature ever reached it
    } finally {
      hostile.close();
    }
  });
});

describe("encryption key rotation", () => {
  it("an account registered with the legacy (personal_sign) key rotates to the EIP-712 key", async () => {
    const c = s.clients(5);
    const credentials = s.deployment.contracts.Credentials.address;
    const keyOf = () => c.publicClient.readContract({ address: credentials, abi: credentialsAbi, functionName: "encryptionKeyOf", args: [c.account.address] });
    const legacy = await registerWithLegacyKey(s, 5);
    expect(await keyOf()).toBe(legacy);
    const derived = await deriveEncryptionKeyPair({ address: c.account.address, chainId: s.deployment.chainId, signTypedData: (t) => c.account.signTypedData(t) });
    expect(derived.publicKey).not.toBe(legacy);
    expect(await encryptionKeyStatus({ publicClient: c.publicClient, credentials, address: c.account.address, publicKey: derived.publicKey })).toEqual({ status: "outdated", registered: legacy });

    const r = await rotateEncryptionKey({ wallet: c.wallet, publicClient: c.publicClient, deployment: s.deployment });
    expect(r).toMatchObject({ previous: legacy, transactionHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    expect(r.keys.publicKey).toBe(derived.publicKey);
    expect(await keyOf()).toBe(derived.publicKey);
    expect((await encryptionKeyStatus({ publicClient: c.publicClient, credentials, address: c.account.address, publicKey: derived.publicKey })).status).toBe("current");
    const [status] = await c.publicClient.readContract({ address: credentials, abi: credentialsAbi, functionName: "statusOf", args: [c.account.address] });
    expect(status).toBe(CredentialStatus.Valid); // the credential itself is untouched

    // once current, nothing is sent
    expect((await rotateEncryptionKey({ wallet: c.wallet, publicClient: c.publicClient, deployment: s.deployment })).transactionHash).toBeUndefined();
  });

  it("refuses an account that never registered", async () => {
    const c = s.clients(6);
    await expectRefusal(rotateEncryptionKey({ wallet: c.wallet, publicClient: c.publicClient, deployment: s.deployment }), "not-registered", "is not registered");
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
    await expectLoginRefusal(login(await present(16, orgHeld, ch, "evil.example")), "wrong-domain", 'is for "evil.example"');
  });

  it("binds presentations to the service's origin: a presentation for service A is refused by service B, and a service relaying A's challenge gets nothing to relay", async () => {
    const originA = new URL(s.issuer.url).origin;
    expect(await (await fetch(s.issuer.url)).json()).toMatchObject({ loginDomain: originA });
    expect((await challenge()).domain).toBe(originA);

    // Service B checks against its own configured origin: A's presentation is refused there.
    const b = new LoginVerifier({ publicClient: s.clients(0).publicClient, credentials: s.deployment.contracts.Credentials.address, chainId: 31337, domain: "https://b.example" });
    const atB = b.createChallenge();
    const forA = await createPresentation({ wallet: s.clients(16).wallet, chainId: 31337, held: orgHeld, challenge: atB.challenge, domain: originA });
    await expect(b.verify(forA)).rejects.toMatchObject({ code: "wrong-domain" });

    // A hostile service B hands out A's challenge (and domain) and forwards what it gets to A.
    const relayed: unknown[] = [];
    const hostile = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      let body = "";
      for await (const c of req) body += c;
      if (req.url === "/login") relayed.push(JSON.parse(body));
      const upstream = await fetch(`${s.issuer.url}${req.url}`, { method: "POST", headers: { "content-type": "application/json" }, body });
      res.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
    });
    await new Promise<void>((r) => hostile.listen(0, "127.0.0.1", r));
    try {
      const urlB = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
      const attempt = loginWithPresentation({ serviceUrl: urlB, wallet: s.clients(16).wallet, chainId: 31337, held: orgHeld });
      await expect(attempt).rejects.toMatchObject({ code: "wrong-domain" });
      expect(relayed).toEqual([]); // nothing was signed for A and handed to B
    } finally {
      hostile.close();
    }
  });

  it("refuses a presentation altered after signing", async () => {
    const vp = JSON.parse(await present(16, orgHeld));
    vp.holder = `did:pkh:eip155:31337:${s.clients(17).account.address}`;
    await expectLoginRefusal(login(JSON.stringify(vp)), "invalid-presentation", "not signed by its holder");
    const vp2 = JSON.parse(await present(16, orgHeld));
    vp2.verifiableCredential = other.credentialJwt; // swapped after signing
    await expectLoginRefusal(login(JSON.stringify(vp2)), "invalid-presentation", "signature does not verify");
  });

  it("refuses someone else's credential (wrong holder)", async () => {
    await expectLoginRefusal(login(await present(17, orgHeld)), "wrong-holder", `issued to did:pkh:eip155:31337:${s.clients(16).account.address}`);
  });

  it("refuses a tampered credential", async () => {
    const [h, p, sig] = orgHeld.credentialJwt.split(".");
    const payload = JSON.parse(Buffer.from(p, "base64url").toString());
    payload.vc.credentialSubject.organisationType = "ResearchUniversity";
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${sig}`;
    await expectLoginRefusal(login(await present(16, { credentialJwt: forged })), "tampered-credential", "issuer's signature on the credential does not verify");
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
    await expectLoginRefusal(login(await present(17, first)), "credential-not-registered", "is not the credential registered on chain");
    const c = s.clients(18);
    const { publicKey } = await deriveEncryptionKeyPair({ address: c.account.address, chainId: s.deployment.chainId, signTypedData: (t) => c.account.signTypedData(t) });
    const unregistered = await requestCredential({ issuerUrl: s.issuer.url, wallet: c.wallet, claims: person, encryptionKey: publicKey });
    await expectLoginRefusal(login(await present(18, unregistered)), "not-registered", "has no credential on chain");
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
    await expectLoginRefusal(login(await present(18, held)), "credential-revoked", "revoked on chain");
    // A verifier that does not ask the issuer still sees the revocation on chain.
    const v = new LoginVerifier({ publicClient: s.clients(0).publicClient, credentials: s.deployment.contracts.Credentials.address, chainId: 31337, domain: "svc.test" });
    await expectRefusal(v.verify(await present(18, held, v.createChallenge())), "credential-revoked", "revoked on chain");
    // The status list is asked last, for a credential that passed every other check.
    const listed = new LoginVerifier({ publicClient: s.clients(0).publicClient, credentials: s.deployment.contracts.Credentials.address, chainId: 31337, domain: "svc.test", isRevokedByIssuer: async () => true });
    await expectRefusal(listed.verify(await present(16, orgHeld, listed.createChallenge())), "credential-revoked", "issuer's status list marks");
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
      await expectLoginRefusal(login(await present(14, held)), "untrusted-issuer", `${second.account.address}, who attested this credential, is no longer trusted on chain`);
    } finally {
      await issuer2.stop();
    }
  });


  // Review finding 4: the login verifier fetched a credential's status URL before checking that its
  // issuer is trusted, from any origin and without a timeout; the challenge survived a failed
  // attempt, and the client was told why the login failed (a status oracle).
  describe("login: status lists, challenges and what the client is told", () => {
    /** A local HTTP server that counts requests; `hang` ones never answer. */
    async function probeServer(mode: "answer" | "hang") {
      const hits: string[] = [];
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        hits.push(req.url ?? "");
        if (mode === "answer") res.writeHead(404, { "content-type": "text/plain" }).end("internal-only service at 10.0.0.7");
      });
      await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return { url, hits, stop: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }) };
    }
    const trust = async (index: number) => {
      const admin = s.clients(0);
      const hash = await admin.wallet.writeContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "trustIssuer", args: [s.clients(index).account.address] });
      await admin.publicClient.waitForTransactionReceipt({ hash });
    };
    const loginAt = async (url: string, index: number, held: Pick<HeldCredential, "credentialJwt">, ch?: LoginChallenge) => {
      const c = ch ?? (await postJson<LoginChallenge>(`${url}/login/challenge`, {}));
      const vp = await createPresentation({ wallet: s.clients(index).wallet, chainId: 31337, held, challenge: c.challenge, domain: c.domain });
      return postJson<{ token: string }>(`${url}/login`, { presentation: JSON.parse(vp) });
    };

    let probe: Awaited<ReturnType<typeof probeServer>>; // answers, counts
    let tarpit: Awaited<ReturnType<typeof probeServer>>; // never answers
    let issuerB: RunningIssuer; // trusted; its credentials name the probe as status URL
    let issuerC: RunningIssuer; // trusted; its credentials name the tarpit as status URL
    let gate: RunningIssuer; // a login service configured with issuerB's and issuerC's status origins
    const gateLogs: string[] = [];
    let heldB: HeldCredential; // account 10, from issuerB
    let heldC: HeldCredential; // account 9, from issuerC

    beforeAll(async () => {
      probe = await probeServer("answer");
      tarpit = await probeServer("hang");
      issuerB = await startIssuer({ port: 0, rpcUrl: s.rpcUrl, deployment: s.deployment, dataDir: join(s.dir, "issuerB"), privateKey: s.clients(11).privateKey, publicUrl: probe.url, log: () => {} });
      issuerC = await startIssuer({ port: 0, rpcUrl: s.rpcUrl, deployment: s.deployment, dataDir: join(s.dir, "issuerC"), privateKey: s.clients(12).privateKey, publicUrl: tarpit.url, log: () => {} });
      await trust(11);
      await trust(12);
      heldB = (await register(10, org, issuerB.url)).held;
      heldC = (await register(9, person, issuerC.url)).held;
      // issuerB's status origin is configured as its real URL: its credentials' status URLs (on the
      // probe) are on another origin. issuerC's is configured as the tarpit, where its URLs point.
      gate = await startIssuer({
        port: 0, rpcUrl: s.rpcUrl, deployment: s.deployment, dataDir: join(s.dir, "gate"), log: (l) => gateLogs.push(l),
        statusOrigins: { [issuerB.did]: issuerB.url, [issuerC.did]: tarpit.url },
      });
      expect(probe.hits).toEqual([]);
      expect(tarpit.hits).toEqual([]);
    });
    afterAll(async () => {
      for (const x of [gate, issuerB, issuerC, probe, tarpit]) await x?.stop();
    });

    it("fetches nothing for a credential of an issuer not trusted on chain", async () => {
      const rogue = await startIssuer({ port: 0, rpcUrl: s.rpcUrl, deployment: s.deployment, dataDir: join(s.dir, "rogue-probe"), privateKey: s.clients(13).privateKey, publicUrl: probe.url, log: () => {} });
      try {
        const c = s.clients(8);
        const { publicKey } = await deriveEncryptionKeyPair({ address: c.account.address, chainId: s.deployment.chainId, signTypedData: (t) => c.account.signTypedData(t) });
        const issued = await requestCredential({ issuerUrl: rogue.url, wallet: c.wallet, claims: person, encryptionKey: publicKey });
        expect(issued.credential.credentialStatus?.id).toMatch(new RegExp(`^${probe.url}/credentials/status/`));
        const atIssuer = await loginAt(s.issuer.url, 8, issued).then(() => undefined, (e) => e);
        expect(probe.hits).toEqual([]); // the status URL was not even asked
        await expectLoginRefusal(Promise.reject(atIssuer), "not-registered", "has no credential on chain");
        const atGate = await loginAt(gate.url, 8, issued).then(() => undefined, (e) => e);
        expect(probe.hits).toEqual([]);
        await expectLoginRefusal(Promise.reject(atGate), "not-registered", "has no credential on chain", gateLogs);
      } finally {
        await rogue.stop();
      }
    });

    it("refuses, without fetching it, a trusted issuer's status URL on another origin than the one configured for it", async () => {
      expect(heldB.credential.credentialStatus?.id.startsWith(probe.url)).toBe(true);
      const refused = await loginAt(gate.url, 10, heldB).then(() => undefined, (e) => e);
      expect(probe.hits).toEqual([]); // refused unfetched
      await expectLoginRefusal(Promise.reject(refused), "status-unavailable", `is not on ${new URL(issuerB.url).origin}`, gateLogs);
      const v = new LoginVerifier({
        publicClient: s.clients(0).publicClient, credentials: s.deployment.contracts.Credentials.address, chainId: 31337, domain: "svc.test",
        isRevokedByIssuer: (vc) => issuerStatusList(vc, { origins: { [issuerB.did]: issuerB.url } }),
      });
      await expectRefusal(v.verify(await present(10, heldB, v.createChallenge())), "status-unavailable", "is not on");
      expect(probe.hits).toEqual([]);
      // Without a configured origin the list is not asked at all: the chain decides.
      const unconfigured = new LoginVerifier({
        publicClient: s.clients(0).publicClient, credentials: s.deployment.contracts.Credentials.address, chainId: 31337, domain: "svc.test",
        isRevokedByIssuer: (vc) => issuerStatusList(vc, { origins: {} }),
      });
      expect(await unconfigured.verify(await present(10, heldB, unconfigured.createChallenge()))).toMatchObject({ address: s.clients(10).account.address });
      expect(probe.hits).toEqual([]);
    });

    it("gives up on a status endpoint that never answers within the timeout, with the generic refusal", async () => {
      const started = Date.now();
      const outcome = await Promise.race([
        loginAt(gate.url, 9, heldC).then(() => "logged in", (e) => e),
        new Promise((ok) => setTimeout(() => ok("still waiting"), 10_000)),
      ]);
      expect(outcome).toBeInstanceOf(SsiError);
      expect(Date.now() - started).toBeLessThan(8_000); // 3 s timeout plus the signature checks
      expect(tarpit.hits).toHaveLength(1); // asked once, on the configured origin
      await expectLoginRefusal(Promise.reject(outcome), "status-unavailable", "cannot check the credential's revocation status", gateLogs);
    });

    it("a challenge cannot be used again after a failed attempt", async () => {
      const ch = await challenge();
      const failed = await login(await present(17, orgHeld, ch)).then(() => undefined, (e) => e); // someone else's credential
      expect(failed).toBeInstanceOf(SsiError);
      await expectRefusal(login(await present(16, orgHeld, ch)), "challenge-replayed", "replayed challenge"); // the right one, same challenge
      await login(await present(16, orgHeld)); // a fresh challenge works
    });

    it("tells the client only that the presentation could not be verified; the reason is in the log, without personal data", async () => {
      const generic = { error: "login-refused", message: "the presentation could not be verified" };
      const post = async (body: unknown) => {
        const res = await fetch(`${s.issuer.url}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        return { status: res.status, body: await res.json() };
      };
      const ch = await challenge();
      expect(await post({ presentation: JSON.parse(await present(16, orgHeld, ch, "evil.example")) })).toEqual({ status: 401, body: generic });
      expect(s.logs.at(-1)).toContain('wrong-domain: wrong domain: the presentation is for "evil.example"');
      expect(await post({ presentation: JSON.parse(await present(17, orgHeld)) })).toEqual({ status: 401, body: generic });
      expect(await post({ presentation: { proof: {} } })).toEqual({ status: 400, body: { error: "challenge-unknown", message: "unknown challenge: ask this service for a new one" } });
      // The status endpoints' answers and URLs reach the log, not the client.
      const res = await fetch(`${gate.url}/login`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ presentation: JSON.parse(await (async () => {
          const c = await postJson<LoginChallenge>(`${gate.url}/login/challenge`, {});
          return createPresentation({ wallet: s.clients(10).wallet, chainId: 31337, held: heldB, challenge: c.challenge, domain: c.domain });
        })()) }),
      });
      const text = await res.text();
      expect(JSON.parse(text)).toEqual(generic);
      expect(text).not.toContain(probe.url);
      expect(gateLogs.at(-1)).toContain(probe.url);
      const logged = [...s.logs, ...gateLogs].join("\n");
      for (const secret of [org.legalName, org.registrationNumber, org.email, person.legalName, person.email]) expect(logged).not.toContain(secret);
    });
  });
});
