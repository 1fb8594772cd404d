// The EIP-712 attestation a trusted issuer signs so that a subject can register on chain
// (Credentials.register). No personal data: only what consent policies check, the hash of the
// off-chain verifiable credential and the subject's encryption key.
import type { Account, Address, Hex, WalletClient } from "viem";
import type { Category, Country, OrganisationType } from "./generated/enums.ts";

export interface Attestation {
  subject: Address;
  issuer: Address;
  category: Category;
  organisationType: OrganisationType;
  country: Country;
  credentialHash: Hex;
  encryptionKey: Hex;
  issuedAt: bigint;
  expiresAt: bigint;
  nonce: bigint;
  chainId: bigint;
}

export const attestationTypes = {
  Attestation: [
    { name: "subject", type: "address" },
    { name: "issuer", type: "address" },
    { name: "category", type: "uint8" },
    { name: "organisationType", type: "uint8" },
    { name: "country", type: "uint8" },
    { name: "credentialHash", type: "bytes32" },
    { name: "encryptionKey", type: "bytes32" },
    { name: "issuedAt", type: "uint64" },
    { name: "expiresAt", type: "uint64" },
    { name: "nonce", type: "uint256" },
    { name: "chainId", type: "uint256" },
  ],
} as const;

export function attestationDomain(chainId: number | bigint, credentials: Address) {
  return { name: "KrakenCredentials", version: "1", chainId: BigInt(chainId), verifyingContract: credentials } as const;
}

/** Signs `att` as its issuer with `wallet` (whose account must be `att.issuer`). */
export async function signAttestation(
  wallet: WalletClient,
  credentials: Address,
  att: Attestation,
  account: Account | Address = att.issuer,
): Promise<Hex> {
  return wallet.signTypedData({
    account,
    domain: attestationDomain(att.chainId, credentials),
    types: attestationTypes,
    primaryType: "Attestation",
    message: att,
  });
}
