import * as dk from "@spruceid/didkit-wasm-node";
import { privateKeyToAccount, generatePrivateKey } from "viem/accounts";
import { recoverPublicKey, hashMessage, bytesToHex } from "viem";
const key = dk.generateEd25519Key();
const did = dk.keyToDID("key", key);
const vm = await dk.keyToVerificationMethod("key", key);
const acct = privateKeyToAccount(generatePrivateKey());
const holder = `did:pkh:eip155:31337:${acct.address}`;
const ctx = { "@version": 1.1, "@protected": true, kraken: "https://kraken.example/ns#", MarketplaceCredential: "kraken:MarketplaceCredential", category: "kraken:category", country: "kraken:country" };
const vc = { "@context": ["https://www.w3.org/2018/credentials/v1", ctx], type: ["VerifiableCredential", "MarketplaceCredential"], id: "urn:uuid:1234", issuer: did,
  issuanceDate: "2026-11-24T00:00:00Z", credentialSubject: { id: holder, category: "Organisation", country: "IT" } };
const ld = await dk.issueCredential(JSON.stringify(vc), JSON.stringify({ proofPurpose: "assertionMethod", verificationMethod: vm }), key);
const jwt = await dk.issueCredential(JSON.stringify(vc), JSON.stringify({ proofPurpose: "assertionMethod", verificationMethod: vm, proofFormat: "jwt" }), key);
const sig0 = await acct.signMessage({ message: "x" });
const pub = await recoverPublicKey({ hash: hashMessage("x"), signature: sig0 });
const x = Buffer.from(pub.slice(4, 68), "hex").toString("base64url"), y = Buffer.from(pub.slice(68), "hex").toString("base64url");
const jwk = JSON.stringify({ kty: "EC", crv: "secp256k1", x, y });
for (const [label, cred] of [["jwt", jwt], ["ld", JSON.parse(ld)], ["ldnoversion", JSON.parse(ld.replace('"@version":1.1,',""))]] as const) {
  try {
    const vp = { "@context": ["https://www.w3.org/2018/credentials/v1"], type: ["VerifiablePresentation"], holder, verifiableCredential: cred };
    const opts: any = { proofPurpose: "authentication", verificationMethod: `${holder}#blockchainAccountId`, challenge: "abc", domain: "issuer.local", type: "EthereumEip712Signature2021" };
    const first = JSON.parse(await dk.prepareIssuePresentation(JSON.stringify(vp), JSON.stringify(opts), jwk));
    opts.eip712Domain = { messageSchema: first.signingInput.types, primaryType: first.signingInput.primaryType, domain: { name: "Kraken login" } };
    const prep = JSON.parse(await dk.prepareIssuePresentation(JSON.stringify(vp), JSON.stringify(opts), jwk));
    console.log(label, "prep keys", Object.keys(prep), prep.signingInput ? Object.keys(prep.signingInput) : "");
    const td = prep.signingInput;
    console.log(JSON.stringify(td.types).slice(0, 600), td.primaryType, td.domain);
    const { EIP712Domain, ...types } = td.types;
    const sig = await acct.signTypedData({ domain: td.domain, types, primaryType: td.primaryType, message: td.message });
    const signedVp = await dk.completeIssuePresentation(JSON.stringify(vp), JSON.stringify(prep), sig);
    console.log(label, "VP ok", signedVp.slice(0, 300));
    console.log(label, "verify", await dk.verifyPresentation(signedVp, JSON.stringify({ proofPurpose: "authentication", challenge: "abc", domain: "issuer.local" })));
  } catch (e) { console.log(label, "ERR", String(e).slice(0, 500)); }
}
