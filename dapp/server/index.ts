// The dApp's server for `npm start`: builds the static bundle when its sources changed (cached by
// an input hash under dataDir) and serves it with a small static server (Fastify: per-IP rate
// limit, timeouts, no request body taken; refusals as plain text), plus /config.json from the
// given configuration. Any other web server can host the same dist/ with its own config.json.
import Fastify from "fastify";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, normalize, relative, sep } from "node:path";
import { childEnv, DEFAULT_PORTS } from "@kraken/sdk/config";
import { DEFAULT_READS_PER_IP, guardHttp, jsonParser, mountOps, serverOptions, type RateLimit, type Refusal } from "@kraken/sdk/ops";
import type { DappConfig } from "../src/config.ts";
import { dappOps, isOpsRequest } from "./ops.ts";

export { dappConfigFrom } from "./config.ts";
export type { DappConfig } from "../src/config.ts";

const dappDir = join(import.meta.dirname, "..");
const rootDir = join(dappDir, "..");

export interface DappServerOptions {
  /** default 5173; 0 picks a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  config: DappConfig;
  /** build output and cache (e.g. .data/dapp) */
  dataDir: string;
  log: (line: string) => void;
  /** "demo" (default: includes the Demo wallet) or "production" (Demo wallet compiled out) */
  mode?: "demo" | "production";
  /** Requests per client IP (default: DEFAULT_READS_PER_IP of @kraken/sdk/ops). */
  rateLimits?: { readsPerIp?: RateLimit };
}

export interface RunningDapp {
  url: string;
  distDir: string;
  stop(): Promise<void>;
}

export class DappBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DappBuildError";
  }
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? files(p) : [p];
    });
}

/** Hash of everything the bundle depends on: the dApp's sources, the SDK (incl. generated ABIs), the lockfile. */
export function inputsHash(mode: string): string {
  const h = createHash("sha256").update(`mode=${mode}\n`);
  const inputs = [
    ...["index.html", "vite.config.ts", "package.json", "tsconfig.json"].map((f) => join(dappDir, f)),
    ...files(join(dappDir, "src")),
    ...files(join(dappDir, "public")),
    ...files(join(rootDir, "sdk", "src")),
    join(rootDir, "sdk", "package.json"),
    join(rootDir, "package-lock.json"),
  ];
  for (const f of inputs) if (existsSync(f)) h.update(relative(rootDir, f)).update("\0").update(readFileSync(f)).update("\0");
  return h.digest("hex");
}

/** Runs `vite build` into dataDir/dist unless the same inputs were built before. Returns the dist dir. */
export async function buildDapp(o: { dataDir: string; mode?: "demo" | "production"; log?: (line: string) => void }): Promise<string> {
  const mode = o.mode ?? "demo";
  const distDir = join(o.dataDir, "dist");
  const stamp = join(o.dataDir, "build-inputs-hash");
  const hash = inputsHash(mode);
  if (existsSync(join(distDir, "index.html")) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return distDir;
  mkdirSync(o.dataDir, { recursive: true });
  o.log?.(`building the dApp (vite build --mode ${mode})…`);
  const started = Date.now();
  const vite = join(dirname(createRequire(join(dappDir, "package.json")).resolve("vite/package.json")), "bin", "vite.js");
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, "build", "--mode", mode, "--outDir", distDir, "--emptyOutDir", "--logLevel", "warn"], {
      cwd: dappDir,
      stdio: ["ignore", "pipe", "pipe"],
      env: childEnv({ NODE_ENV: "production" }),
    });
    child.stdout.on("data", (d) => output.push(String(d)));
    child.stderr.on("data", (d) => output.push(String(d)));
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) throw new DappBuildError(`vite build failed (exit ${code}):\n${output.join("").slice(-4000)}`);
  writeFileSync(stamp, hash);
  o.log?.(`dApp built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return distDir;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/** An answer of the static server. */
export interface StaticAnswer {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
}

/** Serves dist/ and /config.json; unknown paths without an extension get index.html (SPA fallback). */
export function staticHandler(distDir: string, config: DappConfig) {
  const configJson = JSON.stringify(config, null, 2);
  const index = () => readFileSync(join(distDir, "index.html"));
  const send = (status: number, type: string, body: Buffer | string, cache: string): StaticAnswer => ({
    status,
    headers: { "content-type": type, "cache-control": cache, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" },
    body,
  });
  return (method: string, url: string): StaticAnswer => {
    if (method !== "GET" && method !== "HEAD") return { status: 405, headers: { allow: "GET, HEAD" } };
    let path: string;
    try {
      path = decodeURIComponent(new URL(url, "http://x").pathname);
    } catch {
      return { status: 400, headers: {} };
    }
    if (path === "/config.json") return send(200, TYPES[".json"], configJson, "no-store");
    const file = normalize(join(distDir, path));
    if (!file.startsWith(distDir + sep) && file !== distDir) return send(403, TYPES[".txt"], "forbidden", "no-store");
    if (existsSync(file) && statSync(file).isFile()) {
      const immutable = path.startsWith("/assets/");
      return send(200, TYPES[extname(file).toLowerCase()] ?? "application/octet-stream", readFileSync(file), immutable ? "public, max-age=31536000, immutable" : "no-cache");
    }
    if (extname(path) && path !== "/") return send(404, TYPES[".txt"], `not found: ${path}`, "no-store");
    return send(200, TYPES[".html"], index(), "no-cache");
  };
}

const MAX_BODY = 16 * 1024; // no route takes a body
const REFUSALS: Record<Refusal["kind"], (r: Refusal) => string> = {
  "rate-limited": (r) => r.message,
  "too-large": () => "request body too large",
  malformed: () => "the request body is not JSON",
};

/** Builds (if needed) and serves the dApp. Also writes dataDir/config.json for `npm run dev` in dapp/. */
export async function startDapp(o: DappServerOptions): Promise<RunningDapp> {
  const host = o.host ?? "127.0.0.1";
  const distDir = await buildDapp({ dataDir: o.dataDir, mode: o.mode, log: o.log });
  writeFileSync(join(o.dataDir, "config.json"), JSON.stringify(o.config, null, 2) + "\n");
  const serve = staticHandler(distDir, o.config);
  // GET /health, /ready (bundle) and /metrics; everything else is the static server's (counted)
  const metrics = dappOps(distDir, o.dataDir);
  const app = Fastify(serverOptions({ bodyLimit: MAX_BODY }));
  app.addHook("onRequest", async (req, reply) => {
    if (!isOpsRequest(req.raw)) metrics.track(reply.raw);
  });
  await guardHttp(app, {
    bodyLimit: MAX_BODY,
    perIp: o.rateLimits?.readsPerIp ?? DEFAULT_READS_PER_IP,
    shape: (r) => REFUSALS[r.kind](r),
    fallback: (err, req, reply) => {
      // e.g. dist/ removed under the running server (then /ready says so)
      o.log(`error on ${req.method} ${req.url}: ${err.message}`);
      return reply.code(500).send();
    },
  });
  // Bodies are read (bounded) and dropped; JSON ones must be JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, jsonParser({ empty: () => undefined }));
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, _body, done) => done(null));
  mountOps(app, metrics.ops);
  app.route({
    method: ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"],
    url: "*",
    handler: async (req, reply) => {
      const a = serve(req.method, req.url);
      return reply.code(a.status).headers(a.headers).send(a.body);
    },
  });
  await app.listen({ port: o.port ?? DEFAULT_PORTS.dapp, host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : o.port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  o.log(`dApp at ${url}`);
  return {
    url,
    distDir,
    stop: () => app.close(),
  };
}
