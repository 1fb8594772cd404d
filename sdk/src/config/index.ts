// The project's configuration: every environment variable any Node component reads, declared
// once with its type, default, meaning and the components that use it; parsed and validated
// here, and nowhere else (README.md's configuration table is generated from this list by
// scripts/config-doc.ts).
//
// Node-only (it reads process.env): import it as "@kraken/sdk/config". It lives in the SDK
// because every Node component (chain, indexer, issuer, faucet, ipfs, streamr, relay, the dApp
// server, the CLI, scripts/, bench/, hardhat.config.ts) already depends on @kraken/sdk and the
// SDK depends on none of them, so no import cycle is possible; a separate subpath keeps it out
// of the browser bundle ("@kraken/sdk" itself stays browser-safe). The default ports are plain
// constants in ./defaults.ts so that the SDK's browser-safe code can use them too.
//
// Exceptions, each said where it happens: scripts/bootstrap.mjs and scripts/run.mjs (plain JS
// run before dependencies exist), dapp/vite.config.ts (Vite bundles its config file and cannot
// load a workspace's TypeScript), streamr/node-datachannel-shim/index.cjs (a CommonJS package
// loaded by the Streamr SDK) and tests (which build environments for child processes).
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PORTS, DEFAULT_URLS, DEMO_RELAY_COUNT, LOCAL_HOST, localUrl } from "./defaults.ts";

export * from "./defaults.ts";
export { createLogger, formatFromEnv, levelFromEnv, logCounts, registerSecret, REDACTED, scrub, SECRET_FIELDS, type LogFields, type Logger, type LogLevel, type LogSink } from "./log.ts";
export { ALERTS_PER_HOUR, flushAlerts, sendFatalAlert } from "./alert.ts";

/** The repository root (for the defaults of the state and deployment directories). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export type Component =
  | "start" | "chain" | "indexer" | "issuer" | "faucet" | "ipfs" | "streamr" | "relay" | "smpc"
  | "dapp" | "cli" | "sdk" | "hardhat" | "scripts" | "bench" | "tests";

export type Kind =
  | "port" | "ports" | "url" | "path" | "address" | "key" | "boolean" | "integer" | "enum"
  | "name" | "string" | "secret" | "json";

export type Env = Readonly<Record<string, string | undefined>>;

export interface VariableSpec<T> {
  kind: Kind;
  /** Parsed value when the variable is unset or empty. */
  default: T;
  /** How README.md states the default when it is not simply the value (e.g. "(unset: …)"). */
  defaultDoc?: string;
  description: string;
  usedBy: readonly Component[];
  /** Allowed values (enum). */
  values?: readonly string[];
  /** Raw text → value; throws (internally) what was expected. */
  parse(raw: string): T;
}

/** One variable with a value it cannot have. */
export interface ConfigProblem {
  variable: string;
  value: string;
  expected: string;
  /** A key or token: its value is never put in a message. */
  secret?: boolean;
}

/** A variable is set to a value of the wrong type: names the variable and the value. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${p.variable} must be ${p.expected}, got ${p.secret ? `a value of ${p.value.length} characters (not shown)` : JSON.stringify(p.value)}`).join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
  get variable(): string {
    return this.problems[0]!.variable;
  }
}

interface Common {
  defaultDoc?: string;
  description: string;
  usedBy: readonly Component[];
}
type Out<T, D> = undefined extends D ? T | undefined : T;

function kind<T>(k: Kind, parse: (raw: string) => T) {
  return <D extends T | undefined = undefined>(o: Common & { default?: D }): VariableSpec<Out<T, D>> =>
    ({ kind: k, ...o, default: o.default as Out<T, D>, parse });
}

// ----- value types ---------------------------------------------------------------------------

/** Thrown by a parser: what the value should have been. */
class Expected {
  readonly what: string;
  constructor(what: string) {
    this.what = what;
  }
}
const expected = (what: string): never => {
  throw new Expected(what);
};

const PORT = "a port number (1–65535)";
function parsePort(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) return expected(PORT);
  return Number(raw);
}
const port = kind("port", parsePort);
const ports = kind("ports", (raw: string): number[] => {
  try {
    return raw.split(",").map((p) => parsePort(p.trim()));
  } catch {
    return expected("a comma-separated list of port numbers (1–65535)");
  }
});
const url = (protocols: readonly string[] = ["http", "https"]) =>
  kind("url", (raw: string): string => {
    const what = `a URL (${protocols.map((p) => `${p}://`).join(", ")})`;
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return expected(what);
    }
    if (!protocols.includes(u.protocol.slice(0, -1))) return expected(what);
    return raw.replace(/\/+$/, "");
  });
const path = kind("path", (raw: string): string => resolve(raw));
const address = kind("address", (raw: string): `0x${string}` => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(raw)) return expected("an address (0x and 40 hex digits)");
  return raw as `0x${string}`;
});
const key = kind("key", (raw: string): `0x${string}` => {
  const k = raw.startsWith("0x") ? raw : `0x${raw}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(k)) return expected("a private key (32 bytes of hex, 0x optional)");
  return k as `0x${string}`;
});
const TRUE = ["1", "true", "yes", "on"];
const FALSE = ["0", "false", "no", "off"];
const boolean = kind("boolean", (raw: string): boolean => {
  const v = raw.toLowerCase();
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  return expected("a boolean (1/0, true/false, yes/no)");
});
const integer = (min = 0) =>
  kind("integer", (raw: string): number => {
    if (!/^-?\d+$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) return expected(`an integer ≥ ${min}`);
    return Number(raw);
  });
function oneOf<const V extends string>(values: readonly V[]) {
  const k = kind("enum", (raw: string): V => {
    const v = values.find((x) => x.toLowerCase() === raw.toLowerCase());
    if (!v) return expected(`one of ${values.join(", ")}`);
    return v;
  });
  return <D extends V | undefined = undefined>(o: Common & { default?: D }) => ({ ...k<D>(o), values });
}
const name = kind("name", (raw: string): string => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(raw)) return expected("a name (letters, digits, . _ -)");
  return raw;
});
const string = kind("string", (raw: string): string => raw);
const secret = kind("secret", (raw: string): string => raw);
const json = kind("json", (raw: string): unknown => {
  try {
    return JSON.parse(raw);
  } catch {
    return expected("JSON");
  }
});

/** Levels of the Streamr SDK's logger (pino), which reads LOG_LEVEL itself. */
export const STREAMR_LOG_LEVELS = ["silent", "fatal", "error", "warn", "info", "debug", "trace"] as const;
/** Streamr environments: our local network, or one of the SDK's. */
export const STREAMR_ENVIRONMENTS = ["local", "polygon", "polygonAmoy", "peaq", "iotex", "dev2"] as const;
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug"] as const;
export const LOG_FORMATS = ["json", "pretty"] as const;
export const RELAY_CRASH_POINTS = ["after-publish", "after-sign", "after-record"] as const;
export const SMPC_CRASH_POINTS = ["after-seal", "after-publish", "after-sign"] as const;
/** Nothing we run queries The Graph for Streamr; the SDK needs a URL, keep it on loopback. */
export const DEFAULT_STREAMR_THEGRAPH_URL = `${localUrl(DEFAULT_PORTS.indexer)}/subgraphs/name/streamr-dev/network-subgraphs`;
/** See streamr/src/config.ts: how long a Streamr client caches on-chain permission answers. */
export const DEFAULT_STREAMR_PERMISSION_CACHE_MS = 10_000;

const relayPorts = Array.from({ length: DEMO_RELAY_COUNT }, (_, i) => DEFAULT_PORTS.relayBase + i + 1);

// ----- the variables -------------------------------------------------------------------------
// Order is the README table's order.

export const VARIABLES = {
  // Chain and deployment
  KRAKEN_RPC_URL: url(["http", "https", "ws", "wss"])({
    defaultDoc: `(unset: start the local chain; the CLI and Hardhat use \`${DEFAULT_URLS.rpc}\`)`,
    description: "use an existing chain instead, e.g. a Besu/QBFT consortium node",
    usedBy: ["start", "issuer", "cli", "hardhat"],
  }),
  KRAKEN_DEPLOYER_KEY: key({
    defaultDoc: "first development account (local chain only)",
    description: "key that deploys the contracts; required on any chain whose id is not 31337, where a public development key (the first 28 accounts of the \"test test … junk\" mnemonic) is refused and nothing is deployed",
    usedBy: ["start"],
  }),
  KRAKEN_ADMIN_ADDRESS: address({
    defaultDoc: "the deployer",
    description: "address (e.g. a multisig) that gets every admin role: DataToken admin and minter, Credentials admin (trusted issuers), admin of a StreamRegistry deployed with the marketplace; the deployer keeps none; recorded as `admin` in the deployment file. Unset on a non-local chain, the deployer stays admin with a warning. Not with the demo seed",
    usedBy: ["start"],
  }),
  KRAKEN_NETWORK: name({
    defaultDoc: "`localhost` / `consortium`",
    description: "name of the `deployments/<network>.json` file",
    usedBy: ["start", "sdk"],
  }),
  KRAKEN_SEED: boolean({
    defaultDoc: "`1` locally, unset otherwise",
    description: "seed the demo world (never on a real network unless asked)",
    usedBy: ["start"],
  }),
  KRAKEN_REDEPLOY: boolean({
    default: false,
    description: "deploy afresh even when the deployment file matches the chain",
    usedBy: ["start"],
  }),
  KRAKEN_DEPLOYMENTS_DIR: path({
    default: join(REPO_ROOT, "deployments"),
    defaultDoc: "`deployments`",
    description: "where deployment files are written",
    usedBy: ["start", "sdk"],
  }),
  KRAKEN_DEPLOYMENT: path({
    defaultDoc: "`deployments/localhost.json` (working directory, else the repository)",
    description: "the deployment file the CLI uses (`--deployment` wins)",
    usedBy: ["cli"],
  }),
  KRAKEN_DATA_DIR: path({
    default: join(REPO_ROOT, ".data"),
    defaultDoc: "`.data`",
    description: "where local state lives",
    usedBy: ["start", "ipfs", "issuer"],
  }),
  KRAKEN_CHAIN_PORT: port({
    default: DEFAULT_PORTS.chain,
    description: "port of the local chain",
    usedBy: ["start", "chain"],
  }),
  KRAKEN_CHAIN_DATA_DIR: path({
    defaultDoc: "`.data/chain`",
    description: "state directory of the chain run on its own (`chain/src/cli.ts`)",
    usedBy: ["chain"],
  }),
  // Services
  KRAKEN_ISSUER_PORT: port({
    default: DEFAULT_PORTS.issuer,
    description: "port of the demo issuer",
    usedBy: ["start", "issuer"],
  }),
  KRAKEN_ISSUER_URL: url()({
    default: DEFAULT_URLS.issuer,
    description: "the issuer `kraken register` and `kraken login` talk to (`--issuer`/`--service` win)",
    usedBy: ["cli"],
  }),
  KRAKEN_ISSUER_KEY: key({
    defaultDoc: "dev account #1 (local chain only)",
    description: "Ethereum key the issuer signs attestations with",
    usedBy: ["issuer"],
  }),
  KRAKEN_ISSUER_ADMIN_TOKEN: secret({
    defaultDoc: "generated into `.data/issuer/admin-token`",
    description: "bearer token of the issuer's revocation endpoint",
    usedBy: ["issuer"],
  }),
  KRAKEN_INDEXER_PORT: port({
    default: DEFAULT_PORTS.indexer,
    description: "port of the local indexer's GraphQL",
    usedBy: ["start"],
  }),
  KRAKEN_INDEXER_DATABASE_URL: url(["postgres", "postgresql"])({
    defaultDoc: "(unset: embedded PGlite in `.data/indexer`)",
    description: "a `postgres://` URL: the indexer's store on a PostgreSQL server",
    usedBy: ["start"],
  }),
  KRAKEN_SUBGRAPH_URL: url()({
    defaultDoc: `(unset: run the local indexer; the CLI uses \`${DEFAULT_URLS.subgraph}\`)`,
    description: "use a graph-node's subgraph URL instead",
    usedBy: ["start", "cli"],
  }),
  KRAKEN_IPFS_API_PORT: port({
    default: DEFAULT_PORTS.ipfsApi,
    description: "API port of the embedded IPFS node",
    usedBy: ["start", "ipfs", "cli"],
  }),
  KRAKEN_IPFS_GATEWAY_PORT: port({
    default: DEFAULT_PORTS.ipfsGateway,
    description: "gateway port of the embedded IPFS node",
    usedBy: ["start", "ipfs", "cli"],
  }),
  KRAKEN_IPFS_API_URL: url()({
    defaultDoc: "(unset: run the embedded node)",
    description: "use a Kubo node's RPC API instead",
    usedBy: ["start", "cli"],
  }),
  KRAKEN_IPFS_GATEWAY_URL: url()({
    defaultDoc: "(unset: run the embedded node)",
    description: "use a Kubo node's gateway instead",
    usedBy: ["start", "cli"],
  }),
  KRAKEN_DAPP_PORT: port({
    default: DEFAULT_PORTS.dapp,
    description: "port of the dApp",
    usedBy: ["start"],
  }),
  KRAKEN_DAPP_CONFIG: path({
    defaultDoc: "`.data/dapp/config.json`",
    description: "the config.json the dApp's Vite dev server serves",
    usedBy: ["dapp"],
  }),
  KRAKEN_FAUCET_PORT: port({
    default: DEFAULT_PORTS.faucet,
    description: "port of the demo faucet (local chain only)",
    usedBy: ["start"],
  }),
  KRAKEN_PUBLISHER_PORT: port({
    default: DEFAULT_PORTS.publisher,
    description: "port of the demo publisher's /health, /ready and /metrics",
    usedBy: ["start"],
  }),
  KRAKEN_UNION_DEVICES_PORT: port({
    default: DEFAULT_PORTS.unionDevices,
    description: "port of the demo data union devices' /health, /ready and /metrics",
    usedBy: ["start"],
  }),
  KRAKEN_FAUCET_URL: url()({
    default: DEFAULT_URLS.faucet,
    description: "the faucet `kraken faucet` asks (`--faucet` wins)",
    usedBy: ["cli"],
  }),
  // Streamr and relays
  KRAKEN_STREAMR_ENVIRONMENT: oneOf(STREAMR_ENVIRONMENTS)({
    default: "local",
    description: "`polygon` etc. to use the real Streamr network ([streamr/README.md](streamr/README.md))",
    usedBy: ["start", "streamr", "cli"],
  }),
  KRAKEN_STREAMR_PORT: port({
    default: DEFAULT_PORTS.streamr,
    description: "websocket port of the Streamr entry node",
    usedBy: ["start", "streamr", "cli"],
  }),
  KRAKEN_STREAMR_HOST: string({
    default: LOCAL_HOST,
    description: "host of the Streamr entry node",
    usedBy: ["start", "streamr", "cli"],
  }),
  KRAKEN_STREAMR_REGISTRY: address({
    defaultDoc: "(unset: deploy one)",
    description: "an existing StreamRegistryV5 on the chain for the deployment (and Streamr clients) to use",
    usedBy: ["start", "streamr", "cli"],
  }),
  KRAKEN_STREAMR_ENTRY_POINTS: json({
    defaultDoc: "(unset: the local entry node)",
    description: "entry points of the Streamr network as JSON peer descriptors",
    usedBy: ["streamr", "cli"],
  }),
  KRAKEN_STREAMR_THEGRAPH_URL: url()({
    default: DEFAULT_STREAMR_THEGRAPH_URL,
    defaultDoc: "loopback (never queried)",
    description: "The Graph URL handed to the Streamr SDK on the local network",
    usedBy: ["streamr"],
  }),
  KRAKEN_STREAMR_PERMISSION_CACHE_MS: integer(0)({
    default: DEFAULT_STREAMR_PERMISSION_CACHE_MS,
    description: "how long Streamr clients cache on-chain permission answers (ms)",
    usedBy: ["streamr", "cli"],
  }),
  KRAKEN_DISABLE_WEBRTC: boolean({
    default: false,
    description: "`1`: never load the native WebRTC module (read by streamr/node-datachannel-shim)",
    usedBy: ["streamr"],
  }),
  KRAKEN_RELAY_PORTS: ports({
    default: relayPorts,
    description: "HTTP ports of the three demo relays",
    usedBy: ["start"],
  }),
  KRAKEN_RELAY_STREAMR_PORTS: ports({
    defaultDoc: "entry port + 1..3",
    description: "websocket ports of the relays' Streamr nodes",
    usedBy: ["start"],
  }),
  KRAKEN_SMPC_PORTS: ports({
    defaultDoc: "8796,8797,8798",
    description: "HTTP ports of the three demo SMPC computation nodes",
    usedBy: ["start"],
  }),
  KRAKEN_SMPC_STREAMR_PORTS: ports({
    defaultDoc: "entry port + 21..23",
    description: "websocket ports of the SMPC nodes' Streamr nodes",
    usedBy: ["start"],
  }),
  KRAKEN_PUBLISHER_STREAMR_PORT: port({
    defaultDoc: "entry port + 10",
    description: "websocket port of the demo publisher's Streamr node",
    usedBy: ["start"],
  }),
  KRAKEN_UNION_DEVICES_STREAMR_PORTS: ports({
    defaultDoc: "entry port + 11, + 12, …",
    description: "websocket ports of the demo data union's member devices (one per member)",
    usedBy: ["start"],
  }),
  KRAKEN_RELAYS: json({
    defaultDoc: "(unset: `deployments/<network>.relays.json`)",
    description: "the relays' HTTP endpoints, `[{\"address\":\"0x…\",\"url\":\"http://…\"}]`",
    usedBy: ["cli", "sdk"],
  }),
  KRAKEN_SMPC_NODES: json({
    defaultDoc: "(unset: `deployments/<network>.smpc.json`)",
    description: "the SMPC computation nodes' HTTP endpoints, `[{\"address\":\"0x…\",\"url\":\"http://…\"}]`",
    usedBy: ["cli", "sdk"],
  }),
  KRAKEN_SERVICE_CONFIG: json({
    description: "options of a service run as its own process (indexer, faucet, Streamr entry node, publisher, union devices, dApp server, issuer, IPFS: `docs/operations.md`)",
    usedBy: ["start"],
  }),
  KRAKEN_RELAY_CONFIG: json({
    description: "options of a relay run as its own process (`relay/src/relay-main.ts`)",
    usedBy: ["relay"],
  }),
  KRAKEN_RELAY_CRASH_AT: oneOf(RELAY_CRASH_POINTS)({
    description: "kill a relay process mid-delivery (crash tests)",
    usedBy: ["relay", "tests"],
  }),
  KRAKEN_SMPC_CONFIG: json({
    description: "options of an SMPC node run as its own process (`smpc/src/node-main.ts`)",
    usedBy: ["smpc"],
  }),
  KRAKEN_SMPC_CRASH_AT: oneOf(SMPC_CRASH_POINTS)({
    description: "kill an SMPC node process mid-job (crash tests)",
    usedBy: ["smpc", "tests"],
  }),
  // Logging, keys, tools
  KRAKEN_LOG_LEVEL: oneOf(LOG_LEVELS)({
    default: "info",
    description: "the services' log level (debug only when asked)",
    usedBy: ["start", "indexer", "issuer", "faucet", "ipfs", "relay", "smpc", "dapp"],
  }),
  KRAKEN_LOG_FORMAT: oneOf(LOG_FORMATS)({
    defaultDoc: "(unset: `json` when NODE_ENV=production, else `pretty`)",
    description: "log lines as JSON (for a log collector) or readable text",
    usedBy: ["start", "indexer", "issuer", "faucet", "ipfs", "relay", "smpc", "dapp"],
  }),
  KRAKEN_ALERT_SMTP_URL: url(["smtp", "smtps"])({
    defaultDoc: "(unset: no alert e-mails)",
    description: "SMTP server that fatal log entries are e-mailed through, e.g. `smtp://user:pass@mail:587`",
    usedBy: ["start", "indexer", "issuer", "faucet", "ipfs", "relay", "smpc", "dapp"],
  }),
  KRAKEN_ALERT_EMAIL_TO: string({
    defaultDoc: "(unset: no alert e-mails)",
    description: "who fatal log entries are e-mailed to (comma-separated addresses)",
    usedBy: ["start", "indexer", "issuer", "faucet", "ipfs", "relay", "smpc", "dapp"],
  }),
  KRAKEN_ALERT_EMAIL_FROM: string({
    defaultDoc: "(unset: `kraken@<host name>`)",
    description: "the sender of alert e-mails",
    usedBy: ["start", "indexer", "issuer", "faucet", "ipfs", "relay", "smpc", "dapp"],
  }),
  LOG_LEVEL: oneOf(STREAMR_LOG_LEVELS)({
    defaultDoc: "`warn` (`error` in the CLI)",
    description: "the Streamr SDK's own logging",
    usedBy: ["start", "cli", "scripts", "bench"],
  }),
  XDG_DATA_HOME: path({
    defaultDoc: "`.data/xdg` under `npm start`",
    description: "where Streamr clients keep group keys (env-paths)",
    usedBy: ["start", "bench"],
  }),
  PRIVATE_KEY: key({
    description: "the CLI user's key (`--key-file` wins)",
    usedBy: ["cli"],
  }),
  KRAKEN_CHROMIUM: path({
    defaultDoc: "(unset: a system Chromium, else the one from npm)",
    description: "the Chromium binary the browser tests and the dApp benchmark drive",
    usedBy: ["tests", "bench"],
  }),
  KRAKEN_USER_NODE: path({
    defaultDoc: "the first `node` on PATH outside `.toolchain/`",
    description: "the Node the CLI tests run `kraken` with",
    usedBy: ["tests"],
  }),
  KRAKEN_GENERATED: oneOf(["current"] as const)({
    defaultDoc: "set by `scripts/run.mjs`",
    description: "internal: the contracts were compiled and the ABIs generated already",
    usedBy: ["scripts"],
  }),
  KRAKEN_TEST_CONFIG: json({
    description: "internal: Streamr client config of a test's subscriber process",
    usedBy: ["tests"],
  }),
  KRAKEN_TEST_STREAM: string({
    description: "internal: stream a test's subscriber process reads",
    usedBy: ["tests"],
  }),
  BENCH_RUNS: integer(1)({ default: 10, description: "runs per gas benchmark", usedBy: ["bench"] }),
  KRAKEN_INVARIANT_RUNS: integer(1)({ default: 64, description: "runs per Solidity invariant (each of `KRAKEN_INVARIANT_DEPTH` calls); `npm run reliability` asks for 320", usedBy: ["hardhat"] }),
  KRAKEN_INVARIANT_DEPTH: integer(1)({ default: 32, description: "calls per run of a Solidity invariant", usedBy: ["hardhat"] }),
  BENCH_PRODUCTS: integer(1)({ default: 10_000, description: "products in the indexer benchmark", usedBy: ["bench"] }),
  BENCH_SCALE_PRODUCTS: integer(0)({ default: 0, description: "second size of the indexer memory-scaling benchmark (products + policies; 100000 takes ~15 min to seed), compared with BENCH_PRODUCTS; 0 = only BENCH_PRODUCTS", usedBy: ["bench"] }),
  BENCH_MESSAGES: integer(1)({ default: 200, description: "messages in the stream benchmark", usedBy: ["bench"] }),
  BENCH_LOG: boolean({ default: false, description: "print the indexer's log during its benchmark", usedBy: ["bench"] }),
} as const;

export type ConfigName = keyof typeof VARIABLES;
export type ConfigValue<N extends ConfigName> = (typeof VARIABLES)[N] extends VariableSpec<infer T> ? T : never;
export type Config = { readonly [N in ConfigName]: ConfigValue<N> };

// ----- reading -------------------------------------------------------------------------------

function problemOf(name: ConfigName, raw: string, err: unknown): ConfigProblem {
  if (!(err instanceof Expected)) throw err;
  const kind = VARIABLES[name].kind;
  return { variable: name, value: raw, expected: err.what, ...(kind === "key" || kind === "secret" ? { secret: true } : {}) };
}

/** The raw text of a variable, or undefined when unset or blank. */
function rawOf(name: string, env: Env): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

/** One variable's value (its default when unset or empty); throws a ConfigError when malformed. */
export function configValue<N extends ConfigName>(name: N, env: Env = process.env): ConfigValue<N> {
  const spec = VARIABLES[name] as unknown as VariableSpec<ConfigValue<N>>;
  const raw = rawOf(name, env);
  if (raw === undefined) return spec.default;
  try {
    return spec.parse(raw);
  } catch (err) {
    throw new ConfigError([problemOf(name, raw, err)]);
  }
}

/**
 * The configuration of `env` (process.env by default). Each variable is parsed when first read,
 * so a component only fails on the variables it uses; checkConfig() validates them all at once.
 */
export function readConfig(env: Env = process.env): Config {
  const cache = new Map<string, unknown>();
  const config = {} as Record<string, unknown>;
  for (const n of Object.keys(VARIABLES) as ConfigName[]) {
    Object.defineProperty(config, n, {
      enumerable: true,
      get: () => {
        if (!cache.has(n)) cache.set(n, configValue(n, env));
        return cache.get(n);
      },
    });
  }
  return Object.freeze(config) as Config;
}

/** Validates `names` (all variables by default); throws one ConfigError listing every problem. */
export function checkConfig(names: readonly ConfigName[] = Object.keys(VARIABLES) as ConfigName[], env: Env = process.env): void {
  const problems: ConfigProblem[] = [];
  for (const n of names) {
    try {
      configValue(n, env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length) throw new ConfigError(problems);
}

/** The variables any of `components` reads (e.g. to check what `npm start` needs up front). */
export function variablesOf(...components: Component[]): ConfigName[] {
  return (Object.keys(VARIABLES) as ConfigName[]).filter((n) => VARIABLES[n].usedBy.some((c) => components.includes(c)));
}

/** What of the configuration must never reach a log: keys and tokens, and passwords in URLs. */
export function secretValues(env: Env = process.env): string[] {
  const out: string[] = [];
  for (const n of Object.keys(VARIABLES) as ConfigName[]) {
    const raw = rawOf(n, env);
    if (raw === undefined) continue;
    const k = VARIABLES[n].kind;
    if (k === "key" || k === "secret") out.push(raw);
    else if (k === "url" && URL.canParse(raw)) {
      const { password } = new URL(raw);
      if (password) out.push(password, decodeURIComponent(password));
    }
  }
  return out;
}

/** Whether a variable is set (non-blank), whatever its value. */
export function isSet(name: ConfigName, env: Env = process.env): boolean {
  return rawOf(name, env) !== undefined;
}

/**
 * Sets a variable that a third-party library reads from process.env itself (LOG_LEVEL for the
 * Streamr SDK's logger, XDG_DATA_HOME for its key store), unless the user set it (or always,
 * with `overwrite`, e.g. a benchmark's private key store).
 */
export function setDefaultForLibraries(name: "LOG_LEVEL" | "XDG_DATA_HOME", value: string, o: { overwrite?: boolean } = {}): void {
  if (o.overwrite || !rawOf(name, process.env)) process.env[name] = value;
}

/** The environment for a child process: this process's, with `extra` on top. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

// ----- documentation -------------------------------------------------------------------------

/** How README.md states a variable's default. */
export function defaultText(spec: VariableSpec<unknown>): string {
  if (spec.defaultDoc) return spec.defaultDoc;
  const d = spec.default;
  if (d === undefined) return "(unset)";
  if (Array.isArray(d)) return `\`${d.join(",")}\``;
  if (d === false) return "`0`";
  if (d === true) return "`1`";
  return `\`${String(d)}\``;
}

function typeText(spec: VariableSpec<unknown>): string {
  return spec.values ? spec.values.map((v) => `\`${v}\``).join(" \\| ") : spec.kind;
}

/** The Markdown table of every variable (README.md's "Configuration" section). */
export function configTable(): string {
  const cell = (s: string) => s.replace(/\|/g, (m, i: number, str: string) => (str[i - 1] === "\\" ? m : "\\|"));
  const rows = (Object.entries(VARIABLES) as [string, VariableSpec<unknown>][]).map(([n, spec]) =>
    `| \`${n}\` | ${cell(defaultText(spec))} | ${typeText(spec)} | ${spec.usedBy.join(", ")} | ${cell(spec.description)} |`);
  return ["| variable | default | type | used by | meaning |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}
