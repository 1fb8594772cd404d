// kraken buy <product> --purpose P: checks eligibility on chain (refusing with the reason),
// shows the price, then pays: approve + requestAccess, or one requestAccessWithPermit with an
// EIP-2612 signature (--permit). The request pins the pricing unit and policy version shown. Reverts are decoded into messages that say what to do.
import { parseArgs } from "node:util";
import { AgreementStatus, agreementsAbi, BalanceTooLowError, MissingEventError, PricingUnit, PurposeNames, requestAccess } from "@kraken/sdk";
import { checkChain, COMMON_OPTIONS, connect } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import { data, date, isoDate, parseCount, parseData, parseEnum, priceWords, purposeWords, toFlag, unitWords } from "../format.ts";
import { eligibility, explainRevert, parseProductId, progressLines, readTerms } from "../market.ts";
import type { Command } from "../main.ts";

export const buy: Command = {
  name: "buy",
  summary: "buy access to a product for a purpose (checks eligibility, pays in DATA)",
  usage: `kraken buy PRODUCT --purpose P [--periods N (1)] [--max-price DATA] [--permit] [--rpc URL] [--deployment FILE] [--key-file FILE] [--json]

  --purpose    what you will use the data for: ${PurposeNames.map(toFlag).join(", ")}
  --periods    subscriptions (streams, data unions): how many hours/days/weeks/months; one-time products: 1
  --max-price  the most you pay in total (default: price × periods as shown now)
  --permit     one transaction: sign an EIP-2612 permit instead of a separate approve transaction
  key: PRIVATE_KEY or --key-file`,
  async run(argv, out) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...COMMON_OPTIONS, purpose: { type: "string" }, periods: { type: "string" }, "max-price": { type: "string" }, permit: { type: "boolean", default: false } },
    });
    if (positionals.length > 1) throw new CliError(EXIT.usage, "give one product id");
    const productId = parseProductId(positionals[0]);
    const purpose = parseEnum(PurposeNames, values.purpose, "--purpose");
    const periods = parseCount(values.periods, "--periods", 1, 1, 10_000);
    const maxPrice = values["max-price"] === undefined ? undefined : parseData(values["max-price"], "--max-price");

    const { deployment, rpcUrl, account, wallet, publicClient } = connect(values);
    await checkChain(publicClient, rpcUrl, deployment);
    const me = account.address;
    const agreements = deployment.contracts.Agreements.address;
    const token = deployment.contracts.DataToken.address;
    const ctx = { client: publicClient, deployment, productId, consumer: me, purpose };

    // 1. May I? (the same rules the transaction applies)
    const verdict = await eligibility(publicClient, deployment, productId, me, purpose);
    if (!verdict.eligible) {
      throw new CliError(verdict.verdict === "ProductNotFound" ? EXIT.notFound : EXIT.notEligible, `not eligible: ${verdict.reason}`, verdict.verdict);
    }
    const { terms, policy } = await readTerms(publicClient, deployment, productId);
    const [latestId, active] = await publicClient.readContract({ address: agreements, abi: agreementsAbi, functionName: "accessOf", args: [productId, me] });
    if (latestId !== 0n) {
      const latest = await publicClient.readContract({ address: agreements, abi: agreementsAbi, functionName: "getAgreement", args: [latestId] });
      if (latest.status === AgreementStatus.Pending) {
        throw new CliError(EXIT.conflict, `you already have a request pending the seller's approval for product ${productId} (agreement ${latestId}); wait for the seller's decision (\`kraken agreements\`)`, "RequestPending");
      }
      if (active) {
        throw new CliError(EXIT.conflict, `you already have access to product ${productId} (agreement ${latestId}${latest.endsAt ? `, until ${date(latest.endsAt)}` : ""}); see \`kraken agreements\``, "AlreadyHasAccess");
      }
    }

    // 2. What does it cost?
    const oneTime = terms.pricingUnit === PricingUnit.OneTime;
    if (oneTime && periods !== 1) throw new CliError(EXIT.usage, `product ${productId} is sold once (${priceWords(terms.price, terms.pricingUnit)}): --periods must be 1`);
    const total = terms.price * BigInt(periods);
    const maxTotal = maxPrice ?? total;
    const priceLine = terms.price === 0n ? "free" : oneTime ? data(total) : `${priceWords(terms.price, terms.pricingUnit)} × ${periods} = ${data(total)}`;
    out.progress(`product ${productId} for ${purposeWords(purpose)}: ${priceLine}${policy.requiresApproval ? " (held in escrow until the seller approves)" : ""}`);
    if (total > maxTotal) {
      throw new CliError(EXIT.payment, `the price is ${data(total)}, above your --max-price of ${data(maxTotal)}`, "PriceAboveMax");
    }

    // 3. Pay and request (the SDK's requestAccess: balance, approve or permit, simulate, send).
    let created;
    try {
      created = await requestAccess({
        publicClient, wallet, account, contracts: { agreements, token }, productId, purpose, periods,
        offer: { price: terms.price, pricingUnit: terms.pricingUnit, policyVersion: policy.version },
        maxTotalPrice: maxTotal,
        method: values.permit ? "permit" : "approve",
        onProgress: progressLines(out),
      });
    } catch (err) {
      if (err instanceof BalanceTooLowError) {
        throw new CliError(EXIT.payment, `insufficient DATA balance: you have ${data(err.balance)}, the purchase needs ${data(err.needed)}; get DATA to ${me} first${periods > 1 ? " or buy fewer --periods" : ""}`, "ERC20InsufficientBalance");
      }
      if (err instanceof MissingEventError) throw new CliError(EXIT.chain, `transaction ${err.hash} was mined but created no agreement`);
      throw await explainRevert(err, ctx);
    }
    const receipt = created.receipt;
    const a = created;
    const status = a.status === AgreementStatus.Active ? "ACTIVE" : "PENDING";
    const result = {
      agreementId: a.agreementId.toString(),
      productId: productId.toString(),
      consumer: me,
      seller: a.seller,
      purpose: PurposeNames[purpose],
      periods,
      pricingUnit: unitWords(terms.pricingUnit),
      amountPaid: a.amount.toString(),
      amountPaidDATA: data(a.amount),
      status,
      startsAt: isoDate(a.startsAt),
      endsAt: isoDate(a.endsAt),
      policyVersion: a.policyVersion,
      transactionHash: receipt.transactionHash,
      blockNumber: Number(receipt.blockNumber),
      permit: values.permit ?? false,
    };
    out.result(result, (r) =>
      [
        `Agreement ${r.agreementId} on product ${r.productId} for ${purposeWords(purpose)}: ${r.status === "ACTIVE" ? "ACTIVE" : "PENDING approval by the seller"}.`,
        `  paid           ${terms.price === 0n ? "nothing (free)" : `${r.amountPaidDATA}${r.status === "PENDING" ? " (in escrow; refunded if the seller rejects or you cancel)" : ""}`}`,
        ...(r.status === "ACTIVE" ? [`  access         from ${date(a.startsAt)}${a.endsAt ? ` until ${date(a.endsAt)}` : ", no end (one-time purchase)"}`] : []),
        `  policy         version ${r.policyVersion} (keep to its purposes and retention)`,
        `  transaction    ${r.transactionHash} (block ${r.blockNumber})`,
      ].join("\n"),
    );
  },
};
