// graph-node compatible GraphQL over HTTP (Fastify): POST JSON {query, variables, operationName}
// or GET ?query=… at /subgraphs/name/<name> (and /subgraphs/id/<deployment>), CORS for the dApp,
// a GraphiQL page for browsers. Errors are GraphQL errors (`{ errors: [{ message }] }`, over a
// per-IP rate limit, a body limit and malformed JSON too); the server never goes down on a query.
// Answers are cached per indexed block (cache.ts). Optionally the operations endpoints (/health,
// /ready, /metrics), and a callback with the outcome and duration of every GraphQL request.
import cors from "@fastify/cors";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { performance } from "node:perf_hooks";
import { DEFAULT_PORTS } from "@kraken/sdk/config";
import { DEFAULT_READS_PER_IP, guardHttp, mountOps, serverOptions, type Ops, type RateLimit, type Refusal } from "@kraken/sdk/ops";
import type { PgStore } from "../store/pg-store.ts";
import { outcomeOf, ResultCache, type AnswerOutcome, type ResultCacheLimits } from "./cache.ts";
import { QueryEngine, type BlockResolver, type GraphqlRequest, type MetaInfo, type QueryLimits } from "./execute.ts";

/** ok: answered without errors; refused: not run (not a GraphQL request, invalid, over a
 * limit: errors and no `data`); error: failed while running (errors next to `data`, or 500). */
export type QueryOutcome = AnswerOutcome;

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
  /** finds blocks of time-travel queries that the store did not write (default: none) */
  resolveBlock?: BlockResolver;
  limits?: Partial<QueryLimits>;
  /** the per-block answer cache's bounds (default DEFAULT_RESULT_CACHE), or false for none */
  cache?: Partial<ResultCacheLimits> | false;
  /** max request body in bytes (default 1 MiB) */
  maxBody?: number;
  /** requests per client IP (default: DEFAULT_READS_PER_IP of @kraken/sdk/ops) */
  rateLimits?: { readsPerIp?: RateLimit };
  /** operations endpoints (@kraken/sdk/ops); `refresh` runs before a scrape */
  ops?: { ops: Ops; refresh(): void };
  /** called once per request at a subgraph path (but the query page), when it is answered */
  onQuery?: (outcome: QueryOutcome, seconds: number) => void;
}

export interface GraphqlServer {
  url: string;
  port: number;
  engine: QueryEngine;
  /** the answer cache, unless turned off */
  cache: ResultCache | null;
  stop(): Promise<void>;
}

/** A GraphQL request refused before it ran. */
class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
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
  const engine = new QueryEngine(store, meta, opts.limits, opts.resolveBlock);
  const cache = opts.cache === false ? null : new ResultCache(meta, (req, m) => engine.run(req, m), opts.cache);
  const paths = new Set([`/subgraphs/name/${name}`, `/subgraphs/name/${name}/graphql`, `/subgraphs/id/${store.deployment}`]);
  const pathOf = (req: FastifyRequest) => new URL(req.url, "http://localhost").pathname.replace(/\/+$/, "");
  const errors = (message: string) => ({ errors: [{ message }] });
  const REFUSALS: Record<Refusal["kind"], (r: Refusal) => string> = {
    "rate-limited": (r) => r.message,
    "too-large": () => `request body larger than ${maxBody} bytes`,
    malformed: () => "The request body is not valid JSON",
  };

  const app = Fastify(serverOptions({ bodyLimit: maxBody, requestTimeoutMs: 60_000 }));
  app.server.headersTimeout = 20_000;
  await app.register(cors, {
    origin: "*", methods: ["GET", "POST", "OPTIONS"], allowedHeaders: ["Content-Type", "Authorization", "User-Agent", "Accept"], maxAge: 86400, strictPreflight: false,
  });
  await guardHttp(app, {
    bodyLimit: maxBody,
    perIp: opts.rateLimits?.readsPerIp ?? DEFAULT_READS_PER_IP,
    json: {}, // whatever the content type says
    shape: (r) => errors(REFUSALS[r.kind](r)),
    onRefusal: (_r, req, reply) => {
      if (paths.has(pathOf(req))) opts.onQuery?.("refused", reply.elapsedTime / 1000);
    },
    fallback: (e, _req, reply) => reply.code(500).type("application/json; charset=utf-8").send(errors(`Internal error: ${e.message}`)),
  });
  if (opts.ops) mountOps(app, opts.ops.ops, { refresh: opts.ops.refresh });

  app.route({
    method: ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"],
    url: "*",
    handler: async (req, reply) => {
      const url = new URL(req.url, "http://localhost");
      const path = pathOf(req);
      if (path === "") return { subgraphs: [`/subgraphs/name/${name}`], deployment: store.deployment };
      if (!paths.has(path)) return reply.code(404).send(errors(`No subgraph at ${url.pathname}; try /subgraphs/name/${name}`));
      const started = performance.now();
      let outcome: QueryOutcome | null = "error"; // if it throws: a 500
      try {
        outcome = await graphql(req, reply, url);
      } finally {
        if (outcome) opts.onQuery?.(outcome, (performance.now() - started) / 1000);
      }
      return reply;
    },
  });

  /** Answers a request at a subgraph path; its outcome, or null for the query page. */
  const graphql = async (req: FastifyRequest, reply: FastifyReply, url: URL): Promise<QueryOutcome | null> => {
    let request: GraphqlRequest;
    try {
      if (req.method === "GET") {
        const query = url.searchParams.get("query");
        if (query === null) {
          if ((req.headers.accept ?? "").includes("text/html")) {
            reply.type("text/html; charset=utf-8").send(graphiqlPage(url.pathname));
            return null;
          }
          throw new Refused(400, "GET requests need a ?query= parameter");
        }
        request = {
          query,
          variables: parseVariables(url.searchParams.get("variables")),
          operationName: url.searchParams.get("operationName"),
        };
      } else if (req.method === "POST") {
        const parsed = req.body;
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Refused(400, "The request body must be a JSON object {query, variables, operationName}");
        const p = parsed as Record<string, unknown>;
        if (typeof p.query !== "string") throw new Refused(400, "The request has no query string");
        request = {
          query: p.query,
          variables: parseVariables(p.variables),
          operationName: typeof p.operationName === "string" ? p.operationName : null,
        };
      } else {
        throw new Refused(405, `${req.method} is not supported`);
      }
    } catch (e) {
      reply.code(e instanceof Refused ? e.status : 400).send(errors((e as Error).message));
      return "refused";
    }
    if (cache) {
      const answer = await cache.answer(request);
      reply.type("application/json; charset=utf-8").send(answer.body);
      return answer.outcome;
    }
    const result = await engine.run(request);
    reply.send(result);
    return outcomeOf(result);
  };

  await app.listen({ port: opts.port ?? DEFAULT_PORTS.indexer, host });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : (opts.port ?? DEFAULT_PORTS.indexer);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/subgraphs/name/${name}`,
    port,
    engine,
    cache,
    stop: () => app.close(),
  };
}
