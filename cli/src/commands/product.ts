// kraken product <id>: a product's description, terms and consent policy in plain language
// (from the subgraph, or read from the chain when the subgraph is unreachable), and — with a
// key — whether you may buy it for a purpose, and why not.
import { parseArgs } from "node:util";
import type { Address, PublicClient } from "viem";
import {
  catalogueAbi,
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
  source: "subgraph" | "chain";
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
  return {
    id: productId.toString(),
    title: latest?.title ?? "",
    summary: latest?.summary ?? "",
    category: latest?.category ?? "",
    tags: latest?.tags ?? [],
    type: toGraphEnum(ProductTypeNames[p.productType]),
    modality: toGraphEnum(ModalityNames[p.modality]),
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
    source: "chain",
  };
}

export const product: Command = {
  name: "product",
  summary: "show a product, its consent policy in words, and whether you may buy it",
  usage: `kraken product ID [--purpose P] [--subgraph URL] [--rpc URL] [--deployment FILE] [--key-file FILE] [--json]

  With a key (PRIVATE_KEY or --key-file) the chain says whether you may buy it: for --purpose P
  (${PurposeNames.map(toFlag).join(", ")}), or else for each purpose the policy allows.
  Without the subgraph (unreachable) the product is read from the chain.`,
  async run(argv, out) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS, ...SUBGRAPH_OPTION, purpose: { type: "string" } } });
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
