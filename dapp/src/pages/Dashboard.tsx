// Dashboard (MKT-FUN-19/20): as a consumer, my agreements with status and expiry,
// spend over time, downloads of delivered batch data and live views of streams; as a seller,
// who accesses my data now, sales history and revenue over time; as a data union member or
// admin, the union tabs (union/UnionDashboards.tsx). Subscriptions are renewed and
// pending requests cancelled from here (DashboardActions.tsx). My queries lists the analytics
// query jobs (analytics/MyQueries.tsx). Refreshes whenever the
// indexer reaches a new block (all subgraph queries do, see hooks/indexer.ts).
import { lazy, Suspense, useRef, useState } from "react";
import { useAccount } from "wagmi";
import { useConnectModal } from "@rainbow-me/rainbowkit";
import { TimeChart } from "../components/TimeChart.tsx";
import { useDataBalance } from "../hooks/chain.ts";
import { useGraph } from "../hooks/graph.ts";
import { AGREEMENT_FIELDS, type GraphAgreement } from "../lib/subgraph.ts";
import { categoryWords, countryCode, data, date, orgTypeWords, productTypeWords, purposeWords, shortAddress, statusWords } from "../lib/words.ts";
import { Link, navigate, useRoute, href } from "../router.tsx";
import { CancelPanel, RenewPanel, isRenewable, latestByProduct } from "./DashboardActions.tsx";
import { AdminUnionsView, MyUnionsView } from "./union/UnionDashboards.tsx";
import { MyQueries } from "./analytics/MyQueries.tsx";

const DownloadButton = lazy(() => import("../components/DownloadButton.tsx"));
const StreamView = lazy(() => import("../components/StreamView.tsx"));
// Compiled out of production builds together with the demo wallet.
const DemoDataButton = __KRAKEN_DEMO__ ? lazy(() => import("../components/DemoDataButton.tsx")) : null;

interface AccountStats {
  spent: string;
  purchasesCount: number;
  revenue: string;
  salesCount: number;
  productsPublished: number;
}

type SaleAgreement = GraphAgreement & { consumer: { id: string; credential: { category: string; organisationType: string; country: string } | null } };

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Whether an agreement gives access right now. */
export function isLive(a: Pick<GraphAgreement, "status" | "endsAt">, now = nowSeconds()): boolean {
  return a.status === "ACTIVE" && (a.endsAt === "0" || Number(a.endsAt) > now);
}

function expiry(a: GraphAgreement) {
  if (a.status !== "ACTIVE") return "—";
  if (a.endsAt === "0") return "never (one-time)";
  return (
    <>
      <time dateTime={new Date(Number(a.endsAt) * 1000).toISOString()}>{date(a.endsAt)}</time>
      {Number(a.endsAt) <= nowSeconds() ? " (expired)" : ""}
    </>
  );
}

type Tab = "consumer" | "queries" | "seller" | "unions" | "admin";
const TABS: [Tab, string][] = [
  ["consumer", "My purchases"],
  ["queries", "My queries"],
  ["seller", "My sales"],
  ["unions", "My data unions"],
  ["admin", "Unions I run"],
];

export default function Dashboard() {
  const { address } = useAccount();
  const { openConnectModal } = useConnectModal();
  const route = useRoute();
  const view = route.query.get("view");
  const tab: Tab = view === "seller" || view === "unions" || view === "admin" || view === "queries" ? view : "consumer";
  if (!address) {
    return (
      <section>
        <h1>Dashboard</h1>
        <p>Connect a wallet to see your purchases and sales.</p>
        <button type="button" onClick={openConnectModal}>Connect wallet</button>
      </section>
    );
  }
  const me = address.toLowerCase();
  return (
    <section aria-labelledby="dash-title">
      <h1 id="dash-title">Dashboard</h1>
      <div className="tabs" role="tablist" aria-label="Dashboard view">
        {TABS.map(([t, label]) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} aria-controls={`panel-${t}`} id={`tab-${t}`} onClick={() => navigate(href("/dashboard", { view: t === "consumer" ? "" : t }), { replace: true })}>
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === "consumer" ? <ConsumerView me={me} /> : tab === "queries" ? <MyQueries me={me} /> : tab === "seller" ? <SellerView me={me} /> : tab === "unions" ? <MyUnionsView me={me} /> : <AdminUnionsView me={me} />}
      </div>
    </section>
  );
}

function useAccountStats(me: string) {
  return useGraph<{ account: AccountStats | null }>(`query A($id: ID!) { account(id: $id) { spent purchasesCount revenue salesCount productsPublished } }`, { id: me });
}

function ConsumerView({ me }: { me: string }) {
  const stats = useAccountStats(me);
  const balance = useDataBalance(me as `0x${string}`);
  const q = useGraph<{ agreements: GraphAgreement[] }>(
    `query Mine($me: Bytes!) { agreements(where: { consumer: $me }, orderBy: createdAt, orderDirection: desc, first: 1000) { ${AGREEMENT_FIELDS} } }`,
    { me },
  );
  const [open, setOpen] = useState<string>();
  const [action, setAction] = useState<{ kind: "renew" | "cancel"; id: string }>();
  const opener = useRef<HTMLButtonElement | null>(null);
  const toggle = (kind: "renew" | "cancel", id: string, button: HTMLButtonElement) => {
    opener.current = button;
    setAction(action?.kind === kind && action.id === id ? undefined : { kind, id });
  };
  const closeAction = () => {
    setAction(undefined);
    if (opener.current?.isConnected) opener.current.focus(); // back to the row's button
  };
  const list = q.data?.agreements ?? [];
  const latest = latestByProduct(list);
  const acting = action ? list.find((a) => a.id === action.id) : undefined;
  const spend = list.filter((a) => a.status === "ACTIVE" || a.status === "PENDING" || a.status === "TERMINATED").map((a) => ({ t: Number(a.createdAt), amount: BigInt(a.amountPaid) }));
  return (
    <>
      <div className="stats">
        <div className="card stat">
          <div className="muted">Balance</div>
          <div className="value">{balance.data === undefined ? "…" : data(balance.data)}</div>
          {DemoDataButton ? <Suspense fallback={null}><DemoDataButton address={me as `0x${string}`} onReceived={() => void balance.refetch()} /></Suspense> : null}
        </div>
        <div className="card stat"><div className="muted">Spent</div><div className="value">{stats.data?.account ? data(stats.data.account.spent) : "0 DATA"}</div></div>
        <div className="card stat"><div className="muted">Active agreements</div><div className="value">{list.filter((a) => isLive(a)).length}</div></div>
        <div className="card stat"><div className="muted">Waiting for approval</div><div className="value">{list.filter((a) => a.status === "PENDING").length}</div></div>
      </div>
      <h2>Spend over time</h2>
      <TimeChart title="My spending" points={spend} />
      <h2>My agreements</h2>
      {q.error ? <p role="alert" className="notice error">{q.error.message}</p> : null}
      {q.isLoading ? <p role="status">Loading…</p> : list.length === 0 ? <p>No purchases yet. <Link to="/explore">Explore the catalogue</Link>.</p> : null}
      {list.length ? (
        <div className="table-wrap">
          <table aria-label="My agreements">
            <thead>
              <tr><th>#</th><th>Product</th><th>Purpose</th><th>Status</th><th>Paid</th><th>Since</th><th>Expires</th><th>Data and actions</th></tr>
            </thead>
            <tbody>
              {list.map((a) => (
                <tr key={a.id}>
                  <td>{a.agreementId}</td>
                  <td><Link to={`/product/${a.product.id}`}>{a.product.title}</Link><div className="muted">{productTypeWords(a.product.productType)}</div></td>
                  <td>{purposeWords(a.purpose)}</td>
                  <td><span className={`badge ${isLive(a) ? "ok" : a.status === "PENDING" ? "warn" : ""}`}>{isLive(a) ? "Active" : a.status === "ACTIVE" ? "Expired" : statusWords(a.status.charAt(0) + a.status.slice(1).toLowerCase())}</span></td>
                  <td>
                    {data(a.amountPaid)}
                    {a.status === "TERMINATED" ? <div className="muted">{a.refunded !== "0" ? `${data(a.refunded)} refunded by the seller` : "no refund (already delivered)"}</div> : null}
                  </td>
                  <td>{date(a.startsAt || a.createdAt)}</td>
                  <td>{expiry(a)}</td>
                  <td>
                    {isLive(a) && a.product.productType === "BATCH" ? (
                      <Suspense fallback={<span className="muted">…</span>}>
                        <DownloadButton agreement={a} />
                      </Suspense>
                    ) : null}
                    {isLive(a) && (a.product.productType === "STREAM" || a.product.productType === "DATA_UNION") ? (
                      <button type="button" className="secondary" aria-expanded={open === a.id} onClick={() => setOpen(open === a.id ? undefined : a.id)}>
                        {open === a.id ? "Close live view" : "Live view"}
                      </button>
                    ) : null}
                    {isRenewable(a, latest.get(a.product.id)) ? (
                      <button type="button" className="secondary" aria-label={`Renew agreement ${a.agreementId}`} aria-expanded={action?.kind === "renew" && action.id === a.id} onClick={(e) => toggle("renew", a.id, e.currentTarget)}>
                        Renew
                      </button>
                    ) : null}
                    {a.status === "PENDING" ? (
                      <button type="button" className="secondary" aria-label={`Cancel request ${a.agreementId}`} aria-expanded={action?.kind === "cancel" && action.id === a.id} onClick={(e) => toggle("cancel", a.id, e.currentTarget)}>
                        Cancel request
                      </button>
                    ) : null}
                    {a.deliveries.length ? <div className="muted">{a.deliveries.length} delivery receipt{a.deliveries.length === 1 ? "" : "s"}</div> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {action && acting ? (
        action.kind === "renew"
          ? <RenewPanel key={`renew-${acting.id}`} agreement={acting} me={me as `0x${string}`} onClose={closeAction} />
          : <CancelPanel key={`cancel-${acting.id}`} agreement={acting} onClose={closeAction} />
      ) : null}
      {open ? (
        <Suspense fallback={<p role="status">Loading the live view…</p>}>
          <StreamView agreement={list.find((a) => a.id === open)!} />
        </Suspense>
      ) : null}
    </>
  );
}

function SellerView({ me }: { me: string }) {
  const stats = useAccountStats(me);
  const q = useGraph<{ agreements: SaleAgreement[] }>(
    `query Sales($me: Bytes!) { agreements(where: { seller: $me }, orderBy: createdAt, orderDirection: desc, first: 1000) {
      ${AGREEMENT_FIELDS.replace("consumer { id }", "consumer { id credential { category organisationType country } }")} } }`,
    { me },
  );
  const list = q.data?.agreements ?? [];
  const live = list.filter((a) => isLive(a));
  const pending = list.filter((a) => a.status === "PENDING");
  const revenue = list.filter((a) => a.status === "ACTIVE").map((a) => ({ t: Number(a.startsAt || a.createdAt), amount: BigInt(a.amountPaid) }));
  return (
    <>
      <div className="stats">
        <div className="card stat"><div className="muted">Revenue</div><div className="value">{stats.data?.account ? data(stats.data.account.revenue) : "0 DATA"}</div></div>
        <div className="card stat"><div className="muted">Sales</div><div className="value">{stats.data?.account?.salesCount ?? 0}</div></div>
        <div className="card stat"><div className="muted">Accessing now</div><div className="value">{live.length}</div></div>
        <div className="card stat"><div className="muted">Products</div><div className="value">{stats.data?.account?.productsPublished ?? 0}</div></div>
      </div>
      {pending.length ? (
        <p className="notice warn">{pending.length} request{pending.length === 1 ? " is" : "s are"} waiting for your approval: <Link to="/manage">approve or reject them in My products</Link>.</p>
      ) : null}
      <h2>Who accesses my data now</h2>
      {q.error ? <p role="alert" className="notice error">{q.error.message}</p> : null}
      {live.length === 0 ? <p>Nobody has access right now.</p> : (
        <div className="table-wrap">
          <table aria-label="Who accesses my data now">
            <thead><tr><th>Buyer</th><th>Who (from their credential)</th><th>Product</th><th>Purpose</th><th>Until</th></tr></thead>
            <tbody>
              {live.map((a) => (
                <tr key={a.id}>
                  <td className="address" title={a.consumer.id}>{shortAddress(a.consumer.id)}</td>
                  <td>{a.consumer.credential ? `${a.consumer.credential.category === "INDIVIDUAL" ? categoryWords(0) : orgTypeWords(a.consumer.credential.organisationType)}, ${countryCode(a.consumer.credential.country)}` : "—"}</td>
                  <td><Link to={`/product/${a.product.id}`}>{a.product.title}</Link></td>
                  <td>{purposeWords(a.purpose)}</td>
                  <td>{expiry(a)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Revenue over time</h2>
      <TimeChart title="My revenue" points={revenue} />
      <h2>Sales history</h2>
      {list.length === 0 ? <p>No sales yet. <Link to="/create">Publish a product</Link>.</p> : (
        <div className="table-wrap">
          <table aria-label="Sales history">
            <thead><tr><th>#</th><th>Date</th><th>Product</th><th>Buyer</th><th>Purpose</th><th>Status</th><th>Amount</th></tr></thead>
            <tbody>
              {list.map((a) => (
                <tr key={a.id}>
                  <td>{a.agreementId}</td>
                  <td>{date(a.createdAt)}</td>
                  <td><Link to={`/product/${a.product.id}`}>{a.product.title}</Link></td>
                  <td className="address" title={a.consumer.id}>{shortAddress(a.consumer.id)}</td>
                  <td>{purposeWords(a.purpose)}</td>
                  <td>{statusWords(a.status.charAt(0) + a.status.slice(1).toLowerCase())}</td>
                  <td>{data(a.amountPaid)}{a.status === "PENDING" ? " (escrow)" : a.status === "REJECTED" || a.status === "CANCELLED" ? " (refunded)" : a.status === "TERMINATED" && a.refunded !== "0" ? ` (${data(a.refunded)} refunded)` : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
