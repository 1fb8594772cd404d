// Read-only path gateway: GET/HEAD /ipfs/<cid>[/path], with byte ranges, content types sniffed
// from the first bytes, and `?format=raw` (trustless gateway block). CORS (open, for the dApp):
// GATEWAY_CORS, set by the server (index.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname } from "node:path";
import type { UnixFSEntry } from "ipfs-unixfs-exporter";
import { badRequest, IpfsHttpError, sendError, toHttpError } from "./errors.ts";
import type { LocalNode } from "./node.ts";
import { asFile, parseIpfsPath, resolveEntry, streamContent, type FileEntry } from "./unixfs.ts";

/** Options of @fastify/cors: any origin, preflights cached for a day. */
export const GATEWAY_CORS = {
  origin: "*",
  methods: ["GET", "HEAD", "OPTIONS"],
  allowedHeaders: ["Content-Type", "Range", "User-Agent", "X-Requested-With"],
  exposedHeaders: ["Content-Range", "Content-Length", "X-Ipfs-Path", "X-Ipfs-Roots", "X-Chunked-Output", "X-Stream-Output"],
  maxAge: 86400,
  strictPreflight: false,
};

export async function handleGateway(req: IncomingMessage, res: ServerResponse, node: LocalNode, log: (l: string) => void): Promise<void> {
  req.resume();
  const url = new URL(req.url ?? "/", "http://localhost");
  try {
    if (req.method !== "GET" && req.method !== "HEAD") throw new IpfsHttpError(405, `method ${req.method} not allowed: the gateway is read-only`, 1);
    if (!url.pathname.startsWith("/ipfs/")) throw new IpfsHttpError(404, `not found: the gateway serves /ipfs/<cid>[/path]`, 0);
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      throw badRequest("malformed percent-encoding in the path");
    }
    const { cid, rest } = parseIpfsPath(path);
    const ac = new AbortController();
    res.once("close", () => ac.abort());
    const head = req.method === "HEAD";
    const etag = `"${cid}${rest ? "/" + rest : ""}"`;
    const common = {
      "X-Ipfs-Path": path,
      "X-Ipfs-Roots": cid.toString(),
      "Cache-Control": "public, max-age=29030400, immutable",
      "X-Content-Type-Options": "nosniff",
    };
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { ...common, ETag: etag });
      return void res.end();
    }

    if (url.searchParams.get("format") === "raw" || req.headers.accept === "application/vnd.ipld.raw") {
      if (rest) throw badRequest("format=raw takes a CID, not a path");
      const parts: Uint8Array[] = [];
      try {
        for await (const p of node.helia.blockstore.get(cid, { offline: true, signal: ac.signal }) as AsyncIterable<Uint8Array>) parts.push(p);
      } catch (err) {
        throw toHttpError(err, `block ${cid}`);
      }
      const bytes = Buffer.concat(parts);
      res.writeHead(200, { ...common, ETag: `"${cid}.raw"`, "Content-Type": "application/vnd.ipld.raw", "Content-Length": bytes.byteLength });
      return void res.end(head ? undefined : bytes);
    }

    let entry: UnixFSEntry = await resolveEntry(node.helia, cid, rest, ac.signal);
    if (entry.type === "directory") {
      if (!url.pathname.endsWith("/")) {
        res.writeHead(301, { ...common, Location: url.pathname + "/" + url.search });
        return void res.end();
      }
      const index = await resolveEntry(node.helia, cid, rest ? `${rest}/index.html` : "index.html", ac.signal).catch(() => undefined);
      if (!index) return listing(res, entry, url.pathname, common, head, ac.signal);
      entry = index;
    }
    const file = asFile(entry);
    const size = Number(file.size);
    const type = typeFor(entry.name || rest, await sniffBytes(file, ac.signal));
    const headers: Record<string, string | number> = { ...common, ETag: etag, "Content-Type": type, "Accept-Ranges": "bytes" };
    const filename = url.searchParams.get("filename");
    if (filename) headers["Content-Disposition"] = `${url.searchParams.has("download") ? "attachment" : "inline"}; filename*=UTF-8''${encodeURIComponent(filename)}`;

    const range = parseRange(req.headers.range, size);
    if (range === "unsatisfiable") {
      res.writeHead(416, { ...common, "Content-Range": `bytes */${size}` });
      return void res.end();
    }
    if (range) {
      const length = range.end - range.start + 1;
      await streamContent(file, res, 206, { ...headers, "Content-Length": length, "Content-Range": `bytes ${range.start}-${range.end}/${size}` }, { offset: range.start, length }, ac.signal, head);
    } else {
      await streamContent(file, res, 200, { ...headers, "Content-Length": size }, {}, ac.signal, head);
    }
  } catch (err) {
    const e = toHttpError(err);
    if (e.status >= 500) log(`gateway error: ${url.pathname}: ${e.message}`);
    sendError(res, e);
  }
}

async function listing(res: ServerResponse, dir: Extract<UnixFSEntry, { type: "directory" }>, path: string, common: Record<string, string>, head: boolean, signal: AbortSignal) {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const rows: string[] = [];
  try {
    for await (const e of dir.entries({ offline: true, signal })) rows.push(`<li><a href="${esc(encodeURIComponent(e.name))}">${esc(e.name)}</a> <small>${esc(e.cid.toString())} ${e.size}</small></li>`);
  } catch (err) {
    throw toHttpError(err, dir.cid.toString());
  }
  const body = `<!doctype html><meta charset="utf-8"><title>${esc(path)}</title><h1>${esc(path)}</h1><ul>${rows.join("")}</ul>\n`;
  res.writeHead(200, { ...common, "Content-Type": "text/html; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

async function sniffBytes(file: FileEntry, signal: AbortSignal): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  try {
    for await (const p of file.content({ offset: 0, length: 512, offline: true, signal })) parts.push(p);
  } catch (err) {
    throw toHttpError(err, file.cid.toString());
  }
  return Buffer.concat(parts);
}

const BY_EXT: Record<string, string> = {
  ".json": "application/json",
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".pdf": "application/pdf",
  ".wasm": "application/wasm",
};

/** Content type from the file name when there is one, else from the first bytes. */
export function typeFor(name: string | undefined, head: Uint8Array): string {
  const ext = name ? extname(name).toLowerCase() : "";
  if (ext && BY_EXT[ext]) return BY_EXT[ext];
  return sniff(head);
}

export function sniff(b: Uint8Array): string {
  const starts = (...sig: number[]) => sig.every((v, i) => b[i] === v);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (starts(0x52, 0x49, 0x46, 0x46) && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return "image/webp";
  if (starts(0x25, 0x50, 0x44, 0x46, 0x2d)) return "application/pdf";
  if (b.length >= 12 && Buffer.from(b.subarray(4, 12)).toString("latin1") === "ftypavif") return "image/avif";
  if (starts(0x1f, 0x8b)) return "application/gzip";
  if (starts(0x50, 0x4b, 0x03, 0x04)) return "application/zip";
  if (starts(0x00, 0x61, 0x73, 0x6d)) return "application/wasm";
  let text: string;
  try {
    // the 512-byte window may cut a multi-byte character at its end: drop up to 3 bytes
    text = new TextDecoder("utf-8", { fatal: true }).decode(trimPartialUtf8(b));
  } catch {
    return "application/octet-stream";
  }
  if (/[\x00-\x08\x0e-\x1f]/.test(text)) return "application/octet-stream";
  const t = text.replace(/^\uFEFF/, "").trimStart();
  if (t.startsWith("{") || t.startsWith("[")) return "application/json";
  const lower = t.slice(0, 256).toLowerCase();
  if (lower.startsWith("<svg") || (lower.startsWith("<?xml") && lower.includes("<svg"))) return "image/svg+xml";
  if (lower.startsWith("<!doctype html") || lower.startsWith("<html")) return "text/html; charset=utf-8";
  return "text/plain; charset=utf-8";
}

function trimPartialUtf8(b: Uint8Array): Uint8Array {
  if (b.length < 512) return b;
  let i = b.length - 1;
  let back = 0;
  while (i >= 0 && back < 3 && (b[i]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i >= 0 && (b[i]! & 0x80) !== 0) {
    const need = (b[i]! & 0xe0) === 0xc0 ? 1 : (b[i]! & 0xf0) === 0xe0 ? 2 : 3;
    if (need > back) return b.subarray(0, i);
  }
  return b;
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // multi-range or malformed: serve it all
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}
