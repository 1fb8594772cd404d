// The delivery wire protocol and the consumer's verification, without a network: payloads parse
// only when every field is valid, sealed payloads open only for their recipient, re-delivery
// requests recover to the signer, decryptBatch tells a tampered file from a wrong plaintext
// hash, and the relay directory is validated.
import { describe, expect, it } from "vitest";
import nacl from "tweetnacl";
import { bytesToHex, hexToBytes, recoverMessageAddress, zeroHash } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  combineShares, decryptBatch, DeliveryError, encryptBatch, endpointsFor, inboxStreamId, openPayload, parseDeliveryMessage,
  parseRedeliveryRequest, parseRelayDirectory, parseSharePayload, redeliveryMessage, sealPayload, sealShares, shareStreamId,
  signRedeliveryRequest, type SharePayload,
} from "../src/index.ts";

const relay = privateKeyToAccount(`0x${"11".repeat(32)}`).address;
const consumer = privateKeyToAccount(`0x${"22".repeat(32)}`);
const drain = async (it: AsyncIterable<Uint8Array>) => {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
};

describe("delivery protocol", () => {
  const share: SharePayload = {
    kind: "kraken.share", v: 1, productId: "7", relay, index: 0, threshold: 2, share: "0x0102", link: "ipfs://bafkreiabc",
    ciphertextHash: `0x${"ab".repeat(32)}`, plaintextHash: `0x${"cd".repeat(32)}`, version: 1,
  };

  it("stream ids are the relay's namespace, lower case", () => {
    expect(shareStreamId("0xABCdef0000000000000000000000000000000001")).toBe("0xabcdef0000000000000000000000000000000001/kraken/shares");
    expect(inboxStreamId(relay, consumer.address)).toBe(`${relay.toLowerCase()}/kraken/inbox/${consumer.address.toLowerCase()}`);
  });

  it("payloads parse only when every field is valid", () => {
    expect(parseSharePayload(share)).toEqual(share);
    const bad = (patch: Record<string, unknown>) => () => parseSharePayload({ ...share, ...patch });
    expect(bad({ productId: "0" })).toThrow(/productId/);
    expect(bad({ relay: "0x12" })).toThrow(/relay/);
    expect(bad({ threshold: 0 })).toThrow(/threshold/);
    expect(bad({ link: "ftp://x" })).toThrow(/link/);
    expect(bad({ ciphertextHash: "0x12" })).toThrow(/ciphertextHash/);
    expect(bad({ v: 2 })).toThrow(/version/);
    expect(bad({ kind: "other" })).toThrow(DeliveryError);
    expect(() => parseDeliveryMessage({ type: "kraken.delivery", v: 1, agreementId: "3", envelope: "zz" })).toThrow(/envelope/);
    expect(parseSharePayload({ ...share, link: "https://data.example.org/file.krkn" }).link).toBe("https://data.example.org/file.krkn");
  });

  it("a sealed payload opens only with the recipient's key; its hash is the on-chain receipt", () => {
    const recipient = nacl.box.keyPair();
    const { envelope, envelopeHash } = sealPayload(share, recipient.publicKey);
    expect(envelopeHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(parseSharePayload(openPayload(envelope, recipient.secretKey))).toEqual(share);
    expect(() => openPayload(envelope, nacl.box.keyPair().secretKey)).toThrow(/failed authentication/);
    expect(sealPayload(share, recipient.publicKey).envelope).not.toBe(envelope); // fresh ephemeral key each time
  });

  it("sealShares: one share per agent, any threshold of them rebuild the key", async () => {
    const keys = [nacl.box.keyPair(), nacl.box.keyPair(), nacl.box.keyPair()];
    const agents = keys.map((_, i) => privateKeyToAccount(`0x${String(i + 3).repeat(64)}`).address);
    const fileKey = nacl.randomBytes(32);
    const sealed = await sealShares({ key: fileKey, productId: 9n, agents, agentKeys: keys.map((k) => bytesToHex(k.publicKey)), threshold: 2, link: "ipfs://bafkreiabc", ciphertextHash: zeroHash, plaintextHash: zeroHash });
    const opened = sealed.map((s, i) => parseSharePayload(openPayload(s.message.envelope, keys[i].secretKey)));
    expect(opened.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(sealed.map((s) => s.streamId)).toEqual(agents.map(shareStreamId));
    const rebuilt = await combineShares([opened[0], opened[2]].map((p) => hexToBytes(p.share)), 2);
    expect(Buffer.compare(Buffer.from(rebuilt), Buffer.from(fileKey))).toBe(0);
  });

  it("re-delivery requests are signed by the consumer over agreement, relay, time and nonce", async () => {
    const req = await signRedeliveryRequest((message) => consumer.signMessage({ message }), 12n, relay, 1_700_000_000_000);
    expect(req).toMatchObject({ agreementId: "12", relay, timestamp: 1_700_000_000 });
    const parsed = parseRedeliveryRequest(JSON.parse(JSON.stringify(req)));
    expect(await recoverMessageAddress({ message: redeliveryMessage(parsed), signature: parsed.signature })).toBe(consumer.address);
    expect(await recoverMessageAddress({ message: redeliveryMessage({ ...parsed, agreementId: "13" }), signature: parsed.signature })).not.toBe(consumer.address);
    expect(() => parseRedeliveryRequest({ ...req, nonce: "0x01" })).toThrow(/nonce/);
  });

  it("decryptBatch: tampered ciphertext and a wrong plaintext hash are told apart", async () => {
    const data = nacl.randomBytes(200_000);
    const enc = encryptBatch((async function* () { yield data; })());
    const ciphertext = await drain(enc.ciphertext);
    const hashes = enc.hashes();
    expect(hashes.plaintextBytes).toBe(data.length);
    expect(Buffer.compare(await drain(decryptBatch((async function* () { yield ciphertext; })(), enc.key, hashes)), Buffer.from(data))).toBe(0);
    const tampered = Buffer.from(ciphertext);
    tampered[1000] ^= 1;
    await expect(drain(decryptBatch((async function* () { yield tampered; })(), enc.key, hashes))).rejects.toMatchObject({ code: "ciphertext-tampered" });
    await expect(drain(decryptBatch((async function* () { yield ciphertext; })(), enc.key, { ...hashes, ciphertextHash: zeroHash }))).rejects.toMatchObject({ code: "ciphertext-tampered" });
    await expect(drain(decryptBatch((async function* () { yield ciphertext; })(), enc.key, { ...hashes, plaintextHash: zeroHash }))).rejects.toMatchObject({ code: "plaintext-mismatch" });
  });

  it("the relay directory is validated and looked up by agent", () => {
    const dir = parseRelayDirectory([{ address: relay.toLowerCase(), url: "http://127.0.0.1:8791/" }]);
    expect(dir).toEqual([{ address: relay, url: "http://127.0.0.1:8791" }]);
    expect(() => parseRelayDirectory([{ address: "nope", url: "http://x" }])).toThrow(/address/);
    expect(() => parseRelayDirectory({})).toThrow(/array/);
    expect(endpointsFor(dir, [relay])).toEqual(dir);
    expect(() => endpointsFor(dir, [consumer.address])).toThrow(new RegExp(`no HTTP endpoint configured for relay ${consumer.address}`));
  });
});
