// The demo issuer service (node:http). Endpoints: see sdk/src/ssi/protocol.ts and issuer/README.md.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import type { Hex } from "viem";
import { clientsFor, credentialsAbi, marketplaceChain, type Deployment } from "@kraken/sdk";
import { configValue, DEFAULT_PORTS } from "@kraken/sdk/config";
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

async function readJson(req: IncomingMessage): Promise<any> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 256 * 1024) throw new HttpError("bad-request", "request body too large");
    chunks.push(chunk);
  }
  if (!size) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError("bad-request", "request body is not JSON");
  }
}

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

  const server = createServer();
  await new Promise<void>((ok, fail) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      fail(err.code === "EADDRINUSE" ? new Error(`issuer: port ${opts.port ?? DEFAULT_ISSUER_PORT} on ${host} is in use`) : err));
    server.listen(opts.port ?? DEFAULT_ISSUER_PORT, host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  const publicUrl = (opts.publicUrl ?? url).replace(/\/$/, "");
  const deps = { identity, account, wallet, publicClient, deployment, statusList, publicUrl, validityDays: opts.validityDays ?? 365, log };
  const verifier = new LoginVerifier({
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

  const isAdmin = (req: IncomingMessage) => {
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "");
    const expected = Buffer.from(adminToken);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const path = new URL(req.url ?? "/", url).pathname;
    const m = `${req.method} ${path}`;
    if (m === "GET /") {
      return {
        service: "Kraken demo credential issuer",
        did: identity.did,
        address: account.address,
        chainId: deployment.chainId,
        credentials: deployment.contracts.Credentials.address,
        trustedOnChain: trusted,
        loginDomain: verifier.domain,
      };
    }
    if (m === "POST /challenges") return challenges.create((await readJson(req)).address);
    if (m === "POST /credentials") {
      const issued = await issue(deps, challenges, await readJson(req));
      metrics.issued();
      return issued;
    }
    if (req.method === "GET" && path.startsWith("/credentials/status/")) {
      const id = `urn:uuid:${decodeURIComponent(path.slice("/credentials/status/".length))}`;
      const entry = statusList.get(id);
      if (!entry) throw new HttpError("not-found", `no credential ${id} was issued here`);
      return { id, revoked: entry.revoked };
    }
    if (m === "POST /credentials/revoke") {
      if (!isAdmin(req)) throw new HttpError("unauthorized", "revocation needs the issuer's admin bearer token");
      return revoke(deps, await readJson(req));
    }
    if (m === "POST /credentials/readmit") {
      if (!isAdmin(req)) throw new HttpError("unauthorized", "re-admission needs the issuer's admin bearer token");
      return readmit(deps, await readJson(req));
    }
    if (m === "POST /login/challenge") return verifier.createChallenge();
    if (m === "POST /login") {
      const body = await readJson(req);
      try {
        const session = await verifier.verify(body.presentation);
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
    }
    if (m === "GET /session") {
      const session = verifier.session(/^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1]);
      if (!session) throw new HttpError("unauthorized", "no valid session: log in with a presentation (POST /login)");
      return session;
    }
    throw new HttpError("not-found", `no route ${m}`);
  }

  server.on("request", (req, res) => {
    res.setHeader("access-control-allow-origin", "*"); // the dApp calls from its own origin
    res.setHeader("access-control-allow-headers", "content-type, authorization");
    res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
    if (req.method === "OPTIONS") {
      res.writeHead(204).end();
      return;
    }
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    // /health, /ready and /metrics first (GET only); they are not counted as requests.
    void metrics.ops.handle(req, res).then(async (answered) => {
      if (answered) return;
      await route(req, res).then(
        (body) => {
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
          metrics.request("ok", seconds());
        },
        (err) => {
          const known = err instanceof SsiError;
          const status = known ? (STATUS[err.code] ?? 401) : 500;
          if (known) metrics.refused(err.code);
          metrics.request(known ? "refused" : "error", seconds());
          // Messages never contain personal data (they name addresses, DIDs and checks only).
          if (!known) log(`error on ${req.method} ${req.url}: ${(err as Error).message}`);
          res
            .writeHead(status, { "content-type": "application/json" })
            .end(JSON.stringify(known ? { error: err.code, message: err.message } : { error: "internal", message: "internal error (see the issuer's log)" }));
        },
      );
    }).catch((err: Error) => {
      log(`error on ${req.method} ${req.url}: ${err.message}`);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "internal", message: "internal error (see the issuer's log)" }));
    });
  });

  log(`listening on ${url}; did ${identity.did}; attestations signed by ${account.address}${trusted ? "" : " (NOT trusted on chain)"}`);
  return {
    url,
    did: identity.did,
    address: account.address,
    stop: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => {
        try {
          statusList.close(); // pending issuances reach the disk
        } catch (err) {
          log(`could not write the status list on stop: ${(err as Error).message}`);
        }
        ok();
      });
    }),
  };
}
