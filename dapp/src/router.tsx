// A small hash router (no router package): routes live after "#", so the static bundle works
// on any web server without rewrite rules, and every page state that matters (the explore
// query, a product id) is in the URL and can be shared. `#/explore?q=diabetes&type=BATCH`.
import { useCallback, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";

export interface Route {
  /** "/product/3" */
  path: string;
  /** the query part after "?" */
  query: URLSearchParams;
}

function current(): string {
  const h = window.location.hash.replace(/^#/, "");
  return h.startsWith("/") ? h : "/" + h;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

export function parseRoute(hash: string): Route {
  const [path, search = ""] = hash.split("?", 2);
  return { path: path.replace(/\/+$/, "") || "/", query: new URLSearchParams(search) };
}

/** The current route; re-renders on navigation. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, current, () => "/");
  return parseRoute(hash);
}

/** `to` is a route ("/product/3?x=1"); `replace` keeps browser history short (filters, typing). */
export function navigate(to: string, o: { replace?: boolean } = {}): void {
  const target = "#" + (to.startsWith("/") ? to : "/" + to);
  if (o.replace) {
    window.history.replaceState(window.history.state, "", target);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    window.location.hash = target;
  }
}

/** Builds "/path?k=v" leaving out empty values. */
export function href(path: string, query: Record<string, string | number | boolean | undefined | null> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "" && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Matches "/product/:id" against a path; returns the params or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split("/");
  const a = path.split("/");
  if (p.length !== a.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(":")) out[p[i].slice(1)] = decodeURIComponent(a[i]);
    else if (p[i] !== a[i]) return undefined;
  }
  return out;
}

/** An <a> to a route: a real link (open in new tab, copy link) with client-side navigation. */
export function Link({ to, replace, ...rest }: { to: string; replace?: boolean } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = useCallback(
    (e: MouseEvent<HTMLAnchorElement>) => {
      rest.onClick?.(e);
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(to, { replace });
    },
    [to, replace, rest.onClick],
  );
  return <a {...rest} href={"#" + to} onClick={onClick} />;
}
