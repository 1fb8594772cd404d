// Chain reads and error handling shared by search, product, buy and agreements: eligibility
// verdicts with their reason in words, and contract reverts decoded into messages that say
// what to do. The Agreements contract is the authority; these only explain its answers.
import type { Address, PublicClient } from "viem";
import {
  agreementsAbi,
  catalogueAbi,
  credentialsAbi,
  decodeMarketError,
  policiesAbi,
  TransactionRevertedError,
  Verdict,
  VerdictNames,
  type Deployment,
  type OnProgress,
} from "@kraken/sdk";
import { fromMask } from "@kraken/sdk";
import { CliError, EXIT } from "./errors.ts";
import { countryCode, data, date, orgTypeWords, purposeWords, unitWords } from "./format.ts";
import type { Output } from "./main.ts";


export type Reader = Pick<PublicClient, "readContract">;

export interface Eligibility {
  purpose: string;
  eligible: boolean;
  verdict: (typeof VerdictNames)[number];
  reason: string;
}

/** Reads the product id argument ("7", "#7"). */
export function parseProductId(value: string | undefined): bigint {
  const v = value?.replace(/^#/, "");
  if (!v || !/^\d+$/.test(v) || BigInt(v) === 0n) throw new CliError(EXIT.usage, `a product id is required (a number, as \`kraken search\` shows it)${value ? `, not "${value}"` : ""}`);
  return BigInt(v);
}

/** Why `consumer` may not request `productId` for `purpose`, in words. */
export async function verdictReason(client: Reader, d: Deployment, verdict: number, productId: bigint, consumer: Address, purpose: number): Promise<string> {
  const credential = async () =>
    client.readContract({ address: d.contracts.Credentials.address, abi: credentialsAbi, functionName: "statusOf", args: [consumer] });
  const allowedPurposes = async () => {
    const p = await client.readContract({ address: d.contracts.Policies.address, abi: policiesAbi, functionName: "policyOf", args: [productId] });
    return fromMask(p.purposes).map(purposeWords).join(", ");
  };
  switch (verdict) {
    case Verdict.Eligible: return "eligible";
    case Verdict.ProductNotFound: return `product ${productId} does not exist (see \`kraken search\`)`;
    case Verdict.ProductInactive: return `product ${productId} has been deactivated by its seller`;
    case Verdict.OwnProduct: return "this is your own product";
    case Verdict.NoPolicy: return "the seller has not set a consent policy yet, so nobody can buy it";
    case Verdict.NotRegistered: return `your address ${consumer} has no credential: register first (\`kraken register\`)`;
    case Verdict.CredentialExpired: return "your credential has expired: register again with the issuer (`kraken register`)";
    case Verdict.CredentialRevoked: return "your credential has been revoked by its issuer or the consortium";
    case Verdict.IssuerNotTrusted: return "the issuer of your credential is no longer trusted: register again with a trusted issuer (`kraken register`)";
    case Verdict.CategoryNotAllowed: {
      const [, category] = await credential();
      return `${category === 0 ? "individuals are" : "organisations are"} not allowed by this policy`;
    }
    case Verdict.OrganisationTypeNotAllowed: {
      const [, , organisationType] = await credential();
      return `organisation type ${orgTypeWords(organisationType)} is not allowed by this policy`;
    }
    case Verdict.JurisdictionNotAllowed: {
      const [, , , country] = await credential();
      return `buyers registered in ${countryCode(country)} are not allowed by this policy`;
    }
    case Verdict.PurposeNotAllowed:
      return `purpose ${purposeWords(purpose)} is not allowed by this policy (it allows ${await allowedPurposes()})`;
    case Verdict.ConsentRetracted: return "the seller has retracted consent for your address on this product";
    default: return `verdict ${verdict}`;
  }
}

export async function eligibility(client: Reader, d: Deployment, productId: bigint, consumer: Address, purpose: number): Promise<Eligibility> {
  const verdict = await client.readContract({ address: d.contracts.Agreements.address, abi: agreementsAbi, functionName: "eligibility", args: [productId, consumer, purpose] });
  return {
    purpose: purposeWords(purpose),
    eligible: verdict === Verdict.Eligible,
    verdict: VerdictNames[verdict],
    reason: await verdictReason(client, d, verdict, productId, consumer, purpose),
  };
}

/** An SDK action's progress as the CLI's lines: "approving …", "signing …", "TX: submitted HASH", "TX: mined in block N". */
export function progressLines(out: Output, approving = (amount: bigint) => `approving the Agreements contract to take ${data(amount)}`): OnProgress {
  return (step, d) => {
    if (step === "approve") out.progress(`  ${approving(d.amount!)}`);
    else if (step === "sign") out.progress(`  signing an EIP-2612 permit for ${data(d.amount!)} (valid until ${date(d.deadline!)})`);
    else if (step === "submit") out.progress(`  ${d.tx}: submitted ${d.hash}`);
    else if (step === "mined") out.progress(`  ${d.tx}: mined in block ${d.blockNumber}`);
  };
}

/** Turns a failed contract call into a CliError whose message says what went wrong and what
 * to do; errors that are not reverts (network) become chain errors. */
export async function explainRevert(err: unknown, ctx: { client: Reader; deployment: Deployment; productId: bigint; consumer: Address; purpose: number }): Promise<CliError> {
  if (err instanceof CliError) return err;
  if (err instanceof TransactionRevertedError) return new CliError(EXIT.chain, err.message, "reverted");
  const { kind, name, args, verdict, detail } = decodeMarketError(err);
  if (kind === "network") return new CliError(EXIT.chain, `cannot reach the chain (${detail}); is \`npm start\` running? or pass --rpc <url>`);
  if (!name) {
    return kind === "reverted"
      ? new CliError(EXIT.chain, `the transaction reverted without a known reason (${detail})`, "reverted")
      : new CliError(EXIT.chain, `the chain refused the transaction: ${detail}`);
  }
  if (verdict !== undefined) {
    const reason = await verdictReason(ctx.client, ctx.deployment, verdict, ctx.productId, ctx.consumer, ctx.purpose);
    return new CliError(kind === "not-found" ? EXIT.notFound : EXIT.notEligible, `not eligible: ${reason}`, name);
  }
  switch (name) {
    case "PriceAboveMax":
      return new CliError(EXIT.payment, `the price is ${data(args[0] as bigint)}, above your maximum of ${data(args[1] as bigint)} (the seller may have changed it): check with \`kraken product ${ctx.productId}\` and raise --max-price`, name);
    case "PricingUnitChanged":
      return new CliError(EXIT.conflict, `the seller changed how the product is sold (per ${unitWords(Number(args[2]))} instead of per ${unitWords(Number(args[1]))}) just before your transaction; nothing was charged: check with \`kraken product ${ctx.productId}\` and buy again`, name);
    case "PolicyVersionChanged":
      return new CliError(EXIT.conflict, `the seller changed the consent policy (version ${args[2]}, you agreed to version ${args[1]}) just before your transaction; nothing was charged: read it with \`kraken product ${ctx.productId}\` and buy again`, name);
    case "StreamGrantWithdrawn":
      return new CliError(EXIT.notEligible, `the stream's owner no longer lets the seller grant access to ${args[1]}; the product cannot be sold until that is fixed`, name);
    case "AlreadyHasAccess":
      return new CliError(EXIT.conflict, `you already have access to product ${ctx.productId} (agreement ${args[0]}); see \`kraken agreements\` (subscriptions are extended with renew)`, name);
    case "RequestPending":
      return new CliError(EXIT.conflict, `you already have a request pending the seller's approval for product ${ctx.productId} (agreement ${args[0]}); wait for the seller's decision`, name);
    case "InvalidPeriods":
      return new CliError(EXIT.usage, `invalid --periods ${args[0]}: one-time products take 1, subscriptions at least 1`, name);
    case "PeriodsAboveMax":
      return new CliError(EXIT.usage, `--periods ${args[0]} buys more than 366 days of access: at most ${args[1]} periods of this product per purchase or renewal (renew later for more)`, name);
    case "RenewalNeedsApproval":
      return new CliError(EXIT.conflict, `the seller now approves every request, so agreement ${args[0]} cannot be renewed directly: once it has ended, buy again with \`kraken buy ${ctx.productId}\` (paid into escrow until the seller approves)`, name);
    case "ERC20InsufficientBalance":
      return new CliError(EXIT.payment, `insufficient DATA balance: you have ${data(args[1] as bigint)}, the purchase needs ${data(args[2] as bigint)}; get DATA to your address first`, name);
    case "ERC20InsufficientAllowance":
      return new CliError(EXIT.payment, `the Agreements contract may spend only ${data(args[1] as bigint)} of your DATA, the purchase needs ${data(args[2] as bigint)}; run buy again (without --permit if the permit was not accepted)`, name);
    case "AgreementNotFound":
      return new CliError(EXIT.notFound, `agreement ${args[0]} does not exist`, name);
    case "SoldPerQuery":
      return new CliError(EXIT.usage, `product ${ctx.productId} is an analytics product, sold one query at a time: \`kraken query ${ctx.productId} --describe\` shows what you may ask`, name);
    case "DatasetChanged":
      return new CliError(EXIT.conflict, `the seller committed a new dataset just before your transaction; nothing was charged: run the query again`, name);
    case "AgentsChanged":
      return new CliError(EXIT.conflict, `the seller changed the product's computation nodes since the dataset was shared; no query can be answered until the seller shares it again`, name);
    case "PrivacyBudgetExhausted":
      return new CliError(EXIT.conflict, `the dataset's privacy budget is spent (ε ${Number(args[1]) / 1000} left, less than a query costs): it answers no more queries`, name);
    case "QueryNeedsApproval":
      return new CliError(EXIT.notEligible, `the seller's policy requires approving each request, which queries do not support: ask the seller`, name);
    case "NoDataset":
      return new CliError(EXIT.notFound, `product ${args[0]} has no dataset yet (its seller has not shared one with the computation nodes)`, name);
    case "JobNotFound":
      return new CliError(EXIT.notFound, `query job ${args[0]} does not exist`, name);
    case "JobNotExpired":
      return new CliError(EXIT.conflict, `query job ${args[0]} is still within its deadline (${new Date(Number(args[1]) * 1000).toISOString()}): the nodes may still answer; refund after it`, name);
    case "JobNotOpen":
      return new CliError(EXIT.conflict, `query job ${args[0]} is closed already (answered, refused or refunded)`, name);
    default:
      return new CliError(EXIT.chain, `the chain refused: ${name}(${args.map(String).join(", ")})`, name);
  }
}

/** The on-chain terms and current policy of a product (no subgraph). */
export async function readTerms(client: Reader, d: Deployment, productId: bigint) {
  const [terms, policy] = await Promise.all([
    client.readContract({ address: d.contracts.Catalogue.address, abi: catalogueAbi, functionName: "termsOf", args: [productId] }),
    client.readContract({ address: d.contracts.Policies.address, abi: policiesAbi, functionName: "policyOf", args: [productId] }),
  ]);
  return { terms, policy };
}
