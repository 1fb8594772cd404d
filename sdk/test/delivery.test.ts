// Batch delivery cryptography: streamed file encryption detects every kind of tampering, and
// sealed envelopes open only with the recipient's key (the one derived from their wallet).
import { describe, expect, it } from "vitest";
import nacl from "tweetnacl";
import { privateKeyToAccount } from "viem/accounts";
import { deriveEncryptionKeyPair } from "../src/encryption.ts";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decryptBatch,
  decryptStream,
  DeliveryError,
  encryptStream,
  FileChunkSizeError,
  FileCipherError,
  MAX_CHUNK_SIZE,
  newFileKey,
  openEnvelope,
  sealEnvelope,
  EnvelopeError,
} from "../src/delivery/index.ts";
import { downloadAndDecrypt } from "../src/delivery/node.ts";

const CHUNK = 4096;

async function* pieces(data: Uint8Array, sizes = [1, 100, 5000, 77, 65536]): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for (let i = 0; offset < data.length; i++) {
    const n = sizes[i % sizes.length];
    yield data.subarray(offset, offset + n);
    offset += n;
  }
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

async function encryptToBoxes(data: Uint8Array, key: Uint8Array): Promise<Uint8Array[]> {
  const boxes: Uint8Array[] = [];
  for await (const b of encryptStream(pieces(data), key, CHUNK)) boxes.push(b);
  return boxes; // [header, box0, box1, …]
}

const from = (parts: Uint8Array[]) => (async function* () { yield* parts; })();

describe("file cipher", () => {
  it("round-trips files of every shape, fed in uneven pieces", async () => {
    for (const size of [0, 1, CHUNK, CHUNK + 1, 3 * 2 ** 20 + 7]) {
      const data = nacl.randomBytes(size);
      const key = newFileKey();
      const cipher = await collect(encryptStream(pieces(data), key, CHUNK));
      expect(cipher.length).toBe(25 + size + 16 * (Math.floor(size / CHUNK) + 1));
      expect(await collect(decryptStream(pieces(cipher, [3, 999, 4112]), key))).toEqual(data);
    }
  });

  it("refuses altered, truncated, reordered, extended or wrongly keyed files", async () => {
    const data = nacl.randomBytes(5 * CHUNK + 10);
    const key = newFileKey();
    const boxes = await encryptToBoxes(data, key);
    const attempt = (parts: Uint8Array[], k = key) => collect(decryptStream(from(parts), k));

    const flipped = boxes.map((b) => b.slice());
    flipped[3][10] ^= 1;
    await expect(attempt(flipped)).rejects.toThrow(FileCipherError);
    await expect(attempt(boxes.slice(0, 4))).rejects.toThrow(/truncated|altered/); // cut at a chunk boundary
    await expect(attempt([boxes[0], boxes[1], boxes[3], boxes[2], ...boxes.slice(4)])).rejects.toThrow(FileCipherError);
    await expect(attempt([...boxes.slice(0, 2), ...boxes.slice(3)])).rejects.toThrow(FileCipherError); // a chunk dropped
    await expect(attempt([...boxes, nacl.randomBytes(40)])).rejects.toThrow(FileCipherError);
    await expect(attempt(boxes, newFileKey())).rejects.toThrow(/key is wrong/);
    await expect(attempt([nacl.randomBytes(64)])).rejects.toThrow(/bad header/);
    await expect(attempt([boxes[0]])).rejects.toThrow(/truncated/);
    expect(await attempt(boxes)).toEqual(data);
  });
});

describe("file header with a hostile chunk size", () => {
  // A valid header naming a chunk size of `size`, followed by `bodyPieces` pieces of 1 MiB.
  // `pulled` counts the pieces the reader asked for after the header.
  function hostile(size: number, bodyPieces = 8) {
    const header = new Uint8Array(25);
    header.set([0x4b, 0x52, 0x4b, 0x4e, 1], 0);
    new DataView(header.buffer).setUint32(5, size);
    const state = { pulled: 0 };
    const stream = (async function* () {
      yield header;
      for (let i = 0; i < bodyPieces; i++) {
        state.pulled++;
        yield new Uint8Array(2 ** 20);
      }
    })();
    return { header, state, stream };
  }

  it("is refused with FileChunkSizeError before any chunk is read or buffered", async () => {
    for (const size of [0xffffffff, MAX_CHUNK_SIZE + 1, 0, 1023]) {
      const { state, stream } = hostile(size);
      const err = await collect(decryptStream(stream, newFileKey())).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FileChunkSizeError);
      expect(err).toBeInstanceOf(FileCipherError);
      expect((err as FileChunkSizeError).chunkSize).toBe(size);
      expect(state.pulled).toBe(0); // nothing past the header was read
    }
  });

  it("is a typed delivery error on the shared (browser) and the Node download paths", async () => {
    const expected = { ciphertextHash: `0x${"00".repeat(32)}`, plaintextHash: `0x${"00".repeat(32)}` } as const;
    const { state, stream } = hostile(0xffffffff);
    const err = await collect(decryptBatch(stream, newFileKey(), expected)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).code).toBe("ciphertext-tampered");
    expect((err as Error).message).toMatch(/chunk size out of range/);
    expect(state.pulled).toBe(0);

    const { header } = hostile(0xffffffff);
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(header);
      res.end(new Uint8Array(4 * 2 ** 20));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const dir = mkdtempSync(join(tmpdir(), "kraken-hostile-"));
    try {
      const out = join(dir, "plain.bin");
      const gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const nodeErr = await downloadAndDecrypt({ link: "ipfs://bafyhostile", gatewayUrl, key: newFileKey(), ...expected, out }).catch((e: unknown) => e);
      expect(nodeErr).toBeInstanceOf(DeliveryError);
      expect((nodeErr as Error).message).toMatch(/chunk size out of range/);
      expect(existsSync(out) || existsSync(`${out}.part`)).toBe(false);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("sealed envelopes", () => {
  it("open only with the recipient's wallet-derived key, and refuse tampering", async () => {
    const wallet = privateKeyToAccount(`0x${"11".repeat(32)}`);
    const other = privateKeyToAccount(`0x${"22".repeat(32)}`);
    const consumer = await deriveEncryptionKeyPair({ address: wallet.address, chainId: 31337, signTypedData: (t) => wallet.signTypedData(t) });
    const stranger = await deriveEncryptionKeyPair({ address: other.address, chainId: 31337, signTypedData: (t) => other.signTypedData(t) });
    const message = new TextEncoder().encode(JSON.stringify({ link: "ipfs://bafy…", share: "01ab" }));

    const sealed = sealEnvelope(message, consumer.publicKey);
    expect(openEnvelope(sealed, consumer.secretKey)).toEqual(message);
    expect(sealEnvelope(message, consumer.publicKey)).not.toEqual(sealed); // fresh ephemeral key and nonce each time
    expect(() => openEnvelope(sealed, stranger.secretKey)).toThrow(EnvelopeError);
    const tampered = sealed.slice();
    tampered[tampered.length - 1] ^= 1;
    expect(() => openEnvelope(tampered, consumer.secretKey)).toThrow(/tampered/);
    expect(() => openEnvelope(sealed.subarray(0, 20), consumer.secretKey)).toThrow(/malformed/);
    expect(() => sealEnvelope(message, new Uint8Array(31))).toThrow(EnvelopeError);
  });
});

describe("key shares", () => {
  it("rebuild the file key from any k of n shares, never from fewer", async () => {
    const { splitKey, combineShares, KeyShareError } = await import("../src/delivery/index.ts");
    const key = newFileKey();
    const shares = await splitKey(key, 3, 2);
    expect(shares).toHaveLength(3);
    for (const pair of [[0, 1], [0, 2], [1, 2]]) expect(await combineShares(pair.map((i) => shares[i]), 2)).toEqual(key);
    await expect(combineShares([shares[0]], 2)).rejects.toThrow(KeyShareError);
    await expect(combineShares([shares[1], shares[1]], 2)).rejects.toThrow(/need 2 key shares/);
    for (const s of shares) expect(s).not.toEqual(key); // no single share is the key
    await expect(splitKey(key, 3, 4)).rejects.toThrow(/threshold/);
    expect(await combineShares(await splitKey(key, 1, 1), 1)).toEqual(key);
  });
});
