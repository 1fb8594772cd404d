// kraken agreements: your agreements as buyer and/or seller, from the subgraph; when the
// subgraph cannot answer, read from the chain itself (AgreementCreated events + getAgreement),
// so the answer never depends on the indexer.
import { parseArgs } from "node:util";
import type { Address, PublicClient } from "viem";
import { agreementsAbi, AgreementStatusNames, catalogueAbi, PurposeNames, type Deployment } from "@kraken/sdk";
import { checkChain, COMMON_OPTIONS, connect } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import { data, date, isoDate, purposeWords, shortAddress, table, toGraphEnum, truncate } from "../format.ts";
import type { Command } from "../main.ts";
import { querySubgraph, SubgraphError, SUBGRAPH_OPTION, subgraphUrl } from "../subgraph.ts";

interface Row {
  id: string;
  role: "buyer" | "seller";
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

async function fromSubgraph(url: string, me: string, roles: ("buyer" | "seller")[], now: number): Promise<Row[]> {
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

async function fromChain(client: PublicClient, d: Deployment, me: string, roles: ("buyer" | "seller")[], now: number): Promise<Row[]> {
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

export const agreements: Command = {
  name: "agreements",
  summary: "list your agreements as buyer and/or seller (subgraph, or the chain when it is down)",
  usage: `kraken agreements [--as buyer|seller (default: both)] [--subgraph URL] [--rpc URL] [--deployment FILE] [--key-file FILE] [--json]

  Read from the subgraph; when it is unreachable, from the chain directly (same answer, slower).
  key: PRIVATE_KEY or --key-file (whose agreements)`,
  async run(argv, out) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS, ...SUBGRAPH_OPTION, as: { type: "string" } } });
    if (positionals.length) throw new CliError(EXIT.usage, `unexpected argument "${positionals[0]}"`);
    if (values.as !== undefined && values.as !== "buyer" && values.as !== "seller") throw new CliError(EXIT.usage, "--as must be buyer or seller");
    const roles: ("buyer" | "seller")[] = values.as ? [values.as as "buyer" | "seller"] : ["buyer", "seller"];
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
