// Credentials events → Credential (facts policies check; no personal data exists on chain),
// Issuer trust. A re-admission leaves the credential revoked (as the contract's statusOf does)
// and only records that the subject may register again; the registration then resets it.
import { BigInt, Bytes } from "@graphprotocol/graph-ts";
import {
  CredentialRegistered,
  CredentialRevoked,
  EncryptionKeyRotated,
  IssuerTrusted,
  IssuerUntrusted,
  SubjectReadmitted,
} from "../generated/Credentials/Credentials";
import { Credential, Issuer } from "../generated/schema";
import { CATEGORIES, COUNTRIES, getAccount, nameOf, ORGANISATION_TYPES } from "./shared";

function setTrusted(issuer: Bytes, trusted: boolean, timestamp: BigInt): void {
  let i = Issuer.load(issuer);
  if (i == null) i = new Issuer(issuer);
  i.trusted = trusted;
  i.updatedAt = timestamp;
  i.save();
}

export function handleIssuerTrusted(event: IssuerTrusted): void {
  setTrusted(event.params.issuer, true, event.block.timestamp);
}

export function handleIssuerUntrusted(event: IssuerUntrusted): void {
  setTrusted(event.params.issuer, false, event.block.timestamp);
}

export function handleCredentialRegistered(event: CredentialRegistered): void {
  const p = event.params;
  const account = getAccount(p.subject);
  let c = Credential.load(p.subject);
  if (c == null) c = new Credential(p.subject);
  c.subject = account.id;
  c.issuer = p.issuer;
  c.category = nameOf(CATEGORIES, p.category);
  c.organisationType = nameOf(ORGANISATION_TYPES, p.organisationType);
  c.country = nameOf(COUNTRIES, p.country);
  c.credentialHash = p.credentialHash;
  c.encryptionKey = p.encryptionKey;
  c.issuedAt = p.issuedAt;
  c.expiresAt = p.expiresAt;
  c.revoked = false;
  c.registeredAt = event.block.timestamp;
  c.readmittedAt = null;
  c.readmittedBy = null;
  c.save();
  account.credential = c.id;
  account.save();
}

export function handleCredentialRevoked(event: CredentialRevoked): void {
  const c = Credential.load(event.params.subject);
  if (c == null) return;
  c.revoked = true;
  c.save();
}

export function handleSubjectReadmitted(event: SubjectReadmitted): void {
  const c = Credential.load(event.params.subject);
  if (c == null) return;
  c.readmittedAt = event.block.timestamp;
  c.readmittedBy = event.params.by;
  c.save();
}

export function handleEncryptionKeyRotated(event: EncryptionKeyRotated): void {
  const c = Credential.load(event.params.subject);
  if (c == null) return;
  c.encryptionKey = event.params.encryptionKey;
  c.save();
}
