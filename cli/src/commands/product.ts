// kraken product <id>: a product's description, terms and consent policy in plain language
// (from the subgraph, or read from the chain when the subgraph is unreachable), and — with a
// key — whether you may buy it for a purpose, and why not. Anonymised batch products: the
// anonymisation report bound on chain, fetched from IPFS, checked against its hash, in words.
import { parseArgs } from "node:util";
import type { Address, Hex, PublicClient } from "viem";
import {
  catalogueAbi,
  linkUrl,
  readAnonymisation,
  CategoryNames,
  CountryNames,
  fromMask,
  ModalityNames,
  OrganisationTypeNames,
  PricingUnitNames,
  ProductTypeNames,
  PurposeNames,
  type Deployment,
} from "@kraken/sdk";
import { describeReport, parseReport, type AnonymisationReport } from "@kraken/sdk/anonymise";
import { ipfsGatewayUrl } from "../delivery.ts";
import { checkChain, COMMON_OPTIONS, connect, connectReadOnly, hasKey } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import { date, isoDate, modalityWords, parseEnum, policyLines, priceWords, productTypeWords, toFlag, toGraphEnum, type PolicyVersion } from "../format.ts";
import { eligibility, parseProductId, readTerms, type Eligibility } from "../market.ts";
import type { Command } from "../main.ts";
import { PRODUCT_FIELDS, querySubgraph, SubgraphError, SUBGRAPH_OPTION, subgraphUrl, type GraphProduct } from "../subgraph.ts";

export interface ProductView {
  id: string;
  title: string;
  summary: string;
  category: string;
  tags: string[];
  type: string;
  modality: string;
  price: string;
  pricingUnit: string;
  priceText: string;
  seller: string;
  active: boolean;
  metadataURI: string;
  deliveryAgents: string[];
  threshold: number;
  createdAt: string | null;
  sales: number | null;
  policy: PolicyVersion | null;
  /** anonymised batch products: the report bound on chain (null for other products) */
  anonymisation: AnonymisationView | null;
  source: "subgraph" | "chain";
}

export interface AnonymisationView {
  /** whether the seller bound a report to the product */
  reported: boolean;
  k: number | null;
  l: number | null;
  reportHash: string | null;
  reportURI: string | null;
  /** the report document, fetched and checked against reportHash (null when it could not be) */
  report: AnonymisationReport | null;
  /** the report in words */
  description: string[];
  /** why the report could not be shown (unreachable, does not match its hash …) */
  warning?: string;
}

const isAnonymisedBatch = (type: string, modality: string) => type === "BATCH" && modality === "ANONYMISED";

/** Largest report read: a report of a few hundred columns is far below this. */
const MAX_REPORT_BYTES = 1 << 20;

/** The anonymisation report bound on chain: fetched from its URI (ipfs:// through the gateway) and
 * checked against the hash on chain; a failure is a warning, never an error of the command. */
async function loadAnonymisation(a: { k: number | null; l: number | null; reportHash: string | null; reportURI: string | null }, gateway: string): Promise<AnonymisationView> {
  const view: AnonymisationView = { reported: Boolean(a.reportHash), ...a, report: null, description: [] };
  if (!a.reportHash) return view;
  if (!a.reportURI) return { ...view, warning: "the report's location is not known (read from the chain without its event)" };
  let bytes: Uint8Array;
  try {
    const res = await fetch(linkUrl(a.reportURI, gateway), { signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > MAX_REPORT_BYTES) throw new Error(`larger than ${MAX_REPORT_BYTES} bytes`);
  } catch (err) {
    return { ...view, warning: `cannot fetch the anonymisation report ${a.reportURI}: ${(err as Error).message} (is the IPFS gateway reachable? --gateway URL / KRAKEN_IPFS_GATEWAY_URL)` };
  }
  try {
    const report = parseReport(bytes, a.reportHash as Hex);
    return { ...view, report, description: describeReport(report) };
  } catch (err) {
    return { ...view, warning: `${(err as Error).message}: do not rely on it (${a.reportURI})` };
  }
}

function fromGraph(p: GraphProduct): ProductView {
  return {
    id: p.id,
    title: p.title,
    summary: p.summary,
    category: p.category,
    tags: p.tags,
    type: p.productType,
    modality: p.modality,
    price: p.price,
    pricingUnit: p.pricingUnit,
    priceText: priceWords(p.price, p.pricingUnit),
    seller: p.seller.id,
    active: p.active,
    metadataURI: p.metadataURI,
    deliveryAgents: p.deliveryAgents,
    threshold: p.threshold,
    createdAt: isoDate(p.createdAt),
    sales: p.salesCount,
    policy: p.policy && { ...p.policy, createdAt: p.policy.createdAt && isoDate(p.policy.createdAt) },
    anonymisation: isAnonymisedBatch(p.productType, p.modality)
      ? { reported: Boolean(p.anonymisationReportHash), k: p.anonymisationK, l: p.anonymisationL, reportHash: p.anonymisationReportHash, reportURI: p.anonymisationReportURI, report: null, description: [] }
      : null,
    source: "subgraph",
  };
}

const names = (all: readonly string[], mask: bigint | number) => fromMask(mask).map((i) => toGraphEnum(all[i]));

/** The same view read from the contracts and their events (title etc. live only in events). */
async function fromChain(client: PublicClient, d: Deployment, productId: bigint): Promise<ProductView> {
  let p;
  try {
    p = await client.readContract({ address: d.contracts.Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [productId] });
  } catch (err) {
    if (/ProductNotFound/.test(String((err as Error).message))) throw new CliError(EXIT.notFound, `product ${productId} does not exist (see \`kraken search\`)`);
    throw new CliError(EXIT.chain, `cannot read product ${productId} from the chain: ${(err as Error).message.split("\n")[0]}`);
  }
  const { policy } = await readTerms(client, d, productId);
  const fromBlock = BigInt(d.contracts.Catalogue.blockNumber);
  const [published, updated] = await Promise.all(
    (["ProductPublished", "ProductDescriptionUpdated"] as const).map((eventName) =>
      client.getContractEvents({ address: d.contracts.Catalogue.address, abi: catalogueAbi, eventName, args: { productId }, fromBlock, toBlock: "latest" }),
    ),
  );
  const latest = (updated.at(-1) ?? published.at(-1))?.args as { title: string; summary: string; category: string; tags: string[] } | undefined;
  const type = toGraphEnum(ProductTypeNames[p.productType]);
  const modality = toGraphEnum(ModalityNames[p.modality]);
  let anonymisation: AnonymisationView | null = null;
  if (isAnonymisedBatch(type, modality)) {
    const a = await readAnonymisation(client, d.contracts.Catalogue.address, productId);
    // the URI is only in the event (not stored): the latest report's
    const reported = a ? (await client.getContractEvents({ address: d.contracts.Catalogue.address, abi: catalogueAbi, eventName: "AnonymisationReported", args: { productId }, fromBlock, toBlock: "latest" })).at(-1) : undefined;
    anonymisation = { reported: Boolean(a), k: a?.k ?? null, l: a?.l ?? null, reportHash: a?.reportHash ?? null, reportURI: reported?.args.reportURI ?? null, report: null, description: [] };
  }
  return {
    id: productId.toString(),
    title: latest?.title ?? "",
    summary: latest?.summary ?? "",
    category: latest?.category ?? "",
    tags: latest?.tags ?? [],
    type,
    modality,
    price: p.price.toString(),
    pricingUnit: toGraphEnum(PricingUnitNames[p.pricingUnit]),
    priceText: priceWords(p.price, p.pricingUnit),
    seller: p.seller.toLowerCase(),
    active: p.active,
    metadataURI: p.metadataURI,
    deliveryAgents: p.deliveryAgents.map((a: string) => a.toLowerCase()),
    threshold: p.threshold,
    createdAt: isoDate(p.createdAt),
    sales: null,
    policy: policy.version === 0 ? null : {
      version: policy.version,
      purposes: names(PurposeNames, policy.purposes),
      consumerCategories: names(CategoryNames, policy.consumerCategories),
      organisationTypes: names(OrganisationTypeNames, policy.organisationTypes),
      jurisdictions: fromMask(policy.jurisdictions).map((i) => CountryNames[i]),
      requiresApproval: policy.requiresApproval,
      retentionDays: policy.retentionDays,
      createdAt: isoDate(policy.updatedAt),
    },
    anonymisation,
    source: "chain",
  };
}

export const product: Command = {
  name: "product",
  summary: "show a product, its consent policy in words, and whether you may buy it",
  usage: `kraken product ID [--purpose P] [--gateway URL] [--subgraph URL] [--rpc URL] [--deployment FILE] [--key-file FILE] [--json]

  With a key (PRIVATE_KEY or --key-file) the chain says whether you may buy it: for --purpose P
  (${PurposeNames.map(toFlag).join(", ")}), or else for each purpose the policy allows.
  Without the subgraph (unreachable) the product is read from the chain.
  Anonymised batch products: the anonymisation report their seller bound on chain, fetched from IPFS
  (--gateway, KRAKEN_IPFS_GATEWAY_URL) and checked against its hash, in words.`,
  async run(argv, out) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS, ...SUBGRAPH_OPTION, purpose: { type: "string" }, gateway: { type: "string" } } });
    if (positionals.length > 1) throw new CliError(EXIT.usage, "give one product id");
    const productId = parseProductId(positionals[0]);
    const purpose = values.purpose === undefined ? undefined : parseEnum(PurposeNames, values.purpose, "--purpose");
    if (purpose !== undefined && !hasKey(values)) {
      throw new CliError(EXIT.config, "--purpose checks your eligibility, which needs your key: set PRIVATE_KEY or pass --key-file <file>");
    }

    let view: ProductView;
    let note: string | undefined;
    try {
      const r = await querySubgraph<{ product: GraphProduct | null }>(subgraphUrl(values), `query($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`, { id: productId.toString() });
      if (!r.product) throw new CliError(EXIT.notFound, `product ${productId} does not exist (see \`kraken search\`); if it was just published, the subgraph may not have indexed it yet`);
      view = fromGraph(r.product);
    } catch (err) {
      if (!(err instanceof SubgraphError)) throw err;
      note = `${err.message}; read from the chain instead`;
      out.progress(`warning: ${note}`);
      const { deployment, rpcUrl, publicClient } = connectReadOnly(values);
      await checkChain(publicClient, rpcUrl, deployment);
      view = await fromChain(publicClient, deployment, productId);
    }

    if (view.anonymisation) {
      view.anonymisation = await loadAnonymisation(view.anonymisation, values.gateway ?? ipfsGatewayUrl());
    }

    let you: { address: Address; eligibility: Eligibility[] } | undefined;
    if (hasKey(values)) {
      const { deployment, rpcUrl, account, publicClient } = connect(values);
      await checkChain(publicClient, rpcUrl, deployment);
      const purposes = purpose !== undefined ? [purpose] : (view.policy?.purposes ?? []).map((p) => parseEnum(PurposeNames, p, "purpose"));
      you = { address: account.address, eligibility: await Promise.all(purposes.map((p) => eligibility(publicClient, deployment, productId, account.address, p))) };
    }

    out.result({ ...view, ...(note && { note }), ...(you && { you }) }, (v) => {
      const lines = [
        `#${v.id}  ${v.title}${v.active ? "" : "   (DEACTIVATED: cannot be bought)"}`,
        ...(v.summary ? [`  ${v.summary}`] : []),
        "",
        `  category        ${v.category}${v.tags.length ? `   tags: ${v.tags.join(", ")}` : ""}`,
        `  type            ${productTypeWords(v.type)}, ${modalityWords(v.modality)}`,
        `  price           ${v.priceText}`,
        `  seller          ${v.seller}`,
        `  metadata        ${v.metadataURI}`,
        `  delivery        ${v.deliveryAgents.length ? `${v.threshold} of ${v.deliveryAgents.length} relays: ${v.deliveryAgents.join(", ")}` : "no relays (streamed or computed)"}`,
        ...(v.sales !== null ? [`  sales           ${v.sales}`] : []),
        ...(v.createdAt ? [`  published       ${date(v.createdAt)}`] : []),
        ...(v.anonymisation ? ["", "Anonymisation", ...anonymisationLines(v.anonymisation).map((l) => `  ${l}`)] : []),
        "",
        "Consent policy",
        ...(v.policy ? policyLines(v.policy).map((l) => `  ${l}`) : ["  none yet: nobody can buy this product until the seller sets one"]),
      ];
      if (you) {
        lines.push("", `You (${you.address})`);
        if (!you.eligibility.length) lines.push("  nothing to check: the product has no policy");
        for (const e of you.eligibility) lines.push(`  for ${e.purpose}: ${e.eligible ? `eligible — \`kraken buy ${v.id} --purpose ${toFlag(PurposeNames[parseEnum(PurposeNames, e.purpose, "purpose")])}\`` : `not eligible: ${e.reason}`}`);
      } else {
        lines.push("", "Set PRIVATE_KEY (or --key-file) and --purpose P to see whether you may buy it.");
      }
      if (note) lines.push("", `(${note})`);
      return lines.join("\n");
    });
  },
};

function anonymisationLines(a: AnonymisationView): string[] {
  if (!a.reported) return ["no anonymisation report published: the seller has not said how anonymous the data is"];
  return [
    `k = ${a.k}, ℓ = ${a.l} (stated on chain; report sha-256 ${a.reportHash})`,
    ...(a.report ? a.description : []),
    ...(a.warning ? [`warning: ${a.warning}`] : []),
    `report          ${a.reportURI ?? "location unknown"}`,
  ];
}
