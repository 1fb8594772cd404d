// kraken union create|show|join|leave|withdraw|members: data unions (DataUnion contracts made by
// DataUnionFactory). Individuals join with their registered credential (checked on chain against
// the union's join policy), publish into the union's stream, and share its revenue; the admin
// creates and markets it. Thin over the SDK's union actions and reads; this file words them.
import { parseArgs } from "node:util";
import { getAddress, isAddress, type Address } from "viem";
import {
  catalogueAbi, CategoryNames, Category, countryCode, dataUnionFactoryAbi, createUnion, decodeMarketError, DEFAULT_MIN_MEMBERS, encodeMetadata, fromMask, joinUnion,
  MAX_FEE_BPS, MemberStatus, MemberStatusNames, ModalityNames, OrganisationTypeNames, partUnion, PricingUnitNames, readMember,
  readUnion, TARGET_COUNTRIES, TransactionRevertedError, UNION_MEMBER_FIELDS, Verdict, VerdictNames, withdrawEarnings,
  countryFromCode, linkUrl, memberEarnings, Modality as ModalityEnum, streamFilterOf, UNION_FIELDS, type GraphUnion, type GraphUnionMember, type Modality, type OrganisationType,
  type PricingUnit, type UnionState,
} from "@kraken/sdk";
import { ipfsAdd } from "@kraken/sdk/delivery/node";
import { createStreamFilter, publisherPseudonymKey, type StreamFilter } from "@kraken/sdk/anonymise";
import { checkChain, COMMON_OPTIONS, connect, connectReadOnly, loadKey, type CommonValues } from "../context.ts";
import { ipfsApiUrl, ipfsGatewayUrl, loadPolicyFile, streamrClient, toCliError } from "../delivery.ts";
import { CliError, EXIT } from "../errors.ts";
import { data, date, orgTypeWords, parseCount, parseData, parseEnum, priceWords, shortAddress, table, toFlag } from "../format.ts";
import { progressLines } from "../market.ts";
import type { Command, Output } from "../main.ts";
import { querySubgraph, SUBGRAPH_OPTION, subgraphUrl } from "../subgraph.ts";

const SUBCOMMANDS = "create | show | join | publish | leave | withdraw | members";

const usage = `kraken union ${SUBCOMMANDS} [options]

kraken union create --title T --policy FILE [--price DATA (0)] [--unit hour|day|week|month (month)] [--fee PERCENT (10)]
                    [--min-members N (${DEFAULT_MIN_MEMBERS})] [--join-countries IT,ES,PT|target (target)] [--join-organisations hospital,…]
                    [--no-individuals] [--approve-joins] [--stream-path /data] [--summary S] [--category C] [--tags a,b] [--modality M]
    create a union you administer: its stream, its product (sold by the union, paid to the union) and the
    consumers' consent policy (--policy, a JSON file as for \`kraken publish\`); on sale once --min-members joined
kraken union show UNION            the union: fee (and any scheduled change), members, revenue, who may join, whether you may
kraken union join UNION            join with your registered credential (or ask to, when the admin approves joins)
kraken union publish UNION [--file F.jsonl] [--linger S (10)]   as a member: publish data points (one JSON object per
                                   line, from F or stdin) into the union's stream, then stay S seconds to hand buyers
                                   the key (Streamr encrypts end to end; Streamr endpoints: KRAKEN_STREAMR_*); the union
                                   product's stream filter (anonymised products) is applied to every point first
                                   (metadata through --gateway URL / KRAKEN_IPFS_GATEWAY_URL)
kraken union leave UNION           part: no share of later revenue, no more publishing; your earnings stay yours
kraken union withdraw UNION [--amount DATA] [--to ADDRESS]   withdraw your earnings (default: all, to yourself)
kraken union members UNION [--subgraph URL]   members, weights, earnings (from the subgraph)

  UNION is the union's address (\`kraken union show\` of a product id of a data union also works)
  key: PRIVATE_KEY or --key-file (create, join, leave, withdraw; show uses it to say whether you may join)`;

/** Exit codes of union refusals, by the decoded error's kind. */
const EXIT_OF: Record<string, number> = {
  "not-eligible": EXIT.notEligible, conflict: EXIT.conflict, "not-allowed": EXIT.refused, "invalid-input": EXIT.usage,
  "insufficient-funds": EXIT.payment, "not-found": EXIT.notFound, rejected: EXIT.refused,
};

/** What a union's refusal means, in words. */
function explainUnionError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof TransactionRevertedError) return new CliError(EXIT.chain, err.message, "reverted");
  const { kind, name, args, detail } = decodeMarketError(err);
  if (kind === "network") return new CliError(EXIT.chain, `cannot reach the chain (${detail}); is \`npm start\` running? or pass --rpc <url>`);
  const words: Record<string, () => string> = {
    NotRegistered: () => "you have no credential: register first (`kraken register`)",
    CredentialRevoked: () => "your credential has been revoked",
    CredentialExpired: () => "your credential has expired: register again (`kraken register`)",
    IssuerNotTrusted: () => "the issuer of your credential is no longer trusted: register again with a trusted issuer",
    CategoryNotAllowed: () => `${Number(args[1]) === Category.Individual ? "individuals" : "organisations"} may not join this union`,
    OrganisationTypeNotAllowed: () => `${orgTypeWords(Number(args[1]), true)} may not join this union`,
    JurisdictionNotAllowed: () => `this union does not admit members registered in ${countryCode(Number(args[1]))}`,
    WrongMemberStatus: () => `${shortAddress(String(args[0]))} is ${statusWords(Number(args[1]))} of this union: nothing to do`,
    AmountAboveWithdrawable: () => (args[1] === 0n ? "you have no earnings to withdraw" : `you can withdraw at most ${data(args[1] as bigint)}`),
    FeeTooHigh: () => `the admin fee may be at most ${Number(args[1]) / 100} %`,
    InvalidMinMembers: () => `--min-members must be 1–${args[1]}`,
    InvalidJoinPolicy: () => "the join policy admits nobody (give at least one category and country; organisation types only with organisations)",
    InvalidStreamPath: () => "--stream-path must be / followed by 1–64 letters, digits, - _ . or /",
    NotAdmin: () => "only the union's admin may do this",
  };
  const text = name && words[name] ? words[name]() : `the chain refused: ${name ? `${name}(${args.map(String).join(", ")})` : detail}`;
  return new CliError(EXIT_OF[kind] ?? EXIT.chain, text, name ?? kind);
}

const statusWords = (s: number) => ({ [MemberStatus.None]: "not a member", [MemberStatus.Pending]: "waiting for the admin's approval", [MemberStatus.Active]: "a member", [MemberStatus.Parted]: "a former member (parted)", [MemberStatus.Removed]: "a former member (removed)" })[s] ?? `status ${s}`;
const percent = (bps: number) => `${bps / 100} %`;

function parseUnion(value: string | undefined): Address | bigint {
  if (value && isAddress(value)) return getAddress(value);
  const v = value?.replace(/^#/, "");
  if (v && /^\d+$/.test(v) && BigInt(v) > 0n) return BigInt(v);
  throw new CliError(EXIT.usage, `give the union's address (or its product id)${value ? `, not "${value}"` : ""}`);
}

/** The union's address: given, or found from its product (the product's seller is the union). */
async function resolveUnion(v: CommonValues & { subgraph?: string }, arg: string | undefined): Promise<Address> {
  const target = parseUnion(arg);
  const { publicClient, deployment } = connectReadOnly(v);
  let union: Address;
  if (typeof target === "bigint") {
    union = await publicClient.readContract({ address: deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "sellerOf", args: [target] });
    if (union === "0x0000000000000000000000000000000000000000") throw new CliError(EXIT.notFound, `product ${target} does not exist`);
  } else union = target;
  const factory = deployment.contracts.DataUnionFactory?.address;
  if (!factory) throw new CliError(EXIT.config, "this deployment has no data unions (no DataUnionFactory: it needs a StreamRegistry)");
  const isUnion = await publicClient.readContract({ address: factory, abi: dataUnionFactoryAbi, functionName: "isUnion", args: [union] });
  if (!isUnion) throw new CliError(EXIT.notFound, `${union} is not a data union of this marketplace`);
  return union;
}

function unionJson(u: UnionState) {
  return {
    union: u.address, admin: u.admin, productId: u.productId.toString(), streamId: u.streamId, feePercent: u.feeBps / 100,
    feeChange: u.feeChange && { feePercent: u.feeChange.feeBps / 100, effectiveAt: new Date(Number(u.feeChange.effectiveAt) * 1000).toISOString() },
    minMembers: u.minMembers, members: Number(u.memberCount), listed: u.listed, onSale: u.onSale,
    revenue: u.totalRevenue.toString(), revenueDATA: data(u.totalRevenue + u.unsettledRevenue), feesDATA: data(u.feesAccrued),
    join: {
      categories: fromMask(u.joinPolicy.categories).map((c) => toFlag(CategoryNames[c])),
      organisationTypes: fromMask(u.joinPolicy.organisationTypes).map((t) => toFlag(OrganisationTypeNames[t])),
      countries: fromMask(u.joinPolicy.jurisdictions).map((c) => countryCode(c)),
      requiresApproval: u.joinPolicy.requiresApproval,
    },
  };
}

async function show(argv: string[], out: Output) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS } });
  const union = await resolveUnion(values, positionals[0]);
  const { publicClient } = connectReadOnly(values);
  const u = await readUnion(publicClient, union);
  let me: { address: Address; status: string; verdict: string; withdrawable: string; earnings: string } | null = null;
  try {
    const { account } = connect(values);
    const m = await readMember(publicClient, union, account.address);
    me = { address: account.address, status: MemberStatusNames[m.status], verdict: VerdictNames[m.joinVerdict], withdrawable: data(m.withdrawable), earnings: data(m.earnings) };
  } catch (err) {
    if (!(err instanceof CliError && err.exitCode === EXIT.config)) throw err; // no key: show without "you"
  }
  const j = unionJson(u);
  out.result({ ...j, you: me }, (r) =>
    [
      `Data union ${r.union} (product ${r.productId}), admin ${r.admin}`,
      `  stream          ${r.streamId}`,
      `  members         ${r.members}${r.onSale ? "" : r.listed ? ` — not on sale until ${r.minMembers} members` : " — not on sale (the admin unlisted it)"}`,
      `  admin fee       ${r.feePercent} %${r.feeChange ? `, changing to ${r.feeChange.feePercent} % from ${date(Date.parse(r.feeChange.effectiveAt) / 1000)}` : ""}`,
      `  revenue         ${r.revenueDATA} (admin fees ${r.feesDATA})`,
      `  who may join    ${[r.join.categories.includes("individual") ? "individuals" : "", r.join.categories.includes("organisation") ? `organisations (${r.join.organisationTypes.join(", ")})` : ""].filter(Boolean).join(" and ")} registered in ${r.join.countries.join(", ")}${r.join.requiresApproval ? "; the admin approves each join" : ""}`,
      ...(r.you
        ? [r.you.status === "Active"
            ? `  you             a member: ${r.you.earnings} earned, ${r.you.withdrawable} to withdraw (\`kraken union withdraw ${r.union}\`)`
            : r.you.verdict === "Eligible"
              ? `  you             ${statusWords(MemberStatus[r.you.status as keyof typeof MemberStatus])}; you may join (\`kraken union join ${r.union}\`)${r.you.withdrawable !== data(0n) ? `; ${r.you.withdrawable} to withdraw` : ""}`
              : `  you             ${statusWords(MemberStatus[r.you.status as keyof typeof MemberStatus])}; you may not join: ${r.you.verdict}`]
        : []),
    ].join("\n"),
  );
}

async function create(argv: string[], out: Output) {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      title: { type: "string" }, summary: { type: "string", default: "" }, description: { type: "string", default: "" },
      category: { type: "string", default: "other" }, tags: { type: "string", default: "" }, price: { type: "string", default: "0" },
      unit: { type: "string", default: "month" }, fee: { type: "string", default: "10" }, "min-members": { type: "string" },
      "join-countries": { type: "string", default: "target" }, "join-organisations": { type: "string" }, "no-individuals": { type: "boolean", default: false },
      "approve-joins": { type: "boolean", default: false }, "stream-path": { type: "string", default: "/data" }, policy: { type: "string" },
      modality: { type: "string", default: "encrypted" },
    },
  });
  if (!values.title) throw new CliError(EXIT.usage, "--title is required");
  if (!values.policy) throw new CliError(EXIT.usage, "--policy <file> is required: who may buy the union's data, as for `kraken publish`");
  const policy = loadPolicyFile(values.policy);
  const fee = Number(values.fee);
  if (!Number.isFinite(fee) || fee < 0 || fee * 100 > MAX_FEE_BPS || !Number.isInteger(Math.round(fee * 100)) || Math.round(fee * 100) !== fee * 100) {
    throw new CliError(EXIT.usage, `--fee must be a percentage from 0 to ${MAX_FEE_BPS / 100} (at most two decimals)`);
  }
  const minMembers = parseCount(values["min-members"], "--min-members", DEFAULT_MIN_MEMBERS, 1, 10_000);
  const price = parseData(values.price!, "--price");
  const unit = parseEnum(PricingUnitNames, values.unit, "--unit", true) as PricingUnit;
  const modality = parseEnum(ModalityNames, values.modality, "--modality") as Modality;
  const countries = values["join-countries"] === "target"
    ? TARGET_COUNTRIES
    : values["join-countries"]!.split(",").map((c) => {
        try {
          return countryFromCode(c.trim());
        } catch {
          throw new CliError(EXIT.usage, `--join-countries: unknown country "${c}" (ISO codes such as IT,ES,PT, or target)`);
        }
      });
  const organisationTypes = values["join-organisations"] ? values["join-organisations"].split(",").map((t) => parseEnum(OrganisationTypeNames, t.trim(), "--join-organisations", true) as OrganisationType) : [];
  const categories = [...(values["no-individuals"] ? [] : [Category.Individual]), ...(organisationTypes.length ? [Category.Organisation] : [])];
  if (categories.length === 0) throw new CliError(EXIT.usage, "nobody could join: drop --no-individuals or give --join-organisations");
  const tags = values.tags!.split(",").map((t) => t.trim()).filter(Boolean);

  const { deployment, rpcUrl, account, wallet, publicClient } = connect(values);
  await checkChain(publicClient, rpcUrl, deployment);
  const factory = deployment.contracts.DataUnionFactory?.address;
  if (!factory) throw new CliError(EXIT.config, "this deployment has no data unions (no DataUnionFactory: it needs a StreamRegistry)");
  const metadata = { schema: "kraken.product/v1" as const, title: values.title, summary: values.summary!, description: values.description!, category: values.category!, tags };
  const cid = await ipfsAdd(ipfsApiUrl(), (async function* () { yield encodeMetadata(metadata); })(), "metadata.json").catch((e) => { throw toCliError(e); });
  out.progress(`creating the union "${values.title}": its stream, product and consent policy`);
  let r;
  try {
    r = await createUnion({
      publicClient, wallet, account, factory, onProgress: progressLines(out),
      setup: {
        feeBps: Math.round(fee * 100), minMembers, join: { categories, organisationTypes, jurisdictions: countries, requiresApproval: values["approve-joins"]! },
        streamPath: values["stream-path"], modality, price, pricingUnit: unit,
        description: { metadataURI: `ipfs://${cid}`, title: values.title, summary: values.summary!, category: values.category!, tags }, policy,
      },
    });
  } catch (err) {
    throw explainUnionError(err);
  }
  out.result({ union: r.union, productId: r.productId.toString(), streamId: r.streamId, admin: account.address, transactionHash: r.receipt.transactionHash }, (x) =>
    [
      `Data union ${x.union} created; you are its admin.`,
      `  product     ${x.productId} (${priceWords(price, unit)}, paid to the union; ${fee} % admin fee)`,
      `  stream      ${x.streamId} (members get PUBLISH when they join)`,
      `  on sale     once ${minMembers} members have joined: they run \`kraken union join ${x.union}\``,
    ].join("\n"),
  );
}

async function member(argv: string[], out: Output, action: "join" | "leave" | "withdraw") {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS, amount: { type: "string" }, to: { type: "string" } } });
  const union = await resolveUnion(values, positionals[0]);
  const { deployment, rpcUrl, account, wallet, publicClient } = connect(values);
  await checkChain(publicClient, rpcUrl, deployment);
  const c = { publicClient, wallet, account, union, onProgress: progressLines(out) };
  try {
    if (action === "join") {
      const m = await readMember(publicClient, union, account.address);
      if (m.joinVerdict !== Verdict.Eligible) out.progress(`your credential does not fit the union's join policy (${VerdictNames[m.joinVerdict]}); asking the chain anyway`);
      const r = await joinUnion(c);
      out.result({ union, member: account.address, status: r.status, transactionHash: r.receipt.transactionHash }, (x) =>
        x.status === "member"
          ? `You joined ${x.union}: you may publish into its stream, and you share the revenue from now on.`
          : `You asked to join ${x.union}; the admin approves each join. \`kraken union show ${x.union}\` tells you when you are in.`);
    } else if (action === "leave") {
      const r = await partUnion(c);
      const m = await readMember(publicClient, union, account.address);
      out.result({ union, member: account.address, withdrawable: m.withdrawable.toString(), transactionHash: r.receipt.transactionHash }, () =>
        `You left ${union}: you no longer publish into its stream nor share later revenue. ${m.withdrawable ? `${data(m.withdrawable)} stays yours: \`kraken union withdraw ${union}\`` : ""}`.trim());
    } else {
      const amount = values.amount === undefined ? undefined : parseData(values.amount, "--amount");
      if (values.to !== undefined && !isAddress(values.to)) throw new CliError(EXIT.usage, `--to: ${values.to} is not an address`);
      const r = await withdrawEarnings({ ...c, amount, to: values.to ? getAddress(values.to) : undefined });
      out.result({ union, member: account.address, to: r.to, amount: r.amount.toString(), amountDATA: data(r.amount), transactionHash: r.receipt.transactionHash }, (x) =>
        `Withdrew ${x.amountDATA} from ${x.union} to ${x.to}.`);
    }
  } catch (err) {
    throw explainUnionError(err);
  }
}

/** The union product's stream filter (its metadata's `streamFilter`, pseudonyms keyed per member and
 * stream). An anonymised product whose metadata cannot be read is refused: publishing its raw
 * points would break what the listing promises. */
async function productFilter(
  publicClient: ReturnType<typeof connect>["publicClient"], catalogue: Address, productId: bigint, gateway: string, key: string, streamId: string, out: Output,
): Promise<StreamFilter | undefined> {
  if (productId === 0n) return undefined;
  const product = await publicClient.readContract({ address: catalogue, abi: catalogueAbi, functionName: "getProduct", args: [productId] });
  const anonymised = product.modality === ModalityEnum.Anonymised;
  let config;
  try {
    const res = await fetch(linkUrl(product.metadataURI, gateway), { signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    config = streamFilterOf(await res.json());
  } catch (err) {
    const why = `cannot read product ${productId}'s metadata at ${product.metadataURI} (${(err as Error).message})`;
    if (anonymised) throw new CliError(EXIT.config, `${why}: its stream filter cannot be applied, so nothing is published (is the IPFS gateway reachable? --gateway URL / KRAKEN_IPFS_GATEWAY_URL)`);
    out.progress(`warning: ${why}; publishing without a filter`);
    return undefined;
  }
  if (!config) return undefined;
  out.progress(`applying product ${productId}'s stream filter to every point`);
  return createStreamFilter(config, publisherPseudonymKey(key, streamId));
}

/** Publishes JSON lines into the union's stream with the member's own key (PUBLISH from the union). */
async function publishData(argv: string[], out: Output) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS, file: { type: "string" }, linger: { type: "string" }, gateway: { type: "string" } } });
  const lingerSeconds = parseCount(values.linger, "--linger", 10, 0, 3600);
  const union = await resolveUnion(values, positionals[0]);
  const { deployment, rpcUrl, account, publicClient } = connect(values);
  await checkChain(publicClient, rpcUrl, deployment);
  const m = await readMember(publicClient, union, account.address);
  if (m.status !== MemberStatus.Active) {
    throw new CliError(EXIT.refused, `you are ${statusWords(m.status)} of ${union}: only members publish into its stream (\`kraken union join ${union}\`)`, "WrongMemberStatus");
  }
  const { streamId, productId } = await readUnion(publicClient, union);
  const key = loadKey(values);
  const filter = await productFilter(publicClient, deployment.contracts.Catalogue.address, productId, values.gateway ?? ipfsGatewayUrl(), key, streamId, out);
  const { createReadStream } = await import("node:fs");
  const { createInterface } = await import("node:readline");
  const input = values.file ? createReadStream(values.file) : process.stdin;
  input.on("error", (e: Error) => out.progress(`cannot read ${values.file}: ${e.message}`));
  const client = await streamrClient(key, deployment, rpcUrl);
  let published = 0;
  try {
    let line = 0;
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      if (!text.trim()) continue;
      let point: unknown;
      try {
        point = JSON.parse(text);
      } catch {
        throw new CliError(EXIT.usage, `line ${line} is not JSON: ${text.slice(0, 60)}`);
      }
      if (point === null || typeof point !== "object" || Array.isArray(point)) throw new CliError(EXIT.usage, `line ${line}: a data point is a JSON object`);
      const message = filter ? filter(point as Record<string, unknown>) : (point as Record<string, unknown>);
      await client.publish(streamId, message).catch((e: Error) => {
        throw new CliError(EXIT.refused, `the Streamr network refused line ${line}: ${e.message}`);
      });
      published++;
    }
    // The data is encrypted with this device's group key, which buyers fetch from it: stay
    // online a while so that they can (a device publishing continuously never leaves).
    if (published > 0 && lingerSeconds > 0) {
      out.progress(`published ${published}; staying ${lingerSeconds} s to hand buyers the key (--linger)`);
      await new Promise((r) => setTimeout(r, lingerSeconds * 1000));
    }
  } finally {
    await client.destroy().catch(() => {});
  }
  out.result({ union, streamId, member: account.address, published }, (r) => `Published ${r.published} data point${r.published === 1 ? "" : "s"} into ${r.streamId}.`);
}

async function members(argv: string[], out: Output) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS, ...SUBGRAPH_OPTION } });
  const union = await resolveUnion(values, positionals[0]);
  const q = `{ dataUnion(id: "${union.toLowerCase()}") { ${UNION_FIELDS} members(first: 1000, orderBy: joinedAt, orderDirection: asc) { ${UNION_MEMBER_FIELDS} } } }`;
  const res = await querySubgraph<{ dataUnion: (GraphUnion & { members: GraphUnionMember[] }) | null }>(subgraphUrl(values), q).catch((e) => {
    throw new CliError(EXIT.refused, `the subgraph could not answer (${(e as Error).message}); is \`npm start\` running? or pass --subgraph <url>`);
  });
  const u = res.dataUnion;
  if (!u) throw new CliError(EXIT.notFound, `the subgraph does not know union ${union} yet (just created? try again in a moment)`);
  const rows = u.members.map((m) => ({
    account: m.account.id, status: m.status, weight: m.weight, joinedAt: m.joinedAt, partedAt: m.partedAt,
    earned: memberEarnings(m, u).toString(), withdrawn: m.withdrawn,
  }));
  out.result({ union, members: rows }, (x) =>
    x.members.length === 0 ? `Nobody has joined ${union} yet.` : table(
      ["member", "status", "weight", "joined", "left", "earned", "withdrawn"],
      x.members.map((m) => [m.account, m.status.toLowerCase(), String(m.weight), date(m.joinedAt), date(m.partedAt), data(m.earned), data(m.withdrawn)]),
    ));
}

export const union: Command = {
  name: "union",
  summary: "data unions: create one, join, leave, withdraw your earnings, see members",
  usage,
  async run(argv, out) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case "create": return create(rest, out);
      case "show": return show(rest, out);
      case "join": return member(rest, out, "join");
      case "publish": return publishData(rest, out);
      case "leave": return member(rest, out, "leave");
      case "withdraw": return member(rest, out, "withdraw");
      case "members": return members(rest, out);
      default: throw new CliError(EXIT.usage, sub ? `unknown subcommand "${sub}" (${SUBCOMMANDS})` : `which? ${SUBCOMMANDS}`);
    }
  },
};
