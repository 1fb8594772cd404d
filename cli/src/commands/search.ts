// kraken search: find products in the catalogue (the subgraph), by full text and filters;
// `--eligible` keeps only those the caller may buy for a purpose (asked of the chain).
import { parseArgs } from "node:util";
import { agreementsAbi, ModalityNames, productPages, ProductTypeNames, PurposeNames, Verdict, type ProductOrder } from "@kraken/sdk";
import { checkChain, COMMON_OPTIONS, connect } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import { data, parseCount, parseData, parseEnum, priceWords, productTypeWords, shortAddress, table, toFlag, toGraphEnum, truncate } from "../format.ts";
import type { Command } from "../main.ts";
import { PRODUCT_FIELDS, querySubgraph, searchText, SUBGRAPH_OPTION, subgraphUrl, type GraphProduct } from "../subgraph.ts";

const SORTS: Record<string, [ProductOrder, "asc" | "desc"]> = {
  "price-asc": ["price", "asc"],
  "price-desc": ["price", "desc"],
  newest: ["createdAt", "desc"],
  "most-sold": ["salesCount", "desc"],
};

const PAGE = 100;

export const search: Command = {
  name: "search",
  summary: "find products in the catalogue (full text, filters, eligible for me)",
  usage: `kraken search [TEXT] [--type ${ProductTypeNames.map(toFlag).join("|")}] [--category C] [--modality ${ModalityNames.map(toFlag).join("|")}]
    [--jurisdiction CC] [--max-price DATA] [--free] [--min-k N] [--purpose P [--eligible]] [--sort ${Object.keys(SORTS).join("|")}]
    [--first N (20)] [--skip N] [--all (include deactivated)] [--subgraph URL] [--rpc URL] [--deployment FILE] [--key-file FILE] [--json]

  TEXT        words searched in title, summary, category and tags (prefixes match: "diab")
  --min-k     only anonymised products whose published anonymisation report states k ≥ N
              (every record shares its quasi-identifiers with at least N-1 others)
  --purpose   only products whose policy allows this purpose: ${PurposeNames.map(toFlag).join(", ")}
  --eligible  only products you may buy for --purpose now (your credential, checked on chain; needs a key)
  subgraph: --subgraph, KRAKEN_SUBGRAPH_URL (default: the local indexer of \`npm start\`)`,
  async run(argv, out) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...COMMON_OPTIONS,
        ...SUBGRAPH_OPTION,
        type: { type: "string" },
        category: { type: "string" },
        modality: { type: "string" },
        jurisdiction: { type: "string" },
        "max-price": { type: "string" },
        free: { type: "boolean", default: false },
        "min-k": { type: "string" },
        eligible: { type: "boolean", default: false },
        purpose: { type: "string" },
        sort: { type: "string" },
        first: { type: "string" },
        skip: { type: "string" },
        all: { type: "boolean", default: false },
      },
    });
    const text = positionals.join(" ").trim();
    const where: Record<string, unknown> = {};
    if (!values.all) where.active = true;
    if (values.type !== undefined) where.productType = toGraphEnum(ProductTypeNames[parseEnum(ProductTypeNames, values.type, "--type")]);
    if (values.modality !== undefined) where.modality = toGraphEnum(ModalityNames[parseEnum(ModalityNames, values.modality, "--modality")]);
    if (values.category) where.category_contains_nocase = values.category;
    if (values.jurisdiction) {
      if (!/^[A-Za-z]{2}$/.test(values.jurisdiction)) throw new CliError(EXIT.usage, "--jurisdiction takes an ISO country code, e.g. SE");
      where.jurisdictions_contains = [values.jurisdiction.toUpperCase()];
    }
    if (values.free && values["max-price"]) throw new CliError(EXIT.usage, "use either --free or --max-price");
    if (values.free) where.price = "0";
    if (values["max-price"]) where.price_lte = parseData(values["max-price"], "--max-price").toString();
    if (values["min-k"] !== undefined) where.anonymisationK_gte = parseCount(values["min-k"], "--min-k", 1, 1, 2 ** 32 - 1);
    let purpose: number | undefined;
    if (values.purpose !== undefined) {
      purpose = parseEnum(PurposeNames, values.purpose, "--purpose");
      where.purposes_contains = [toGraphEnum(PurposeNames[purpose])];
    }
    if (values.eligible && purpose === undefined) throw new CliError(EXIT.usage, "--eligible needs --purpose P (eligibility depends on the purpose)");
    if (values.sort !== undefined && !SORTS[values.sort]) throw new CliError(EXIT.usage, `--sort must be one of ${Object.keys(SORTS).join(", ")}`);
    const first = parseCount(values.first, "--first", 20, 1, 1000);
    const skip = parseCount(values.skip, "--skip", 0);

    const url = subgraphUrl(values);
    const [orderBy, orderDirection]: [ProductOrder, "asc" | "desc"] = values.sort ? SORTS[values.sort] : ["productId", "asc"];
    const fetchPage = async (pageFirst: number, pageSkip: number): Promise<GraphProduct[]> => {
      if (text) {
        const q = searchText(text);
        if (!q) throw new CliError(EXIT.usage, "the search text has no words");
        const r = await querySubgraph<{ productSearch: GraphProduct[] }>(
          url,
          `query($text: String!, $where: Product_filter, $first: Int, $skip: Int) { productSearch(text: $text, where: $where, first: $first, skip: $skip) { ${PRODUCT_FIELDS} } }`,
          { text: q, where, first: pageFirst, skip: pageSkip },
        );
        return r.productSearch;
      }
      const r = await querySubgraph<{ products: GraphProduct[] }>(
        url,
        `query($where: Product_filter, $first: Int, $skip: Int) { products(where: $where, first: $first, skip: $skip, orderBy: ${orderBy}, orderDirection: ${orderDirection}) { ${PRODUCT_FIELDS} } }`,
        { where, first: pageFirst, skip: pageSkip },
      );
      return r.products;
    };

    let products: GraphProduct[];
    let caller: string | undefined;
    if (values.eligible) {
      // Filter through the chain's verdicts page by page until the requested window is filled.
      const { deployment, rpcUrl, account, publicClient } = connect(values);
      await checkChain(publicClient, rpcUrl, deployment);
      caller = account.address;
      products = [];
      // Without text, the catalogue is read by keyset at one block (no skip limit however far
      // the eligible products are); a text search is ranked, so it pages by skip.
      async function* textPages() {
        for (let page = 0; ; page += PAGE) {
          const batch = await fetchPage(PAGE, page);
          if (batch.length) yield batch;
          if (batch.length < PAGE) return;
        }
      }
      const pages = text ? textPages() : productPages(url, { where, orderBy, orderDirection, pageSize: PAGE });
      for await (const batch of pages) {
        const verdicts = await publicClient.readContract({
          address: deployment.contracts.Agreements.address,
          abi: agreementsAbi,
          functionName: "eligibilityMany",
          args: [batch.map((p) => BigInt(p.id)), account.address, purpose!],
        });
        products.push(...batch.filter((_, i) => verdicts[i] === Verdict.Eligible));
        if (products.length >= skip + first) break;
      }
      products = products.slice(skip, skip + first);
    } else {
      products = await fetchPage(first, skip);
    }
    // Full-text results come by relevance; an explicit --sort re-orders them.
    if (text && values.sort) {
      const key = (p: GraphProduct) => (orderBy === "price" ? BigInt(p.price) : orderBy === "createdAt" ? BigInt(p.createdAt) : BigInt(p.salesCount));
      products.sort((a, b) => (key(a) === key(b) ? 0 : (key(a) < key(b)) === (orderDirection === "asc") ? -1 : 1));
    }

    const result = {
      query: { text: text || null, where, sort: values.sort ?? null, first, skip, eligibleFor: caller ? { address: caller, purpose: PurposeNames[purpose!] } : null },
      count: products.length,
      products: products.map((p) => ({
        id: p.id,
        title: p.title,
        summary: p.summary,
        category: p.category,
        tags: p.tags,
        type: p.productType,
        modality: p.modality,
        price: p.price,
        priceDATA: data(p.price),
        pricingUnit: p.pricingUnit,
        priceText: priceWords(p.price, p.pricingUnit),
        seller: p.seller.id,
        sales: p.salesCount,
        active: p.active,
        requiresApproval: p.requiresApproval,
        purposes: p.policy?.purposes ?? [],
        anonymisationK: p.anonymisationK ?? null,
        anonymisationL: p.anonymisationL ?? null,
      })),
    };
    out.result(result, (r) => {
      if (!r.products.length) {
        return `No products found${text ? ` for "${text}"` : ""}${values.eligible ? ` that you may buy for ${values.purpose}` : ""}. Try fewer filters, or \`kraken search\` to list everything.`;
      }
      const rows = r.products.map((p) => [p.id, truncate(p.title, 44), productTypeWords(p.type), p.priceText, shortAddress(p.seller), String(p.sales)]);
      const more = r.products.length === first ? `\n(first ${first}; --skip ${skip + first} for more)` : "";
      return `${table(["id", "title", "type", "price", "seller", "sales"], rows)}${more}\n\`kraken product <id>\` for details and policy.`;
    });
  },
};
