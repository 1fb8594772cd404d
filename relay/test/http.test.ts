// The relay's HTTP server under abuse (relay-http.ts, with a stand-in for the relay behind it):
// over the per-IP limits it answers 429 with retry-after, a body over 16 KiB 413, a body that is
// not JSON 400 — each as `{ error }`, counted as a rejection where it is a re-delivery request —
// and it answers normally afterwards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../src/relay.ts";
import { RateLimiter } from "../src/relay-limits.ts";
import { HttpError, startHttp } from "../src/relay-http.ts";

const perIp = new RateLimiter({ max: 3, windowMs: 1000 });
const refused: string[] = [];
const bodies: unknown[] = [];
let http: { url: string; close(): Promise<void> };

beforeAll(async () => {
  http = await startHttp(
    {
      health: async () => ({ status: "ok" }),
      share: (id) => (id === "1" ? { productId: "1", version: 1 } : undefined),
      admit(source) {
        const r = perIp.take(source);
        if (!r.ok) throw new HttpError(429, `too many re-delivery requests from address ${source}`, { "retry-after": String(Math.ceil(r.retryAfterMs / 1000)) });
      },
      redeliver: async (agreementId, body) => {
        bodies.push(body);
        return { agreementId, status: "published" };
      },
      refusedBody: (reason) => void refused.push(reason),
    },
    { port: 0, host: "127.0.0.1", readsPerIp: { max: 5, windowMs: 1000 }, onError: () => {} },
  );
});
afterAll(() => http?.close());

const post = (body: string, type = "application/json") =>
  fetch(`${http.url}/agreements/7/redeliver`, { method: "POST", headers: { "content-type": type }, body });
const answer = async (r: Response) => ({ status: r.status, retryAfter: r.headers.get("retry-after"), body: await r.json() });

describe("relay HTTP server under abuse", () => {
  it("has generous per-IP defaults for everything but re-delivery requests", () => {
    expect(DEFAULT_LIMITS.readsPerIp.max / DEFAULT_LIMITS.readsPerIp.windowMs).toBeGreaterThanOrEqual(DEFAULT_LIMITS.redeliveriesPerIp.max / DEFAULT_LIMITS.redeliveriesPerIp.windowMs);
  });

  it("refuses a re-delivery body that is too large (413) or not JSON (400), as { error }, and counts both", async () => {
    expect(await answer(await post(JSON.stringify({ pad: "x".repeat(20_000) })))).toMatchObject({ status: 413, body: { error: "request body too large" } });
    expect(await answer(await post("{not json"))).toMatchObject({ status: 400, body: { error: "the body is not JSON" } });
    expect(refused).toEqual(["too-large", "bad-request"]);
    // JSON whatever the content type says, as before
    expect(await answer(await post(JSON.stringify({ ok: 1 }), "text/plain"))).toMatchObject({ status: 200, body: { agreementId: "7", status: "published" } });
    expect(bodies).toEqual([{ ok: 1 }]);
  });

  it("applies the re-delivery limit before the body is read: 429 with retry-after", async () => {
    const r = await answer(await post("{not json either"));
    expect(r).toMatchObject({ status: 429, body: { error: "too many re-delivery requests from address 127.0.0.1" } });
    expect(Number(r.retryAfter)).toBeGreaterThan(0);
    expect(refused).toHaveLength(2); // the body was never read
  });

  it("limits every other request per IP (readsPerIp): 429 with retry-after and { error }, and CORS headers stay", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${http.url}/health`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const over = await fetch(`${http.url}/products/1/share`, { headers: { origin: "http://localhost:5173" } });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(over.headers.get("access-control-allow-origin")).toBe("*");
    expect(over.headers.get("access-control-expose-headers")).toBe("retry-after");
    expect(await over.json()).toEqual({ error: expect.stringMatching(/^too many requests from 127\.0\.0\.1; try again in \d+ s$/) });
    // answers under the limit carry no rate-limit headers
    expect(over.headers.get("x-ratelimit-limit")).toBeNull();
  });

  it("answers normally again once the window has passed", async () => {
    await new Promise((r) => setTimeout(r, 1100));
    expect(await answer(await fetch(`${http.url}/products/1/share`))).toMatchObject({ status: 200, body: { productId: "1", version: 1 } });
    expect(await answer(await post(JSON.stringify({ again: true })))).toMatchObject({ status: 200, body: { status: "published" } });
  });

  it("keeps its answers with the default limits", async () => {
    const fresh = await startHttp(
      { health: async () => ({ status: "ok" }), share: () => undefined, admit: () => {}, redeliver: async () => ({}), refusedBody: () => {} },
      { port: 0, host: "127.0.0.1", readsPerIp: DEFAULT_LIMITS.readsPerIp, onError: () => {} },
    );
    try {
      for (let i = 0; i < 50; i++) expect((await fetch(`${fresh.url}/health`)).status).toBe(200);
      const share = await fetch(`${fresh.url}/products/2/share`);
      expect({ status: share.status, body: await share.json() }).toEqual({ status: 404, body: { error: "this relay holds no key share for product 2" } });
      expect((await fetch(`${fresh.url}/nope`)).status).toBe(404);
      const pre = await fetch(`${fresh.url}/agreements/1/redeliver`, { method: "OPTIONS", headers: { origin: "http://x", "access-control-request-method": "POST" } });
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-methods")).toBe("GET, POST, OPTIONS");
    } finally {
      await fresh.close();
    }
  });
});
