// The local subgraph runtime: feeds the chain's logs, in block and log order, to the compiled
// subgraph mappings (backfill from the start blocks, then live as blocks arrive), stores the
// entities in embedded Postgres one whole block at a time, and serves graph-node compatible
// GraphQL. Like graph-node, a mapping error stops indexing at that block and shows in `_meta`.
//
// Data source templates: a handler's `dataSource.create(name, [address])` adds a dynamic data
// source (a template instance). As in graph-node, an instance created while processing block N
// handles its contract's events from block N on, the ones of block N included: after a block's
// triggers of the data sources known when the block started, the block is run again for the
// data sources it created (in log order, instances in creation order), and again while that
// creates more. Instances are stored with the block that created them and reloaded at start.
//
// Operations: /health, /ready and /metrics on the GraphQL port (see ops.ts). After a mapping
// failure the head is still polled, so the chain check, the head and the lag stay true.
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { BaseError, createPublicClient, formatLog, http, HttpRequestError, numberToHex, TimeoutError, type Hex, type Log, type PublicClient, type RpcLog } from "viem";
import { DEFAULT_PORTS } from "@kraken/sdk/config";
import { loadBuiltSubgraph, routeKey, templateRouteKey, type BuiltSubgraph, type EventRoute } from "./manifest.ts";
import { decodeEventParams, MappingError, MappingModule, type CreatedDataSource, type EthereumBlock, type EthereumEvent, type EthereumTransaction } from "./runtime/index.ts";
import { EntityCache, PgStore, type BlockPtr, type StoredDataSource } from "./store/index.ts";
import { startGraphqlServer, type GraphqlServer, type GraphqlServerOptions } from "./graphql/index.ts";
import { createIndexerOps } from "./ops.ts";

export interface IndexerOptions {
  rpcUrl: string;
  /** build/subgraph.yaml of the compiled subgraph */
  manifestFile: string;
  /** where the embedded database lives (PGlite), e.g. .data/indexer */
  dataDir: string;
  /** a postgres:// URL: use a real Postgres instead of PGlite */
  connectionString?: string;
  port?: number; // 8000, as graph-node
  host?: string;
  pollMs?: number; // how often to look for a new block
  batchBlocks?: number; // blocks per eth_getLogs during backfill
  /** entities the mapping host keeps in memory between writes (default DEFAULT_CACHE_ENTITIES,
   * 10,000); others are read from the database when a handler asks for them */
  cacheEntities?: number;
  /** blocks per database transaction during backfill (default 200; fewer when FLUSH_EVENTS
   * events or FLUSH_MS pass first) */
  flushBlocks?: number;
  /** GraphQL requests per client IP (default: DEFAULT_READS_PER_IP of @kraken/sdk/ops) */
  rateLimits?: GraphqlServerOptions["rateLimits"];
  log?: (line: string) => void;
}

export interface IndexerStatus {
  block: number | null;
  head: number | null;
  failed: string | null;
  events: number;
  /** entities read from the database because the entity cache did not hold them */
  cacheLoads: number;
}

export interface RunningIndexer {
  url: string;
  status(): IndexerStatus;
  /** Resolves once blocks up to `blockNumber` are indexed (or rejects when indexing failed). */
  waitFor(blockNumber: number | bigint, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const FLUSH_BLOCKS = 200; // blocks per database transaction during backfill
const FLUSH_EVENTS = 5000; // …or events, which bounds what a batch holds in memory
const SPAN_LOGS = 5000; // eth_getLogs spans shrink above this many logs
const FLUSH_MS = 1000; // …or at least this often, so progress shows in _meta
const PREFETCH_BLOCKS = 8; // blocks fetched ahead of the handlers

export async function startIndexer(o: IndexerOptions): Promise<RunningIndexer> {
  const log = o.log ?? ((line: string) => process.stderr.write(`[indexer] ${line}\n`));
  const built = loadBuiltSubgraph(o.manifestFile);
  // Readiness and metrics read `state` and `next` (declared below), asked only once the server runs.
  const ops = createIndexerOps({
    progress: () => ({ head: state.head, indexed: state.block, done: state.block ?? next - 1, failed: state.failed, events: state.events }),
  });
  const client = createPublicClient({
    transport: http(o.rpcUrl, {
      batch: false,
      retryCount: 0, // the loop retries
      onFetchResponse: (r) => { if (r.ok) ops.chainAnswered(); },
    }),
  }) as PublicClient;
  const pgDir = join(o.dataDir, "pg");
  const buildFile = join(o.dataDir, "build-id");

  // A new build (other contracts or mappings) means a new index: start over.
  if (!o.connectionString && existsSync(buildFile) && readFileSync(buildFile, "utf8") !== built.id) {
    log("the subgraph or the deployment changed since the last run: re-indexing from the start");
    rmSync(pgDir, { recursive: true, force: true });
  }
  mkdirSync(o.dataDir, { recursive: true });
  let store = await PgStore.open({ schema: built.schemaFile, dataDir: pgDir, connectionString: o.connectionString, deployment: built.id.slice(0, 46), log });
  writeFileSync(buildFile, built.id);

  // The chain may have been reset under us (a new local chain): then the index is stale.
  let cp = await store.checkpoint();
  if (cp.block) {
    const onChain = await client.getBlock({ blockNumber: BigInt(cp.block.number) }).catch(() => null);
    if (!onChain || onChain.hash !== cp.block.hash) {
      log(`block ${cp.block.number} is no longer on the chain (new chain?): re-indexing from the start`);
      await store.close();
      rmSync(pgDir, { recursive: true, force: true });
      store = await PgStore.open({ schema: built.schemaFile, dataDir: pgDir, connectionString: o.connectionString, deployment: built.id.slice(0, 46), log });
      cp = await store.checkpoint();
    }
  }

  const cache = await EntityCache.load(store, { maxEntries: o.cacheEntities });
  const schemaText = readFileSync(built.schemaFile, "utf8");
  const templateNames = built.templates.map((t) => t.name);
  const modules = new Map<string, MappingModule>();
  for (const ds of built.dataSources) {
    modules.set(ds.name, await MappingModule.load(ds.wasm, {
      dataSourceName: ds.name,
      address: ds.address,
      network: ds.network,
      store: cache,
      schema: schemaText,
      templates: templateNames,
      log: (level, msg) => log(`${ds.name} ${level}: ${msg}`),
    }));
  }
  // One module per template, shared by all its instances: runHandler switches the instance.
  const templateModules = new Map<string, MappingModule>();
  for (const t of built.templates) {
    templateModules.set(t.name, await MappingModule.load(t.wasm, {
      dataSourceName: t.name,
      address: "0x0000000000000000000000000000000000000000",
      network: t.network,
      store: cache,
      schema: schemaText,
      templates: templateNames,
      log: (level, msg) => log(`${t.name} ${level}: ${msg}`),
    }));
  }

  // Dynamic data sources: the stored ones, then those the handlers create. `pendingSources` are
  // the ones created since the last write (written with it, dropped with a failed block).
  const instances = new Map<string, StoredDataSource[]>(); // address → instances, creation order
  let pendingSources: StoredDataSource[] = [];
  const addInstance = (d: StoredDataSource): boolean => {
    const list = instances.get(d.address) ?? [];
    // graph-node would run a second instance of the same template and address twice per
    // event; a factory never means that, so a repeated create is ignored.
    if (list.some((x) => x.template === d.template)) return false;
    list.push(d);
    instances.set(d.address, list);
    return true;
  };
  /** Forgets the data sources created since the last write, or since the `from`-th of them. */
  const discardPendingSources = (from = 0) => {
    for (const d of pendingSources.splice(from)) {
      const list = instances.get(d.address)!.filter((x) => x !== d);
      list.length ? instances.set(d.address, list) : instances.delete(d.address);
    }
  };
  const stored = await store.loadDataSources();
  for (const d of stored) {
    if (!templateModules.has(d.template)) throw new Error(`the index has a data source of template ${d.template}, which the subgraph no longer has`);
    addInstance(d);
  }

  const state: Omit<IndexerStatus, "cacheLoads"> = { block: cp.block?.number ?? null, head: null, failed: cp.error?.message ?? null, events: 0 };
  let next = cp.block ? cp.block.number + 1 : built.dataSources.length ? Math.min(...built.dataSources.map((d) => d.startBlock)) : 0;
  const addresses = built.dataSources.map((d) => d.address);
  const waiters = new Set<() => void>();
  let lastFlushAt = Date.now();
  const notify = () => waiters.forEach((w) => w());

  const server: GraphqlServer = await startGraphqlServer({
    store,
    port: o.port ?? DEFAULT_PORTS.indexer,
    host: o.host ?? "127.0.0.1",
    meta: async () => {
      const c = await store.checkpoint();
      return { block: c.block ? { number: c.block.number, hash: c.block.hash, timestamp: c.block.timestamp } : null, hasIndexingErrors: c.hasIndexingErrors, deployment: c.deployment };
    },
    // A time-travel query may name a block in which no entity changed: the chain knows its hash.
    resolveBlock: async (at) => {
      const b = await ("hash" in at ? client.getBlock({ blockHash: at.hash as Hex }) : client.getBlock({ blockNumber: BigInt(at.number) })).catch(() => null);
      return b?.hash ? { number: Number(b.number), hash: b.hash, timestamp: Number(b.timestamp) } : null;
    },
    ops,
    onQuery: ops.query,
    rateLimits: o.rateLimits,
  });
  log(`serving ${server.url}${state.block !== null ? ` (resuming after block ${state.block}${stored.length ? `, ${stored.length} dynamic data sources` : ""})` : ""}${state.failed ? "; indexing stopped earlier: " + state.failed : ""}`);

  /**
   * Template instances can be created anywhere in a range whose logs are fetched in one go, so
   * their logs are fetched by topic0 (every event any template handles) without an address
   * filter, next to the static addresses' logs; runBlock keeps only the logs of instances that
   * exist when it gets to them. This costs some unrelated logs with the same topic0 (our
   * templates' events are specific to our contracts), but needs no second pass over a range
   * when an instance appears in it and cannot miss one created mid-range.
   */
  const templateTopics = [...new Set(built.templates.flatMap((t) => t.topics))];
  async function getLogs(start: number, end: number): Promise<Log[]> {
    const range = { fromBlock: BigInt(start), toBlock: BigInt(end) };
    const [statics, dynamics] = await Promise.all([
      addresses.length ? (client.getLogs({ address: addresses, ...range }) as Promise<Log[]>) : [],
      templateTopics.length
        ? client.request({ method: "eth_getLogs", params: [{ fromBlock: numberToHex(start), toBlock: numberToHex(end), topics: [templateTopics] }] })
          .then((raw) => (raw as RpcLog[]).map((l) => formatLog(l) as Log))
        : [],
    ]);
    if (!dynamics.length) return statics;
    // a log of a static address with a template's topic0 comes twice: keep one
    const seen = new Set(statics.map((l) => `${l.blockNumber}:${l.logIndex}`));
    return [...statics, ...dynamics.filter((l) => !seen.has(`${l.blockNumber}:${l.logIndex}`))];
  }

  let span = o.batchBlocks ?? 1000; // blocks per eth_getLogs, adapted by fetchSpan

  type FetchedBlock = { block: RpcBlock; logs: Log[] };

  /**
   * Runs the handlers of one block against the cache; returns the error message on failure.
   * First the triggers of the static data sources and of the instances that existed before the
   * block, in log order; then, as graph-node does, the block's triggers of the instances those
   * handlers created (log order, instances in creation order), repeated while that creates more.
   */
  function runBlock({ block, logs }: FetchedBlock): string | null {
    const txs = new Map(block.transactions.map((t) => [t.hash, t]));
    const header = toBlock(block);
    const blockNumber = Number(header.number);
    let created: StoredDataSource[] = [];
    const collect = (list: readonly CreatedDataSource[]) => {
      for (const c of list) created.push({ template: c.template, address: c.address, params: c.params, blockNumber, context: c.context });
    };
    const run = (l: Log, route: EventRoute, instance?: StoredDataSource): string | null => {
      try {
        const event = toEvent(l, header, txs.get(l.transactionHash!)!);
        event.params = decodeEventParams(route.abiEvent, { topics: l.topics, data: l.data });
        collect(instance
          ? templateModules.get(route.dataSource)!.runHandler(route.handler, event, { address: instance.address, context: instance.context })
          : modules.get(route.dataSource)!.runHandler(route.handler, event));
        state.events++;
        return null;
      } catch (err) {
        if (err instanceof MappingError && err.deterministic === false) throw err; // e.g. store trouble: retry later
        const at = instance ? `${route.dataSource} ${instance.address}` : route.dataSource;
        return `${at}.${route.handler} failed at block ${blockNumber} (tx ${l.transactionHash}, log ${l.logIndex}): ${(err as Error).message}`;
      }
    };
    /** The block's logs for `only` (new instances) or else every known data source. */
    const pass = (only: Set<StoredDataSource> | null): string | null => {
      for (const l of logs) {
        const topic0 = l.topics[0] as Hex | undefined;
        if (!topic0) continue;
        if (!only) {
          const route = built.routes.get(routeKey(l.address, topic0));
          if (route) {
            const failure = run(l, route);
            if (failure) return failure;
          }
        }
        const list = instances.get(l.address.toLowerCase());
        if (!list) continue;
        for (const inst of list) {
          if (only && !only.has(inst)) continue;
          const route = built.templateRoutes.get(templateRouteKey(inst.template, topic0));
          if (!route) continue;
          const failure = run(l, route, inst);
          if (failure) return failure;
        }
      }
      return null;
    };
    let failure = pass(null);
    while (!failure && created.length) {
      const fresh = new Set<StoredDataSource>();
      for (const d of created) if (addInstance(d)) fresh.add(d), pendingSources.push(d);
      created = [];
      if (fresh.size) failure = pass(fresh);
    }
    return failure;
  }

  /** Writes the cache's changes with the checkpoint at `block`, in one database transaction. */
  async function flush(block: BlockPtr, blocks: readonly FetchedBlock[] = []): Promise<void> {
    await store.applyBlock(block, cache.takeChanges(), pendingSources, blocks.map((b) => blockPtr(b.block)));
    pendingSources = [];
    eventsAtFlush = state.events;
    state.block = block.number;
    notify();
  }

  /** A block with its transactions, as the node sends it: only the fields the events use are
   * converted, and only for the transactions that have logs (viem's formatBlock converted every
   * field of every transaction, a fifth of the backfill's time). */
  const getBlock = (n: number) => client.request({ method: "eth_getBlockByNumber", params: [numberToHex(n), true] }) as unknown as Promise<RpcBlock>;

  /**
   * eth_getLogs for one span from `start` (at most to `to`): a span that fails (too many
   * results, response too big) is halved; a span with many logs is halved for the next call and
   * one with few grows back, so a span's logs stay few whatever the chain holds.
   */
  async function fetchSpan(start: number, to: number): Promise<{ end: number; logs: Log[] }> {
    for (;;) {
      const end = Math.min(to, start + span - 1);
      try {
        const logs = await getLogs(start, end);
        if (logs.length > SPAN_LOGS) span = Math.max(1, Math.floor(span / 2));
        else if (logs.length < SPAN_LOGS / 4) span = Math.min(span * 2, o.batchBlocks ?? 1000);
        return { end, logs };
      } catch (err) {
        if (end === start) throw err;
        span = Math.max(1, Math.floor(span / 2));
      }
    }
  }

  let eventsAtFlush = 0; // state.events at the last write, for rolling back

  /**
   * runBlock, reading through to the database: when a handler asked for an entity that is not
   * in the cache but may be stored (the cache bounds what it keeps), the block is rolled back,
   * the missed entities are loaded (one query per type; they stay cached until the next write)
   * and the block runs again.
   */
  async function runLoading(fetched: FetchedBlock): Promise<string | null> {
    const events = state.events;
    const sources = pendingSources.length;
    for (;;) {
      cache.beginBlock();
      try {
        const failure = runBlock(fetched);
        if (!failure) cache.endBlock(Number(fetched.block.number));
        return failure;
      } catch (err) {
        if (!cache.hasMissed()) throw err;
      }
      cache.discardBlock();
      discardPendingSources(sources);
      state.events = events;
      await cache.loadMissed();
    }
  }

  /**
   * Indexes blocks [from, to]. Logs come span by span, the next span fetched while the handlers
   * run (a range's logs are never all in memory), blocks with their transactions a few ahead.
   * During backfill several blocks are written per database transaction (the checkpoint moves
   * with them, so it stays atomic); a block whose handler fails is never written: the blocks
   * before it are, then indexing stops there.
   */
  async function processRange(from: number, to: number): Promise<boolean> {
    let unflushed: FetchedBlock[] = [];
    let unflushedEvents = 0;
    let last: BlockPtr | null = null;
    const quiet = <T>(p: Promise<T>) => (p.catch(() => {}), p); // awaited later, or dropped when indexing stops
    let nextSpan: Promise<{ end: number; logs: Log[] }> | null = quiet(fetchSpan(from, to));
    while (nextSpan) {
      const { end: spanEnd, logs }: { end: number; logs: Log[] } = await nextSpan;
      nextSpan = spanEnd < to ? quiet(fetchSpan(spanEnd + 1, to)) : null;
      const byBlock = new Map<number, Log[]>();
      for (const l of logs) {
        const n = Number(l.blockNumber);
        byBlock.get(n)?.push(l) ?? byBlock.set(n, [l]);
      }
      const numbers = [...byBlock.keys()].sort((a, b) => a - b);
      const fetching = new Map<number, Promise<RpcBlock>>();
      const prefetch = (i: number) => {
        for (let j = i; j < Math.min(numbers.length, i + PREFETCH_BLOCKS); j++) {
          if (!fetching.has(j)) fetching.set(j, quiet(getBlock(numbers[j])));
        }
      };
      for (let i = 0; i < numbers.length; i++) {
        const n = numbers[i];
        prefetch(i);
        const raw = await fetching.get(i)!;
        fetching.delete(i);
        const blockLogs = byBlock.get(n)!.sort((a, b) => Number(a.logIndex) - Number(b.logIndex));
        const fetched = { block: keepTransactions(raw, blockLogs), logs: blockLogs };
        const failure = await runLoading(fetched);
        if (failure) {
          // Roll back to the last write, replay the good blocks of this batch, write them, stop.
          cache.discardChanges();
          discardPendingSources();
          const eventsBefore = state.events;
          for (const good of unflushed) {
            cache.beginBlock();
            runBlock(good);
            cache.endBlock(Number(good.block.number));
          }
          state.events = eventsBefore;
          if (unflushed.length) await flush(blockPtr(unflushed[unflushed.length - 1].block), unflushed);
          await store.recordFailure({ number: n, hash: fetched.block.hash }, failure);
          state.failed = failure;
          ops.indexingError("mapping");
          log(`indexing stopped: ${failure}`);
          notify();
          return false;
        }
        unflushed.push(fetched);
        unflushedEvents += blockLogs.length;
        last = blockPtr(fetched.block);
        if (unflushed.length >= (o.flushBlocks ?? FLUSH_BLOCKS) || unflushedEvents >= FLUSH_EVENTS || Date.now() - lastFlushAt > FLUSH_MS) {
          await flush(last, unflushed);
          lastFlushAt = Date.now();
          unflushed = [];
          unflushedEvents = 0;
        }
      }
    }
    // Blocks without events still move the checkpoint, so _meta shows the chain head.
    const end = last && last.number === to ? last : blockPtr(await getBlock(to));
    await flush(end, unflushed);
    lastFlushAt = Date.now();
    return true;
  }

  let stopped = false;
  const batch = 10_000; // blocks per processRange; eth_getLogs spans adapt inside it
  const loop = (async () => {
    while (!stopped) {
      try {
        const head = Number(await client.getBlockNumber({ cacheTime: 0 }));
        state.head = head;
        ops.sawHead(head);
        // After a mapping failure indexing stays stopped until the mapping or the data is fixed,
        // as in graph-node; the head is still watched (readiness, lag).
        if (!state.failed && head >= next) {
          const to = Math.min(head, next + batch - 1);
          const ok = await processRange(next, to);
          ops.retrying(false);
          if (ok) next = to + 1;
          continue;
        }
      } catch (err) {
        if (stopped) break;
        // Start again after the last write: the unwritten blocks' changes are dropped.
        cache.discardChanges();
        discardPendingSources();
        state.events = eventsAtFlush;
        if (state.block !== null) next = Math.max(next, state.block + 1);
        if (isChainFailure(err)) {
          ops.chainFailed();
          log(`chain read failed, retrying: ${(err as Error).message}`);
        } else {
          ops.indexingError("retried");
          ops.retrying(true);
          log(`indexing failed, retrying: ${(err as Error).message}`);
        }
        await sleep(1000);
      }
      await sleep(o.pollMs ?? 50);
    }
  })();

  return {
    url: server.url,
    status: () => ({ ...state, cacheLoads: cache.loads }),
    waitFor(blockNumber, timeoutMs = 30_000) {
      const target = Number(blockNumber);
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (state.block !== null && state.block >= target) done(resolve);
          else if (state.failed) done(() => reject(new Error(state.failed!)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`block ${target} not indexed within ${timeoutMs} ms (at ${state.block})`))), timeoutMs);
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      stopped = true;
      await loop;
      await server.stop();
      await store.close();
    },
  };
}

/** eth_getBlockByNumber(n, true) as JSON: quantities are hex strings. */
interface RpcBlock {
  number: Hex; hash: Hex; parentHash: Hex; sha3Uncles: Hex; miner: Hex; stateRoot: Hex; transactionsRoot: Hex; receiptsRoot: Hex;
  gasUsed: Hex; gasLimit: Hex; timestamp: Hex; difficulty?: Hex | null; totalDifficulty?: Hex | null; size: Hex; baseFeePerGas?: Hex | null;
  transactions: RpcTransaction[];
}
interface RpcTransaction {
  hash: Hex; transactionIndex: Hex | null; from: Hex; to: Hex | null; value: Hex; gas: Hex;
  gasPrice?: Hex | null; maxFeePerGas?: Hex | null; input: Hex; nonce: Hex;
}

const bigOr = (v: Hex | null | undefined, or: bigint | null) => (v ? BigInt(v) : or);
const blockPtr = (b: RpcBlock): BlockPtr => ({ number: Number(b.number), hash: b.hash, timestamp: Number(b.timestamp) });

/** The block with only the transactions that emitted `logs` (what a batch keeps until written). */
function keepTransactions(b: RpcBlock, logs: readonly Log[]): RpcBlock {
  const used = new Set(logs.map((l) => l.transactionHash));
  return { ...b, transactions: b.transactions.filter((t) => used.has(t.hash)) };
}

/** The event's block, converted as viem's formatBlock did. */
function toBlock(b: RpcBlock): EthereumBlock {
  return {
    hash: b.hash,
    parentHash: b.parentHash,
    unclesHash: b.sha3Uncles,
    author: b.miner,
    stateRoot: b.stateRoot,
    transactionsRoot: b.transactionsRoot,
    receiptsRoot: b.receiptsRoot,
    number: BigInt(b.number),
    gasUsed: BigInt(b.gasUsed),
    gasLimit: BigInt(b.gasLimit),
    timestamp: BigInt(b.timestamp),
    difficulty: bigOr(b.difficulty, 0n)!,
    totalDifficulty: bigOr(b.totalDifficulty, 0n)!,
    size: bigOr(b.size, null),
    baseFeePerGas: bigOr(b.baseFeePerGas, null),
  };
}

function toTransaction(tx: RpcTransaction): EthereumTransaction {
  return {
    hash: tx.hash,
    index: bigOr(tx.transactionIndex, 0n)!,
    from: tx.from,
    to: tx.to ?? null,
    value: BigInt(tx.value),
    gasLimit: BigInt(tx.gas),
    gasPrice: bigOr(tx.gasPrice, null) ?? bigOr(tx.maxFeePerGas, 0n)!,
    input: tx.input,
    nonce: BigInt(tx.nonce),
  };
}

function toEvent(l: Log, block: EthereumBlock, tx: RpcTransaction): EthereumEvent {
  return {
    address: l.address,
    logIndex: BigInt(l.logIndex!),
    transactionLogIndex: BigInt(l.logIndex!),
    logType: null,
    block,
    transaction: toTransaction(tx),
    receipt: null,
    params: [],
  };
}

/** The chain's RPC did not answer (unreachable, HTTP error status, timeout), as opposed to an
 * answer with a JSON-RPC error or a failure of the store or the runtime. */
function isChainFailure(err: unknown): boolean {
  return err instanceof BaseError && !!err.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
