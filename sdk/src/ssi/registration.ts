// Registration (MKT-FUN-01/03), shared by the dApp and the CLI: obtain a credential from an
// issuer after proving control of the wallet's address, check it (didkit signature, hash, the
// attestation's signer is trusted on chain), and register on chain with the encryption key
// derived from the wallet. The credential is returned to the holder; the marketplace never keeps it.
import { BaseError, ContractFunctionRevertedError, type Account, type Address, type Hex, type PublicClient, type WalletClient } from "viem";
import { attestationTypes, attestationDomain, type Attestation } from "../attestation.ts";
import type { Deployment } from "../deployments.ts";
import { LEGACY_ENCRYPTION_KEY_MESSAGE } from "../encryption.ts";
import { credentialsAbi } from "../generated/abis.ts";
import { deriveWalletEncryptionKeyPair } from "../key-rotation.ts";
import { claimsToFacts, credentialHash, decodeCredentialJwt, type HeldCredential, type MarketplaceClaims } from "./credential.ts";
import { pkhDid } from "./did.ts";
import { didkit, verificationErrors } from "./didkit.ts";
import { SsiError } from "./errors.ts";
import { postJson } from "./presentation.ts";
import { attestationFromJson, parseIssuanceChallengeMessage, type CredentialRequest, type IssuanceChallenge, type IssuedCredential } from "./protocol.ts";

export type RegistrationClaims = Omit<MarketplaceClaims, "organisationType"> & { organisationType?: MarketplaceClaims["organisationType"] };

export interface RegistrationResult {
  held: HeldCredential;
  attestation: Attestation;
  encryptionPublicKey: Hex;
  transactionHash: Hex;
  issuerDid: string;
}

type Step = "challenge" | "sign-challenge" | "derive-key" | "issue" | "verify" | "register";

function addressOf(wallet: WalletClient): { account: Account | Address; address: Address } {
  const account = wallet.account;
  if (!account) throw new SsiError("bad-request", "the wallet client has no account");
  return { account, address: typeof account === "string" ? account : account.address };
}

// Words of texts that derive or reveal keys. A registration challenge never contains them.
const KEY_TEXT = /encryption key|derive|decrypt|private key|secret key|seed phrase|mnemonic/i;

/**
 * Refuses (SsiError "unsafe-challenge") an issuer challenge that is not exactly a registration
 * challenge for `address` (issuanceChallengeMessage), before the wallet signs anything: an issuer
 * or a page posing as one could otherwise get the wallet to sign a key-derivation text (such as
 * LEGACY_ENCRYPTION_KEY_MESSAGE, from which keys registered before the EIP-712 derivation came)
 * and read what is delivered to the holder.
 */
export function checkIssuanceChallenge(challenge: Partial<IssuanceChallenge> | undefined, address: Address): void {
  const message = challenge?.message;
  if (typeof message !== "string") throw new SsiError("unsafe-challenge", "the issuer's challenge has no text to sign; nothing was signed");
  const unsafe = (why: string) => new SsiError("unsafe-challenge", `refused to sign the issuer's challenge: ${why}; nothing was signed`);
  // the issuer's DID is the one free-form part of a genuine challenge: not searched for words
  if (message.trim() === LEGACY_ENCRYPTION_KEY_MESSAGE.trim() || KEY_TEXT.test(message.replace(/^Issuer: did:\S*$/m, "Issuer:"))) {
    throw unsafe("it reads like a request to derive your encryption key, which would let its holder read data delivered to you");
  }
  const parsed = parseIssuanceChallengeMessage(message);
  if (!parsed) throw unsafe("it is not a marketplace registration challenge");
  if (parsed.address.toLowerCase() !== address.toLowerCase() || (challenge?.address !== undefined && String(challenge.address).toLowerCase() !== address.toLowerCase())) {
    throw unsafe(`it names ${parsed.address}, not your address ${address}`);
  }
  if (parsed.nonce !== challenge?.id) throw unsafe("its challenge id does not match the one the issuer returned");
}

/** Steps 1–3: challenge, proof of address control, issuance. Returns the issuer's answer unchecked. */
export async function requestCredential(o: {
  issuerUrl: string;
  wallet: WalletClient;
  claims: RegistrationClaims;
  encryptionKey: Hex;
  onStep?: (step: Step) => void;
}): Promise<IssuedCredential> {
  const base = o.issuerUrl.replace(/\/$/, "");
  const { account, address } = addressOf(o.wallet);
  o.onStep?.("challenge");
  const challenge = await postJson<IssuanceChallenge>(`${base}/challenges`, { address });
  checkIssuanceChallenge(challenge, address);
  o.onStep?.("sign-challenge");
  const signature = await o.wallet.signMessage({ account, message: challenge.message });
  o.onStep?.("issue");
  const body: CredentialRequest = {
    ...o.claims,
    organisationType: o.claims.organisationType ?? "None",
    challengeId: challenge.id,
    signature,
    encryptionKey: o.encryptionKey,
  };
  return postJson<IssuedCredential>(`${base}/credentials`, body);
}

/**
 * Checks what an issuer returned before anything is sent to the chain: both encodings of the
 * credential verify and are the same credential, it is about this holder and these claims, the
 * attestation matches it and is signed by its issuer, and that issuer is trusted on chain.
 */
export async function verifyIssuedCredential(o: {
  issued: IssuedCredential;
  publicClient: PublicClient;
  deployment: Pick<Deployment, "chainId" | "contracts">;
  holder: Address;
  encryptionKey: Hex;
  claims?: RegistrationClaims;
}): Promise<Attestation> {
  const { issued } = o;
  const dk = await didkit();
  const ldErrors = verificationErrors(await dk.verifyCredential(JSON.stringify(issued.credential), JSON.stringify({ proofPurpose: "assertionMethod" })));
  if (ldErrors.length) throw new SsiError("invalid-credential", `the issued credential does not verify: ${ldErrors.join("; ")}`);
  const jwtErrors = verificationErrors(await dk.verifyCredential(issued.credentialJwt, JSON.stringify({ proofPurpose: "assertionMethod", proofFormat: "jwt" })));
  if (jwtErrors.length) throw new SsiError("invalid-credential", `the issued credential (JWT) does not verify: ${jwtErrors.join("; ")}`);

  const hash = credentialHash(issued.credential);
  if (credentialHash(decodeCredentialJwt(issued.credentialJwt).vc) !== hash) {
    throw new SsiError("invalid-credential", "the issuer's two encodings of the credential differ");
  }
  const subject = issued.credential.credentialSubject;
  const holderDid = pkhDid(o.deployment.chainId, o.holder);
  if (subject.id !== holderDid) throw new SsiError("invalid-credential", `the credential is about ${subject.id}, not ${holderDid}`);
  if (o.claims) {
    for (const k of ["category", "country"] as const) {
      if (subject[k] !== o.claims[k]) throw new SsiError("invalid-credential", `the credential says ${k} ${subject[k]}, ${o.claims[k]} was asked for`);
    }
  }

  const att = attestationFromJson(issued.attestation);
  const facts = claimsToFacts(subject);
  const mismatch =
    att.credentialHash.toLowerCase() !== hash ? "credential hash"
    : att.subject.toLowerCase() !== o.holder.toLowerCase() ? "subject"
    : att.category !== facts.category || att.organisationType !== facts.organisationType || att.country !== facts.country ? "category, organisation type or country"
    : att.encryptionKey.toLowerCase() !== o.encryptionKey.toLowerCase() ? "encryption key"
    : att.chainId !== BigInt(o.deployment.chainId) ? "chain id"
    : undefined;
  if (mismatch) throw new SsiError("attestation-mismatch", `the attestation does not match the credential (${mismatch})`);

  const credentials = o.deployment.contracts.Credentials.address;
  const signed = await o.publicClient.verifyTypedData({
    address: att.issuer,
    domain: attestationDomain(att.chainId, credentials),
    types: attestationTypes,
    primaryType: "Attestation",
    message: { ...att },
    signature: issued.signature,
  });
  if (!signed) throw new SsiError("attestation-mismatch", `the attestation is not signed by ${att.issuer}`);
  const trusted = await o.publicClient.readContract({ address: credentials, abi: credentialsAbi, functionName: "isTrustedIssuer", args: [att.issuer] });
  if (!trusted) throw new SsiError("untrusted-issuer", `untrusted issuer: ${att.issuer} (${issued.issuerDid}) is not trusted by the Credentials contract`);
  return att;
}

/** The whole registration: returns the held credential (save it) and the transaction hash. */
export async function registerWithIssuer(o: {
  issuerUrl: string;
  wallet: WalletClient;
  publicClient: PublicClient;
  deployment: Pick<Deployment, "chainId" | "contracts">;
  claims: RegistrationClaims;
  onStep?: (step: Step) => void;
}): Promise<RegistrationResult> {
  const { address } = addressOf(o.wallet);
  o.onStep?.("derive-key");
  const keys = await deriveWalletEncryptionKeyPair(o.wallet, o.deployment.chainId);
  const issued = await requestCredential({ ...o, encryptionKey: keys.publicKey });
  o.onStep?.("verify");
  const attestation = await verifyIssuedCredential({ issued, publicClient: o.publicClient, deployment: o.deployment, holder: address, encryptionKey: keys.publicKey, claims: o.claims });
  o.onStep?.("register");
  const transactionHash = await submitRegistration({ wallet: o.wallet, publicClient: o.publicClient, credentials: o.deployment.contracts.Credentials.address, attestation, signature: issued.signature });
  return {
    held: { credential: issued.credential, credentialJwt: issued.credentialJwt, credentialHash: attestation.credentialHash },
    attestation,
    encryptionPublicKey: keys.publicKey,
    transactionHash,
    issuerDid: issued.issuerDid,
  };
}

/** Sends Credentials.register and waits for it; a revert becomes SsiError("registration-failed") naming the contract error. */
export async function submitRegistration(o: {
  wallet: WalletClient;
  publicClient: PublicClient;
  credentials: Address;
  attestation: Attestation;
  signature: Hex;
}): Promise<Hex> {
  const { account } = addressOf(o.wallet);
  try {
    const hash = await o.wallet.writeContract({
      account,
      chain: o.wallet.chain,
      address: o.credentials,
      abi: credentialsAbi,
      functionName: "register",
      args: [o.attestation, o.signature],
    });
    const receipt = await o.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new SsiError("registration-failed", `Credentials.register reverted (transaction ${hash})`);
    return hash;
  } catch (err) {
    if (err instanceof SsiError) throw err;
    const reverted = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
    if (reverted instanceof ContractFunctionRevertedError) {
      throw new SsiError("registration-failed", `Credentials.register refused: ${reverted.data?.errorName ?? reverted.shortMessage}`);
    }
    throw new SsiError("registration-failed", `Credentials.register failed: ${err instanceof BaseError ? err.shortMessage : (err as Error).message}`);
  }
}
