// kraken agreements: your agreements as consumer (`--as buyer`) and/or seller, from the subgraph; when the
// subgraph cannot answer, read from the chain itself (AgreementCreated events + getAgreement),
// so the answer never depends on the indexer.
// kraken agreements terminate AGREEMENT: the seller ends a running agreement early and refunds
// the unused part from their own DATA (Agreements.terminate), approving the refund first when
// the allowance to the Agreements contract is short.
import { parseArgs } from "node:util";
import { BaseError, ContractFunctionRevertedError, type Address, type PublicClient } from "viem";
import { AgreementStatus, agreementsAbi, AgreementStatusNames, BalanceTooLowError, catalogueAbi, estimateRefund, MissingEventError, PurposeNames, terminate as terminateAgreement, type Deployment } from "@kraken/sdk";
import { checkChain, COMMON_OPTIONS, connect } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import { data, date, isoDate, purposeWords, shortAddress, table, toGraphEnum, truncate } from "../format.ts";
import { explainRevert, progressLines } from "../market.ts";
import type { Command, Output } from "../main.ts";
import { querySubgraph, SubgraphError, SUBGRAPH_OPTION, subgraphUrl } from "../subgraph.ts";

/** The roles as `--as` and the JSON `role` name them for people: "buyer" is the on-chain consumer. */
type Role = "buyer" | "seller";

interface Row {
  id: string;
  role: Role;
  productId: string;
  productTitle: string | null;
  consumer: string;
  seller: string;
  counterparty: string;
  purpose: string;
  status: string; // PENDING ACTIVE REJECTED CANCELLED TERMINATED, as the subgraph spells them
  expired: boolean;
  accessNow: boolean;
  amountPaid: string;
  amountPaidDATA: string;
  startsAt: string | null;
  endsAt: string | null;
  startsAtUnix: number;
  endsAtUnix: number;
}

interface GraphAgreement {
  id: string;
  product: { id: string; title: string };
  consumer: { id: string };
  seller: { id: string };
  purpose: string;
  status: string;
  amountPaid: string;
  startsAt: string;
  endsAt: string;
}

const LIMIT = 1000;

function row(me: string, a: Omit<Row, "role" | "counterparty" | "expired" | "accessNow" | "amountPaidDATA" | "startsAt" | "endsAt">, now: number): Row[] {
  const expired = a.status === "ACTIVE" && a.endsAtUnix !== 0 && a.endsAtUnix <= now;
  const base = { ...a, expired, accessNow: a.status === "ACTIVE" && !expired, amountPaidDATA: data(a.amountPaid), startsAt: isoDate(a.startsAtUnix), endsAt: isoDate(a.endsAtUnix) };
  const out: Row[] = [];
  if (a.consumer === me) out.push({ ...base, role: "buyer", counterparty: a.seller });
  if (a.seller === me) out.push({ ...base, role: "seller", counterparty: a.consumer });
  return out;
}

async function fromSubgraph(url: string, me: string, roles: Role[], now: number): Promise<Row[]> {
  const fields = "id product { id title } consumer { id } seller { id } purpose status amountPaid startsAt endsAt";
  const q = `{ ${roles.map((r) => `${r}: agreements(where: { ${r === "buyer" ? "consumer" : "seller"}: "${me}" }, orderBy: agreementId, orderDirection: desc, first: ${LIMIT}) { ${fields} }`).join(" ")} }`;
  const res = await querySubgraph<Record<string, GraphAgreement[]>>(url, q);
  const seen = new Set<string>();
  const rows: Row[] = [];
  for (const r of roles) {
    for (const a of res[r] ?? []) {
      if (seen.has(a.id)) continue;
      seen.add(a.id);
      rows.push(...row(me, {
        id: a.id, productId: a.product.id, productTitle: a.product.title, consumer: a.consumer.id, seller: a.seller.id, purpose: a.purpose, status: a.status,
        amountPaid: a.amountPaid, startsAtUnix: Number(a.startsAt), endsAtUnix: Number(a.endsAt),
      }, now));
    }
  }
  return rows;
}

async function fromChain(client: PublicClient, d: Deployment, me: string, roles: Role[], now: number): Promise<Row[]> {
  const address = d.contracts.Agreements.address;
  const fromBlock = BigInt(d.contracts.Agreements.blockNumber);
  // AgreementCreated indexes the consumer, not the seller: a seller scans them all.
  const created = await client.getContractEvents({
    address, abi: agreementsAbi, eventName: "AgreementCreated", fromBlock, toBlock: "latest",
    ...(roles.includes("seller") ? {} : { args: { consumer: me as Address } }),
  });
  const mine = created.filter((e) => (roles.includes("buyer") && e.args.consumer!.toLowerCase() === me) || (roles.includes("seller") && e.args.seller!.toLowerCase() === me));
  const current = await Promise.all(mine.map((e) => client.readContract({ address, abi: agreementsAbi, functionName: "getAgreement", args: [e.args.agreementId!] })));
  const productIds = [...new Set(mine.map((e) => e.args.productId!))];
  const titles = new Map<bigint, string>();
  if (productIds.length) {
    for (const eventName of ["ProductPublished", "ProductDescriptionUpdated"] as const) {
      const logs = await client.getContractEvents({ address: d.contracts.Catalogue.address, abi: catalogueAbi, eventName, args: { productId: productIds }, fromBlock: BigInt(d.contracts.Catalogue.blockNumber), toBlock: "latest" });
      for (const l of logs) titles.set(l.args.productId!, l.args.title!);
    }
  }
  return mine
    .map((e, i) => {
      const a = current[i];
      return row(me, {
        id: e.args.agreementId!.toString(), productId: e.args.productId!.toString(), productTitle: titles.get(e.args.productId!) ?? null,
        consumer: a.consumer.toLowerCase(), seller: e.args.seller!.toLowerCase(), purpose: toGraphEnum(PurposeNames[a.purpose]),
        status: AgreementStatusNames[a.status].toUpperCase(), amountPaid: a.amount.toString(), startsAtUnix: a.startsAt, endsAtUnix: a.endsAt,
      }, now);
    })
    .flat()
    .sort((x, y) => Number(BigInt(y.id) - BigInt(x.id)));
}

/** Reads the agreement id argument ("12", "#12"). */
function parseAgreementId(value: string | undefined): bigint {
  const v = value?.replace(/^#/, "");
  if (!v || !/^\d+$/.test(v) || BigInt(v) === 0n) throw new CliError(EXIT.usage, `an agreement id is required (a number, as \`kraken agreements\` shows it)${value ? `, not "${value}"` : ""}`);
  return BigInt(v);
}

const revertOf = (err: unknown) => (err instanceof BaseError ? (err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null) : null);

/** `kraken agreements terminate AGREEMENT` (seller only). */
async function terminate(argv: string[], out: Output): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS } });
  if (positionals.length > 1) throw new CliError(EXIT.usage, "give one agreement id");
  const agreementId = parseAgreementId(positionals[0]);
  const { deployment, rpcUrl, account, wallet, publicClient } = connect(values);
  await checkChain(publicClient, rpcUrl, deployment);
  const me = account.address;
  const address = deployment.contracts.Agreements.address;
  const token = deployment.contracts.DataToken.address;

  // 1. Is it mine to terminate, and running? (the same checks the contract makes)
  let a;
  try {
    a = await publicClient.readContract({ address, abi: agreementsAbi, functionName: "getAgreement", args: [agreementId] });
  } catch (err) {
    if (revertOf(err)?.data?.errorName === "AgreementNotFound") throw new CliError(EXIT.notFound, `agreement ${agreementId} does not exist`, "AgreementNotFound");
    throw await explainRevert(err, { client: publicClient, deployment, productId: 0n, consumer: me, purpose: 0 });
  }
  const productId = BigInt(a.productId);
  const terms = await publicClient.readContract({ address: deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "termsOf", args: [productId] });
  if (terms.seller.toLowerCase() !== me.toLowerCase()) {
    throw new CliError(EXIT.notFound, `agreement ${agreementId} is on product ${productId}, sold by ${terms.seller}, not by ${me}: only its seller can terminate it`, "NotSeller");
  }
  const now = (await publicClient.getBlock()).timestamp; // the contracts' clock
  const ended = a.endsAt !== 0 && BigInt(a.endsAt) <= now;
  if (a.status !== AgreementStatus.Active || ended) {
    const why = a.status === AgreementStatus.Pending ? "it is pending your approval: reject it instead (the escrow goes back to the buyer)"
      : ended ? `it ended on ${date(a.endsAt)}`
      : `it is ${AgreementStatusNames[a.status]?.toLowerCase() ?? a.status}`;
    throw new CliError(EXIT.conflict, `agreement ${agreementId} is not running (${why}); there is nothing to terminate`, "NotActive");
  }
  const estimate = estimateRefund({ amount: a.amount, startsAt: a.startsAt, endsAt: a.endsAt, delivered: a.delivered }, now);
  out.progress(`agreement ${agreementId} on product ${productId} (buyer ${a.consumer}, paid ${data(a.amount)}${a.endsAt ? `, until ${date(a.endsAt)}` : a.delivered ? ", one-time, delivered" : ", one-time, not delivered yet"}): refund about ${data(estimate)}`);

  // 2. Approve the refund when the allowance is short, then terminate (the SDK's terminate: the
  // simulation names the exact refund a short allowance needs; it only shrinks until mined).
  let done;
  try {
    done = await terminateAgreement({
      publicClient, wallet, account, contracts: { agreements: address, token }, agreementId,
      onProgress: progressLines(out, (amount) => `approving the Agreements contract to take the refund of ${data(amount)}`),
    });
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof BalanceTooLowError) {
      throw new CliError(EXIT.payment, `insufficient DATA balance for the refund: you have ${data(err.balance)}, the refund is ${data(err.needed)}; get DATA to ${me} first`, "ERC20InsufficientBalance");
    }
    if (err instanceof MissingEventError) throw new CliError(EXIT.chain, `transaction ${err.hash} was mined but terminated no agreement`);
    const name = revertOf(err)?.data?.errorName;
    const args = (revertOf(err)?.data?.args ?? []) as readonly unknown[];
    if (name === "NotActive") throw new CliError(EXIT.conflict, `agreement ${agreementId} is no longer running (it ended or was terminated just now); there is nothing to terminate`, name);
    if (name === "NotSeller") throw new CliError(EXIT.notFound, `only the seller of product ${productId} can terminate agreement ${agreementId}`, name);
    if (name === "ERC20InsufficientBalance") throw new CliError(EXIT.payment, `insufficient DATA balance for the refund: you have ${data(args[1] as bigint)}, the refund is ${data(args[2] as bigint)}; get DATA to ${me} first`, name);
    if (name === "ERC20InsufficientAllowance") throw new CliError(EXIT.payment, `the Agreements contract may take only ${data(args[1] as bigint)} of your DATA, the refund is ${data(args[2] as bigint)} (the buyer may have renewed in between); run terminate again`, name);
    throw await explainRevert(err, { client: publicClient, deployment, productId, consumer: me, purpose: 0 });
  }
  const { refunded, approved, receipt } = done;
  const result = {
    agreementId: agreementId.toString(),
    productId: productId.toString(),
    consumer: a.consumer,
    seller: me,
    status: "TERMINATED",
    refunded: refunded.toString(),
    refundedDATA: data(refunded),
    approved: approved === null ? null : approved.toString(),
    transactionHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
  };
  out.result(result, (r) =>
    [
      `Agreement ${r.agreementId} on product ${r.productId} terminated: the buyer's access ended now.`,
      `  refunded       ${refunded === 0n ? "nothing (a one-time product already delivered)" : `${r.refundedDATA} to ${r.consumer}`}`,
      ...(approved !== null ? [`  approved       ${data(approved)} for the refund first`] : []),
      `  transaction    ${r.transactionHash} (block ${r.blockNumber})`,
    ].join("\n"),
  );
}

export const agreements: Command = {
  name: "agreements",
  summary: "list your agreements as buyer and/or seller (subgraph, or the chain when it is down); terminate one as its seller",
  usage: `kraken agreements [--as buyer|seller (default: both)] [--subgraph URL] [--rpc URL] [--deployment FILE] [--key-file FILE] [--json]
kraken agreements terminate AGREEMENT [--rpc URL] [--deployment FILE] [--key-file FILE] [--json]

  Read from the subgraph; when it is unreachable, from the chain directly (same answer, slower).
  terminate (sellers): ends a running agreement now and refunds the buyer from your DATA: for
    subscriptions the paid time left, pro rata; for one-time products everything while nothing
    was delivered, nothing after. Approves the refund first when your allowance is short.
  key: PRIVATE_KEY or --key-file (whose agreements)`,
  async run(argv, out) {
    if (argv[0] === "terminate") return terminate(argv.slice(1), out);
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS, ...SUBGRAPH_OPTION, as: { type: "string" } } });
    if (positionals.length) throw new CliError(EXIT.usage, `unexpected argument "${positionals[0]}"`);
    if (values.as !== undefined && values.as !== "buyer" && values.as !== "seller") throw new CliError(EXIT.usage, "--as must be buyer or seller");
    const roles: Role[] = values.as ? [values.as as Role] : ["buyer", "seller"];
    const { deployment, rpcUrl, account, publicClient } = connect(values);
    const me = account.address.toLowerCase();

    let now = Math.floor(Date.now() / 1000);
    let chainUp = true;
    try {
      now = Number((await publicClient.getBlock()).timestamp); // expiry as the contracts see it
    } catch {
      chainUp = false;
    }

    let rows: Row[];
    let source: "subgraph" | "chain" = "subgraph";
    let note: string | undefined;
    const url = subgraphUrl(values);
    try {
      rows = await fromSubgraph(url, me, roles, now);
    } catch (err) {
      if (!(err instanceof SubgraphError)) throw err;
      source = "chain";
      note = `${err.message.replace(/; is `npm start`.*$/, "")}; read from the chain instead`;
      out.progress(`warning: ${note}`);
      if (!chainUp) await checkChain(publicClient, rpcUrl, deployment); // throws the chain's error
      try {
        rows = await fromChain(publicClient, deployment, me, roles, now);
      } catch (e) {
        throw new CliError(EXIT.chain, `cannot read agreements from the chain at ${rpcUrl}: ${(e as Error).message.split("\n")[0]}`);
      }
    }

    const result = { address: account.address, roles, source, ...(note && { note }), count: rows.length, agreements: rows };
    out.result(result, (r) => {
      if (!r.agreements.length) return `No agreements ${values.as ? `as ${values.as}` : "as buyer or seller"} for ${r.address}. Find products with \`kraken search\`, buy with \`kraken buy\`.`;
      const status = (a: Row) => (a.expired ? "EXPIRED" : a.status);
      const rowsOut = r.agreements.map((a) => [
        a.id,
        a.role,
        `#${a.productId} ${truncate(a.productTitle ?? "", 32)}`.trim(),
        shortAddress(a.counterparty),
        purposeWords(a.purpose),
        status(a),
        data(a.amountPaid),
        date(a.startsAtUnix),
        a.endsAtUnix ? `${date(a.endsAtUnix)}${a.expired ? " (expired)" : ""}` : a.status === "ACTIVE" ? "never" : "—",
      ]);
      return [`Agreements of ${r.address} (from the ${r.source}${r.source === "chain" ? "; the subgraph was unreachable" : ""}):`, table(["id", "as", "product", "counterparty", "purpose", "status", "paid", "starts", "ends"], rowsOut)].join("\n");
    });
  },
};
