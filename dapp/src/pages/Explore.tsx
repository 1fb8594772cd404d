// Explore (MKT-FUN-04/05): full-text search, filters (incl. the minimum k of an anonymised
// dataset's anonymisation report), sort, "only products I may buy" (the
// policy-based filter: Agreements.eligibilityMany, the rules a purchase checks), pagination.
// The whole query lives in the URL (#/explore?q=…&type=…), so a search can be shared.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { parseEther, type Address } from "viem";
import { useAccount, usePublicClient } from "wagmi";
import { agreementsAbi, Verdict } from "@kraken/sdk";
import { ProductCard } from "../components/ProductCard.tsx";
import { useEligibilityMany } from "../hooks/chain.ts";
import { useDapp } from "../hooks/dapp.ts";
import { useGraph } from "../hooks/graph.ts";
import { explainVerdict } from "../lib/eligibility.ts";
import { graphql, PRODUCT_FIELDS, searchText, type GraphProduct } from "../lib/subgraph.ts";
import { COUNTRY_OPTIONS, MODALITY_OPTIONS, PRODUCT_TYPE_OPTIONS, PURPOSE_OPTIONS, purposeWords } from "../lib/words.ts";
import { href, navigate, useRoute } from "../router.tsx";

export const PAGE_SIZE = 12;
/** Upper bound of matches sorted/filtered in the browser (text search, eligibility filter). */
const MAX_CLIENT_SIDE = 1000;

const SORTS = [
  ["relevance", "Best match / newest"],
  ["price-asc", "Price: low to high"],
  ["price-desc", "Price: high to low"],
  ["newest", "Newest"],
  ["most-sold", "Most sold"],
] as const;
type Sort = (typeof SORTS)[number][0];

/** "Minimum k": products whose seller bound an anonymisation report stating at least this k. */
export const MIN_K_OPTIONS = [5, 10, 20, 50] as const;

export interface ExploreQuery {
  q: string;
  type: string;
  category: string;
  modality: string;
  /** minimum k of the anonymisation report ("" = any) */
  minK: string;
  country: string;
  min: string;
  max: string;
  free: boolean;
  sort: Sort;
  eligible: boolean;
  purpose: number;
  page: number;
}

export function readQuery(params: URLSearchParams): ExploreQuery {
  const sort = params.get("sort") as Sort;
  const purpose = Number(params.get("purpose") ?? 0);
  return {
    q: params.get("q") ?? "",
    type: params.get("type") ?? "",
    category: params.get("category") ?? "",
    modality: params.get("modality") ?? "",
    minK: MIN_K_OPTIONS.some((k) => String(k) === params.get("k")) ? params.get("k")! : "",
    country: params.get("country") ?? "",
    min: params.get("min") ?? "",
    max: params.get("max") ?? "",
    free: params.get("free") === "1",
    sort: SORTS.some(([s]) => s === sort) ? sort : "relevance",
    eligible: params.get("eligible") === "1",
    purpose: Number.isInteger(purpose) && purpose >= 0 && purpose < PURPOSE_OPTIONS.length ? purpose : 0,
    page: Math.max(1, Number(params.get("page") ?? 1) || 1),
  };
}

export function queryHref(q: ExploreQuery): string {
  return href("/explore", {
    q: q.q,
    type: q.type,
    category: q.category,
    modality: q.modality,
    k: q.minK,
    country: q.country,
    min: q.min,
    max: q.max,
    free: q.free ? "1" : "",
    sort: q.sort === "relevance" ? "" : q.sort,
    eligible: q.eligible ? "1" : "",
    purpose: q.purpose ? q.purpose : "",
    page: q.page > 1 ? q.page : "",
  });
}

const dataAmount = (s: string) => {
  try {
    return s.trim() ? parseEther(s.trim()).toString() : undefined;
  } catch {
    return undefined;
  }
};

/** The subgraph `where` filter of a query. */
export function whereOf(q: ExploreQuery): Record<string, unknown> {
  const where: Record<string, unknown> = { active: true };
  if (q.type) where.productType = q.type;
  if (q.modality) where.modality = q.modality;
  if (q.minK) where.anonymisationK_gte = Number(q.minK);
  if (q.category) where.category = q.category;
  if (q.country) where.jurisdictions_contains = [q.country];
  if (q.free) where.price = "0";
  else {
    const min = dataAmount(q.min);
    const max = dataAmount(q.max);
    if (min) where.price_gte = min;
    if (max) where.price_lte = max;
  }
  return where;
}

function sortClientSide(list: GraphProduct[], sort: Sort): GraphProduct[] {
  const by = {
    relevance: undefined,
    "price-asc": (a: GraphProduct, b: GraphProduct) => Number(BigInt(a.price) - BigInt(b.price)) || Number(a.productId) - Number(b.productId),
    "price-desc": (a: GraphProduct, b: GraphProduct) => Number(BigInt(b.price) - BigInt(a.price)) || Number(a.productId) - Number(b.productId),
    newest: (a: GraphProduct, b: GraphProduct) => Number(b.createdAt) - Number(a.createdAt) || Number(b.productId) - Number(a.productId),
    "most-sold": (a: GraphProduct, b: GraphProduct) => b.salesCount - a.salesCount || Number(b.productId) - Number(a.productId),
  }[sort];
  return by ? [...list].sort(by) : list;
}

const ORDER: Record<Sort, [string, string]> = {
  relevance: ["createdAt", "desc"],
  newest: ["createdAt", "desc"],
  "price-asc": ["price", "asc"],
  "price-desc": ["price", "desc"],
  "most-sold": ["salesCount", "desc"],
};

interface CatalogueResult {
  items: GraphProduct[];
  /** known when the matches were fetched whole (text search, eligibility filter) */
  total?: number;
  hasMore: boolean;
}

/** Runs a query: server-side paging when possible, otherwise fetch the matches and page in the browser. */
function useCatalogue(q: ExploreQuery, consumer: Address | undefined) {
  const { config } = useDapp();
  const client = usePublicClient();
  const clientSide = !!q.q.trim() || q.eligible;
  return useQuery<CatalogueResult>({
    queryKey: ["graph", "explore", config.subgraphUrl, q, consumer],
    enabled: !q.eligible || (!!consumer && !!client),
    placeholderData: (prev) => prev,
    queryFn: async ({ signal }) => {
      const where = whereOf(q);
      if (!clientSide) {
        const [orderBy, orderDirection] = ORDER[q.sort];
        const data = await graphql<{ products: GraphProduct[] }>(
          config.subgraphUrl,
          `query Browse($where: Product_filter, $first: Int!, $skip: Int!, $orderBy: Product_orderBy, $dir: OrderDirection) {
            products(where: $where, first: $first, skip: $skip, orderBy: $orderBy, orderDirection: $dir) { ${PRODUCT_FIELDS} } }`,
          { where, first: PAGE_SIZE + 1, skip: (q.page - 1) * PAGE_SIZE, orderBy, dir: orderDirection },
          signal,
        );
        return { items: data.products.slice(0, PAGE_SIZE), hasMore: data.products.length > PAGE_SIZE };
      }
      let all: GraphProduct[];
      const text = searchText(q.q);
      if (text) {
        all = (
          await graphql<{ productSearch: GraphProduct[] }>(
            config.subgraphUrl,
            `query Search($text: String!, $where: Product_filter, $first: Int!) { productSearch(text: $text, where: $where, first: $first) { ${PRODUCT_FIELDS} } }`,
            { text, where, first: MAX_CLIENT_SIDE },
            signal,
          )
        ).productSearch;
      } else {
        const [orderBy, orderDirection] = ORDER[q.sort];
        all = (
          await graphql<{ products: GraphProduct[] }>(
            config.subgraphUrl,
            `query All($where: Product_filter, $first: Int!, $orderBy: Product_orderBy, $dir: OrderDirection) { products(where: $where, first: $first, orderBy: $orderBy, orderDirection: $dir) { ${PRODUCT_FIELDS} } }`,
            { where, first: MAX_CLIENT_SIDE, orderBy, dir: orderDirection },
            signal,
          )
        ).products;
      }
      if (q.eligible && consumer && client && all.length) {
        // The same rules the purchase enforces, evaluated by the contract in one call.
        const verdicts = await client.readContract({
          address: config.contracts.Agreements,
          abi: agreementsAbi,
          functionName: "eligibilityMany",
          args: [all.map((p) => BigInt(p.productId)), consumer, q.purpose],
        });
        all = all.filter((_, i) => Number(verdicts[i]) === Verdict.Eligible);
      }
      all = sortClientSide(all, q.sort);
      const start = (q.page - 1) * PAGE_SIZE;
      return { items: all.slice(start, start + PAGE_SIZE), total: all.length, hasMore: all.length > start + PAGE_SIZE };
    },
  });
}

function countText(q: ExploreQuery, shown: number, total: number | undefined, hasMore: boolean): string {
  const start = (q.page - 1) * PAGE_SIZE;
  const what = `${q.eligible ? ` you may buy for ${purposeWords(q.purpose).toLowerCase()}` : ""}${q.q ? ` matching “${q.q}”` : ""}`;
  if (shown === 0) return `No products${what}`;
  const range = `${start + 1}–${start + shown}`;
  if (total !== undefined) return `${total} product${total === 1 ? "" : "s"}${what}; showing ${range}`;
  return `Products${what}: showing ${range}${hasMore ? ", more on the next page" : ""}`;
}

export default function Explore() {
  const route = useRoute();
  const q = useMemo(() => readQuery(route.query), [route.query.toString()]); // eslint-disable-line react-hooks/exhaustive-deps
  const { address } = useAccount();
  const [text, setText] = useState(q.q);
  useEffect(() => setText(q.q), [q.q]);
  const set = (patch: Partial<ExploreQuery>) => navigate(queryHref({ ...q, page: 1, ...patch }), { replace: true });
  const categories = useGraph<{ products: { category: string }[] }>(`{ products(first: 1000, where: { active: true }) { category } }`);
  const categoryOptions = useMemo(
    () => [...new Set((categories.data?.products ?? []).map((p) => p.category).filter(Boolean))].sort(),
    [categories.data],
  );
  const result = useCatalogue(q, address);
  const items = result.data?.items ?? [];
  const verdicts = useEligibilityMany(items.map((p) => BigInt(p.productId)), address, q.purpose, !!address && !q.eligible);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    set({ q: text });
  };

  return (
    <section className="explore" aria-labelledby="explore-title">
      <div>
        <h1 id="explore-title">Explore data products</h1>
        <form role="search" onSubmit={submit} className="filters" aria-label="Search and filter products">
          <div className="search-row">
            <label htmlFor="search" className="sr-only">Search products</label>
            <input id="search" type="search" placeholder="Search title, summary, tags…" value={text} onChange={(e) => setText(e.target.value)} />
            <button type="submit">Search</button>
          </div>
          <div className="field">
            <label htmlFor="f-type">Type</label>
            <select id="f-type" value={q.type} onChange={(e) => set({ type: e.target.value })}>
              <option value="">Any type</option>
              {PRODUCT_TYPE_OPTIONS.map((o) => <option key={o.graph} value={o.graph}>{o.label}</option>)}
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-category">Category</label>
            <select id="f-category" value={q.category} onChange={(e) => set({ category: e.target.value })}>
              <option value="">Any category</option>
              {categoryOptions.map((c) => <option key={c} value={c}>{c}</option>)}
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-modality">Modality</label>
            <select id="f-modality" value={q.modality} onChange={(e) => set({ modality: e.target.value })}>
              <option value="">Any modality</option>
              {MODALITY_OPTIONS.map((o) => <option key={o.graph} value={o.graph}>{o.label}</option>)}
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-min-k">Minimum k</label>
            <select id="f-min-k" value={q.minK} onChange={(e) => set({ minK: e.target.value })} aria-describedby="f-min-k-hint">
              <option value="">Any</option>
              {MIN_K_OPTIONS.map((k) => <option key={k} value={String(k)}>k ≥ {k}</option>)}
            </select>
            <span id="f-min-k-hint" className="muted hint">Anonymised datasets whose report hides every record among at least k.</span>
          </div>
          <div className="field">
            <label htmlFor="f-country">Jurisdiction (buyers from)</label>
            <select id="f-country" value={q.country} onChange={(e) => set({ country: e.target.value })}>
              <option value="">Any country</option>
              {COUNTRY_OPTIONS.map((o) => <option key={o.code} value={o.code}>{o.label} ({o.code})</option>)}
            </select>
          </div>
          <fieldset>
            <legend>Price (DATA)</legend>
            <div className="row">
              <label className="field">
                <span>Minimum price</span>
                <input inputMode="decimal" size={7} value={q.min} disabled={q.free} onChange={(e) => set({ min: e.target.value })} />
              </label>
              <label className="field">
                <span>Maximum price</span>
                <input inputMode="decimal" size={7} value={q.max} disabled={q.free} onChange={(e) => set({ max: e.target.value })} />
              </label>
            </div>
            <label>
              <input type="checkbox" checked={q.free} onChange={(e) => set({ free: e.target.checked })} /> Free only
            </label>
          </fieldset>
          <div className="field">
            <label htmlFor="f-purpose">My purpose</label>
            <select id="f-purpose" value={q.purpose} onChange={(e) => set({ purpose: Number(e.target.value) })}>
              {PURPOSE_OPTIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
            </select>
          </div>
          <label>
            <input type="checkbox" checked={q.eligible} onChange={(e) => set({ eligible: e.target.checked })} /> Only products I may buy
          </label>
          {q.eligible && !address ? <p className="notice warn" role="status">Connect a wallet to see which products your credential allows.</p> : null}
          <div className="field">
            <label htmlFor="f-sort">Sort by</label>
            <select id="f-sort" value={q.sort} onChange={(e) => set({ sort: e.target.value as Sort })}>
              {SORTS.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
            </select>
          </div>
          <p>
            <a href={"#" + href("/explore")} onClick={(e) => { e.preventDefault(); setText(""); navigate("/explore", { replace: true }); }}>Clear all filters</a>
          </p>
        </form>
      </div>
      <div>
        <p role="status" aria-live="polite" className="muted">
          {result.isLoading
            ? "Searching…"
            : result.error
              ? ""
              : countText(q, items.length, result.data?.total, !!result.data?.hasMore)}
        </p>
        {result.error ? <p role="alert" className="notice error">{result.error.message}</p> : null}
        <ul className="product-grid" aria-label="Products">
          {items.map((p) => {
            const v = verdicts.data?.get(p.productId);
            const e = q.eligible ? { eligible: true, label: "You may buy" } : v === undefined ? undefined : { eligible: v === Verdict.Eligible, label: v === Verdict.Eligible ? "You may buy" : explainVerdict(v, { purpose: q.purpose }).verdict === "NotRegistered" ? "Register to buy" : "Not for you" };
            return (
              <li key={p.id}>
                <ProductCard p={p} eligibility={e} />
              </li>
            );
          })}
        </ul>
        {!result.isLoading && !result.error && items.length === 0 ? <p className="notice">No products match. Try fewer filters.</p> : null}
        <nav className="pager" aria-label="Pages">
          <button type="button" className="secondary" disabled={q.page <= 1} onClick={() => navigate(queryHref({ ...q, page: q.page - 1 }))}>
            Previous page
          </button>
          <span>Page {q.page}</span>
          <button type="button" className="secondary" disabled={!result.data?.hasMore} onClick={() => navigate(queryHref({ ...q, page: q.page + 1 }))}>
            Next page
          </button>
        </nav>
      </div>
    </section>
  );
}
