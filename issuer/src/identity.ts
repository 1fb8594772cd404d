// The issuer's two identities: a did:key (Ed25519) that signs verifiable credentials, generated
// once and kept in the data directory, and an Ethereum key that signs the on-chain attestations
// (it must be trusted by the Credentials contract).
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount, type LocalAccount } from "viem/accounts";
import { DEV_MNEMONIC, LOCAL_CHAIN_ID } from "@kraken/sdk";
import { configValue } from "@kraken/sdk/config";
import { didkit } from "@kraken/sdk/ssi";
import { writeFileAtomic } from "./store.ts";

export interface IssuerIdentity {
  did: string;
  verificationMethod: string;
  /** Ed25519 private JWK (JSON string): never leaves the data directory. */
  jwk: string;
}

/** Loads the did:key from `<dataDir>/identity.json`, creating it on first start. */
export async function loadOrCreateIdentity(dataDir: string, log: (l: string) => void): Promise<IssuerIdentity> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, "identity.json");
  const dk = await didkit();
  if (existsSync(file)) {
    const { jwk } = JSON.parse(readFileSync(file, "utf8")) as { jwk: string };
    const did = dk.keyToDID("key", jwk);
    return { did, jwk, verificationMethod: await dk.keyToVerificationMethod("key", jwk) };
  }
  const jwk = dk.generateEd25519Key();
  const did = dk.keyToDID("key", jwk);
  writeFileAtomic(file, JSON.stringify({ did, jwk, createdAt: new Date().toISOString() }, null, 2) + "\n", 0o600);
  log(`created issuer identity ${did} in ${file}`);
  return { did, jwk, verificationMethod: await dk.keyToVerificationMethod("key", jwk) };
}

/**
 * The Ethereum key that signs attestations: `privateKey`, else KRAKEN_ISSUER_KEY, else (on the
 * local chain only) development account #1, which the demo seed trusts.
 */
export function issuerAccount(chainId: number, privateKey?: Hex): LocalAccount {
  const key = privateKey ?? configValue("KRAKEN_ISSUER_KEY");
  if (key) return privateKeyToAccount(key);
  if (chainId !== LOCAL_CHAIN_ID) {
    throw new Error(`no issuer key for chain ${chainId}: set KRAKEN_ISSUER_KEY (the development key is for the local chain only)`);
  }
  return mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 1 });
}
