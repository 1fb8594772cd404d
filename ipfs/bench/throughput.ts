// add + cat throughput of the embedded node through kubo-rpc-client, over loopback:
//   node --import tsx ipfs/bench/throughput.ts [MiB=64] [runs=3]
import { create } from "kubo-rpc-client";
import { randomFillSync } from "node:crypto";
import { startTestIpfs, tempDir } from "../test/helpers.ts";

const mib = Number(process.argv[2] ?? 64);
const runs = Number(process.argv[3] ?? 3);
const data = randomFillSync(new Uint8Array(mib * 1024 * 1024));
const tmp = tempDir("kraken-ipfs-bench-");
const ipfs = await startTestIpfs(tmp.dir);
const client = create({ url: ipfs.apiUrl });
const MB = data.byteLength / 1e6;
let peak = 0;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
try {
  for (const opts of [{ cidVersion: 1 as const }, { cidVersion: 0 as const }]) {
    for (let r = 0; r < runs; r++) {
      // 1 MiB parts, as a file read from disk would arrive
      const source = (async function* () {
        for (let o = 0; o < data.byteLength; o += 1 << 20) yield data.subarray(o, o + (1 << 20));
      })();
      const t0 = performance.now();
      const { cid } = await client.add(source, opts);
      const t1 = performance.now();
      let n = 0;
      for await (const c of client.cat(cid)) n += c.byteLength;
      const t2 = performance.now();
      if (n !== data.byteLength) throw new Error("short read");
      console.log(
        `${mib} MiB cid-version=${opts.cidVersion} run ${r + 1}: add ${(MB / ((t1 - t0) / 1000)).toFixed(0)} MB/s (${(t1 - t0).toFixed(0)} ms, pinned), ` +
          `cat ${(MB / ((t2 - t1) / 1000)).toFixed(0)} MB/s (${(t2 - t1).toFixed(0)} ms), add+cat ${((2 * MB) / ((t2 - t0) / 1000)).toFixed(0)} MB/s of traffic, ` +
          `${(MB / ((t2 - t0) / 1000)).toFixed(0)} MB/s round trip`,
      );
      await client.pin.rm(cid);
    }
  }
  console.log(`peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (includes the ${mib} MiB test buffer)`);
} finally {
  clearInterval(timer);
  await ipfs.stop();
  tmp.remove();
}
