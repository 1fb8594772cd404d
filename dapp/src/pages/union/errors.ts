// Data union failures in words: the union's own errors (DataUnion / IDataUnionErrors, decoded by
// the SDK's decodeMarketError) and the eligibility errors `join` and `approveJoin` revert with,
// on top of the seller pages' words (Catalogue, Policies, StreamRegistry reasons) and the app's
// (rejected signatures, network, token errors).
import { Category, countryCode, decodeMarketError, MemberStatus, TransactionRevertedError } from "@kraken/sdk";
import { countryName, data, orgTypeWords, shortAddress } from "../../lib/words.ts";
import { explainError as explainSellerError } from "../seller/errors.ts";
import { memberStatusWords, percent } from "./words.ts";

const who = (a: unknown) => shortAddress(String(a));

const REVERTS: Record<string, (args: readonly unknown[]) => string> = {
  NotAdmin: () => "Only the union's admin can do that: switch to the account that created the union.",
  NotPendingAdmin: () => "Only the account the union is being handed to can accept it.",
  WrongMemberStatus: (a) => {
    const s = Number(a[1]);
    if (s === MemberStatus.Active) return `${who(a[0])} is already a member of this union.`;
    if (s === MemberStatus.Pending) return `${who(a[0])} already asked to join; the admin has not decided yet.`;
    return `${who(a[0])} is not a member now (${memberStatusWords(s).toLowerCase()}), so there is nothing to do.`;
  },
  StillEligible: (a) => `${who(a[0])}'s credential is still valid: remove them with a reason instead.`,
  NoFeeChange: () => "No fee change is scheduled.",
  FeeChangeNotDue: (a) => `The new fee applies only after its 7-day notice, from ${new Date(Number(a[0]) * 1000).toISOString().slice(0, 16).replace("T", " ")}.`,
  AmountAboveWithdrawable: (a) => (BigInt(a[1] as bigint) === 0n ? "There is nothing to withdraw yet." : `You can withdraw at most ${data(a[1] as bigint)}.`),
  FeeTooHigh: (a) => `The admin fee may be at most ${percent(Number(a[1]))}.`,
  InvalidMinMembers: (a) => `The minimum number of members must be 1 to ${a[1]}.`,
  InvalidJoinPolicy: () => "The join policy admits nobody: allow individuals or some kinds of organisation, and at least one country.",
  InvalidWeight: (a) => `A member's weight must be 1 to ${a[1]}.`,
  InvalidStreamPath: () => "The stream path must be / followed by 1–64 letters, digits, - _ . or /.",
  SignatureExpired: () => "The signed withdrawal expired before it was submitted: sign again.",
  InvalidSignature: () => "The withdrawal signature is not the member's.",
  ZeroAddress: () => "An address is missing.",
  // eligibility, as `join` and `approveJoin` check it (args: account or productId, then the fact)
  NotRegistered: () => "No credential is registered for this address: register first.",
  CredentialRevoked: () => "The credential has been revoked, so it cannot join.",
  CredentialExpired: () => "The credential has expired: register again with the issuer.",
  IssuerNotTrusted: () => "The issuer of the credential is no longer trusted: register again with a trusted issuer.",
  CategoryNotAllowed: (a) => `${Number(a[1]) === Category.Individual ? "Individuals" : "Organisations"} may not join this union.`,
  OrganisationTypeNotAllowed: (a) => `This union does not admit ${orgTypeWords(Number(a[1]), true)}.`,
  JurisdictionNotAllowed: (a) => `This union does not admit members registered in ${countryName(countryCode(Number(a[1])))} (${countryCode(Number(a[1]))}).`,
};

/** A union action's failure in one sentence (never throws). */
export function explainUnionError(err: unknown, what = "transaction"): string {
  try {
    if (err instanceof TransactionRevertedError) return `The ${what} reverted on chain (transaction ${err.hash}): the union changed in between. Reload and try again.`;
    const { name, args } = decodeMarketError(err);
    if (name && REVERTS[name]) return `${REVERTS[name](args)} (${name})`;
    return explainSellerError(err);
  } catch {
    return err instanceof Error ? err.message : String(err);
  }
}
