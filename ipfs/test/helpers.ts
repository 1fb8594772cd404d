// Test helpers: a node on free ports in a temp dir, deterministic bytes, a network spy.
import dgram from "node:dgram";
import dns from "node:dns";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startIpfs, type IpfsOptions, type RunningIpfs } from "../src/index.ts";

export function tempDir(prefix = "kraken-ipfs-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function startTestIpfs(dataDir: string, o: Partial<IpfsOptions> = {}): Promise<RunningIpfs> {
  return startIpfs({ apiPort: 0, gatewayPort: 0, dataDir, log: () => {}, ...o });
}

/** Deterministic pseudo-random bytes (xorshift32), so CIDs are stable across runs. */
export function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

/**
 * Records every TCP connect, DNS lookup and UDP socket made in this process. The test itself
 * talks to the node over loopback, so the check is: no destination other than loopback, no DNS,
 * no UDP (mDNS, QUIC).
 */
export function spyNetwork() {
  const connects: string[] = [];
  const lookups: string[] = [];
  const udp: string[] = [];
  const origConnect = net.Socket.prototype.connect;
  const origLookup = dns.lookup;
  const origPromLookup = dns.promises.lookup;
  const origResolve = dns.promises.resolve;
  const origCreate = dgram.createSocket;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    let a = args[0] as { host?: string; port?: number; path?: string } | number | string;
    if (Array.isArray(a)) a = a[0]; // net.connect passes its normalized [options, cb]
    const desc = typeof a === "object" && a !== null ? (a.path ?? `${a.host ?? "localhost"}:${a.port}`) : `${args[1] ?? "localhost"}:${a}`;
    connects.push(String(desc));
    return (origConnect as (...x: unknown[]) => net.Socket).apply(this, args);
  } as typeof origConnect;
  (dns as { lookup: unknown }).lookup = function (host: string, ...rest: unknown[]) {
    lookups.push(host);
    return (origLookup as (...x: unknown[]) => unknown)(host, ...rest);
  };
  dns.promises.lookup = (async (host: string, ...rest: unknown[]) => {
    lookups.push(host);
    return (origPromLookup as (...x: unknown[]) => unknown)(host, ...rest);
  }) as typeof dns.promises.lookup;
  dns.promises.resolve = (async (host: string, ...rest: unknown[]) => {
    lookups.push(host);
    return (origResolve as (...x: unknown[]) => unknown)(host, ...rest);
  }) as typeof dns.promises.resolve;
  (dgram as { createSocket: unknown }).createSocket = (...args: unknown[]) => {
    udp.push(JSON.stringify(args[0]));
    return (origCreate as (...x: unknown[]) => unknown)(...args);
  };
  return {
    connects,
    lookups,
    udp,
    outsideLoopback: () => connects.filter((c) => !/^(127\.0\.0\.1|localhost|::1|\[::1\]):\d+$/.test(c)),
    restore() {
      net.Socket.prototype.connect = origConnect;
      (dns as { lookup: unknown }).lookup = origLookup;
      dns.promises.lookup = origPromLookup;
      dns.promises.resolve = origResolve;
      (dgram as { createSocket: unknown }).createSocket = origCreate;
    },
  };
}
