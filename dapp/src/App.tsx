// The app shell: header (navigation, wallet, demo persona, indexer status), the routed page,
// footer. Pages are lazy-loaded so the first screen stays small.
import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from "react";
import { ConnectButton } from "@rainbow-me/rainbowkit";
import { Link, match, useRoute } from "./router.tsx";
import { useDapp } from "./hooks/dapp.ts";
import { IndexerStatus } from "./components/IndexerStatus.tsx";
import { ErrorBoundary } from "./components/ErrorBoundary.tsx";

const Explore = lazy(() => import("./pages/Explore.tsx"));
const Product = lazy(() => import("./pages/Product.tsx"));
const Register = lazy(() => import("./pages/Register.tsx"));
const Dashboard = lazy(() => import("./pages/Dashboard.tsx"));
const CreateProduct = lazy(() => import("./pages/seller/CreateProduct.tsx"));
const ManageProducts = lazy(() => import("./pages/seller/ManageProducts.tsx"));
const UnionPage = lazy(() => import("./pages/union/UnionPage.tsx"));
const CreateUnion = lazy(() => import("./pages/union/CreateUnion.tsx"));
const NotFound = lazy(() => import("./pages/NotFound.tsx"));
// Compiled out of production builds together with the demo wallet.
const DemoPersonaSwitcher = __KRAKEN_DEMO__ ? lazy(() => import("./wallet/DemoPersonaSwitcher.tsx")) : null;

type Page = LazyExoticComponent<ComponentType<{ params: Record<string, string> }>>;

/** Route table: the first pattern that matches wins. Seller pages own everything under /create and /manage. */
const ROUTES: [pattern: string | RegExp, page: Page][] = [
  ["/", Explore],
  ["/explore", Explore],
  ["/product/:id", Product],
  ["/register", Register],
  ["/dashboard", Dashboard],
  ["/unions", UnionPage],
  ["/unions/new", CreateUnion],
  ["/unions/:address", UnionPage],
  [/^\/create(\/|$)/, CreateProduct],
  [/^\/manage(\/|$)/, ManageProducts],
];

function resolve(path: string): { Page: Page; params: Record<string, string> } {
  for (const [pattern, Page] of ROUTES) {
    if (typeof pattern === "string") {
      const params = match(pattern, path);
      if (params) return { Page, params };
    } else if (pattern.test(path)) return { Page, params: {} };
  }
  return { Page: NotFound as Page, params: {} };
}

const NAV: [to: string, label: string][] = [
  ["/explore", "Explore"],
  ["/dashboard", "Dashboard"],
  ["/unions", "Data unions"],
  ["/create", "Sell data"],
  ["/manage", "My products"],
  ["/register", "Register / log in"],
];

export function App() {
  const { path } = useRoute();
  const { demo } = useDapp();
  const { Page, params } = resolve(path);
  const section = "/" + (path.split("/")[1] || "explore");
  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>
        Skip to content
      </a>
      <header className="app-header">
        <div className="brand-row">
          <Link to="/explore" className="brand" aria-label="Kraken data marketplace, home">
            <span aria-hidden="true" className="brand-mark" /> Kraken
          </Link>
          <IndexerStatus />
        </div>
        <nav aria-label="Main">
          <ul className="nav">
            {NAV.map(([to, label]) => (
              <li key={to}>
                <Link to={to} aria-current={section === to || (to === "/explore" && section === "/product") ? "page" : undefined}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="wallet-area">
          {DemoPersonaSwitcher && demo ? (
            <Suspense fallback={null}>
              <DemoPersonaSwitcher />
            </Suspense>
          ) : null}
          <ConnectButton accountStatus="address" chainStatus="none" showBalance={false} label="Connect wallet" />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorBoundary key={path}>
          <Suspense fallback={<p className="muted" role="status">Loading…</p>}>
            <Page params={params} />
          </Suspense>
        </ErrorBoundary>
      </main>
      <footer className="app-footer">
        <p>
          Nothing personal goes on chain: the chain holds addresses, product terms, consent policies and payments. Your
          credential and any data stay with you and the people you share them with.
        </p>
      </footer>
    </div>
  );
}
