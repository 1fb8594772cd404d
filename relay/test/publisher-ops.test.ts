// A publisher's operations endpoints (relay/src/publisher-ops.ts): messages counted per stream,
// the time of the last one for the "silent for 5 minutes" alert, and /ready failing once it has
// been silent for SILENT_MS — served over HTTP by serveOps with the same limits as every service.
import { afterEach, describe, expect, it } from "vitest";
import { serveOps } from "@kraken/sdk/ops";
import { publisherOps, SILENT_MS } from "../src/publisher-ops.ts";
import { metricsText, value } from "../../test/helpers/metrics.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe("publisher operations", () => {
  it("counts data points per stream, keeps the last one's time, and turns not ready when silent", async () => {
    let published = 0;
    let t = 1_000_000;
    const { ops, refresh } = publisherOps({ service: "publisher", streamId: "0xabc/kraken/hr", published: () => published, now: () => t });
    const http = await serveOps(ops, { port: 0, refresh });
    closers.push(http.close);
    expect((await fetch(`${http.url}/ready`)).status).toBe(200); // just started: not silent yet
    published = 5;
    t += 1000;
    let text = await metricsText(http.url);
    expect(value(text, "kraken_publisher_messages_total", { stream: "0xabc/kraken/hr" })).toBe(5);
    expect(value(text, "kraken_publisher_last_message_seconds", { stream: "0xabc/kraken/hr" })).toBe(t / 1000);
    t += SILENT_MS + 1;
    const r = await fetch(`${http.url}/ready`);
    expect(r.status).toBe(503);
    expect(((await r.json()) as { checks: { publishing: { detail: string } } }).checks.publishing.detail).toMatch(/no data point for 30 s/);
    published = 6; // publishing again
    expect((await fetch(`${http.url}/ready`)).status).toBe(200);
    text = await metricsText(http.url);
    expect(value(text, "kraken_publisher_messages_total", { stream: "0xabc/kraken/hr" })).toBe(6);
    expect((await fetch(`${http.url}/health`)).status).toBe(200);
  });

  it("answers nothing but the operations endpoints; a flood is refused with 429", async () => {
    const { ops, refresh } = publisherOps({ service: "union", streamId: "0xdef/wearables", published: () => 0, devices: () => 5 });
    const http = await serveOps(ops, { port: 0, refresh });
    closers.push(http.close);
    expect((await fetch(`${http.url}/publish`, { method: "POST", body: "{}" })).status).toBe(404);
    expect(value(await metricsText(http.url), "kraken_union_devices", { stream: "0xdef/wearables" })).toBe(5);
    const statuses = await Promise.all(Array.from({ length: 700 }, () => fetch(`${http.url}/health`).then((x) => x.status)));
    expect(statuses).toContain(429);
  });
});
