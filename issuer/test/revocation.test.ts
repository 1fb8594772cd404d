// Revocation sticks (review finding 2, credential side), on a real local chain with the real
// issuer: a revoked subject gets no new credential and cannot register again until the issuer's
// admin re-admits it (POST /credentials/readmit, Credentials.readmit); revocation by subject
// reaches the credential registered on chain whatever the issuer issued last.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address, Hex } from "viem";
import { credentialsAbi, CredentialStatus } from "@kraken/sdk";
import { attestationFromJson, postJson, registerWithIssuer, requestCredential, SsiError, submitRegistration } from "@kraken/sdk/ssi";
import { startStack, type Stack } from "../../test/helpers/stack.ts";

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.stop();
});

const person = { category: "Individual", country: "PT" } as const;
const auth = () => ({ authorization: `Bearer ${s.adminToken}` });
const register = (i: number) => {
  const c = s.clients(i);
  return registerWithIssuer({ issuerUrl: s.issuer.url, wallet: c.wallet, publicClient: c.publicClient, deployment: s.deployment, claims: person });
};
/** Issuance only (nothing sent to the chain). */
const issue = (i: number) => requestCredential({ issuerUrl: s.issuer.url, wallet: s.clients(i).wallet, claims: person, encryptionKey: `0x${randomBytes(32).toString("hex")}` });
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as SsiError);
const read = <F extends "credentialOf" | "readmitted" | "statusOf">(functionName: F, subject: Address) =>
  s.clients(0).publicClient.readContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName, args: [subject] } as never) as Promise<any>;
const statusOf = async (i: number) => (await read("statusOf", s.clients(i).account.address))[0] as number;
const listed = async (credentialId: string) => (await fetch(`${s.issuer.url}/credentials/status/${credentialId.replace(/^urn:uuid:/, "")}`)).json();

describe("revocation sticks", () => {
  it("refuses to issue to a subject whose credential is revoked on chain", async () => {
    await register(2);
    const admin = s.clients(0);
    const hash = await admin.wallet.writeContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "revoke", args: [s.clients(2).account.address] });
    await admin.publicClient.waitForTransactionReceipt({ hash }); // revoked by the consortium admin, not via the issuer
    const err = await refusal(issue(2));
    expect(err).toBeInstanceOf(SsiError);
    expect({ code: err?.code, message: err?.message }).toMatchObject({ code: "credential-revoked", message: expect.stringContaining("revoked on chain") });
    const res = await fetch(`${s.issuer.url}/credentials`, { method: "POST", body: "{}" });
    expect(res.status).toBe(400); // malformed requests still answer as before
  });

  it("revoking a subject that never registered bars it on chain: its unused attestation cannot register", async () => {
    const c = s.clients(3);
    const first = await issue(3); // never registered
    const r = await postJson<{ revokedOnChain: boolean }>(`${s.issuer.url}/credentials/revoke`, { credentialId: first.credential.id }, auth());
    expect(r.revokedOnChain).toBe(true);
    expect(await statusOf(3)).toBe(CredentialStatus.Revoked);
    const used = await refusal(submitRegistration({ wallet: c.wallet, publicClient: c.publicClient, credentials: s.deployment.contracts.Credentials.address, attestation: attestationFromJson(first.attestation), signature: first.signature }));
    expect({ code: used?.code, message: used?.message }).toMatchObject({ code: "registration-failed", message: expect.stringContaining("SubjectRevoked") });
    const err = await refusal(issue(3));
    expect({ code: err?.code, message: err?.message }).toMatchObject({ code: "credential-revoked", message: expect.stringContaining("this issuer revoked") });
  });

  it("revokes by subject on chain after a second issuance, and the outstanding attestation cannot register", async () => {
    const c = s.clients(4);
    const first = (await register(4)).held; // registered on chain
    const second = await issue(4); // issued last, not registered
    const r = await postJson<{ credentialId: string; credentialIds: string[]; revokedOnChain: boolean }>(`${s.issuer.url}/credentials/revoke`, { subject: c.account.address }, auth());
    expect(r).toMatchObject({ credentialId: second.credential.id, revokedOnChain: true });
    expect(r.credentialIds.sort()).toEqual([first.credential.id, second.credential.id].sort());
    expect((await read("credentialOf", c.account.address)).revoked).toBe(true);
    expect(await listed(first.credential.id)).toMatchObject({ revoked: true });
    expect(await listed(second.credential.id)).toMatchObject({ revoked: true });
    // the attestation issued before the revocation no longer registers
    const err = await refusal(submitRegistration({ wallet: c.wallet, publicClient: c.publicClient, credentials: s.deployment.contracts.Credentials.address, attestation: attestationFromJson(second.attestation), signature: second.signature }));
    expect({ code: err?.code, message: err?.message }).toMatchObject({ code: "registration-failed", message: expect.stringContaining("SubjectRevoked") });
    const again = await refusal(postJson(`${s.issuer.url}/credentials/revoke`, { subject: c.account.address }, auth()));
    expect(again?.message).toContain("already revoked");
  });

  it("re-admits only with the admin token", async () => {
    const subject = s.clients(4).account.address;
    for (const headers of [{}, { authorization: "Bearer wrong" }] as Record<string, string>[]) {
      const res = await fetch(`${s.issuer.url}/credentials/readmit`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ subject }) });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "unauthorized", message: expect.stringContaining("admin bearer token") });
    }
    expect(await read("readmitted", subject)).toBe(false);
    expect((await refusal(issue(4)))?.code).toBe("credential-revoked");
  });

  it("after re-admission, issues and registers again; the old credentials stay revoked", async () => {
    const c = s.clients(4);
    const r = await postJson<{ readmittedOnChain: boolean; readmittedEntries: number; transactionHash: Hex }>(`${s.issuer.url}/credentials/readmit`, { subject: c.account.address }, auth());
    expect(r).toMatchObject({ readmittedOnChain: true, readmittedEntries: 2 });
    expect(await read("readmitted", c.account.address)).toBe(true);
    expect(await statusOf(4)).toBe(CredentialStatus.Revoked); // until the new registration
    const again = await refusal(postJson(`${s.issuer.url}/credentials/readmit`, { subject: c.account.address }, auth()));
    expect({ code: again?.code, message: again?.message }).toMatchObject({ code: "bad-request", message: expect.stringContaining("no revoked credential awaiting re-admission") });

    const fresh = (await register(4)).held;
    expect(await statusOf(4)).toBe(CredentialStatus.Valid);
    expect(await read("readmitted", c.account.address)).toBe(false); // used up
    expect(await listed(fresh.credential.id)).toMatchObject({ revoked: false });
    expect(s.logs.join("\n")).toContain(`re-admitted ${c.account.address}`);

    // revoked by the consortium admin on chain, attested by this issuer: re-admitted the same way
    expect(await postJson(`${s.issuer.url}/credentials/readmit`, { subject: s.clients(2).account.address }, auth())).toMatchObject({ readmittedOnChain: true, readmittedEntries: 0 });
    await register(2);
    expect(await statusOf(2)).toBe(CredentialStatus.Valid);
    // barred before it ever registered: re-admitted on chain and in the list
    expect(await postJson(`${s.issuer.url}/credentials/readmit`, { subject: s.clients(3).account.address }, auth())).toMatchObject({ readmittedOnChain: true, readmittedEntries: 1 });
    await issue(3);
  });

  it("refuses a re-admission request without a subject address", async () => {
    const err = await refusal(postJson(`${s.issuer.url}/credentials/readmit`, { subject: "alice" }, auth()));
    expect({ code: err?.code, message: err?.message }).toMatchObject({ code: "bad-request", message: expect.stringContaining("subject") });
  });
});

describe("status list writes", () => {
  it("coalesces the writes of 100 issuances, and the list reads back complete after a restart", async () => {
    const { watch } = await import("node:fs");
    let writes = 0;
    const watcher = watch(s.issuerDataDir, (_event, file) => {
      if (file === "status.json") writes++; // one rename onto status.json per write
    });
    const ids: string[] = [];
    const t0 = performance.now();
    try {
      for (let batch = 0; batch < 10; batch++) {
        const issued = await Promise.all(Array.from({ length: 10 }, () => issue(5)));
        ids.push(...issued.map((i) => i.credential.id));
      }
      await s.restartIssuer(); // stop() writes what is still pending
    } finally {
      await new Promise((ok) => setTimeout(ok, 50)); // let the watcher report the last rename
      watcher.close();
    }
    const elapsed = performance.now() - t0;
    console.log(`100 issuances in ${Math.round(elapsed)} ms: ${writes} writes of status.json`);
    expect(ids.length).toBe(100);
    expect(writes).toBeGreaterThan(0); // the watcher sees the writes
    expect(writes).toBeLessThanOrEqual(Math.ceil(elapsed / 200) + 2); // at most one per 200 ms (+ the one on stop)
    expect(writes).toBeLessThan(50);
    const { readFileSync } = await import("node:fs");
    const persisted = JSON.parse(readFileSync(join(s.issuerDataDir, "status.json"), "utf8")).credentials;
    for (const id of ids) expect(persisted[id], id).toMatchObject({ subject: s.clients(5).account.address, revoked: false });
    const answers = await Promise.all(ids.map(listed));
    expect(answers.every((a) => a.revoked === false)).toBe(true);
  });
});
