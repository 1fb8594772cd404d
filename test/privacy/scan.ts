// Privacy scan (MKT-FUN-14): looks for personal data (names, registration numbers, emails)
// wherever the marketplace keeps or publishes anything. Each place is a ScanSource; the chain
// and the issuer's files are scanned today, the indexer's database and the relays' storage are
// added as sources when they exist.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

/** One blob of bytes found somewhere, and a label saying where. */
export interface ScanItem {
  where: string;
  bytes: Uint8Array;
}

export interface ScanSource {
  name: string;
  items(): AsyncIterable<ScanItem>;
}

export interface Finding {
  source: string;
  where: string;
  needle: string;
  form: "utf8" | "hex";
}

// Case-insensitive byte search: both sides are read as latin1 (one char per byte) and
// lower-cased the same way, so multi-byte UTF-8 characters still line up.
const fold = (b: Uint8Array) => Buffer.from(b).toString("latin1").toLowerCase();

/** Hex text inside `hay`, decoded (both alignments), so hex-encoded text is searched too. */
function decodedHexRuns(hay: string): string {
  const out: string[] = [];
  for (const m of hay.matchAll(/[0-9a-f]{8,}/g)) {
    for (const offset of [0, 1]) {
      const run = m[0].slice(offset);
      out.push(fold(Buffer.from(run.slice(0, run.length - (run.length % 2)), "hex")));
    }
  }
  return out.join("\n");
}

/** Finds each needle as UTF-8 bytes and as hex text of those bytes, ignoring case (in both forms). */
export async function scan(sources: ScanSource[], needles: string[]): Promise<{ findings: Finding[]; scanned: Record<string, { items: number; bytes: number }> }> {
  const forms = needles.map((n) => ({ needle: n, utf8: fold(Buffer.from(n, "utf8")) }));
  const findings: Finding[] = [];
  const scanned: Record<string, { items: number; bytes: number }> = {};
  for (const source of sources) {
    const stats = (scanned[source.name] = { items: 0, bytes: 0 });
    for await (const item of source.items()) {
      stats.items++;
      stats.bytes += item.bytes.length;
      const hay = fold(item.bytes);
      const unhexed = decodedHexRuns(hay);
      for (const f of forms) {
        if (hay.includes(f.utf8)) findings.push({ source: source.name, where: item.where, needle: f.needle, form: "utf8" });
        else if (unhexed.includes(f.utf8)) findings.push({ source: source.name, where: item.where, needle: f.needle, form: "hex" });
      }
    }
  }
  return { findings, scanned };
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<any> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

const hexBytes = (hex: string) => Buffer.from(hex.replace(/^0x/, ""), "hex");

/** Every event log from block 0 (topics and data). */
export function chainLogs(rpcUrl: string): ScanSource {
  return {
    name: "chain event logs",
    async *items() {
      const logs: any[] = await rpc(rpcUrl, "eth_getLogs", [{ fromBlock: "0x0", toBlock: "latest" }]);
      for (const l of logs) {
        yield { where: `log ${l.transactionHash}#${Number(l.logIndex)} of ${l.address}`, bytes: Buffer.concat([...l.topics.map(hexBytes), hexBytes(l.data)]) };
      }
    },
  };
}

/** Every transaction's calldata (and contract creation code) from block 0. */
export function chainTransactions(rpcUrl: string): ScanSource {
  return {
    name: "chain transaction inputs",
    async *items() {
      const latest = Number(await rpc(rpcUrl, "eth_blockNumber"));
      for (let n = 0; n <= latest; n++) {
        const block = await rpc(rpcUrl, "eth_getBlockByNumber", [`0x${n.toString(16)}`, true]);
        for (const tx of block.transactions) yield { where: `tx ${tx.hash} (block ${n})`, bytes: hexBytes(tx.input) };
      }
    },
  };
}

/**
 * Every storage slot of every account (anvil_dumpState: a superset of the slots ever written).
 * Consecutive slots are joined, so a string stored across slots (Solidity long strings) is
 * found whole.
 */
export function chainStorage(rpcUrl: string): ScanSource {
  return {
    name: "chain contract storage",
    async *items() {
      const dump = JSON.parse(gunzipSync(hexBytes(await rpc(rpcUrl, "anvil_dumpState"))).toString("utf8"));
      for (const [address, account] of Object.entries<any>(dump.accounts)) {
        const slots = Object.entries<string>(account.storage ?? {}).map(([k, v]) => [BigInt(k), hexBytes(v.padStart(66, "0").replace(/^0x/, "").padStart(64, "0"))] as const);
        slots.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        let run: Buffer[] = [];
        let start = 0n, prev = -2n;
        const flush = function* () {
          if (run.length) yield { where: `storage of ${address} slots ${start}..${prev}`, bytes: Buffer.concat(run) };
        };
        for (const [slot, value] of slots) {
          if (slot !== prev + 1n) {
            yield* flush();
            run = [];
            start = slot;
          }
          run.push(value);
          prev = slot;
        }
        yield* flush();
      }
    },
  };
}

/** Every file under `dir` (e.g. the issuer's data directory). */
export function files(name: string, dir: string): ScanSource {
  return {
    name,
    async *items() {
      const walk = function* (d: string): Generator<string> {
        for (const e of readdirSync(d)) {
          const p = join(d, e);
          if (statSync(p).isDirectory()) yield* walk(p);
          else yield p;
        }
      };
      for (const file of walk(dir)) yield { where: file, bytes: readFileSync(file) };
    },
  };
}

/** Lines a service logged. */
export function logLines(name: string, lines: string[]): ScanSource {
  return {
    name,
    async *items() {
      yield { where: `${lines.length} lines`, bytes: Buffer.from(lines.join("\n"), "utf8") };
    },
  };
}
