// The issuer service on its own: identity kept across restarts, service description, status
// endpoint, revocation rules, and what it persists and logs (never personal data).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialsAbi } from "@kraken/sdk";
import { postJson, registerWithIssuer, SsiError } from "@kraken/sdk/ssi";
import { startStack, type Stack } from "../../test/helpers/stack.ts";

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.stop();
});

const claims = { category: "Organisation", organisationType: "Insurer", country: "AT", legalName: "Versicherung Beispiel AG", registrationNumber: "FN-123456x", email: "dsb@versicherung.test" } as const;
const register = (i: number) => {
  const c = s.clients(i);
  return registerWithIssuer({ issuerUrl: s.issuer.url, wallet: c.wallet, publicClient: c.publicClient, deployment: s.deployment, claims });
};

describe("issuer service", () => {
  it("describes itself and is trusted on chain", async () => {
    const info = await (await fetch(s.issuer.url)).json();
    expect(info).toMatchObject({ did: s.issuer.did, address: s.clients(1).account.address, chainId: 31337, trustedOnChain: true });
  });

  it("keeps its did:key across restarts, in a private file", async () => {
    const did = s.issuer.did;
    await s.restartIssuer();
    expect(s.issuer.did).toBe(did);
    expect(statSync(join(s.issuerDataDir, "identity.json")).mode & 0o077).toBe(0);
  });

  it("revokes by subject; a replaced credential is revoked in the status list only", async () => {
    const first = (await register(15)).held;
    const second = (await register(15)).held; // re-registration replaces the first on chain
    const auth = { authorization: `Bearer ${s.adminToken}` };
    const r1 = await postJson<{ revokedOnChain: boolean }>(`${s.issuer.url}/credentials/revoke`, { credentialId: first.credential.id }, auth);
    expect(r1.revokedOnChain).toBe(false);
    const c = s.clients(15);
    const onChain = () => c.publicClient.readContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "credentialOf", args: [c.account.address] });
    expect((await onChain()).revoked).toBe(false);
    const r2 = await postJson<{ credentialId: string; revokedOnChain: boolean }>(`${s.issuer.url}/credentials/revoke`, { subject: c.account.address }, auth);
    expect(r2).toMatchObject({ credentialId: second.credential.id, revokedOnChain: true });
    expect((await onChain()).revoked).toBe(true);
    const again = await postJson<unknown>(`${s.issuer.url}/credentials/revoke`, { subject: c.account.address }, auth).then(() => undefined, (e: unknown) => e as SsiError);
    expect(again).toBeInstanceOf(SsiError);
    expect(again?.message).toContain("already revoked");
    expect((await fetch(`${s.issuer.url}/credentials/status/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
  });

  it("persists and logs no personal data", async () => {
    await register(16);
    const persisted = readdirSync(s.issuerDataDir).map((f) => readFileSync(join(s.issuerDataDir, f), "utf8")).join("\n");
    expect(readdirSync(s.issuerDataDir).sort()).toEqual(["identity.json", "status.json"]);
    const logged = s.logs.join("\n");
    for (const secret of [claims.legalName, claims.registrationNumber, claims.email]) {
      expect(persisted).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
    expect(logged).toContain(`to did:pkh:eip155:31337:${s.clients(16).account.address}`);
  });

  it("answers unknown routes and malformed bodies with JSON errors", async () => {
    const res = await fetch(`${s.issuer.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not-found" });
    const bad = await fetch(`${s.issuer.url}/challenges`, { method: "POST", body: "{not json" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "bad-request", message: "request body is not JSON" });
  });
});
