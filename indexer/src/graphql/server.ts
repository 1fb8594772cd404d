// graph-node compatible GraphQL over HTTP: POST JSON {query, variables, operationName} or GET
// ?query=… at /subgraphs/name/<name> (and /subgraphs/id/<deployment>), CORS for the dApp, a
// GraphiQL page for browsers. Errors are GraphQL errors; the server never goes down on a query.
// Optionally the operations endpoints (/health, /ready, /metrics), answered before the GraphQL
// routing, and a callback with the outcome and duration of every GraphQL request.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { DEFAULT_PORTS } from "@kraken/sdk/config";
import type { PgStore } from "../store/pg-store.ts";
import { QueryEngine, type GraphqlRequest, type MetaInfo, type QueryLimits } from "./execute.ts";

/** ok: answered without errors; refused: not run (not a GraphQL request, invalid, over a
 * limit: errors and no `data`); error: failed while running (errors next to `data`, or 500). */
export type QueryOutcome = "ok" | "error" | "refused";

export interface GraphqlServerOptions {
  store: PgStore;
  /** schema.graphql; informational: the store already holds the parsed model */
  schemaFile?: string;
  port?: number;
  host?: string;
  /** subgraph name served at /subgraphs/name/<name> (default kraken/marketplace) */
  name?: string;
  /** the indexing status for `_meta` (default: the store's checkpoint) */
  meta?: () => MetaInfo | Promise<MetaInfo>;
  limits?: Partial<QueryLimits>;
  /** max request body in bytes (default 1 MiB) */
  maxBody?: number;
  /** operations endpoints (@kraken/sdk/ops `handle`): tried first on every request */
  ops?: { handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> };
  /** called once per request at a subgraph path (but the query page), when it is answered */
  onQuery?: (outcome: QueryOutcome, seconds: number) => void;
}

export interface GraphqlServer {
  url: string;
  port: number;
  engine: QueryEngine;
  stop(): Promise<void>;
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "Content-Type, Authorization, User-Agent, Accept",
  "access-control-max-age": "86400",
};

function send(res: ServerResponse, status: number, body: unknown, type = "application/json; charset=utf-8") {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { ...CORS, "content-type": type, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(Object.assign(new Error(`request body larger than ${max} bytes`), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** A small self-contained query page for browsers (no external assets: the stack runs offline). */
export function graphiqlPage(endpoint: string): string {
  const example = `{
  products(first: 5, orderBy: createdAt, orderDirection: desc) { id title productType price seller { id } }
  _meta { block { number hash } hasIndexingErrors }
}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Subgraph · ${endpoint}</title>
<style>body{font:14px system-ui,sans-serif;margin:1rem;max-width:70rem}textarea,pre{width:100%;box-sizing:border-box;font:13px ui-monospace,monospace}
textarea{height:14rem}pre{background:#f4f4f4;padding:.75rem;min-height:10rem;overflow:auto}</style></head>
<body><h1>GraphQL: ${endpoint}</h1>
<label for="q">Query (graph-node compatible)</label><textarea id="q">${example}</textarea>
<p><button id="run">Run query</button></p><pre id="out" aria-live="polite"></pre>
<script>document.getElementById('run').onclick=async()=>{const out=document.getElementById('out');out.textContent='…';
try{const r=await fetch(location.pathname,{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({query:document.getElementById('q').value})});
out.textContent=JSON.stringify(await r.json(),null,2)}catch(e){out.textContent=String(e)}};</script>
</body></html>`;
}

function parseVariables(v: unknown): Record<string, unknown> | null {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v === "string") return JSON.parse(v);
  if (typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new Error("variables must be an object");
}

export async function startGraphqlServer(opts: GraphqlServerOptions): Promise<GraphqlServer> {
  const { store } = opts;
  const host = opts.host ?? "127.0.0.1";
  const name = opts.name ?? "kraken/marketplace";
  const maxBody = opts.maxBody ?? 1 << 20;
  const meta = async (): Promise<MetaInfo> => {
    if (opts.meta) return opts.meta();
    const cp = await store.checkpoint();
    return { block: cp.block, hasIndexingErrors: cp.hasIndexingErrors, deployment: cp.deployment };
  };
  const engine = new QueryEngine(store, meta, opts.limits);
  const paths = new Set([`/subgraphs/name/${name}`, `/subgraphs/name/${name}/graphql`, `/subgraphs/id/${store.deployment}`]);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (opts.ops && (await opts.ops.handle(req, res))) return;
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\/+$/, "");
    if (req.method === "OPTIONS") {
      res.writeHead(204, CORS);
      res.end();
      return;
    }
    if (path === "" || path === "/") {
      send(res, 200, { subgraphs: [`/subgraphs/name/${name}`], deployment: store.deployment });
      return;
    }
    if (!paths.has(path)) {
      send(res, 404, { errors: [{ message: `No subgraph at ${url.pathname}; try /subgraphs/name/${name}` }] });
      return;
    }
    const started = performance.now();
    let outcome: QueryOutcome | null = "error"; // if it throws: a 500
    try {
      outcome = await graphql(req, res, url);
    } finally {
      if (outcome) opts.onQuery?.(outcome, (performance.now() - started) / 1000);
    }
  };

  /** Answers a request at a subgraph path; its outcome, or null for the query page. */
  const graphql = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<QueryOutcome | null> => {
    let request: GraphqlRequest;
    try {
      if (req.method === "GET") {
        const query = url.searchParams.get("query");
        if (query === null) {
          if ((req.headers.accept ?? "").includes("text/html")) {
            send(res, 200, graphiqlPage(url.pathname), "text/html; charset=utf-8");
            return null;
          }
          send(res, 400, { errors: [{ message: "GET requests need a ?query= parameter" }] });
          return "refused";
        }
        request = {
          query,
          variables: parseVariables(url.searchParams.get("variables")),
          operationName: url.searchParams.get("operationName"),
        };
      } else if (req.method === "POST") {
        const body = await readBody(req, maxBody);
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          send(res, 400, { errors: [{ message: "The request body is not valid JSON" }] });
          return "refused";
        }
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
          send(res, 400, { errors: [{ message: "The request body must be a JSON object {query, variables, operationName}" }] });
          return "refused";
        }
        const p = parsed as Record<string, unknown>;
        if (typeof p.query !== "string") {
          send(res, 400, { errors: [{ message: "The request has no query string" }] });
          return "refused";
        }
        request = {
          query: p.query,
          variables: parseVariables(p.variables),
          operationName: typeof p.operationName === "string" ? p.operationName : null,
        };
      } else {
        send(res, 405, { errors: [{ message: `${req.method} is not supported` }] });
        return "refused";
      }
    } catch (e) {
      const status = (e as { status?: number }).status ?? 400;
      send(res, status, { errors: [{ message: (e as Error).message }] });
      return "refused";
    }
    const result = await engine.run(request);
    send(res, 200, result);
    return !result.errors?.length ? "ok" : "data" in result ? "error" : "refused";
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, 500, { errors: [{ message: `Internal error: ${(e as Error).message}` }] });
      else res.destroy();
    });
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? DEFAULT_PORTS.indexer, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/subgraphs/name/${name}`,
    port,
    engine,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
