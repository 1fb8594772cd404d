// Chaos run (issue 17): the real `npm start` stack, a seller's batch products, and a burst of
// purchases by several buyers (the `kraken` CLI, as users run it) while a seeded killer SIGKILLs
// relays, the indexer and the demo publisher at random moments — and, a few times, npm start
// itself, which is then started again on the same state. Afterwards, with every service back:
//   - every purchase's agreement has exactly one delivery receipt per relay on chain (each relay
//     still held every key share: a receipt needs it), and no receipt anywhere is duplicated;
//   - every buyer fetches their file with `kraken fetch`, byte for byte;
//   - the indexer's entities equal those of a fresh indexer that re-indexes the chain from block 0.
// Whole-stack kills wait for a quiet chain first: the local chain saves its state at most every
// 0.5 s (chain/README.md), and a consortium chain does not lose mined blocks at all.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http, parseAbiItem } from "viem";
import { startIndexer } from "../../indexer/src/index.ts";
import { buildSubgraph } from "../../subgraph/scripts/build.ts";
import { kraken } from "../../cli/test/run.ts";
import { cliEnv, startMarketplace, type Marketplace } from "../browser/harness/stack.ts";
import { rng } from "../helpers/rng.ts";

export interface ChaosOptions {
  seed: number;
  purchases: number;
  /** SIGKILLs of single services (at least) */
  kills: number;
  /** SIGKILLs of npm start as a whole, spread over the purchases */
  stackKills: number;
  log(line: string): void;
}

export interface ChaosReport {
  purchases: number;
  buyers: number;
  products: number;
  kills: Record<string, number>;
  stackKills: number;
  buyRetries: number;
  receipts: number;
  duplicateReceipts: number;
  missingReceipts: string[];
  fetched: number;
  fetchFailures: string[];
  entitiesCompared: number;
  entityMismatches: string[];
  seconds: number;
}

const VICTIMS = ["relay 1", "relay 2", "relay 3", "indexer", "publisher"];
const BUYERS = ["researchInstitute", "tomas", "pharma", "insurer", "recruiter"];
const SELLER = "hospital";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const t0 = Date.now();
  const r = rng(o.seed);
  const work = mkdtempSync(join(tmpdir(), "kraken-chaos-"));
  o.log("chaos: starting the stack (npm start)");
  const m = await startMarketplace({ env: { KRAKEN_LOG_FORMAT: "json" } });
  try {
    return await chaos(m, o, r, work, t0);
  } finally {
    await m.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function chaos(m: Marketplace, o: ChaosOptions, r: ReturnType<typeof rng>, work: string, t0: number): Promise<ChaosReport> {
  const env = (persona?: string) => cliEnv(m, persona);
  const chain = createPublicClient({ transport: http(m.urls.rpc) });
  const agreements = m.deployment.contracts.Agreements.address;
  const services = () => JSON.parse(readFileSync(join(m.dir, "data", "services.json"), "utf8")) as { services: Record<string, { pid: number | null }> };

  // 1. The seller publishes one batch product per purchase slot of each buyer (one active
  //    agreement per buyer and product), before any kill: publishing needs every relay.
  const productCount = Math.ceil(o.purchases / BUYERS.length);
  const policy = join(work, "policy.json");
  writeFileSync(policy, JSON.stringify({ purposes: ["research"], consumers: ["individual", "organisation"], organisationTypes: ["hospital", "research-university", "pharma", "insurer", "public-authority", "health-tech", "employer-recruiter", "education-provider"], jurisdictions: "all", requiresApproval: false, retentionDays: 0 }));
  const products: { id: string; hash: string }[] = [];
  for (let i = 0; i < productCount; i++) {
    const data = Buffer.from(Array.from({ length: 20_000 }, () => r.int(0, 255)));
    const file = join(work, `product-${i}.bin`);
    writeFileSync(file, data);
    const p = await kraken(["publish", "--type", "batch", "--file", file, "--title", `Chaos cohort ${i}`, "--summary", "chaos test data", "--tags", "chaos", "--price", "1", "--policy", policy, "--json"], env(SELLER));
    if (p.code !== 0) throw new Error(`publish ${i} failed (${p.code}): ${p.stderr}${p.stdout}`);
    const out = JSON.parse(p.stdout) as { productId: string; confirmed: string[] };
    if (out.confirmed.length !== 3) throw new Error(`publish ${i}: only ${out.confirmed.length} relays confirmed their key share`);
    products.push({ id: out.productId, hash: sha256(data) });
  }
  o.log(`chaos: ${products.length} batch products published by ${SELLER}; ${o.purchases} purchases by ${BUYERS.length} buyers begin, with the killer`);

  // 2. The burst: buyers in parallel (each buys one product after another), a killer beside them.
  //    A whole-stack kill closes the gate: buyers and killer wait, the chain goes quiet, npm start
  //    is SIGKILLed and started again.
  const slots = BUYERS.flatMap((buyer) => products.map((p) => ({ buyer, product: p }))).slice(0, o.purchases);
  const bought: { buyer: string; product: { id: string; hash: string }; agreementId: string }[] = [];
  const kills: Record<string, number> = Object.fromEntries(VICTIMS.map((v) => [v, 0]));
  let stackKills = 0;
  let retries = 0;
  let inFlight = 0;
  let gate: Promise<void> | undefined;
  let buying = true;
  const stackKillAt = Array.from({ length: o.stackKills }, (_, i) => Math.floor(((i + 1) * o.purchases) / (o.stackKills + 1)));

  const relays = (JSON.parse(readFileSync(join(m.dir, "deployments", "localhost.relays.json"), "utf8")) as { address: string }[]).map((x) => x.address.toLowerCase());
  const event = parseAbiItem("event DeliveryRecorded(uint256 indexed agreementId, address indexed agent, bytes32 envelopeHash)");
  let receipts: { agreementId: bigint; agent: string }[] = [];
  const missingReceipts = async () => {
    const logs = await chain.getLogs({ address: agreements, event, fromBlock: 0n });
    receipts = logs.map((l) => ({ agreementId: l.args.agreementId!, agent: l.args.agent!.toLowerCase() }));
    return bought.flatMap((b) => relays.filter((a) => !receipts.some((x) => x.agreementId === BigInt(b.agreementId) && x.agent === a)).map((a) => `agreement ${b.agreementId}: no receipt from ${a}`));
  };

  const killStack = async () => {
    let open!: () => void;
    gate = new Promise<void>((res) => (open = res));
    while (inFlight > 0) await sleep(100);
    // Nothing in flight at the relays either: a receipt mined after the chain's last save would
    // be lost with the local chain (not with a consortium chain), while its relay remembers it.
    await until("every receipt before the stack kill", 180_000, async () => (await missingReceipts()).length === 0).catch(() => o.log("chaos: some receipts still missing before the stack kill"));
    await quietChain(chain, 5000);
    o.log(`chaos: SIGKILL npm start (${bought.length} purchases done)`);
    await m.kill();
    stackKills++;
    await m.restart();
    o.log("chaos: npm start is back");
    gate = undefined;
    open();
  };

  const buyer = async (name: string) => {
    for (const slot of slots.filter((s) => s.buyer === name)) {
      for (let attempt = 0; ; attempt++) {
        while (gate) await gate;
        inFlight++;
        const b = await kraken(["buy", slot.product.id, "--purpose", "research", "--json"], env(name)).finally(() => inFlight--);
        if (b.code === 0) {
          bought.push({ ...slot, agreementId: (JSON.parse(b.stdout) as { agreementId: string }).agreementId });
          break;
        }
        // a purchase mined before the CLI saw it (its RPC call was cut): the buyer has access
        const has = /AlreadyHasAccess\((\d+)\)|already has access[^0-9]*(\d+)/i.exec(b.stderr + b.stdout);
        if (has) {
          bought.push({ ...slot, agreementId: has[1] ?? has[2]! });
          break;
        }
        retries++;
        if (attempt >= 20) throw new Error(`${name} could not buy product ${slot.product.id}: ${b.stderr}${b.stdout}`);
        await sleep(1000);
      }
      if (stackKillAt.length && bought.length >= stackKillAt[0]! && !gate) {
        stackKillAt.shift();
        await killStack();
      }
    }
  };

  const killer = async () => {
    let total = 0;
    while (buying || total < o.kills) {
      await sleep(r.int(800, 2500));
      while (gate) await gate;
      const alive = VICTIMS.filter((v) => services().services[v]?.pid);
      if (!alive.length) continue;
      const v = r.pick(alive);
      const pid = services().services[v]!.pid!;
      try {
        process.kill(pid, "SIGKILL");
        kills[v]!++;
        total++;
        if (total % 10 === 0) o.log(`chaos: ${total} kills, ${bought.length} of ${o.purchases} purchases`);
      } catch {
        /* it died meanwhile */
      }
    }
  };

  const killing = killer();
  await Promise.all(BUYERS.map((b) => buyer(b)));
  buying = false;
  await killing;
  o.log(`chaos: burst over — ${bought.length} purchases, ${Object.values(kills).reduce((a, b) => a + b, 0)} service kills, ${stackKills} stack kills; waiting for every service and receipt`);

  // 3. Every service back; every agreement delivered by each relay exactly once.
  await until("every relay and the indexer ready", 240_000, async () => {
    for (const u of [...m.urls.relays, new URL(m.urls.subgraph).origin]) if ((await fetch(`${u}/ready`, { signal: AbortSignal.timeout(3000) })).status !== 200) return false;
    return true;
  });
  let missing: string[] = [];
  await until("one receipt per relay for every purchase", 300_000, async () => (missing = await missingReceipts()).length === 0).catch(() => {});
  const pairs = receipts.map((x) => `${x.agreementId}/${x.agent}`);
  const duplicateReceipts = pairs.length - new Set(pairs).size;
  const stillMissing = missing;

  // 4. Every buyer fetches their file.
  const fetchFailures: string[] = [];
  let fetched = 0;
  const queue = [...bought];
  await Promise.all([0, 1, 2].map(async () => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      const out = join(work, `fetched-${b.agreementId}.bin`);
      const f = await kraken(["fetch", b.agreementId, "--out", out], env(b.buyer));
      if (f.code !== 0) fetchFailures.push(`agreement ${b.agreementId} (${b.buyer}): exit ${f.code} ${f.stderr.slice(0, 300)}`);
      else if (sha256(readFileSync(out)) !== b.product.hash) fetchFailures.push(`agreement ${b.agreementId} (${b.buyer}): the file differs`);
      else fetched++;
    }
  }));
  o.log(`chaos: ${fetched} of ${bought.length} files fetched`);

  // 5. The indexer's entities against a fresh re-index of the same chain.
  const { compared, mismatches } = await compareWithReindex(m, chain, work);
  return {
    purchases: bought.length, buyers: BUYERS.length, products: products.length, kills, stackKills, buyRetries: retries,
    receipts: receipts.length, duplicateReceipts, missingReceipts: stillMissing, fetched, fetchFailures,
    entitiesCompared: compared, entityMismatches: mismatches, seconds: Math.round((Date.now() - t0) / 1000),
  };
}

/** Waits until the chain's head has not moved for `ms` (its state is then saved). */
async function quietChain(chain: ReturnType<typeof createPublicClient>, ms: number): Promise<void> {
  let head = await chain.getBlockNumber();
  let since = Date.now();
  while (Date.now() - since < ms) {
    await sleep(250);
    const now = await chain.getBlockNumber();
    if (now !== head) [head, since] = [now, Date.now()];
  }
}

async function until(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok().catch(() => false)) return;
    await sleep(500);
  }
  throw new Error(`chaos: timed out waiting for ${what}`);
}

async function gql(url: string, query: string): Promise<{ data?: Record<string, unknown>; errors?: unknown[] }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
  return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

/**
 * Every entity collection of the schema (introspected), every scalar field and the id of every
 * reference, first 1,000 by id, from the stack's indexer and from a fresh one on the same chain.
 */
async function compareWithReindex(m: Marketplace, chain: ReturnType<typeof createPublicClient>, work: string): Promise<{ compared: number; mismatches: string[] }> {
  await quietChain(chain, 1500);
  const head = Number(await chain.getBlockNumber());
  const fresh = await startIndexer({ rpcUrl: m.urls.rpc, manifestFile: buildSubgraph(m.deployment), dataDir: join(work, "reindex"), port: 0, log: () => {} });
  try {
    await fresh.waitFor(head, 300_000);
    const atHead = async (url: string) => until(`${url} at block ${head}`, 120_000, async () => ((await gql(url, "{ _meta { block { number } } }")).data?._meta as { block: { number: number } }).block.number >= head);
    await atHead(m.urls.subgraph);
    const schema = (await gql(fresh.url, "{ __schema { queryType { fields { name args { name defaultValue type { kind } } type { kind ofType { kind ofType { kind ofType { name kind } } } } } } types { name kind fields { name type { kind name ofType { kind name ofType { kind name } } } } } } }")).data!.__schema as {
      queryType: { fields: { name: string; args: { name: string; defaultValue: string | null; type: { kind: string } }[]; type: { kind: string; ofType?: { kind: string; ofType?: { kind: string; ofType?: { name: string; kind: string } } } } }[] };
      types: { name: string; kind: string; fields?: { name: string; type: { kind: string; name?: string; ofType?: { kind: string; name?: string; ofType?: { kind: string; name?: string } } } }[] }[];
    };
    const byName = new Map(schema.types.map((t) => [t.name, t]));
    const base = (t: { kind: string; name?: string; ofType?: unknown }): { kind: string; name?: string } => (t.ofType ? base(t.ofType as typeof t) : t);
    const mismatches: string[] = [];
    let compared = 0;
    for (const f of schema.queryType.fields) {
      const item = f.type.ofType?.ofType?.ofType; // [T!]! → T
      if (f.type.kind !== "NON_NULL" || f.type.ofType?.kind !== "LIST" || item?.kind !== "OBJECT") continue;
      // collections only: a search (a required argument, no ordering) is not an entity listing
      if (f.args.some((a) => a.type.kind === "NON_NULL" && a.defaultValue === null) || !f.args.some((a) => a.name === "orderBy")) continue;
      const type = byName.get(item.name);
      if (!type?.fields?.some((x) => x.name === "id")) continue;
      const select = type.fields!.flatMap((x) => {
        const b = base(x.type);
        if (x.type.kind === "LIST" || x.type.ofType?.kind === "LIST") return [];
        if (b.kind === "SCALAR" || b.kind === "ENUM") return [x.name];
        if (b.kind === "OBJECT" && byName.get(b.name!)?.fields?.some((y) => y.name === "id")) return [`${x.name} { id }`];
        return [];
      });
      const query = `{ ${f.name}(first: 1000, orderBy: id) { ${select.join(" ")} } }`;
      const [a, b] = await Promise.all([gql(m.urls.subgraph, query), gql(fresh.url, query)]);
      if (a.errors || b.errors) {
        mismatches.push(`${f.name}: errors ${JSON.stringify(a.errors ?? b.errors).slice(0, 200)}`);
        continue;
      }
      const x = a.data![f.name] as unknown[];
      const y = b.data![f.name] as unknown[];
      compared += y.length;
      if (JSON.stringify(x) !== JSON.stringify(y)) mismatches.push(`${f.name}: ${x.length} entities in the stack's indexer, ${y.length} re-indexed, contents differ`);
    }
    return { compared, mismatches };
  } finally {
    await fresh.stop();
  }
}
