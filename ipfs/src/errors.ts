// Errors in the shape Kubo's RPC API uses: {"Message": "...", "Code": n, "Type": "error"}.
// Codes follow go-ipfs-cmds: 0 normal, 1 client (bad request), 2 implementation.
import type { ServerResponse } from "node:http";

export class IpfsHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Kubo's error class on the wire ("Code"), not the project's string codes. */
    readonly kuboCode: 0 | 1 | 2 = status >= 400 && status < 500 ? 1 : 0,
  ) {
    super(message);
    this.name = "IpfsHttpError";
  }
}

export const badRequest = (message: string) => new IpfsHttpError(400, message, 1);
export const notFound = (message: string) => new IpfsHttpError(404, message, 0);
export const tooLarge = (message: string) => new IpfsHttpError(413, message, 1);

/** Maps errors from Helia / the UnixFS exporter / multiformats to an HTTP error. */
export function toHttpError(err: unknown, what = "content"): IpfsHttpError {
  if (err instanceof IpfsHttpError) return err;
  const e = err as { name?: string; code?: string; message?: string };
  const name = e?.name ?? "";
  const message = e?.message ?? String(err);
  if (name === "BlockNotFoundWhileOfflineError" || name === "NotFoundError" || e?.code === "ERR_NOT_FOUND" || name === "LoadBlockFailedError")
    return notFound(`${what}: block not found on this node (the embedded IPFS node is offline and never fetches from the network; add the content to this node first)`);
  if (name === "NoPropError" || name === "NotFoundError") return notFound(message);
  if (name === "NotAFileError" || name === "NoContentError") return badRequest(`this dag node is a directory, not a file`);
  if (name === "NotUnixFSError" || name === "NoResolverError") return badRequest(`unsupported content: ${message}`);
  return new IpfsHttpError(500, message, 0);
}

export function sendError(res: ServerResponse, err: IpfsHttpError, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    // Streaming already started: Kubo signals this with the X-Stream-Error trailer; we can only
    // abort the connection so the client sees a truncated body rather than a silent success.
    res.destroy(err);
    return;
  }
  const body = JSON.stringify({ Message: err.message, Code: err.kuboCode, Type: "error" });
  res.writeHead(err.status, {
    ...extraHeaders,
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}
