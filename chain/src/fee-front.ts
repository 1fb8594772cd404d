// Makes the local chain answer like the chain it stands in for: a permissioned consortium chain
// with free gas (Besu/QBFT with min-gas-price 0 and a zero base fee). anvil runs with base fee
// 0, but its suggested tip (eth_maxPriorityFeePerGas, eth_gasPrice) is at least 1 gwei, and wallets
// (viem, wagmi, MetaMask) add that tip, which a fresh key holding no ETH cannot pay: "total cost
// exceeds the balance of the account". This front listens on the chain's public port, passes
// every request through to anvil (HTTP and WebSocket, batches too) and rewrites the two fee
// suggestions in the answers: a gas price and tip of 0, fee histories without rewards, and transactions filled
// (eth_fillTransaction, which viem uses to prepare a transaction) with a tip of 0.
//
// Written by hand: no maintained proxy rewrites JSON-RPC answers over both HTTP and WebSocket,
// and the whole rewrite is two methods.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";

const MAX_BODY = 64 * 1024 * 1024; // raw transactions deploying big contracts fit easily

type Json = { id?: unknown; method?: string; result?: unknown; error?: unknown; [k: string]: unknown };
const REWRITTEN = new Set(["eth_gasPrice", "eth_maxPriorityFeePerGas", "eth_feeHistory", "eth_fillTransaction"]);

/** Rewrites one JSON-RPC answer to `method` so that the suggested fees are free. */
export function freeGasAnswer(method: string, answer: Json): Json {
  if (answer.error !== undefined) return answer;
  if (method === "eth_maxPriorityFeePerGas" || method === "eth_gasPrice") return { ...answer, result: "0x0" };
  if (!answer.result || typeof answer.result !== "object") return answer;
  if (method === "eth_feeHistory") {
    const r = answer.result as { reward?: string[][] };
    if (Array.isArray(r.reward)) return { ...answer, result: { ...r, reward: r.reward.map((row) => row.map(() => "0x0")) } };
  }
  if (method === "eth_fillTransaction") {
    // The base fee is 0 here, so with no tip the fee cap is 0 too.
    const r = answer.result as { tx?: Record<string, unknown> };
    if (r.tx) {
      const tx = { ...r.tx };
      for (const k of ["maxPriorityFeePerGas", "maxFeePerGas", "gasPrice"]) if (tx[k] !== undefined && tx[k] !== null) tx[k] = "0x0";
      return { ...answer, result: { ...r, tx } };
    }
  }
  return answer;
}

/** The methods of a request (single or batch) whose answers need rewriting, by JSON-RPC id. */
function rewrittenIds(body: unknown): Map<string, string> {
  const ids = new Map<string, string>();
  for (const r of Array.isArray(body) ? body : [body]) {
    const m = r as Json | null;
    if (m && typeof m.method === "string" && REWRITTEN.has(m.method) && m.id !== undefined) ids.set(JSON.stringify(m.id), m.method);
  }
  return ids;
}

function rewrite(answer: unknown, ids: Map<string, string>): unknown {
  const one = (a: Json) => {
    const method = a && ids.get(JSON.stringify(a.id));
    return method ? freeGasAnswer(method, a) : a;
  };
  return Array.isArray(answer) ? answer.map(one) : one(answer as Json);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not JSON: anvil gives the error
  }
}

export interface FeeFront {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves `host:port`, passing everything to anvil at `upstreamPort` on the same host. */
export async function startFeeFront(host: string, port: number, upstreamPort: number): Promise<FeeFront> {
  const server = createServer((req, res) => void handleHttp(req, res, host, upstreamPort));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  server.on("upgrade", (req, socket, head) => wss.handleUpgrade(req, socket, head, (client) => pipeWebSocket(client, `ws://${host}:${upstreamPort}`)));
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(port, host, () => res());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}`,
    server,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}

async function handleHttp(req: IncomingMessage, res: ServerResponse, host: string, upstreamPort: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) {
      res.writeHead(413, { "content-type": "text/plain" }).end("request body too large");
      req.destroy();
      return;
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  const ids = req.method === "POST" ? rewrittenIds(parse(body.toString("utf8"))) : new Map<string, string>();
  const up = request(
    { host, port: upstreamPort, method: req.method, path: req.url, headers: { ...req.headers, host: `${host}:${upstreamPort}`, "content-length": String(body.length) } },
    (upRes) => {
      if (!ids.size) {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        return;
      }
      const parts: Buffer[] = [];
      upRes.on("data", (c: Buffer) => parts.push(c));
      upRes.on("end", () => {
        const text = Buffer.concat(parts).toString("utf8");
        const answer = parse(text);
        const out = answer === undefined ? text : JSON.stringify(rewrite(answer, ids));
        const headers = { ...upRes.headers, "content-length": String(Buffer.byteLength(out)) };
        delete headers["transfer-encoding"];
        res.writeHead(upRes.statusCode ?? 502, headers).end(out);
      });
    },
  );
  up.on("error", (err) => {
    if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
    res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32603, message: `local chain unreachable: ${err.message}` } }));
  });
  up.end(body);
}

function pipeWebSocket(client: WebSocket, upstreamUrl: string) {
  const upstream = new WebSocket(upstreamUrl, { maxPayload: MAX_BODY });
  const queued: string[] = [];
  const pending = new Map<string, string>(); // id → method of requests whose answers are rewritten
  client.on("message", (data) => {
    const text = data.toString();
    for (const [id, method] of rewrittenIds(parse(text))) pending.set(id, method);
    if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
    else queued.push(text);
  });
  upstream.on("open", () => {
    for (const m of queued.splice(0)) upstream.send(m);
  });
  upstream.on("message", (data) => {
    const text = data.toString();
    if (!pending.size) return client.send(text);
    const answer = parse(text);
    const entries = (Array.isArray(answer) ? answer : [answer]) as Json[];
    const ids = new Map<string, string>();
    for (const a of entries) {
      const key = a && JSON.stringify(a.id);
      const method = key !== undefined && pending.get(key);
      if (method) {
        ids.set(key, method);
        pending.delete(key);
      }
    }
    client.send(ids.size ? JSON.stringify(rewrite(answer, ids)) : text);
  });
  const closeBoth = () => {
    if (client.readyState === WebSocket.OPEN || client.readyState === WebSocket.CONNECTING) client.close();
    if (upstream.readyState === WebSocket.OPEN || upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
  };
  client.on("close", closeBoth);
  upstream.on("close", closeBoth);
  client.on("error", closeBoth);
  upstream.on("error", closeBoth);
}
