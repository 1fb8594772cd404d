// The indexer's operations endpoints end to end, on a real chain (anvil, seeded) and the compiled
// subgraph: /health; /metrics (chain head, indexed block, lag, events, GraphQL requests by
// outcome and their time); /ready with its checks chain, caughtUp and indexing; labels that no
// request can add to; and /ready failing on `chain` when the chain stops, the indexer still up.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMetrics, type Sample } from "../../test/helpers/metrics.ts";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { emitMalformedProductPublished } from "./malformed-event.ts";
import { buildSubgraph } from "../../subgraph/scripts/build.ts";
import { startIndexer, type RunningIndexer } from "../src/index.ts";
import { createIndexerOps, failureSummary, HeadClock } from "../src/ops.ts";

/** evm_mine, which viem's public client does not type. */
type Mine = { Parameters: []; ReturnType: string };

let s: Stack;
let chainStopped = false;
let dataDir: string;
let indexer: RunningIndexer;
let origin: string;

async function metrics(): Promise<{ text: string; samples: Sample[] }> {
  const r = await fetch(`${origin}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
  const text = await r.text();
  return { text, samples: parseMetrics(text) };
}

/** The value of one series; `labels` besides service="indexer". */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const want = { ...labels, service: "indexer" };
  const hit = samples.find((x) => x.name === name && Object.keys(x.labels).length === Object.keys(want).length
    && Object.entries(want).every(([k, v]) => x.labels[k] === v));
  if (!hit) throw new Error(`no series ${name}${JSON.stringify(labels)}`);
  return hit.value;
}

async function ready(): Promise<{ status: number; body: { ready: boolean; service: string; checks: Record<string, { ok: boolean; detail?: string }> } }> {
  const r = await fetch(`${origin}/ready`);
  return { status: r.status, body: await r.json() };
}

async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const post = (body: string) => fetch(indexer.url, { method: "POST", headers: { "content-type": "application/json" }, body });
const query = (q: string, extra: Record<string, unknown> = {}) => post(JSON.stringify({ query: q, ...extra }));
const chainHead = async () => Number(await s.clients(0).publicClient.getBlockNumber());

beforeAll(async () => {
  s = await startStack({ seed: true });
  const manifestFile = buildSubgraph(s.deployment);
  dataDir = mkdtempSync(join(tmpdir(), "kraken-indexer-ops-")); // outside the stack's dir: the chain stops first
  indexer = await startIndexer({ rpcUrl: s.rpcUrl, manifestFile, dataDir, port: 0, log: () => {} });
  await indexer.waitFor(await chainHead());
  origin = new URL(indexer.url).origin;
});

afterAll(async () => {
  await indexer?.stop().catch(() => {});
  if (!chainStopped) await s?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("indexer operations endpoints", () => {
  it("/health answers 200 on the GraphQL port", async () => {
    const r = await fetch(`${origin}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: "ok", service: "indexer", uptimeSeconds: expect.any(Number) });
  });

  it("/ready is 200 once caught up: chain, caughtUp and indexing pass", async () => {
    const { status, body } = await until(ready, (r) => r.status === 200);
    expect(status).toBe(200);
    expect(body).toMatchObject({ ready: true, service: "indexer" });
    expect(body.checks).toEqual({
      chain: { ok: true },
      caughtUp: { ok: true, detail: "0 blocks behind the chain head (at most 5)" },
      indexing: { ok: true },
    });
  });

  it("/metrics: chain head, indexed block, lag 0 when caught up, events handled", async () => {
    const head = await chainHead();
    const { samples } = await metrics();
    expect(value(samples, "kraken_indexer_chain_head_block")).toBe(head);
    expect(value(samples, "kraken_indexer_indexed_block")).toBe(head);
    expect(value(samples, "kraken_indexer_lag_blocks")).toBe(0);
    expect(value(samples, "kraken_indexer_lag_seconds")).toBe(0);
    const events = value(samples, "kraken_indexer_events_total");
    expect(events).toBeGreaterThan(0);
    expect(events).toBe(indexer.status().events);
    expect(value(samples, "kraken_indexer_handler_errors_total", { kind: "mapping" })).toBe(0);
    expect(value(samples, "kraken_indexer_handler_errors_total", { kind: "retried" })).toBe(0);
    expect(samples.some((x) => x.name === "kraken_process_resident_memory_bytes" && x.labels.service === "indexer")).toBe(true);
  });

  it("a new block moves the head, then the indexed block, and the lag returns to 0", async () => {
    await s.clients(0).publicClient.request<Mine>({ method: "evm_mine", params: [] });
    const head = await chainHead();
    await indexer.waitFor(head);
    const { samples } = await until(metrics, (m) => value(m.samples, "kraken_indexer_chain_head_block") === head);
    expect(value(samples, "kraken_indexer_chain_head_block")).toBe(head);
    expect(value(samples, "kraken_indexer_indexed_block")).toBe(head);
    expect(value(samples, "kraken_indexer_lag_blocks")).toBe(0);
    expect(value(samples, "kraken_indexer_lag_seconds")).toBe(0);
  });

  it("counts GraphQL requests by outcome (ok, refused) and times them", async () => {
    const before = (await metrics()).samples;
    const count = (ss: Sample[], outcome: string) => value(ss, "kraken_indexer_queries_total", { outcome });
    const timed = (ss: Sample[]) => value(ss, "kraken_indexer_query_seconds_count");

    const ok = await query(`{ products(first: 2) { id title } }`);
    expect((await ok.json()).data.products).toHaveLength(2);
    const viaGet = await fetch(`${indexer.url}?query=${encodeURIComponent("{ _meta { block { number } } }")}`);
    expect((await viaGet.json()).data._meta.block.number).toBeGreaterThan(0);
    // refused: a syntax error, a field that does not exist, `first` over the limit, a body that is not JSON
    for (const r of [await query(`{ products(first: 2) { id `), await query(`{ nope }`), await query(`{ products(first: 5000) { id } }`), await post("{not json")]) {
      const body = await r.json();
      expect(body.errors.length).toBeGreaterThan(0);
      expect(body.data).toBeUndefined();
    }
    // not GraphQL requests: the query page, the operations endpoints, the root, CORS preflight
    await fetch(indexer.url, { headers: { accept: "text/html" } });
    await fetch(`${origin}/`);
    await fetch(indexer.url, { method: "OPTIONS" });

    const after = (await metrics()).samples;
    expect(count(after, "ok") - count(before, "ok")).toBe(2);
    expect(count(after, "refused") - count(before, "refused")).toBe(4);
    expect(count(after, "error") - count(before, "error")).toBe(0);
    expect(timed(after) - timed(before)).toBe(6);
    expect(value(after, "kraken_indexer_query_seconds_bucket", { le: "+Inf" })).toBe(timed(after));
  });

  it("keeps the GraphQL server's routes as they were: root, CORS, 404, query page", async () => {
    const root = await fetch(`${origin}/`);
    expect(root.status).toBe(200);
    expect(await root.json()).toMatchObject({ subgraphs: ["/subgraphs/name/kraken/marketplace"] });
    const pre = await fetch(indexer.url, { method: "OPTIONS" });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect((await fetch(`${origin}/subgraphs/name/other`)).status).toBe(404);
    expect((await fetch(`${origin}/metrics`, { method: "POST" })).status).toBe(404); // ops answers GET/HEAD only
    expect((await fetch(indexer.url, { headers: { accept: "text/html" } })).headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("abuse: nothing a request sends becomes a label value or a new series", async () => {
    const series = (ss: Sample[]) => new Set(ss.filter((x) => x.name.startsWith("kraken_indexer_")).map((x) => `${x.name}${JSON.stringify(x.labels)}`));
    const before = series((await metrics()).samples);
    const marker = "zzmarker";
    await query(`{ products(where: { title_contains: "${marker}1" }) { id } }`);
    await query(`query ${marker}2 { products { id } }`, { operationName: `${marker}2`, variables: { [`${marker}3`]: 1 } });
    await query(`{ ${marker}4 }`);
    await post(`{"${marker}5": [`);
    await fetch(`${indexer.url}?query=${marker}6`, { headers: { "user-agent": `${marker}7`, "x-outcome": `${marker}8` } });
    await fetch(`${origin}/${marker}9`);
    await fetch(`${origin}/metrics?outcome=${marker}10`);
    await fetch(`${origin}/ready?${marker}11=1`);
    await fetch(`${origin}/metrics/${marker}12`);
    await fetch(`${origin}/subgraphs/id/${marker}13`, { method: "POST", body: "{}" });
    for (const method of ["PUT", "DELETE", "PATCH"]) await fetch(indexer.url, { method, body: marker });

    const { text, samples } = await metrics();
    expect(text).not.toContain(marker);
    expect(series(samples)).toEqual(before);
    const own = samples.filter((x) => x.name.startsWith("kraken_indexer_"));
    expect(new Set(own.flatMap((x) => Object.keys(x.labels)))).toEqual(new Set(["service", "outcome", "kind", "le"]));
    expect(new Set(own.filter((x) => x.labels.outcome).map((x) => x.labels.outcome))).toEqual(new Set(["ok", "error", "refused"]));
  });

  it("a mapping failure fails `indexing` with a short reason (no transaction, no mapping message) and counts", async () => {
    const receipt = await emitMalformedProductPublished(s); // the mapping cannot handle it
    const hash = receipt.transactionHash;
    await expect(indexer.waitFor(receipt.blockNumber, 10_000)).rejects.toThrow(/failed at block/);

    const { status, body } = await until(ready, (r) => r.status === 503); // /ready answers from a run of its checks up to 1 s old
    expect(status).toBe(503);
    expect(body.checks.chain).toEqual({ ok: true });
    expect(body.checks.indexing.ok).toBe(false);
    expect(body.checks.indexing.detail).toBe(`handler Catalogue.handleProductPublished failed at block ${receipt.blockNumber}; indexing stopped there (see the log)`);
    expect(JSON.stringify(body)).not.toContain(hash.slice(2, 12));
    const { samples } = await metrics();
    expect(value(samples, "kraken_indexer_handler_errors_total", { kind: "mapping" })).toBe(1);
    // the failed block is not indexed: one block behind, still within the bound
    expect(value(samples, "kraken_indexer_lag_blocks")).toBe(1);
    expect(value(samples, "kraken_indexer_lag_seconds")).toBeGreaterThan(0);
  });

  it("/ready is 503 naming `chain` when the chain stops; /health, /metrics and GraphQL still answer", async () => {
    await s.stop();
    chainStopped = true;
    const { status, body } = await until(ready, (r) => r.body.checks?.chain?.ok === false);
    expect(status).toBe(503);
    expect(body.ready).toBe(false);
    expect(body.checks.chain.ok).toBe(false);
    expect(body.checks.chain.detail).toMatch(/^requests to the chain's RPC fail \(last answer \d+ s ago\)$/);
    expect((await fetch(`${origin}/health`)).status).toBe(200);
    const { samples } = await metrics();
    expect(value(samples, "kraken_indexer_indexed_block")).toBeGreaterThan(0);
    const r = await query(`{ _meta { block { number } hasIndexingErrors } }`);
    expect((await r.json()).data._meta.hasIndexingErrors).toBe(true);
  });
});

describe("indexer lag and failure summaries", () => {
  it("lag in seconds counts from when the oldest block not yet indexed was first seen", () => {
    const c = new HeadClock();
    c.saw(100, 0);
    c.saw(100, 1000); // the same head again: still first seen at 0
    c.saw(105, 4000);
    expect(c.lagSeconds(99, 6000)).toBe(6);
    expect(c.lagSeconds(100, 6000)).toBe(2); // 101..105 were first seen at 4 s
    expect(c.lagSeconds(105, 6000)).toBe(0);
    c.saw(103, 7000); // a lower head (a reset chain) changes nothing
    expect(c.lagSeconds(105, 8000)).toBe(0);
  });

  it("summarises a recorded failure without its transaction, address or mapping message", () => {
    expect(failureSummary("Catalogue.handleProductPublished failed at block 42 (tx 0xabc, log 0): unknown Purpose value 9 for 0x1234"))
      .toBe("handler Catalogue.handleProductPublished failed at block 42; indexing stopped there (see the log)");
    expect(failureSummary("DataUnion 0x00000000000000000000000000000000000000aa.handleJoined failed at block 7 (tx 0x1, log 2): boom"))
      .toBe("handler DataUnion.handleJoined failed at block 7; indexing stopped there (see the log)");
    expect(failureSummary("something else entirely: 0xdeadbeef")).toBe("indexing stopped at a failed handler (see the log)");
  });
});

describe("events counter", () => {
  it("counts the events of a block rolled back and run again once", async () => {
    let events = 0;
    const o = createIndexerOps({ progress: () => ({ head: 1, indexed: 1, done: 1, failed: null, events }) });
    const counted = async () => (await o.ops.registry.getSingleMetric("kraken_indexer_events_total")!.get()).values[0].value;
    events = 10;
    o.refresh();
    events = 4; // a cache miss rolled the block back…
    o.refresh();
    events = 12; // …and it ran again, with two more events
    o.refresh();
    expect(await counted()).toBe(12);
  });
});
