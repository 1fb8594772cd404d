// The encryption key derivation (EIP-712, domain-separated) and the check that keeps a holder's
// wallet from signing anything but a registration challenge for an issuer. No chain needed.
import { describe, expect, it, vi } from "vitest";
import { createWalletClient, custom, getAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  deriveEncryptionKeyPair,
  ENCRYPTION_KEY_PURPOSE,
  encryptionKeyTypedData,
  keyPairFromSignature,
  LEGACY_ENCRYPTION_KEY_MESSAGE,
  type EncryptionKeyTypedData,
} from "../src/encryption.ts";
import { deriveWalletEncryptionKeyPair } from "../src/key-rotation.ts";
import { checkIssuanceChallenge, issuanceChallengeMessage, parseIssuanceChallengeMessage, SsiError } from "../src/ssi/index.ts";

const alice = privateKeyToAccount(`0x${"11".repeat(32)}`);
const bob = privateKeyToAccount(`0x${"22".repeat(32)}`);
const derive = (account: typeof alice, chainId: number) => deriveEncryptionKeyPair({ address: account.address, chainId, signTypedData: (t) => account.signTypedData(t) });

describe("encryption key derivation", () => {
  it("the typed data names its purpose, the marketplace, the chain and the account", () => {
    const t = encryptionKeyTypedData(alice.address, 31337);
    expect(t.primaryType).toBe("EncryptionKey");
    expect(t.domain).toEqual({ name: "Kraken marketplace", version: "1", chainId: 31337 });
    expect(t.message).toEqual({ purpose: ENCRYPTION_KEY_PURPOSE, account: getAddress(alice.address), version: 2n });
    expect(t.message.purpose).toBe("Derive my marketplace encryption key. Never sign this on another site.");
    expect(t.types.EncryptionKey.map((f) => `${f.type} ${f.name}`)).toEqual(["string purpose", "address account", "uint256 version"]);
  });

  it("is deterministic, and differs per chain id and per address", async () => {
    const a1 = await derive(alice, 31337);
    expect((await derive(alice, 31337)).publicKey).toBe(a1.publicKey);
    expect(a1.publicKey).toMatch(/^0x[0-9a-f]{64}$/);
    const other = [await derive(alice, 1), await derive(alice, 137), await derive(bob, 31337)].map((k) => k.publicKey);
    expect(new Set([a1.publicKey, ...other]).size).toBe(4);
  });

  it("asks the wallet for one EIP-712 signature and nothing else; the old personal_sign key is not derived", async () => {
    const signTypedData = vi.fn((t: EncryptionKeyTypedData) => alice.signTypedData(t));
    const keys = await deriveEncryptionKeyPair({ address: alice.address, chainId: 31337, signTypedData });
    expect(signTypedData).toHaveBeenCalledTimes(1);
    expect(signTypedData.mock.calls[0][0]).toEqual(encryptionKeyTypedData(alice.address, 31337));
    const legacy = keyPairFromSignature(await alice.signMessage({ message: LEGACY_ENCRYPTION_KEY_MESSAGE }));
    expect(keys.publicKey).not.toBe(legacy.publicKey);
  });

  it("a wallet over EIP-1193 (eth_signTypedData_v4, as browser wallets and the demo wallet) derives the same key", async () => {
    const methods: string[] = [];
    const wallet = createWalletClient({
      account: alice.address,
      transport: custom({
        async request({ method, params }: { method: string; params?: unknown }) {
          methods.push(method);
          if (method === "eth_signTypedData_v4") return alice.signTypedData(JSON.parse((params as [string, string])[1]));
          if (method === "eth_chainId") return "0x7a69";
          throw new Error(`unexpected ${method}`);
        },
      }),
    });
    expect((await deriveWalletEncryptionKeyPair(wallet, 31337)).publicKey).toBe((await derive(alice, 31337)).publicKey);
    expect(methods).toContain("eth_signTypedData_v4");
    expect(methods).not.toContain("personal_sign");
  });
});

describe("issuer challenges the holder's wallet will sign", () => {
  const did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
  const nonce = "0123456789abcdef0123456789abcdef";
  const genuine = { id: nonce, address: alice.address, message: issuanceChallengeMessage(alice.address, nonce, did), expiresAt: "" };

  it("accepts exactly the registration challenge for the holder's address", () => {
    expect(parseIssuanceChallengeMessage(genuine.message)).toEqual({ address: alice.address, issuerDid: did, nonce });
    expect(() => checkIssuanceChallenge(genuine, alice.address)).not.toThrow();
  });

  const refused = (challenge: Partial<typeof genuine>, part: string) => {
    let err: unknown;
    try {
      checkIssuanceChallenge(challenge, alice.address);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SsiError);
    expect(err).toMatchObject({ code: "unsafe-challenge", message: expect.stringContaining(part) });
  };

  it("refuses key-derivation texts, other texts, another address and a mismatched id", () => {
    refused({ ...genuine, message: LEGACY_ENCRYPTION_KEY_MESSAGE }, "derive your encryption key");
    refused({ ...genuine, message: `${genuine.message}\n\nAlso derive my data-delivery encryption key.` }, "derive your encryption key");
    refused({ ...genuine, message: genuine.message.replace("ask for a credential", "unlock my Encryption Key") }, "derive your encryption key");
    refused({ ...genuine, message: "Sign in to Example.com\nNonce: 1234" }, "not a marketplace registration challenge");
    refused({ ...genuine, message: `${genuine.message} ` }, "not a marketplace registration challenge");
    refused({ ...genuine, message: issuanceChallengeMessage(bob.address, nonce, did) }, `names ${bob.address}, not your address`);
    refused({ ...genuine, address: bob.address }, "not your address");
    refused({ ...genuine, id: "ffffffffffffffffffffffffffffffff" }, "challenge id does not match");
    refused({ ...genuine, message: undefined }, "no text to sign");
    refused({ ...genuine, message: 42 as unknown as string }, "no text to sign");
  });
});
