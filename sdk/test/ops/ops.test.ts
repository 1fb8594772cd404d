// The operations endpoints every service mounts: /health always 200 while alive, /ready 200 or
// 503 with its checks (a throwing check is a failed one), /metrics in Prometheus text with the
// service label, and nothing else answered.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@kraken/sdk/config";
import { createOps, LATENCY_BUCKETS, type Checks } from "@kraken/sdk/ops";

let checks: Checks | Error = { chain: { ok: true } };
const ops = createOps({ service: "example", dataDir: tmpdir(), readyCacheMs: 0, checks: () => { if (checks instanceof Error) throw checks; return checks; } });
const served = ops.counter("requests_total", "requests answered", ["outcome"] as const);
const latency = ops.histogram("request_seconds", "request time", LATENCY_BUCKETS);
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    void ops.handle(req, res).then((done) => {
      if (!done) res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("operations endpoints", () => {
  it("/health answers while the process lives", async () => {
    const r = await fetch(`${url}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: "ok", service: "example", uptimeSeconds: expect.any(Number) });
  });

  it("/ready is 200 when every check passes, 503 naming the failing one, 503 when a check throws", async () => {
    checks = { chain: { ok: true }, caughtUp: { ok: true } };
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    checks = { chain: { ok: true }, caughtUp: { ok: false, detail: "42 blocks behind" } };
    const r = await fetch(`${url}/ready`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ ready: false, service: "example", checks });
    checks = new Error("chain unreachable");
    const t = await fetch(`${url}/ready`);
    expect(t.status).toBe(503);
    expect(await t.json()).toMatchObject({ ready: false, checks: { checks: { ok: false, detail: "chain unreachable" } } });
  });

  it("/metrics: Prometheus text with the service label, the service's metrics and Node's", async () => {
    checks = { chain: { ok: true } };
    served.inc({ outcome: "ok" }, 3);
    latency.observe(0.004);
    const r = await fetch(`${url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await r.text();
    expect(text).toContain('kraken_example_requests_total{outcome="ok",service="example"} 3');
    expect(text).toContain('kraken_example_request_seconds_bucket{le="0.005",service="example"} 1');
    expect(text).toMatch(/^kraken_process_resident_memory_bytes\{service="example"\} \d+/m);
    expect(text).toMatch(/^kraken_nodejs_eventloop_lag_seconds\{service="example"\}/m);

    // every service: readiness at scrape time, its process's log entries by level, disk space
    expect(text).toContain('kraken_ready{service="example"} 1');
    checks = { chain: { ok: false, detail: "down" } };
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('kraken_ready{service="example"} 0');
    const before = Number(/kraken_log_entries_total\{level="error",service="example"\} (\d+)/.exec(text)![1]);
    createLogger("example", undefined, "info").error("a test error entry");
    const after = await (await fetch(`${url}/metrics`)).text();
    expect(after).toContain(`kraken_log_entries_total{level="error",service="example"} ${before + 1}`);
    const free = Number(/^kraken_disk_free_ratio\{service="example"\} ([\d.e-]+)$/m.exec(after)![1]);
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(1);
  });

  it("answers nothing else (the service's own routes)", async () => {
    expect((await fetch(`${url}/metrics/x`)).status).toBe(404);
    expect((await fetch(`${url}/ready`, { method: "POST" })).status).toBe(404);
  });

  it("a flood of /ready requests runs the checks once per cache period (they may ask the chain)", async () => {
    let runs = 0;
    const cached = createOps({ service: "cached", processMetrics: false, checks: async () => { runs++; await new Promise((r) => setTimeout(r, 20)); return { chain: { ok: true } }; } });
    const results = await Promise.all(Array.from({ length: 50 }, () => cached.ready()));
    expect(results.every((r) => r.ready)).toBe(true);
    expect(runs).toBe(1);
    await cached.registry.metrics();
    expect(runs).toBe(1);
  });
});
