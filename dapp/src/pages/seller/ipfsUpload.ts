// Uploads to IPFS through the Kubo RPC `add` command (the embedded node locally, a Kubo node in
// production). XMLHttpRequest rather than fetch because only it reports upload progress.
import { KrakenError } from "@kraken/sdk";

export class IpfsUploadError extends KrakenError {
  override name = "IpfsUploadError";

  constructor(message: string) {
    super("ipfs-upload-failed", message);
  }
}

export interface AddResult {
  cid: string;
  uri: string; // ipfs://<cid>
  size: number;
}

export interface AddOptions {
  /** CIDv1 with raw leaves: what `metadataCid` computes for metadata documents. */
  cidV1?: boolean;
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

export function addToIpfs(apiUrl: string, body: Blob, name: string, o: AddOptions = {}): Promise<AddResult> {
  const url = new URL(`${apiUrl.replace(/\/$/, "")}/api/v0/add`);
  url.searchParams.set("pin", "true");
  if (o.cidV1) {
    url.searchParams.set("cid-version", "1");
    url.searchParams.set("raw-leaves", "true");
  }
  const form = new FormData();
  form.append("file", body, name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url.toString());
    xhr.responseType = "text";
    xhr.upload.onprogress = (e) => o.onProgress?.(e.loaded, e.lengthComputable ? e.total : body.size);
    xhr.onerror = () => reject(new IpfsUploadError(`IPFS node at ${apiUrl} is not reachable`));
    xhr.onabort = () => reject(new IpfsUploadError("upload cancelled"));
    xhr.onload = () => {
      if (xhr.status !== 200) return reject(new IpfsUploadError(`IPFS add failed (HTTP ${xhr.status}): ${xhr.responseText.slice(0, 200)}`));
      // One JSON line per added entry; the file is the only (last) one.
      const lines = xhr.responseText.trim().split("\n").filter(Boolean);
      try {
        const last = JSON.parse(lines[lines.length - 1]) as { Hash: string; Size: string };
        o.onProgress?.(body.size, body.size);
        resolve({ cid: last.Hash, uri: `ipfs://${last.Hash}`, size: Number(last.Size) });
      } catch {
        reject(new IpfsUploadError(`IPFS add answered something unexpected: ${xhr.responseText.slice(0, 200)}`));
      }
    };
    o.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/** `ipfs://<cid>` or a bare CID → the gateway URL. */
export function gatewayUrl(gateway: string, uri: string): string {
  return `${gateway.replace(/\/$/, "")}/ipfs/${uri.replace(/^ipfs:\/\//, "")}`;
}
