// Identity operations (issue, present, verify) against a real local chain and the demo issuer.
import { deriveEncryptionKeyPair } from "@kraken/sdk";
import { createPresentation, didkit, registerWithIssuer, requestCredential, walletPublicJwk } from "@kraken/sdk/ssi";
import { LoginVerifier } from "@kraken/sdk/ssi/verifier";
import { startStack } from "../test/helpers/stack.ts";
import { time, type Row } from "./lib.ts";

export async function identityBench(runs = 20): Promise<Row[]> {
  const s = await startStack();
  try {
    const c = s.clients(15);
    const { held } = await registerWithIssuer({ issuerUrl: s.issuer.url, wallet: c.wallet, publicClient: c.publicClient, deployment: s.deployment, claims: { category: "Individual", country: "SE" } });
    const dk = await didkit();
    const key = dk.generateEd25519Key();
    const vm = await dk.keyToVerificationMethod("key", key);
    const unsigned = { ...held.credential, issuer: dk.keyToDID("key", key) };
    delete unsigned.proof;
    const jwk = await walletPublicJwk(c.wallet);
    const { publicKey } = await deriveEncryptionKeyPair({ address: c.account.address, chainId: s.deployment.chainId, signTypedData: (t) => c.account.signTypedData(t) });
    const verifier = new LoginVerifier({ publicClient: c.publicClient, credentials: s.deployment.contracts.Credentials.address, chainId: 31337, domain: "svc.test" });
    const present = () => createPresentation({ wallet: c.wallet, chainId: 31337, held, challenge: verifier.createChallenge().challenge, domain: "svc.test", publicJwk: jwk });
    const vp = await present();
    return [
      { operation: "issue: didkit, linked-data proof + VC-JWT", ...(await time(runs, async () => {
        await dk.issueCredential(JSON.stringify(unsigned), JSON.stringify({ proofPurpose: "assertionMethod", verificationMethod: vm }), key);
        await dk.issueCredential(JSON.stringify(unsigned), JSON.stringify({ proofPurpose: "assertionMethod", verificationMethod: vm, proofFormat: "jwt" }), key);
      })) },
      { operation: "issue: issuer HTTP exchange (challenge, signature, VC + attestation)", ...(await time(runs, async () => {
        await requestCredential({ issuerUrl: s.issuer.url, wallet: c.wallet, claims: { category: "Individual", country: "SE" }, encryptionKey: publicKey });
      })) },
      { operation: "present: build + wallet-sign EIP-712 presentation", ...(await time(runs, async () => { await present(); })) },
      { operation: "verify: didkit presentation + credential", ...(await time(runs, async () => {
        const parsed = JSON.parse(vp);
        await dk.verifyPresentation(vp, JSON.stringify({ proofPurpose: "authentication", challenge: parsed.proof.challenge, domain: "svc.test" }));
        await dk.verifyCredential(held.credentialJwt, JSON.stringify({ proofPurpose: "assertionMethod", proofFormat: "jwt" }));
      })) },
      { operation: "verify: whole login check (challenge, chain reads, session)", ...(await time(runs, async () => {
        const v = await present();
        const t0 = performance.now();
        await verifier.verify(v);
        return performance.now() - t0;
      })) },
    ];
  } finally {
    await s.stop();
  }
}
