// The demo issuer service (Fastify; JSON; CORS open: the dApp calls it from its own origin).
// Endpoints: see sdk/src/ssi/protocol.ts and issuer/README.md. Every refusal is
// `{ error: <code>, message }`; requests are limited per client IP (the socket's peer):
// `readsPerIp` over the GET routes, `writesPerIp` over each POST route.
import cors from "@fastify/cors";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Hex } from "viem";
import { clientsFor, credentialsAbi, marketplaceChain, type Deployment } from "@kraken/sdk";
import { configValue, DEFAULT_PORTS } from "@kraken/sdk/config";
import {
  DEFAULT_READS_PER_IP, DEFAULT_WRITES_PER_IP, guardHttp, mountOps, routeRateLimit, serverOptions,
  type RateLimit, type Refusal,
} from "@kraken/sdk/ops";
import { SsiError, type SsiErrorCode } from "@kraken/sdk/ssi";
import { issuerStatusList, LoginVerifier, publicLoginError } from "@kraken/sdk/ssi/verifier";
import { issuerAccount, loadOrCreateIdentity } from "./identity.ts";
import { IssuanceChallenges, issue } from "./issuance.ts";
import { issuerOps } from "./ops.ts";
import { readmit, revoke } from "./revocation.ts";
import { StatusList } from "./status-list.ts";
import { writeFileAtomic } from "./store.ts";

export const DEFAULT_ISSUER_PORT = DEFAULT_PORTS.issuer;

export interface IssuerOptions {
  /** TCP port (default 8787; 0 picks a free one). */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  rpcUrl: string;
  deployment: Deployment;
  /** The issuer's own state directory (its did:key, status list, admin token), e.g. `.data/issuer`. */
  dataDir: string;
  log?: (line: string) => void;
  /** Ethereum key that signs attestations (default: KRAKEN_ISSUER_KEY, else dev account #1 on the local chain). */
  privateKey?: Hex;
  /** Bearer token of the revocation and re-admission endpoints (default: KRAKEN_ISSUER_ADMIN_TOKEN, else generated into `<dataDir>/admin-token`). */
  adminToken?: string;
  /** URL the service is reached at, used in credential status links (default http://<host>:<port>). */
  publicUrl?: string;
  /** Credential validity (default 365 days). */
  validityDays?: number;
  /**
   * Longest time an issuance waits before the status list (`<dataDir>/status.json`) is written
   * (default 200 ms): one write carries all issuances of that window. Revocations and
   * re-admissions are written at once; stop() writes what is pending.
   */
  statusFlushMs?: number;
  /**
   * Login with other issuers' credentials: issuer DID -> the origin its status list is served
   * from. Their status lists are fetched only from there; issuers not listed are not looked up
   * (their on-chain registration decides). This issuer's own credentials use its local list.
   */
  statusOrigins?: Record<string, string>;
  /** Requests per client IP: GET routes together, and each POST route (defaults in @kraken/sdk/ops). */
  rateLimits?: { readsPerIp?: RateLimit; writesPerIp?: RateLimit };
}

export interface RunningIssuer {
  url: string;
  did: string;
  /** The issuer's Ethereum address (attestation signer). */
  address: Hex;
  stop(): Promise<void>;
}

const STATUS: Partial<Record<SsiErrorCode, number>> = {
  "bad-request": 400,
  "challenge-unknown": 400,
  "challenge-expired": 400,
  "challenge-replayed": 409,
  "bad-signature": 401,
  unauthorized: 401,
  "credential-revoked": 403,
  "untrusted-issuer": 403,
  "not-found": 404,
  "registration-failed": 502,
  "status-unavailable": 503,
};

class HttpError extends SsiError {}

const MAX_BODY = 256 * 1024;
/** Refusals before a handler runs, in the issuer's codes and words. */
const REFUSALS: Record<Refusal["kind"], (r: Refusal) => { error: SsiErrorCode; message: string }> = {
  "rate-limited": (r) => ({ error: "rate-limited", message: r.message }),
  "too-large": () => ({ error: "too-large", message: "request body too large" }),
  malformed: () => ({ error: "bad-request", message: "request body is not JSON" }),
};

function adminTokenFor(dataDir: string, given: string | undefined, log: (l: string) => void): string {
  const token = given ?? configValue("KRAKEN_ISSUER_ADMIN_TOKEN");
  if (token) return token;
  const file = join(dataDir, "admin-token");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const generated = randomBytes(24).toString("base64url");
  writeFileAtomic(file, generated + "\n", 0o600);
  log(`generated the revocation and re-admission admin token in ${file}`);
  return generated;
}

export async function startIssuer(opts: IssuerOptions): Promise<RunningIssuer> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`[issuer] ${l}\n`));
  const dataDir = resolve(opts.dataDir);
  const host = opts.host ?? "127.0.0.1";
  const { deployment } = opts;
  const identity = await loadOrCreateIdentity(dataDir, log);
  const account = issuerAccount(deployment.chainId, opts.privateKey);
  const chain = marketplaceChain(opts.rpcUrl, deployment.chainId);
  const { publicClient, wallet } = clientsFor(chain, account, 50);
  const adminToken = adminTokenFor(dataDir, opts.adminToken, log);
  const statusList = new StatusList(dataDir, { flushMs: opts.statusFlushMs, log });
  const challenges = new IssuanceChallenges(identity.did);

  const trusted = await publicClient.readContract({ address: deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "isTrustedIssuer", args: [account.address] });
  if (!trusted) log(`warning: ${account.address} is not a trusted issuer in Credentials ${deployment.contracts.Credentials.address}; registrations with its attestations will be refused`);
  // GET /health, /ready (chain, key) and /metrics
  const metrics = issuerOps({
    rpcUrl: opts.rpcUrl,
    chainId: deployment.chainId,
    publicClient,
    credentials: deployment.contracts.Credentials.address,
    issuer: account.address,
    did: identity.did,
    trusted,
    dataDir,
  });

  // The public URL (credential status links, the login domain) may name the port bound below:
  // requests wait for it.
  let deps!: Parameters<typeof issue>[0];
  let verifier!: LoginVerifier;
  let setUp!: () => void;
  const started = new Promise<void>((ok) => (setUp = ok));

  const isAdmin = (req: FastifyRequest) => {
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "");
    const expected = Buffer.from(adminToken);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const seconds = (reply: FastifyReply) => reply.elapsedTime / 1000;
  const answer = (status: number, reply: FastifyReply, err: SsiError) => {
    metrics.refused(err.code);
    metrics.request("refused", seconds(reply));
    return reply.code(status).send({ error: err.code, message: err.message });
  };

  const reads = opts.rateLimits?.readsPerIp ?? DEFAULT_READS_PER_IP;
  const writes = routeRateLimit(opts.rateLimits?.writesPerIp ?? DEFAULT_WRITES_PER_IP);
  const app = Fastify(serverOptions({ bodyLimit: MAX_BODY }));
  app.addHook("onRequest", () => started);
  await app.register(cors, { origin: "*", methods: ["GET", "POST", "OPTIONS"], allowedHeaders: ["content-type", "authorization"], strictPreflight: false });
  await guardHttp(app, {
    bodyLimit: MAX_BODY,
    perIp: reads,
    json: { empty: () => ({}) }, // whatever the content type says
    shape: (r) => REFUSALS[r.kind](r),
    onRefusal: (r, _req, reply) => {
      metrics.refused(REFUSALS[r.kind](r).error);
      metrics.request("refused", seconds(reply));
    },
    fallback: (err, req, reply) => {
      if (err instanceof SsiError) return answer(STATUS[err.code] ?? 401, reply, err);
      metrics.request("error", seconds(reply));
      // Messages never contain personal data (they name addresses, DIDs and checks only).
      log(`error on ${req.method} ${req.url}: ${err.message}`);
      return reply.code(500).send({ error: "internal", message: "internal error (see the issuer's log)" });
    },
  });
  app.setNotFoundHandler((req, reply) => answer(404, reply, new HttpError("not-found", `no route ${req.method} ${req.url.split("?")[0]}`)));

  // /health, /ready and /metrics are not counted as requests.
  mountOps(app, metrics.ops);
  /** A counted route: its answer, or a refusal (SsiError) through the error handler. */
  const counted = (fn: (req: FastifyRequest) => unknown) => async (req: FastifyRequest, reply: FastifyReply) => {
    const body = await fn(req);
    metrics.request("ok", seconds(reply));
    return body;
  };
  const body = (req: FastifyRequest) => (req.body ?? {}) as Record<string, any>; // no body at all: {}
  const admin = (what: string) => async (req: FastifyRequest) => {
    // before the body is read
    if (!isAdmin(req)) throw new HttpError("unauthorized", `${what} needs the issuer's admin bearer token`);
  };

  app.get("/", counted(() => ({
    service: "Kraken demo credential issuer",
    did: identity.did,
    address: account.address,
    chainId: deployment.chainId,
    credentials: deployment.contracts.Credentials.address,
    trustedOnChain: trusted,
    loginDomain: verifier.domain,
  })));
  app.post("/challenges", { config: writes }, counted((req) => challenges.create(body(req).address)));
  app.post("/credentials", { config: writes }, counted(async (req) => {
    const issued = await issue(deps, challenges, body(req));
    metrics.issued();
    return issued;
  }));
  app.get("/credentials/status/*", counted((req) => {
    const path = req.url.split("?")[0];
    const id = `urn:uuid:${decodeURIComponent(path.slice("/credentials/status/".length))}`;
    const entry = statusList.get(id);
    if (!entry) throw new HttpError("not-found", `no credential ${id} was issued here`);
    return { id, revoked: entry.revoked };
  }));
  app.post("/credentials/revoke", { config: writes, onRequest: admin("revocation") }, counted((req) => revoke(deps, body(req))));
  app.post("/credentials/readmit", { config: writes, onRequest: admin("re-admission") }, counted((req) => readmit(deps, body(req))));
  app.post("/login/challenge", { config: writes }, counted(() => verifier.createChallenge()));
  app.post("/login", { config: writes }, counted(async (req) => {
    try {
      const session = await verifier.verify(body(req).presentation);
      log(`login of ${session.did}`);
      return session;
    } catch (err) {
      // The reason goes to the log only (verifier messages name addresses, DIDs, credential ids
      // and URLs, never claims); the client gets a generic refusal, so that it cannot use the
      // login to learn what the verifier checked or what a status URL answered.
      const reason = err instanceof SsiError ? `${err.code}: ${err.message}` : `error: ${(err as Error).message}`;
      log(`login refused (${reason.replace(/[\u0000-\u001f\u007f]/g, " ")})`);
      throw publicLoginError(err);
    }
  }));
  app.get("/session", counted((req) => {
    const session = verifier.session(/^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1]);
    if (!session) throw new HttpError("unauthorized", "no valid session: log in with a presentation (POST /login)");
    return session;
  }));

  await app.listen({ port: opts.port ?? DEFAULT_ISSUER_PORT, host }).catch((err: NodeJS.ErrnoException) => {
    throw err.code === "EADDRINUSE" ? new Error(`issuer: port ${opts.port ?? DEFAULT_ISSUER_PORT} on ${host} is in use`) : err;
  });
  const addr = app.server.address();
  const url = `http://${host}:${typeof addr === "object" && addr ? addr.port : opts.port}`;
  const publicUrl = (opts.publicUrl ?? url).replace(/\/$/, "");
  deps = { identity, account, wallet, publicClient, deployment, statusList, publicUrl, validityDays: opts.validityDays ?? 365, log };
  verifier = new LoginVerifier({
    publicClient,
    credentials: deployment.contracts.Credentials.address,
    chainId: deployment.chainId,
    // Presentations must name this service's public origin (scheme, host and port), which
    // clients take from the URL they call, not from the challenge: see loginWithPresentation.
    domain: new URL(publicUrl).origin,
    // Our own credentials: the local status list; another issuer's: its status endpoint, only on
    // the origin configured for it (called after the on-chain trust check; see the verifier).
    isRevokedByIssuer: async (vc) =>
      vc.issuer === identity.did ? Boolean(statusList.get(vc.id)?.revoked) : issuerStatusList(vc, { origins: { ...opts.statusOrigins } }),
  });
  setUp();

  log(`listening on ${url}; did ${identity.did}; attestations signed by ${account.address}${trusted ? "" : " (NOT trusted on chain)"}`);
  return {
    url,
    did: identity.did,
    address: account.address,
    async stop() {
      await app.close();
      try {
        statusList.close(); // pending issuances reach the disk
      } catch (err) {
        log(`could not write the status list on stop: ${(err as Error).message}`);
      }
    },
  };
}
