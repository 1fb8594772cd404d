// Analytics (SMPC) benchmarks on the whole marketplace as `npm start` runs it (startMarketplace:
// chain, IPFS, Streamr, the three SMPC nodes in the stack's process):
//   1. purchase mined → result reconstructed for a `stddev` query with one filter over 100,000
//      rows (the demo's readmission table at 100k rows, its schema and rules; a new product
//      published by the hospital at 1 DATA per query, bought by the research institute): one cold
//      run (the nodes decrypt their share tables), then `runs` warm runs, each followed by a
//      grouped query (mean by region with the same filter) for comparison. Where the time goes
//      comes from the nodes' own log lines (KRAKEN_LOG_LEVEL=debug), timestamped as they arrive
//      here, and from the arrival of each node's sealed share on the buyer's Streamr inbox;
//   2. the seller's share + upload (`shareAndUpload` to the three nodes) of 100,000 rows × 10
//      columns, in a child process of its own so its RSS high-water mark is the sharing's alone;
//   3. the nodes' memory per dataset: ShareTable bytes per row (16 B × encoded columns) and the
//      stack process's RSS growth when a 100k dataset is first queried (its tables loaded).
// Every result is compared with evaluatePlaintext on the same rows: a difference throws.
// Standalone: node --import tsx bench/analytics.ts [runs=20]
import "../scripts/lib/quiet-streamr.ts"; // first: before any Streamr module loads
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEventLogs, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  analyticsAbi, catalogueAbi, Category, clientsFor, commitDataset, dataTokenAbi, deriveEncryptionKeyPair, encodeMetadata, encryptionKeyStatus, inboxStreamId,
  JobStatus, marketplaceChain, Modality, OrganisationType, policiesAbi, PricingUnit, ProductType, Purpose, relayEncryptionKeys, requestQuery, TARGET_COUNTRIES,
  toPolicyArgs, type Deployment, type Policy, type StreamSubscriber,
} from "@kraken/sdk";
import {
  encodedColumns, evaluatePlaintext, gatewayFetchJson, manifestHash, parseSchema, queryHash, readAnalyticsOffer, shareAndUpload, startResultCollector, submitQuery,
  toDatasetInput, validateQuery, waitForActiveDataset, type AnalyticsManifest, type AnalyticsRules, type Query, type QueryResult,
} from "@kraken/sdk/analytics";
import { ipfsAdd, nodeSha256 } from "@kraken/sdk/delivery/node";
import { READMISSION_RULES, READMISSION_SCHEMA, readmissionCsv } from "../smpc/src/demo-dataset.ts";
import { WIDE_SCHEMA, wideCsv } from "./wide-dataset.ts";
import { quantiles, table, type Row } from "./lib.ts";

const TARGET_P95_MS = 2000;
const ROWS = 100_000;
const SEED = 7; // readmissionCsv's seed (the demo uses 30 with 10,000 rows)
const PRICE = 10n ** 18n; // 1 DATA per query: paid, so the receipts move money as in production
const STDDEV: Query = { v: 1, op: "stddev", column: "length_of_stay", where: [{ column: "sex", in: ["F"] }] };
const GROUPED: Query = { v: 1, op: "mean", column: "length_of_stay", where: [{ column: "sex", in: ["F"] }], groupBy: "region" };
/** The 10-column query of the throughput product (loads its tables; checked like the others). */
const WIDE: Query = { v: 1, op: "mean", column: "bmi", where: [{ column: "smoker", in: ["yes"] }] };

// --- datasets ---

type DatasetName = "readmission" | "wide";
const DATASETS: Record<DatasetName, { schema: unknown; csv: () => Iterable<string>; rules: AnalyticsRules; title: string }> = {
  readmission: {
    schema: READMISSION_SCHEMA,
    csv: () => readmissionCsv(ROWS, SEED),
    rules: {
      allowed: { columns: [...READMISSION_RULES.allowed.columns], operations: [...READMISSION_RULES.allowed.operations], groupBy: [...READMISSION_RULES.allowed.groupBy] },
      privacy: { ...READMISSION_RULES.privacy },
      jobTimeout: READMISSION_RULES.jobTimeoutSeconds,
    },
    title: "Readmission statistics, 100k admissions (benchmark)",
  },
  wide: {
    schema: WIDE_SCHEMA,
    csv: () => wideCsv(ROWS),
    rules: {
      allowed: { columns: WIDE_SCHEMA.columns.map((c) => c.name), operations: ["count", "sum", "mean", "variance", "stddev", "histogram"], groupBy: ["sex", "region", "diagnosis", "smoker"] },
      privacy: { minCohort: 10, epsilonPerQuery: 0, epsilonBudget: 0 },
      jobTimeout: 600,
    },
    title: "Ten-column admissions, 100k rows (benchmark)",
  },
};

/** The rows as records (fields by column name), for evaluatePlaintext. */
function records(csv: Iterable<string>): Record<string, string>[] {
  const text = [...csv].join("");
  const [header, ...lines] = text.split("\n").filter((l) => l.length > 0);
  const names = header.split(",");
  return lines.map((l) => {
    const f = l.split(",");
    const r: Record<string, string> = {};
    names.forEach((n, i) => (r[n] = f[i]));
    return r;
  });
}

/** Throws unless the reconstructed result is exactly the plaintext one (noise is off: ε = 0). */
function checkResult(what: string, got: QueryResult, expected: QueryResult): void {
  const fields = ["key", "suppressed", "count", "sum", "mean", "variance", "stddev"] as const;
  const show = (r: QueryResult) => JSON.stringify(r.cells.map((c) => Object.fromEntries(fields.map((f) => [f, c[f]]))));
  if (show(got) !== show(expected)) throw new Error(`${what}: the reconstructed result differs from evaluatePlaintext\n  got      ${show(got)}\n  expected ${show(expected)}`);
  if (!got.consistent || got.nodes.length !== 3) throw new Error(`${what}: the result was not cross-checked by three nodes (nodes ${got.nodes.join(", ")}, consistent ${got.consistent})`);
}

// --- the seller's share + upload, in a child process ---

interface ShareChildInput {
  dataset: DatasetName;
  rpcUrl: string;
  deploymentFile: string;
  directoryFile: string;
  productId: string;
  sellerKey: Hex;
}

interface ShareChildOutput {
  manifest: AnalyticsManifest;
  rows: number;
  bytes: number;
  checkSeconds: number;
  shareSeconds: number;
  totalSeconds: number;
  baseRssMiB: number;
  peakRssMiB: number;
  hwmMiB: number;
}

/** VmHWM of this process (resets at exec, unlike getrusage's maxRSS). */
const vmHwm = (pid: number | "self" = "self"): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
const vmRss = (pid: number | "self" = "self"): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
const mib = (b: number) => Math.round(b / 2 ** 20);

async function shareChild(i: ShareChildInput): Promise<void> {
  const deployment: Deployment = JSON.parse(readFileSync(i.deploymentFile, "utf8"));
  const nodes: { address: Address; url: string }[] = JSON.parse(readFileSync(i.directoryFile, "utf8"));
  const seller = clientsFor(marketplaceChain(i.rpcUrl, deployment.chainId), privateKeyToAccount(i.sellerKey));
  const productId = BigInt(i.productId);
  const agents = (await seller.publicClient.readContract({ address: deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [productId] })).deliveryAgents;
  const byAddress = new Map(nodes.map((n) => [n.address.toLowerCase(), n]));
  const endpoints = agents.map((a) => byAddress.get(a.toLowerCase())!);
  const nodeKeys = await relayEncryptionKeys(seller.publicClient, deployment, agents);
  const d = DATASETS[i.dataset];
  const schema = parseSchema(d.schema);
  const base = process.memoryUsage().rss;
  let peak = base;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const timer = setInterval(sample, 20);
  const t0 = performance.now();
  let tShare = 0;
  const shared = await shareAndUpload({
    csv: d.csv, schema, rules: d.rules, productId, nodes: endpoints, nodeKeys, createHash: nodeSha256,
    signMessage: (message) => seller.wallet.account.signMessage!({ message }),
    onProgress: (p) => {
      if (p.phase === "share" && tShare === 0) tShare = performance.now();
      sample();
    },
  });
  const t1 = performance.now();
  clearInterval(timer);
  sample();
  const out: ShareChildOutput = {
    manifest: shared.manifest, rows: shared.rows, bytes: shared.sizes.reduce((a, b) => a + b, 0),
    checkSeconds: (tShare - t0) / 1000, shareSeconds: (t1 - tShare) / 1000, totalSeconds: (t1 - t0) / 1000,
    baseRssMiB: mib(base), peakRssMiB: mib(peak), hwmMiB: mib(vmHwm()),
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

function runShareChild(input: ShareChildInput): Promise<ShareChildOutput> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--share-child"], {
      stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, KRAKEN_BENCH_SHARE: JSON.stringify(input) },
    });
    let out = "";
    p.stdout.on("data", (b) => (out += b));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`the sharing child process exited ${code}`))));
  });
}

// --- the stack's log lines, timestamped as they arrive ---

interface LogLine {
  t: number;
  line: string;
}

/** Collects the SMPC nodes' lines of the stack's output, with the time each was seen here. */
function tapLog(output: () => string, everyMs = 10) {
  let at = output().length;
  let partial = "";
  const lines: LogLine[] = [];
  const poll = () => {
    const s = output();
    if (s.length === at) return;
    const text = partial + s.slice(at);
    at = s.length;
    const parts = text.split("\n");
    partial = parts.pop()!;
    const t = performance.now();
    for (const line of parts) if (line.includes("smpc 0x")) lines.push({ t, line });
  };
  const timer = setInterval(poll, everyMs);
  return {
    lines,
    poll,
    stop: () => clearInterval(timer),
  };
}

interface JobTimes {
  /** per node index: ms after the purchase was mined */
  checking: (number | undefined)[];
  computedAt: (number | undefined)[];
  publishedAt: (number | undefined)[];
  arrivedAt: (number | undefined)[];
  /** per node: the node's own figures from its lines */
  jobMs: (number | undefined)[];
  engineMs: (number | undefined)[];
  publishMs: (number | undefined)[];
  rounds?: number;
  helloWaitMs?: number;
  /** when the leader sent the roster (ms after mined) */
  helloAt?: number;
  total: number;
}

function jobTimes(lines: LogLine[], jobId: bigint, prefixes: string[], t0: number, arrivals: Map<number, number>, total: number): JobTimes {
  const n = prefixes.length;
  const t: JobTimes = {
    checking: Array(n).fill(undefined), computedAt: Array(n).fill(undefined), publishedAt: Array(n).fill(undefined),
    arrivedAt: prefixes.map((_, i) => (arrivals.has(i) ? arrivals.get(i)! - t0 : undefined)),
    jobMs: Array(n).fill(undefined), engineMs: Array(n).fill(undefined), publishMs: Array(n).fill(undefined), total,
  };
  const j = `job ${jobId}`;
  for (const { t: at, line } of lines) {
    const m = /smpc (0x[0-9a-fA-F]{8}): (.*)$/.exec(line);
    if (!m) continue;
    const i = prefixes.indexOf(m[1].toLowerCase());
    const msg = m[2];
    if (i < 0 || !(msg.startsWith(`${j} `) || msg.startsWith(`${j}:`))) continue;
    let x: RegExpExecArray | null;
    if (/\): checking$/.test(msg)) t.checking[i] = at - t0;
    else if ((x = /: participants .* \(waited (\d+) ms\)/.exec(msg))) {
      t.helloWaitMs = Number(x[1]);
      t.helloAt = at - t0;
    }
    else if ((x = /: computed with agents .* in (\d+) ms \(engine (\d+) ms, (\d+) rounds?\)/.exec(msg))) {
      t.computedAt[i] = at - t0;
      t.jobMs[i] = Number(x[1]);
      t.engineMs[i] = Number(x[2]);
      t.rounds = Number(x[3]);
    } else if ((x = /: published to the buyer's inbox in (\d+) ms/.exec(msg))) {
      t.publishedAt[i] = at - t0;
      t.publishMs[i] = Number(x[1]);
    }
  }
  return t;
}

/**
 * Where the time of a purchase goes: when each step happened, in ms after the purchase was mined
 * (median and p95 over the jobs; "last" = the last of the three nodes: the buyer waits for
 * all three shares), then the durations the nodes report themselves.
 */
export function breakdownOf(jobs: JobTimes[]): Record<string, { median: number; p95: number }> {
  const minOf = (xs: (number | undefined)[]) => {
    const d = xs.filter((x): x is number => x !== undefined);
    return d.length ? Math.min(...d) : undefined;
  };
  const stage = (name: string, f: (x: JobTimes) => number | undefined) => {
    const xs = jobs.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const q = xs.length ? quantiles(xs) : { median: NaN, p95: NaN };
    return [name, { median: Math.round(q.median), p95: Math.round(q.p95) }] as const;
  };
  return Object.fromEntries([
    stage("t: first node starts the job (chain poll 250 ms, log scan, job reads)", (x) => minOf(x.checking)),
    stage("t: last node starts the job", (x) => maxOf(x.checking)),
    stage("t: participants agreed (leader's roster delivered)", (x) => x.helloAt),
    stage("t: first node's result sealed and saved", (x) => minOf(x.computedAt)),
    stage("t: last node's result sealed and saved", (x) => maxOf(x.computedAt)),
    stage("t: last share published on the buyer's inbox", (x) => maxOf(x.publishedAt)),
    stage("t: last share received by the buyer", (x) => maxOf(x.arrivedAt)),
    stage("t: result reconstructed", (x) => x.total),
    stage("hello round: the leader's wait for both peers", (x) => x.helloWaitMs),
    stage("engine (rounds with the peers), slowest node", (x) => maxOf(x.engineMs)),
    stage("job start → sealed, slowest node", (x) => maxOf(x.jobMs)),
    stage("publish call (inbox check + Streamr publish), slowest node", (x) => maxOf(x.publishMs)),
    stage("last share received → reconstructed (buyer's collector)", (x) => (maxOf(x.arrivedAt) !== undefined ? x.total - maxOf(x.arrivedAt)! : undefined)),
  ]);
}

// --- the benchmark ---

export interface AnalyticsFigures {
  runs: number;
  stddev: { median: number; p95: number; max: number; cold: number; sharesReceived: { median: number; p95: number; max: number } };
  grouped: { median: number; p95: number; max: number };
  engine: { median: number; p95: number; max: number };
  nodeJob: { median: number; p95: number; max: number };
  share: Record<DatasetName, Omit<ShareChildOutput, "manifest"> & { encodedColumns: number; activeMs: number }>;
  memory: Record<DatasetName, { bytesPerRow: number; tableMiB: number; rssGrowthMiB: number; rssPeakGrowthMiB: number }>;
  breakdown: Record<string, { median: number; p95: number }>;
  groupedBreakdown: Record<string, { median: number; p95: number }>;
  targetMet: boolean;
  loadAverage: { before: number; after: number };
  report: string;
  /** per job, for a closer look: the timings and the nodes' lines */
  raw: { cold: Record<DatasetName, JobTimes>; stddev: JobTimes[]; grouped: JobTimes[]; lines: string[] };
}

const stats = (xs: number[]) => {
  const q = quantiles(xs);
  return { median: Math.round(q.median), p95: Math.round(q.p95), max: Math.round(Math.max(...xs)) };
};
const maxOf = (xs: (number | undefined)[]) => {
  const d = xs.filter((x): x is number => x !== undefined);
  return d.length ? Math.max(...d) : undefined;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function analyticsBench(runs = 20): Promise<AnalyticsFigures> {
  const { startMarketplace } = await import("../test/browser/harness/stack.ts");
  const scratch = mkdtempSync(join(tmpdir(), "kraken-analytics-bench-"));
  const savedEnv = { KRAKEN_LOG_LEVEL: process.env.KRAKEN_LOG_LEVEL, XDG_DATA_HOME: process.env.XDG_DATA_HOME };
  const restoreEnv = () => {
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  // The stack inherits our environment: the nodes' per-job lines (checking, participants,
  // published) are debug lines; Streamr state goes to the stack's own data dir (an earlier
  // benchmark may have pointed XDG_DATA_HOME at its temp dir).
  process.env.KRAKEN_LOG_LEVEL = "debug";
  delete process.env.XDG_DATA_HOME;
  const t00 = performance.now();
  let m;
  try {
    m = await startMarketplace({ timeoutMs: 300_000 });
  } catch (err) {
    restoreEnv();
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
  restoreEnv();
  const log = (s: string) => process.stderr.write(`[bench analytics] ${s}\n`);
  log(`stack up in ${((performance.now() - t00) / 1000).toFixed(0)} s`);
  const tap = tapLog(m.output);
  let rssTimer: NodeJS.Timeout | undefined;
  let client: { connect(): Promise<void>; destroy(): Promise<void> } | undefined;
  let collector: Awaited<ReturnType<typeof startResultCollector>> | undefined;
  try {
    // The stack process (scripts/start.ts, our child): the three SMPC nodes live in it.
    const stackPid = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map(Number).find((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("scripts/start.ts");
      } catch {
        return false;
      }
    });
    if (!stackPid) throw new Error("cannot find the stack's process (scripts/start.ts) among this process's children");
    const rss: { t: number; rss: number }[] = [];
    rssTimer = setInterval(() => {
      try {
        rss.push({ t: performance.now(), rss: vmRss(stackPid) });
      } catch {
        /* exited */
      }
    }, 100);
    const rssBetween = (a: number, b: number) => rss.filter((x) => x.t >= a && x.t <= b).map((x) => x.rss);
    const medianRss = (a: number, b: number) => quantiles(rssBetween(a, b)).median;

    const deployment = m.deployment;
    const chain = marketplaceChain(m.urls.rpc, deployment.chainId);
    const persona = (k: string) => (m.demo.personas as Record<string, { address: Address; privateKey: Hex }>)[k];
    const seller = clientsFor(chain, privateKeyToAccount(persona("hospital").privateKey));
    const buyerAccount = privateKeyToAccount(persona("researchInstitute").privateKey);
    const buyer = clientsFor(chain, buyerAccount, 20); // 20 ms receipt polling: "mined" within 20 ms
    const analytics = deployment.contracts.Analytics?.address;
    if (!analytics) throw new Error("the stack's deployment has no Analytics contract");
    const deploymentFile = join(m.dir, "deployments", "localhost.json");
    const directoryFile = join(m.dir, "deployments", "localhost.smpc.json");
    const directory: { address: Address; url: string }[] = JSON.parse(readFileSync(directoryFile, "utf8"));
    const prefixes = directory.map((n) => n.address.slice(0, 10).toLowerCase());
    const health = (url: string) => fetch(`${url}/health`).then((r) => r.json() as Promise<{ jobs: { running: number } }>);

    // --- publish the two products (hospital), share them from a child process, commit ---
    const publish = async (d: DatasetName) => {
      const meta = { schema: "kraken.product/v1" as const, title: DATASETS[d].title, summary: "Synthetic rows for the analytics benchmark.", description: "bench/analytics.ts", category: "Health / Analytics", tags: ["benchmark"] };
      const metadataURI = `ipfs://${await ipfsAdd(m.urls.ipfsApi, (async function* () { yield encodeMetadata(meta); })(), "metadata.json")}`;
      const hash = await seller.wallet.writeContract({
        chain: seller.wallet.chain, account: seller.wallet.account, address: deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "publish",
        args: [ProductType.Analytics, Modality.Smpc, PRICE, PricingUnit.OneTime, directory.map((n) => n.address), 2, { metadataURI, title: meta.title, summary: meta.summary, category: meta.category, tags: meta.tags }, []],
      });
      const receipt = await seller.publicClient.waitForTransactionReceipt({ hash });
      const [event] = parseEventLogs({ abi: catalogueAbi, logs: receipt.logs, eventName: "ProductPublished" });
      const productId = event.args.productId;
      const policy: Policy = { purposes: [Purpose.Statistics, Purpose.Research], consumerCategories: [Category.Organisation], organisationTypes: [OrganisationType.ResearchUniversity], jurisdictions: TARGET_COUNTRIES, requiresApproval: false, retentionDays: 0 };
      await seller.publicClient.waitForTransactionReceipt({
        hash: await seller.wallet.writeContract({ chain: seller.wallet.chain, account: seller.wallet.account, address: deployment.contracts.Policies.address, abi: policiesAbi, functionName: "setPolicy", args: toPolicyArgs(productId, policy) }),
      });
      log(`product ${productId} (${d}): sharing ${ROWS.toLocaleString("en")} rows to the 3 nodes`);
      const shared = await runShareChild({ dataset: d, rpcUrl: m.urls.rpc, deploymentFile, directoryFile, productId: productId.toString(), sellerKey: persona("hospital").privateKey });
      const manifestURI = `ipfs://${await ipfsAdd(m.urls.ipfsApi, (async function* () { yield new TextEncoder().encode(JSON.stringify(shared.manifest)); })(), "manifest.json")}`;
      const input = toDatasetInput(shared.manifest, manifestURI);
      await commitDataset({ publicClient: seller.publicClient, wallet: seller.wallet, account: seller.wallet.account, analytics, productId, input });
      const tc = performance.now();
      await waitForActiveDataset(directory, productId, { manifestHash: input.manifestHash, timeoutMs: 120_000 });
      const activeMs = Math.round(performance.now() - tc);
      log(`product ${productId} (${d}): ${shared.rows.toLocaleString("en")} rows shared + uploaded in ${shared.totalSeconds.toFixed(1)} s, peak RSS ${shared.hwmMiB} MiB; active at all nodes ${activeMs} ms after the commitment`);
      const { manifest: _, ...figures } = shared;
      return { productId, shared: { ...figures, encodedColumns: encodedColumns(parseSchema(DATASETS[d].schema)).length, activeMs } };
    };
    const wide = await publish("wide");
    const readm = await publish("readmission");

    // --- the buyer: its key, a Streamr client on the stack's network, the inboxes subscribed ---
    const me = buyer.wallet.account.address;
    const { publicKey, secretKey } = await deriveEncryptionKeyPair({ address: me, chainId: deployment.chainId, signTypedData: (t) => buyerAccount.signTypedData(t) });
    const { status } = await encryptionKeyStatus({ publicClient: buyer.publicClient, credentials: deployment.contracts.Credentials.address, address: me, publicKey });
    if (status !== "current") throw new Error(`the research institute's encryption key is not registered (${status})`);
    await buyer.publicClient.waitForTransactionReceipt({
      hash: await buyer.wallet.writeContract({ chain: buyer.wallet.chain, account: buyer.wallet.account, address: deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "approve", args: [analytics, PRICE * BigInt(2 * runs + 10)] }),
    });
    process.env.XDG_DATA_HOME = join(scratch, "xdg"); // the buyer's Streamr group keys
    const { StreamrClient } = await import("@streamr/sdk");
    const { entryPointDescriptor, localClientConfig } = await import("@kraken/streamr");
    const streamrPort = Number(new URL(m.urls.streamr).port);
    const streamr = new StreamrClient(localClientConfig({
      rpcUrl: m.urls.rpc, chainId: deployment.chainId, streamRegistry: deployment.streamRegistry!, entryPoints: [entryPointDescriptor("127.0.0.1", streamrPort)],
    }, persona("researchInstitute").privateKey, { id: "kraken-bench-buyer" }));
    client = streamr;
    await streamr.connect();
    // Each node's share: the time it reached this process, per job.
    const arrivals = new Map<string, Map<number, number>>();
    const inboxes = new Map(directory.map((n, i) => [inboxStreamId(n.address, me), i]));
    const subscriber: StreamSubscriber = {
      subscribe: (streamId, onMessage) =>
        streamr.subscribe(streamId, (content: unknown, metadata: { publisherId: string }) => {
          const jobId = (content as { jobId?: unknown })?.jobId;
          if (typeof jobId === "string") {
            const byNode = arrivals.get(jobId) ?? new Map<number, number>();
            if (!byNode.has(inboxes.get(streamId)!)) byNode.set(inboxes.get(streamId)!, performance.now());
            arrivals.set(jobId, byNode);
          }
          return onMessage(content, metadata);
        }) as never,
    };
    // The demo's seeded query created this buyer's inbox at every node: subscribing works at once.
    collector = await startResultCollector({ consumer: me, nodes: directory.map((n) => n.address), secretKey, subscriber, publicClient: buyer.publicClient, deployment });
    await sleep(1000); // let the subscriptions join the inbox streams

    const fetchJson = gatewayFetchJson(m.urls.ipfsGateway);
    const offers = { wide: await readAnalyticsOffer(buyer.publicClient, deployment, wide.productId, fetchJson), readmission: await readAnalyticsOffer(buyer.publicClient, deployment, readm.productId, fetchJson) };
    const tablesOf = { wide: records(DATASETS.wide.csv()), readmission: records(DATASETS.readmission.csv()) };
    const expectedOf = (d: DatasetName, q: Query) => evaluatePlaintext(validateQuery(q, offers[d].manifest), parseSchema(DATASETS[d].schema), tablesOf[d], { minCohort: DATASETS[d].rules.privacy.minCohort });
    const expected = { stddev: expectedOf("readmission", STDDEV), grouped: expectedOf("readmission", GROUPED), wide: expectedOf("wide", WIDE) };
    const policyVersion = async (productId: bigint) => (await buyer.publicClient.readContract({ address: deployment.contracts.Policies.address, abi: policiesAbi, functionName: "policyOf", args: [productId] })).version;
    const policyVersions = { wide: await policyVersion(wide.productId), readmission: await policyVersion(readm.productId) };

    /** Waits until the job is completed on chain and no node has a job left running (receipts sent). */
    const settle = async (jobId: bigint) => {
      const until = Date.now() + 60_000;
      for (;;) {
        const job = await buyer.publicClient.readContract({ address: analytics, abi: analyticsAbi, functionName: "getJob", args: [jobId] });
        const idle = (await Promise.all(directory.map((n) => health(n.url)))).every((h) => h.jobs.running === 0);
        if (job.status === JobStatus.Completed && idle) return;
        if (job.status !== JobStatus.Open && job.status !== JobStatus.Completed) throw new Error(`job ${jobId} ended with status ${job.status}`);
        if (Date.now() > until) throw new Error(`job ${jobId} did not settle within 60 s`);
        await sleep(100);
      }
    };

    /** One purchase: query posted, paid (mined = t0), the shares collected and reconstructed. */
    const purchase = async (d: DatasetName, q: Query, want: QueryResult, what: string): Promise<JobTimes> => {
      const offer = offers[d];
      const query = validateQuery(q, offer.manifest);
      await submitQuery(directory, offer.productId, query, offer.threshold);
      const job = await requestQuery({
        publicClient: buyer.publicClient, wallet: buyer.wallet, account: buyer.wallet.account, contracts: { analytics, token: deployment.contracts.DataToken.address },
        productId: offer.productId, purpose: Purpose.Statistics, policyVersion: policyVersions[d], manifestHash: manifestHash(offer.manifest), queryHash: queryHash(query),
        price: offer.price, method: "approve",
      });
      const t0 = performance.now();
      const result = await collector!.collect({ jobId: job.jobId, query, offer, timeoutMs: 120_000 });
      const total = performance.now() - t0;
      checkResult(`${what} (job ${job.jobId})`, result, want);
      await settle(job.jobId);
      await sleep(300); // the last lines reach the tap
      tap.poll();
      return jobTimes(tap.lines, job.jobId, prefixes, t0, arrivals.get(job.jobId.toString()) ?? new Map(), total);
    };

    // --- cold queries: each product's tables are decrypted into the nodes' memory ---
    const coldRss = async (d: DatasetName, q: Query, want: QueryResult) => {
      await sleep(3000);
      const a = performance.now();
      await sleep(2000);
      const before = medianRss(a, performance.now());
      const t = await purchase(d, q, want, `${d} cold ${q.op}`);
      const b = performance.now();
      await sleep(2000);
      const after = medianRss(b, performance.now());
      const peak = Math.max(...rssBetween(a, performance.now()));
      return { t, growth: after - before, peakGrowth: peak - before };
    };
    const wideCold = await coldRss("wide", WIDE, expected.wide);
    log(`wide cold query: ${Math.round(wideCold.t.total)} ms; stack RSS +${mib(wideCold.growth)} MiB`);
    const readmCold = await coldRss("readmission", STDDEV, expected.stddev);
    log(`readmission cold stddev: ${Math.round(readmCold.t.total)} ms; stack RSS +${mib(readmCold.growth)} MiB`);

    // --- warm runs: stddev, then the grouped query, alternately ---
    const loadBefore = loadavg()[0];
    const warm: JobTimes[] = [];
    const grouped: JobTimes[] = [];
    for (let i = 0; i < runs; i++) {
      warm.push(await purchase("readmission", STDDEV, expected.stddev, `stddev run ${i + 1}`));
      await sleep(500);
      grouped.push(await purchase("readmission", GROUPED, expected.grouped, `grouped run ${i + 1}`));
      await sleep(500);
      log(`run ${i + 1}/${runs}: stddev ${Math.round(warm[i].total)} ms, grouped ${Math.round(grouped[i].total)} ms`);
    }

    const loadAfter = loadavg()[0];
    // --- figures ---
    const lat = stats(warm.map((x) => x.total));
    const grp = stats(grouped.map((x) => x.total));
    const received = stats(warm.map((x) => maxOf(x.arrivedAt) ?? NaN).filter((x) => !Number.isNaN(x)));
    const eng = stats(warm.map((x) => maxOf(x.engineMs) ?? NaN).filter((x) => !Number.isNaN(x)));
    const nodeJob = stats(warm.map((x) => maxOf(x.jobMs) ?? NaN).filter((x) => !Number.isNaN(x)));
    const breakdown = breakdownOf(warm);
    const groupedBreakdown = breakdownOf(grouped);
    const memory = Object.fromEntries((["wide", "readmission"] as const).map((d) => {
      const cols = d === "wide" ? wide.shared.encodedColumns : readm.shared.encodedColumns;
      const c = d === "wide" ? wideCold : readmCold;
      return [d, { bytesPerRow: cols * 16, tableMiB: Math.round((cols * 16 * ROWS) / 2 ** 20 * 10) / 10, rssGrowthMiB: mib(c.growth), rssPeakGrowthMiB: mib(c.peakGrowth) }];
    })) as AnalyticsFigures["memory"];
    const share = { wide: wide.shared, readmission: readm.shared };
    const targetMet = lat.p95 <= TARGET_P95_MS;
    const rounds = warm.find((x) => x.rounds !== undefined)?.rounds;
    const rowsPerS = (s: { rows: number }, secs: number) => Math.round(s.rows / secs);

    const latencyRows: Row[] = [
      { operation: `stddev, where sex = F, ${ROWS.toLocaleString("en")} rows: purchase mined → result reconstructed`, median: lat.median, p95: lat.p95 },
      { operation: "  the same, slowest run (max)", median: lat.max, p95: lat.max },
      { operation: "  mined → the last of the 3 shares received (before the buyer's collector wakes)", median: received.median, p95: received.p95 },
      { operation: "  first query of the dataset (nodes decrypt their share tables), 1 run", median: Math.round(readmCold.t.total), p95: Math.round(readmCold.t.total) },
      { operation: `mean by region, where sex = F (4 cells): mined → reconstructed`, median: grp.median, p95: grp.p95 },
      { operation: "  the same, slowest run (max)", median: grp.max, p95: grp.max },
      { operation: `nodes' engine time (slowest of 3 per job, ${rounds ?? "?"} rounds)`, median: eng.median, p95: eng.p95 },
      { operation: "nodes' job time, start → sealed (slowest of 3 per job)", median: nodeJob.median, p95: nodeJob.p95 },
    ];
    const breakdownRows: Row[] = Object.entries(breakdown).map(([operation, v]) => ({ operation, ...v }));
    const sellerRows: Row[] = (["wide", "readmission"] as const).map((d) => {
      const s = share[d];
      return { operation: `${d === "wide" ? "10 columns" : "readmission, 6 columns"} (${s.encodedColumns} encoded): check + share + upload, rows/s`, median: rowsPerS(s, s.totalSeconds), p95: rowsPerS(s, s.totalSeconds) };
    });
    const sellerMemRows: Row[] = (["wide", "readmission"] as const).map((d) => ({ operation: `${d === "wide" ? "10 columns" : "readmission, 6 columns"}: seller process peak RSS (VmHWM)`, median: share[d].hwmMiB, p95: share[d].hwmMiB }));
    const memRows: Row[] = (["wide", "readmission"] as const).flatMap((d) => [
      { operation: `${d === "wide" ? "10 columns" : "readmission"}: ShareTable bytes per row and node (16 B × ${memory[d].bytesPerRow / 16} encoded columns)`, median: memory[d].bytesPerRow, p95: memory[d].bytesPerRow },
    ]);
    const memMiBRows: Row[] = (["wide", "readmission"] as const).flatMap((d) => [
      { operation: `${d === "wide" ? "10 columns" : "readmission"}: ShareTable per node, 100k rows (computed)`, median: memory[d].tableMiB, p95: memory[d].tableMiB },
      { operation: `  stack process RSS growth, tables of 3 nodes loaded (settled; peak)`, median: memory[d].rssGrowthMiB, p95: memory[d].rssPeakGrowthMiB },
    ]);
    const report = [
      `Analytics (SMPC) on ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB; load average ${loadBefore.toFixed(1)} before the warm runs, ${loadAfter.toFixed(1)} after`,
      table(`Analytics (SMPC) query latency (${runs} warm runs each, alternating; 3 nodes in the npm start stack, chain + Streamr on loopback; 1 DATA per query)`, "ms", latencyRows).trimEnd(),
      `stddev query p95 ${lat.p95} ms (target ≤ ${TARGET_P95_MS} ms): ${targetMet ? "within target" : "OVER TARGET"}`,
      "",
      table("Where the time goes, stddev runs (t: ms after the purchase was mined; then durations)", "ms", breakdownRows).trimEnd(),
      table("Where the time goes, grouped runs", "ms", Object.entries(groupedBreakdown).map(([operation, v]) => ({ operation, ...v }))).trimEnd(),
      "",
      table(`Seller share + upload to the 3 nodes, ${ROWS.toLocaleString("en")} rows (child process; 1 run each)`, "rows/s", sellerRows).trimEnd(),
      ...(["wide", "readmission"] as const).map((d) => `  ${d}: check pass ${share[d].checkSeconds.toFixed(1)} s, share + encrypt + upload pass ${share[d].shareSeconds.toFixed(1)} s (${rowsPerS(share[d], share[d].shareSeconds).toLocaleString("en")} rows/s), ${(share[d].bytes / 1e6).toFixed(0)} MB of ciphertext; all nodes active ${share[d].activeMs} ms after the commitment`),
      table("Seller memory", "MiB", sellerMemRows).trimEnd(),
      ...(["wide", "readmission"] as const).map((d) => `  ${d}: RSS at start ${share[d].baseRssMiB} MiB, sampled peak ${share[d].peakRssMiB} MiB`),
      "",
      table("Nodes' memory per dataset", "bytes", memRows).trimEnd(),
      table("Nodes' memory per 100k-row dataset", "MiB", memMiBRows).trimEnd(),
      "",
    ].join("\n") + "\n";
    return {
      runs, stddev: { ...lat, cold: Math.round(readmCold.t.total), sharesReceived: received }, grouped: grp, engine: eng, nodeJob, share, memory,
      breakdown, groupedBreakdown, targetMet, loadAverage: { before: loadBefore, after: loadAfter }, report,
      raw: { cold: { wide: wideCold.t, readmission: readmCold.t }, stddev: warm, grouped, lines: tap.lines.map((l) => `${Math.round(l.t)} ${l.line}`) },
    };
  } catch (err) {
    log(`failed; the stack's last SMPC lines:\n${tap.lines.slice(-40).map((l) => l.line).join("\n")}`);
    throw err;
  } finally {
    tap.stop();
    clearInterval(rssTimer);
    await collector?.stop().catch(() => {});
    await client?.destroy().catch(() => {});
    await m.stop();
    rmSync(scratch, { recursive: true, force: true });
    restoreEnv();
  }
}

if (process.argv[2] === "--share-child") {
  await shareChild(JSON.parse(process.env.KRAKEN_BENCH_SHARE!));
  process.exit(0);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await analyticsBench(Number(process.argv[2] ?? 20));
  process.stdout.write(r.report);
  // A second argument: where to write every figure and each job's timings and node lines (JSON).
  if (process.argv[3]) writeFileSync(process.argv[3], JSON.stringify({ ...r, report: undefined }, null, 1) + "\n");
  process.exit(0);
}
