// Revocation by the issuer: Credentials.revoke on chain and the issuer's status list, which
// verifiers check too; and re-admission (Credentials.readmit), without which a revoked subject
// can neither register again on chain nor get a new credential from this issuer.
import { getAddress, isAddress, type Address, type Hex, type LocalAccount, type PublicClient, type WalletClient } from "viem";
import { credentialsAbi, type Deployment } from "@kraken/sdk";
import { SsiError } from "@kraken/sdk/ssi";
import type { StatusEntry, StatusList } from "./status-list.ts";

export interface RevocationDeps {
  statusList: StatusList;
  publicClient: PublicClient;
  wallet: WalletClient;
  account: LocalAccount;
  deployment: Deployment;
  log: (l: string) => void;
}

export interface RevocationResult {
  /** The credential named, or (by subject) the subject's most recently issued one, if any. */
  credentialId?: string;
  /** Status-list entries this call marked revoked. */
  credentialIds: string[];
  subject: Address;
  revokedOnChain: boolean;
  transactionHash?: Hex;
}

export interface ReadmissionResult {
  subject: Address;
  readmittedOnChain: boolean;
  transactionHash?: Hex;
  /** Revoked status-list entries of the subject that stop barring new issuances. */
  readmittedEntries: number;
}

function subjectOf(v: unknown, what: string): Address {
  if (typeof v !== "string" || !isAddress(v, { strict: false })) throw new SsiError("bad-request", `${what}: expected a 0x-prefixed Ethereum address`);
  return getAddress(v);
}

async function send(d: RevocationDeps, functionName: "revoke" | "readmit", subject: Address): Promise<Hex> {
  const transactionHash = await d.wallet.writeContract({
    account: d.account,
    chain: d.wallet.chain,
    address: d.deployment.contracts.Credentials.address,
    abi: credentialsAbi,
    functionName,
    args: [subject],
  });
  const receipt = await d.publicClient.waitForTransactionReceipt({ hash: transactionHash });
  if (receipt.status !== "success") throw new SsiError("registration-failed", `Credentials.${functionName} reverted (${transactionHash})`);
  return transactionHash;
}

/**
 * Revokes `{ credentialId }` (that credential; on chain too if it is the one registered) or
 * `{ subject }` (every credential this issuer issued to the subject, and on chain whatever
 * credential is registered for the subject if this issuer attested it, whichever was issued
 * last). A subject with nothing registered is barred on chain, so that an attestation it was
 * given but has not used yet cannot register. The status list is written first, so a failed transaction leaves the revocation in
 * the list and a retry only sends the transaction.
 */
export async function revoke(d: RevocationDeps, target: { credentialId?: unknown; subject?: unknown }): Promise<RevocationResult> {
  let named: [string, StatusEntry] | undefined;
  let subject: Address;
  if (typeof target.credentialId === "string") {
    const e = d.statusList.get(target.credentialId);
    if (!e) throw new SsiError("not-found", "this issuer has issued no such credential");
    named = [target.credentialId, e];
    subject = e.subject;
  } else if (target.subject !== undefined) {
    subject = subjectOf(target.subject, "subject");
  } else {
    throw new SsiError("bad-request", "expected { credentialId } or { subject }");
  }

  const onChain = await d.publicClient.readContract({ address: d.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "credentialOf", args: [subject] });
  const attestedByUs = onChain.issuer.toLowerCase() === d.account.address.toLowerCase();
  // Nothing registered yet: an attestation we issued may still be unused, so bar the subject on
  // chain (Credentials.revoke records the bar; only a re-admission lifts it).
  const unregistered = /^0x0{40}$/i.test(onChain.issuer);
  let toMark: string[];
  let onChainToo: boolean;
  if (named) {
    toMark = named[1].revoked ? [] : [named[0]];
    onChainToo = unregistered || (attestedByUs && !onChain.revoked && onChain.credentialHash.toLowerCase() === named[1].credentialHash.toLowerCase());
    if (!toMark.length && !onChainToo) throw new SsiError("bad-request", `${named[0]} is already revoked`);
  } else {
    const all = d.statusList.allOf(subject);
    if (!all.length && !attestedByUs) throw new SsiError("not-found", `this issuer has issued no credential to ${subject}`);
    toMark = all.filter(([, e]) => !e.revoked).map(([id]) => id);
    onChainToo = (attestedByUs && !onChain.revoked) || (unregistered && all.length > 0);
    if (!toMark.length && !onChainToo) throw new SsiError("bad-request", `the credentials of ${subject} are already revoked`);
  }

  if (toMark.length) d.statusList.markRevoked(...toMark);
  const transactionHash = onChainToo ? await send(d, "revoke", subject) : undefined;
  const what = named ? named[0] : `${toMark.length} credential(s) of ${subject}`;
  d.log(`revoked ${what}${transactionHash ? ` (on chain: ${transactionHash})` : " (status list only: no credential of this issuer's is registered unrevoked on chain)"}`);
  return {
    credentialId: named?.[0] ?? d.statusList.latestOf(subject)?.[0],
    credentialIds: toMark,
    subject,
    revokedOnChain: Boolean(transactionHash),
    transactionHash,
  };
}

/**
 * Why `subject` may not get a credential now, or undefined: a credential this issuer revoked
 * (not re-admitted since), or a revoked credential on chain that nobody re-admitted (the
 * contract would refuse the registration anyway).
 */
export async function revokedReason(d: Pick<RevocationDeps, "statusList" | "publicClient" | "deployment">, subject: Address): Promise<string | undefined> {
  if (d.statusList.barred(subject)) {
    return `this issuer revoked a credential of ${subject}: it issues to it again only after re-admission (POST /credentials/readmit)`;
  }
  const credentials = d.deployment.contracts.Credentials.address;
  const [onChain, readmitted] = await Promise.all([
    d.publicClient.readContract({ address: credentials, abi: credentialsAbi, functionName: "credentialOf", args: [subject] }),
    d.publicClient.readContract({ address: credentials, abi: credentialsAbi, functionName: "readmitted", args: [subject] }),
  ]);
  if (onChain.revoked && !readmitted) {
    return `the credential of ${subject} is revoked on chain: a new one needs re-admission by its issuer or the consortium admin first`;
  }
  return undefined;
}

/**
 * Re-admits `{ subject }`: Credentials.readmit on chain when its registered credential is
 * revoked and not yet re-admitted (only if this issuer attested it; otherwise its issuer or the
 * consortium admin must), then clears the bar in this issuer's status list. The revoked
 * credentials stay revoked; the subject may be issued a new one and register it.
 */
export async function readmit(d: RevocationDeps, target: { subject?: unknown }): Promise<ReadmissionResult> {
  const subject = subjectOf(target?.subject, "subject");
  const credentials = d.deployment.contracts.Credentials.address;
  const [onChain, readmittedOnChain, trusted] = await Promise.all([
    d.publicClient.readContract({ address: credentials, abi: credentialsAbi, functionName: "credentialOf", args: [subject] }),
    d.publicClient.readContract({ address: credentials, abi: credentialsAbi, functionName: "readmitted", args: [subject] }),
    d.publicClient.readContract({ address: credentials, abi: credentialsAbi, functionName: "isTrustedIssuer", args: [d.account.address] }),
  ]);
  const barredOnChain = onChain.revoked && !readmittedOnChain;
  const barredHere = d.statusList.barred(subject);
  if (!barredOnChain && !barredHere) throw new SsiError("bad-request", `${subject} has no revoked credential awaiting re-admission, here or on chain`);
  if (barredOnChain) {
    if (onChain.issuer.toLowerCase() !== d.account.address.toLowerCase()) {
      throw new SsiError("bad-request", `the credential of ${subject} on chain was attested by ${onChain.issuer}: only that issuer or the consortium admin can re-admit it`);
    }
    if (!trusted) throw new SsiError("untrusted-issuer", `this issuer (${d.account.address}) is no longer trusted on chain: only the consortium admin can re-admit ${subject}`);
  }
  const transactionHash = barredOnChain ? await send(d, "readmit", subject) : undefined;
  const readmittedEntries = d.statusList.readmit(subject);
  d.log(`re-admitted ${subject}${transactionHash ? ` (on chain: ${transactionHash})` : " (status list only)"}`);
  return { subject, readmittedOnChain: Boolean(transactionHash), transactionHash, readmittedEntries };
}
