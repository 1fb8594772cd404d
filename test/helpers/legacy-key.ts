// Test fixture for key rotation: accounts registered before the EIP-712 key derivation, whose
// registered key came from a personal_sign of LEGACY_ENCRYPTION_KEY_MESSAGE. Only tests derive
// such keys; the SDK never does.
import { randomUUID } from "node:crypto";
import { keccak256, toHex, type Hex, type LocalAccount } from "viem";
import { Category, Country, credentialsAbi, keyPairFromSignature, LEGACY_ENCRYPTION_KEY_MESSAGE, OrganisationType, signAttestation, type EncryptionKeyPair } from "@kraken/sdk";
import type { Stack } from "./stack.ts";

/** The key pair the SDK derived before version 2 (keccak256 of the EIP-191 signature of the legacy text). */
export async function legacyEncryptionKeyPair(account: LocalAccount): Promise<EncryptionKeyPair> {
  return keyPairFromSignature(await account.signMessage({ message: LEGACY_ENCRYPTION_KEY_MESSAGE }));
}

/** Registers development account `index` as an individual (demo issuer, account #1) with its legacy-derived key. */
export async function registerWithLegacyKey(s: Pick<Stack, "clients" | "deployment">, index: number): Promise<Hex> {
  const c = s.clients(index);
  const issuer = s.clients(1);
  const credentials = s.deployment.contracts.Credentials.address;
  const { publicKey } = await legacyEncryptionKeyPair(c.account);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const att = {
    subject: c.account.address, issuer: issuer.account.address, category: Category.Individual, organisationType: OrganisationType.None, country: Country.SE,
    credentialHash: keccak256(toHex(randomUUID())), encryptionKey: publicKey, issuedAt: now - 60n, expiresAt: now + 365n * 86400n,
    nonce: BigInt(Date.now()) * 1000n + BigInt(index), chainId: BigInt(s.deployment.chainId),
  };
  const signature = await signAttestation(issuer.wallet, credentials, att, issuer.account);
  const hash = await c.wallet.writeContract({ address: credentials, abi: credentialsAbi, functionName: "register", args: [att, signature] });
  const receipt = await c.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`registering account ${index} with its legacy key reverted`);
  return publicKey;
}
