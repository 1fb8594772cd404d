// Node-to-node transport for the computation rounds (docs/analytics.md, "SMPC node"): the
// engine's PeerChannel over POST /peer/<job>/<round> of the other nodes' HTTP APIs.
//
// Every message is encrypted and authenticated for its recipient with a static-static X25519
// box between the two nodes' registered keys (tweetnacl box.before + secretbox, a fresh random
// nonce per message): only the recipient can read it and only the sender (or the recipient)
// can have made it. The sender names itself in the `x-kraken-node` header; the plaintext
// repeats job, round, sender and recipient, so a message cannot be moved to another job, round
// or pair. A node accepts each (job, round, sender) once (replays are refused), only from a
// known node (one with a registered key in its directory) and, once the job is open here, only
// from the job's parties. Messages that arrive before this node opened the job wait in a bounded
// buffer (count, bytes, age). `receive` waits at most the round timeout (default 10 s).
//
// Body: nonce (24 bytes) | secretbox( header length u16 BE | header JSON {j, r, f, t} | value )
// value: 0x01 bytes | 0x02 u32 count, then count × 16-byte little-endian unsigned integers
// (field elements) | 0x03 JSON (bigints as {"$bigint": "…"}).
import nacl from "tweetnacl";
import { getAddress, hexToBytes, type Address, type Hex } from "viem";
import type { PeerChannel } from "./engine.ts";
import { fromJson, toJson } from "./node-store.ts";

export type { PeerChannel };

export interface PeerEndpoint {
  address: Address;
  url: string;
  /** The peer's X25519 key as registered in Credentials. */
  publicKey: Hex;
}

export class PeerError extends Error {
  override name = "PeerError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class PeerTimeoutError extends Error {
  override name = "PeerTimeoutError";

  constructor(
    readonly jobId: string,
    readonly round: string,
    readonly from: Address,
    ms: number,
  ) {
    super(`job ${jobId}: no message of round ${round} from ${from} within ${ms} ms`);
  }
}

export interface PeerLimits {
  /** Largest message body (bytes). */
  maxMessageBytes: number;
  /** Messages waiting for a job or round nobody receives yet. */
  maxBuffered: number;
  maxBufferedBytes: number;
  /** How long such a message waits (ms). */
  bufferTtlMs: number;
  /** How long `receive` waits by default (ms). */
  roundTimeoutMs: number;
}

export const DEFAULT_PEER_LIMITS: PeerLimits = {
  maxMessageBytes: 64 * 2 ** 20,
  maxBuffered: 1024,
  maxBufferedBytes: 256 * 2 ** 20,
  bufferTtlMs: 120_000,
  roundTimeoutMs: 10_000,
};

const NONCE = nacl.secretbox.nonceLength;
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });
const TWO128 = 1n << 128n;

export function encodeValue(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) {
    const out = new Uint8Array(1 + data.length);
    out[0] = 1;
    out.set(data, 1);
    return out;
  }
  if (Array.isArray(data) && data.length > 0 && data.every((x) => typeof x === "bigint" && x >= 0n && x < TWO128)) {
    const out = new Uint8Array(5 + data.length * 16);
    out[0] = 2;
    new DataView(out.buffer).setUint32(1, data.length);
    let o = 5;
    for (const x of data as bigint[]) {
      let v = x;
      for (let i = 0; i < 16; i++) {
        out[o++] = Number(v & 0xffn);
        v >>= 8n;
      }
    }
    return out;
  }
  const json = enc.encode(toJson(data ?? null));
  const out = new Uint8Array(1 + json.length);
  out[0] = 3;
  out.set(json, 1);
  return out;
}

export function decodeValue(b: Uint8Array): unknown {
  if (b.length < 1) throw new PeerError(400, "malformed", "empty value");
  if (b[0] === 1) return b.slice(1);
  if (b[0] === 2) {
    if (b.length < 5) throw new PeerError(400, "malformed", "truncated value");
    const n = new DataView(b.buffer, b.byteOffset).getUint32(1);
    if (b.length !== 5 + n * 16) throw new PeerError(400, "malformed", "value length does not match its count");
    const out: bigint[] = new Array(n);
    let o = 5;
    for (let k = 0; k < n; k++) {
      let v = 0n;
      for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(b[o + i]);
      out[k] = v;
      o += 16;
    }
    return out;
  }
  if (b[0] === 3) return fromJson(dec.decode(b.subarray(1)));
  throw new PeerError(400, "malformed", "unknown value tag");
}

interface Header {
  j: string;
  r: string;
  f: string;
  t: string;
}

/** Seals a round message from `me` to `to` with their shared key. */
export function sealPeerMessage(shared: Uint8Array, h: { jobId: string; round: string; from: Address; to: Address }, data: unknown): Uint8Array {
  const header = enc.encode(JSON.stringify({ j: h.jobId, r: h.round, f: h.from.toLowerCase(), t: h.to.toLowerCase() } satisfies Header));
  const value = encodeValue(data);
  const plain = new Uint8Array(2 + header.length + value.length);
  new DataView(plain.buffer).setUint16(0, header.length);
  plain.set(header, 2);
  plain.set(value, 2 + header.length);
  const nonce = nacl.randomBytes(NONCE);
  const box = nacl.secretbox(plain, nonce, shared);
  const out = new Uint8Array(NONCE + box.length);
  out.set(nonce, 0);
  out.set(box, NONCE);
  return out;
}

/** Opens a round message; throws PeerError when it fails authentication or names another job, round or pair. */
export function openPeerMessage(shared: Uint8Array, expect: { jobId: string; round: string; from: Address; to: Address }, body: Uint8Array): unknown {
  if (body.length < NONCE + nacl.secretbox.overheadLength + 2) throw new PeerError(400, "malformed", "message too short");
  const plain = nacl.secretbox.open(body.subarray(NONCE), body.subarray(0, NONCE), shared);
  if (!plain) throw new PeerError(401, "unauthenticated", "the message fails authentication: not sealed by the named node for this node");
  const hl = new DataView(plain.buffer, plain.byteOffset).getUint16(0);
  let h: Header;
  try {
    h = JSON.parse(dec.decode(plain.subarray(2, 2 + hl))) as Header;
  } catch {
    throw new PeerError(400, "malformed", "bad message header");
  }
  if (h.j !== expect.jobId || h.r !== expect.round || h.f !== expect.from.toLowerCase() || h.t !== expect.to.toLowerCase()) {
    throw new PeerError(400, "malformed", "the sealed header names another job, round, sender or recipient");
  }
  return decodeValue(plain.subarray(2 + hl));
}

type Waiter = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> };
type Buffered = { value: unknown; bytes: number; at: number; job: string };

export interface PeerNetworkOptions {
  me: Address;
  secretKey: Uint8Array;
  /** The endpoint and registered key of a node, or undefined when it is not a known node. */
  resolve(address: Address): Promise<PeerEndpoint | undefined>;
  limits?: Partial<PeerLimits>;
  fetch?: typeof fetch;
  log?: { debug(msg: string): void; warn(msg: string): void };
}

/** The node's end of the peer transport: outgoing posts, incoming messages, per-job channels. */
export class PeerNetwork {
  readonly limits: PeerLimits;
  private readonly shared = new Map<string, { key: Uint8Array; publicKey: Hex }>();
  private readonly buffered = new Map<string, Buffered>(); // "job|round|from" -> message nobody waits for yet
  private bufferedBytes = 0;
  private readonly waiters = new Map<string, Waiter>();
  private readonly seen = new Map<string, Set<string>>(); // job -> "round|from" received
  private readonly open = new Map<string, Set<string>>(); // job -> parties (lower-case) while a channel is open
  private readonly closed = new Map<string, number>(); // job -> when closed (late messages are refused)
  private readonly fetchFn: typeof fetch;
  stats = { received: 0, sent: 0, rejected: 0, dropped: 0 };

  constructor(private readonly o: PeerNetworkOptions) {
    this.limits = { ...DEFAULT_PEER_LIMITS, ...o.limits };
    this.fetchFn = o.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
  }

  private async keyFor(address: Address): Promise<{ key: Uint8Array; endpoint: PeerEndpoint }> {
    const endpoint = await this.o.resolve(address);
    if (!endpoint) throw new PeerError(403, "unknown-peer", `${address} is not a known computation node`);
    const k = address.toLowerCase();
    let s = this.shared.get(k);
    if (!s || s.publicKey !== endpoint.publicKey) {
      s = { key: nacl.box.before(hexToBytes(endpoint.publicKey), this.o.secretKey), publicKey: endpoint.publicKey };
      this.shared.set(k, s);
    }
    return { key: s.key, endpoint };
  }

  /** Incoming message (the HTTP route): authenticates, de-duplicates, hands over or buffers it. */
  async accept(senderHeader: string | undefined, jobId: string, round: string, body: Uint8Array): Promise<void> {
    try {
      if (!senderHeader || !/^0x[0-9a-fA-F]{40}$/.test(senderHeader)) throw new PeerError(400, "malformed", "the x-kraken-node header must name the sending node's address");
      if (body.length > this.limits.maxMessageBytes) throw new PeerError(413, "too-large", `a peer message has at most ${this.limits.maxMessageBytes} bytes`);
      const from = getAddress(senderHeader);
      const f = from.toLowerCase();
      this.prune();
      if (this.closed.has(jobId)) throw new PeerError(409, "replayed", `job ${jobId} is finished on this node`);
      const parties = this.open.get(jobId);
      if (parties && !parties.has(f)) throw new PeerError(403, "unknown-peer", `${from} is not a party of job ${jobId}`);
      const { key } = await this.keyFor(from);
      const value = openPeerMessage(key, { jobId, round, from, to: this.o.me }, body);
      let seen = this.seen.get(jobId);
      if (!seen) this.seen.set(jobId, (seen = new Set()));
      const rk = `${round}|${f}`;
      if (seen.has(rk)) throw new PeerError(409, "replayed", `round ${round} of job ${jobId} from ${from} was already received`);
      const k = `${jobId}|${round}|${f}`;
      const w = this.waiters.get(k);
      if (w) {
        seen.add(rk);
        this.waiters.delete(k);
        clearTimeout(w.timer);
        w.resolve(value);
      } else {
        if (this.buffered.size >= this.limits.maxBuffered || this.bufferedBytes + body.length > this.limits.maxBufferedBytes) {
          this.stats.dropped++;
          throw new PeerError(503, "busy", "too many early peer messages waiting; try again");
        }
        seen.add(rk);
        this.buffered.set(k, { value, bytes: body.length, at: Date.now(), job: jobId });
        this.bufferedBytes += body.length;
      }
      this.stats.received++;
    } catch (err) {
      this.stats.rejected++;
      throw err;
    }
  }

  private prune(now = Date.now()): void {
    for (const [k, b] of this.buffered) {
      if (now - b.at <= this.limits.bufferTtlMs) continue;
      this.buffered.delete(k);
      this.bufferedBytes -= b.bytes;
      this.stats.dropped++;
    }
    for (const [j, at] of this.closed) if (now - at > 10 * this.limits.bufferTtlMs) this.closed.delete(j);
    while (this.closed.size > 10_000) this.closed.delete(this.closed.keys().next().value!);
    if (this.seen.size > this.open.size + this.closed.size) {
      const waiting = new Set([...this.buffered.values()].map((b) => b.job));
      for (const j of this.seen.keys()) if (!this.open.has(j) && !waiting.has(j) && !this.closed.has(j)) this.seen.delete(j);
    }
  }

  /** Sends one message, retrying briefly while the peer cannot be reached; a "replayed" answer means it arrived. */
  async post(to: Address, jobId: string, round: string, data: unknown, timeoutMs = this.limits.roundTimeoutMs): Promise<void> {
    const { key, endpoint } = await this.keyFor(to);
    const body = sealPeerMessage(key, { jobId, round, from: this.o.me, to }, data);
    const end = Date.now() + timeoutMs;
    let last = "";
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.fetchFn(`${endpoint.url}/peer/${jobId}/${encodeURIComponent(round)}`, {
          method: "POST", headers: { "content-type": "application/octet-stream", "x-kraken-node": this.o.me }, body: body as BodyInit,
          signal: AbortSignal.timeout(Math.max(1000, end - Date.now())),
        });
        const text = await res.text();
        if (res.ok) {
          this.stats.sent++;
          return;
        }
        let code = "";
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? "";
        } catch { /* not JSON */ }
        if (res.status === 409 && code === "replayed" && attempt > 0) return; // an earlier attempt got there
        if (res.status !== 503 && res.status < 500) throw new PeerError(res.status, code || "refused", `${to} refused round ${round} of job ${jobId}: ${text.slice(0, 200)}`);
        last = `HTTP ${res.status}`;
      } catch (err) {
        if (err instanceof PeerError) throw err;
        last = (err as Error).message;
      }
      if (Date.now() + 200 > end) throw new Error(`job ${jobId}: could not send round ${round} to ${to}: ${last}`);
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1000)));
    }
  }

  /** Waits for the message of `round` from `from` (at most `timeoutMs`). */
  receive(jobId: string, round: string, from: Address, timeoutMs = this.limits.roundTimeoutMs): Promise<unknown> {
    const k = `${jobId}|${round}|${from.toLowerCase()}`;
    const b = this.buffered.get(k);
    if (b) {
      this.buffered.delete(k);
      this.bufferedBytes -= b.bytes;
      return Promise.resolve(b.value);
    }
    if (this.waiters.has(k)) return Promise.reject(new Error(`job ${jobId}: round ${round} from ${from} is already awaited`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(k);
        reject(new PeerTimeoutError(jobId, round, from, timeoutMs));
      }, timeoutMs);
      this.waiters.set(k, { resolve, reject, timer });
    });
  }

  /** Opens job `jobId` with `parties` (this node among them): from now on only they may send for it. */
  openJob(jobId: string, parties: readonly Address[]): void {
    this.open.set(jobId, new Set(parties.map((p) => p.toLowerCase())));
  }

  /** Restricts an open job to fewer parties (after the hello round). */
  narrowJob(jobId: string, parties: readonly Address[]): void {
    this.open.set(jobId, new Set(parties.map((p) => p.toLowerCase())));
  }

  /** Closes a job: its waiters fail, its buffered messages go, late messages are refused. */
  closeJob(jobId: string): void {
    this.open.delete(jobId);
    this.closed.set(jobId, Date.now());
    for (const [k, w] of this.waiters) {
      if (!k.startsWith(`${jobId}|`)) continue;
      this.waiters.delete(k);
      clearTimeout(w.timer);
      w.reject(new Error(`job ${jobId} closed`));
    }
    for (const [k, b] of this.buffered) {
      if (b.job !== jobId) continue;
      this.buffered.delete(k);
      this.bufferedBytes -= b.bytes;
    }
    this.seen.delete(jobId);
  }

  /**
   * The engine's channel for one job: node i is `agents[i]` (the product's agents in order).
   * Rounds are namespaced ("e:<round>") apart from the node's own ("hello", "roster").
   */
  channel(jobId: string, agents: readonly Address[], roundTimeoutMs = this.limits.roundTimeoutMs): PeerChannel {
    const at = (i: number): Address => {
      const a = agents[i];
      if (!a) throw new Error(`job ${jobId}: no node ${i}`);
      return a;
    };
    return {
      send: (to, round, data) => this.post(at(to), jobId, `e:${round}`, data, roundTimeoutMs),
      receive: async (from, round) => {
        const v = await this.receive(jobId, `e:${round}`, at(from), roundTimeoutMs);
        if (!(v instanceof Uint8Array)) throw new PeerError(400, "malformed", `job ${jobId}: round ${round} from node ${from} is not bytes`);
        return v;
      },
    };
  }

  get buffer() {
    return { count: this.buffered.size, bytes: this.bufferedBytes };
  }

  stop(): void {
    for (const j of [...this.open.keys()]) this.closeJob(j);
  }
}
