// Revocation by the issuer: Credentials.revoke on chain (when the credential is the one
// registered for its subject) and the issuer's status list, which verifiers check too.
import type { Address, Hex, LocalAccount, PublicClient, WalletClient } from "viem";
import { credentialsAbi, type Deployment } from "@kraken/sdk";
import { SsiError } from "@kraken/sdk/ssi";
import type { StatusList } from "./status-list.ts";

export interface RevocationResult {
  credentialId: string;
  subject: Address;
  revokedOnChain: boolean;
  transactionHash?: Hex;
}

export async function revoke(
  d: { statusList: StatusList; publicClient: PublicClient; wallet: WalletClient; account: LocalAccount; deployment: Deployment; log: (l: string) => void },
  target: { credentialId?: unknown; subject?: unknown },
): Promise<RevocationResult> {
  let found: [string, ReturnType<StatusList["get"]> & object] | undefined;
  if (typeof target.credentialId === "string") {
    const e = d.statusList.get(target.credentialId);
    if (e) found = [target.credentialId, e];
  } else if (typeof target.subject === "string") {
    found = d.statusList.latestOf(target.subject as Address);
  } else {
    throw new SsiError("bad-request", "expected { credentialId } or { subject }");
  }
  if (!found) throw new SsiError("not-found", "this issuer has issued no such credential");
  const [credentialId, entry] = found;
  if (entry.revoked) throw new SsiError("bad-request", `${credentialId} is already revoked`);

  const credentials = d.deployment.contracts.Credentials.address;
  const onChain = await d.publicClient.readContract({ address: credentials, abi: credentialsAbi, functionName: "credentialOf", args: [entry.subject] });
  let transactionHash: Hex | undefined;
  if (onChain.credentialHash.toLowerCase() === entry.credentialHash.toLowerCase() && !onChain.revoked) {
    transactionHash = await d.wallet.writeContract({
      account: d.account,
      chain: d.wallet.chain,
      address: credentials,
      abi: credentialsAbi,
      functionName: "revoke",
      args: [entry.subject],
    });
    const receipt = await d.publicClient.waitForTransactionReceipt({ hash: transactionHash });
    if (receipt.status !== "success") throw new SsiError("registration-failed", `Credentials.revoke reverted (${transactionHash})`);
  }
  d.statusList.markRevoked(credentialId);
  d.log(`revoked ${credentialId} of ${entry.subject}${transactionHash ? ` (on chain: ${transactionHash})` : " (status list only: not the credential registered on chain)"}`);
  return { credentialId, subject: entry.subject, revokedOnChain: Boolean(transactionHash), transactionHash };
}
