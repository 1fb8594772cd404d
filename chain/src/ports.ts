// Free TCP ports for services started a moment later (a chain, Streamr nodes, a test stack).
// A port the kernel hands out for `listen(0)` comes from its ephemeral range, which every
// outgoing connection on the machine draws from too: between the check and the bind, one may
// take it (CI runs failed so, EADDRINUSE). So ports come from below that range, each process
// (each vitest worker) from its own slice, so concurrent ones never pick the same.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

const FIRST = 10_000;
const SLICES = 8;

function ephemeralLow(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768; // Linux's default, when the kernel does not say (other systems start higher)
  }
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** `n` distinct ports free on `host` right now, below the ephemeral range. */
export async function freePorts(n: number, host = "127.0.0.1"): Promise<number[]> {
  const size = Math.floor((ephemeralLow() - FIRST) / SLICES);
  const slice = Math.max(0, (Number(process.env.VITEST_POOL_ID ?? process.pid) - 1) % SLICES);
  const start = FIRST + slice * size;
  const ports: number[] = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > size) throw new Error(`no ${n} free ports between ${start} and ${start + size}`);
    const port = start + Math.floor(Math.random() * size);
    if (!ports.includes(port) && (await isFree(port, host))) ports.push(port);
  }
  return ports;
}

/** One port free on `host` right now, below the ephemeral range. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return (await freePorts(1, host))[0];
}
