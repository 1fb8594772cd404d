// Bundle size figures for a built dist/: the initial load (what index.html loads or preloads:
// the entry script, its static imports and CSS) and the whole bundle, raw and gzip.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface BundleFile {
  file: string;
  bytes: number;
  gzip: number;
}

export interface BundleSizes {
  initialJs: { bytes: number; gzip: number; files: BundleFile[] };
  initialCss: { bytes: number; gzip: number };
  total: { files: number; bytes: number; gzip: number };
  largest: BundleFile[];
}

function measure(dist: string, file: string): BundleFile {
  const data = readFileSync(join(dist, file));
  return { file, bytes: data.length, gzip: gzipSync(data, { level: 9 }).length };
}

function walk(dir: string, base = ""): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f), join(base, f)) : [join(base, f)]));
}

export function bundleSizes(dist: string): BundleSizes {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const refs = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)].map((m) => m[1]);
  const js = [...new Set(refs.filter((r) => r.endsWith(".js")))].map((f) => measure(dist, f));
  const css = [...new Set(refs.filter((r) => r.endsWith(".css")))].map((f) => measure(dist, f));
  const all = walk(dist).filter((f) => /\.(js|css|wasm|html)$/.test(f)).map((f) => measure(dist, f));
  const sum = (xs: BundleFile[], k: "bytes" | "gzip") => xs.reduce((a, x) => a + x[k], 0);
  return {
    initialJs: { bytes: sum(js, "bytes"), gzip: sum(js, "gzip"), files: js },
    initialCss: { bytes: sum(css, "bytes"), gzip: sum(css, "gzip") },
    total: { files: all.length, bytes: sum(all, "bytes"), gzip: sum(all, "gzip") },
    largest: [...all].sort((a, b) => b.gzip - a.gzip).slice(0, 8),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = bundleSizes(process.argv[2] ?? join(import.meta.dirname, "..", "dist"));
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`initial JS  ${kb(s.initialJs.bytes)} (gzip ${kb(s.initialJs.gzip)}) in ${s.initialJs.files.length} files`);
  console.log(`initial CSS ${kb(s.initialCss.bytes)} (gzip ${kb(s.initialCss.gzip)})`);
  console.log(`everything  ${kb(s.total.bytes)} (gzip ${kb(s.total.gzip)}) in ${s.total.files} files`);
  for (const f of s.largest) console.log(`  ${f.file.padEnd(48)} ${kb(f.bytes).padStart(10)}  gzip ${kb(f.gzip)}`);
}
