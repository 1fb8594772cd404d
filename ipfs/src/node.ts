// The Helia node: blocks and pins on disk, no libp2p, no routers, no block brokers, so it never
// opens a connection to anyone. Content it does not hold is reported missing at once.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { FsBlockstore } from "blockstore-fs";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight } from "helia";
import type { AddOptions, GetOfflineOptions, Helia } from "helia";
import * as dagPb from "@ipld/dag-pb";
import { CID } from "multiformats/cid";
import { notFound } from "./errors.ts";

export interface LocalNode {
  helia: Helia;
  /** Peer id of the node's persistent identity (reported by /api/v0/id; not used on any network). */
  peerId: string;
  publicKey: string;
  heliaVersion: string;
  /** The blockstore's directory (blockstore-fs). */
  blocksDir: string;
  stop(): Promise<void>;
}

export async function openNode(dataDir: string): Promise<LocalNode> {
  mkdirSync(dataDir, { recursive: true });
  const blocksDir = join(dataDir, "blocks");
  const blockstore = new FsBlockstore(blocksDir);
  const datastore = new FsDatastore(join(dataDir, "datastore"));
  await blockstore.open();
  await datastore.open();
  // createHeliaLight = the Helia class with no libp2p, no routing and no block brokers
  // (createHelia would add libp2p + bitswap + HTTP gateway routing).
  const helia = createHeliaLight({ blockstore, datastore }) as unknown as Helia;
  await helia.start();
  const { peerId, publicKey } = await loadIdentity(dataDir);
  return {
    helia,
    peerId,
    publicKey,
    heliaVersion: (helia as unknown as { info?: { version?: string } }).info?.version ?? "unknown",
    blocksDir,
    async stop() {
      await helia.stop();
      await blockstore.close();
      await datastore.close();
    },
  };
}

async function loadIdentity(dataDir: string): Promise<{ peerId: string; publicKey: string }> {
  const file = join(dataDir, "identity.key");
  let key;
  try {
    key = privateKeyFromProtobuf(readFileSync(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    key = await generateKeyPair("Ed25519");
    writeFileSync(file, privateKeyToProtobuf(key), { mode: 0o600 });
  }
  const peerId = peerIdFromPrivateKey(key);
  return { peerId: peerId.toString(), publicKey: Buffer.from(key.publicKey.raw).toString("base64") };
}

/** Drains Helia's pin generator; pinning something already pinned is a success, as in Kubo. */
export async function pin(helia: Helia, cid: CID, recursive = true): Promise<void> {
  // Check the whole DAG is here first: Helia's pin walker leaks an unhandled rejection when a
  // block is missing offline, and a failed walk would leave a half-counted pin behind.
  await assertLocal(helia, cid, recursive);
  try {
    // Helia hands these options on to the DAG walker's block reads, hence `offline`.
    const options: AddOptions & GetOfflineOptions = { depth: recursive ? Infinity : 0, offline: true };
    for await (const _ of helia.pins.add(cid, options)) {
      // walking the DAG: every block must be local
    }
  } catch (err) {
    if ((err as Error).name !== "AlreadyPinnedError") throw err;
  }
}

/** Fails with 404 unless every block of the DAG under `cid` (dag-pb links) is in the blockstore. */
async function assertLocal(helia: Helia, root: CID, recursive: boolean): Promise<void> {
  const store = (helia.blockstore as unknown as { unwrap(): Helia["blockstore"] }).unwrap();
  const stack = [CID.asCID(root) ?? CID.parse(root.toString())];
  while (stack.length) {
    const cid = stack.pop()!;
    if (!(await store.has(cid))) throw notFound(`block ${cid}${cid.equals(root) ? "" : ` (below ${root})`}: block not found on this node (the embedded IPFS node is offline and never fetches from the network)`);
    if (!recursive || cid.code !== dagPb.code) continue;
    const parts: Uint8Array[] = [];
    for await (const p of store.get(cid) as unknown as AsyncIterable<Uint8Array>) parts.push(p);
    for (const link of dagPb.decode(Buffer.concat(parts)).Links) stack.push(CID.parse(link.Hash.toString()));
  }
}
