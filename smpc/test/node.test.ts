// SMPC nodes end to end over the real stack: anvil with the marketplace (and Analytics)
// deployed, Streamr on loopback, an embedded IPFS node and three nodes (dev accounts 23–25,
// registered here). A seller shares a CSV (share.ts), uploads each node's bundle through the
// node API and commits; buyers post queries, pay on chain and reconstruct the exact plaintext
// result from the sealed shares on their inboxes; the refusals (ineligible buyer, disallowed
// query) and a node down are covered, and the nodes' /ready and /metrics. The peer transport and the wire parsers are tested first,
// without a chain.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import nacl from "tweetnacl";
import { bytesToHex, getAbiItem, hexToBytes, keccak256, parseEventLogs, parseUnits, recoverMessageAddress, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { StreamrClient } from "@streamr/sdk";
import {
  analyticsAbi, catalogueAbi, Category, Country, credentialsAbi, dataTokenAbi, deriveEncryptionKeyPair, gasWithHeadroom, inboxStreamId, JobStatus, Modality, openEnvelope,
  OrganisationType, parseRelayDirectory, policiesAbi, PricingUnit, ProductType, Purpose, RefusalReason, sealToHex, signAttestation, toPolicyArgs, type Policy,
} from "@kraken/sdk";
import {
  ANALYTICS_RESULT_TYPE, canonicalJson, combineResults, createNodeClient, evaluatePlaintext, MANIFEST_KIND, manifestHash, NodeApiError, parseAnalyticsResultMessage,
  parseManifest, parseUploadRequest, planQuery, queryHash, shareDataset, signRepublishRequest, signUploadRequest, toDatasetInput, uploadRequestMessage, validateQuery,
  type AnalyticsManifest, type Query, type Schema, type SmpcNodeEndpoint,
} from "@kraken/sdk/analytics";
import { ipfsAdd, nodeSha256 } from "@kraken/sdk/delivery/node";
import { deployStreamRegistry, freePort, startStreamrNetwork, type RunningStreamrNetwork } from "@kraken/streamr";
import { startIpfs, type RunningIpfs } from "../../ipfs/src/index.ts";
import { parseMetrics } from "../../test/helpers/metrics.ts";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { devSmpcKeys, PeerError, PeerNetwork, sealPeerMessage, startSmpcNodes, type RunningSmpcNodes } from "../src/index.ts";
import { startHttp, type NodeApi } from "../src/node-http.ts";

// --- without a chain ---

describe("wire formats", () => {
  const seller = privateKeyToAccount(`0x${"33".repeat(32)}`);
  const node = privateKeyToAccount(`0x${"44".repeat(32)}`).address;

  it("an upload request is signed over product, node, size, sealed-key hash and time, and parses strictly", async () => {
    const sealedKey = bytesToHex(nacl.randomBytes(104));
    const r = await signUploadRequest((message) => seller.signMessage({ message }), { productId: "7", node, size: 1234, sealedKey });
    const text = uploadRequestMessage(r);
    expect(text).toContain("product: 7");
    expect(text).toContain(`node: ${node.toLowerCase()}`);
    expect(text).toContain("size: 1234");
    expect(text).toContain(`sealed key: ${keccak256(sealedKey)}`);
    const parsed = parseUploadRequest(JSON.parse(JSON.stringify(r)), "7");
    expect(await recoverMessageAddress({ message: uploadRequestMessage(parsed), signature: parsed.signature })).toBe(seller.address);
    expect(() => parseUploadRequest(r, "8")).toThrow(/product 7/);
    expect(() => parseUploadRequest({ ...r, size: -1 })).toThrow(/size/);
    expect(() => parseUploadRequest({ ...r, extra: 1 })).toThrow(/unknown field/);
    expect(() => parseUploadRequest({ ...r, sealedKey: "0x12" })).toThrow(/sealedKey/);
  });

  it("an inbox result message parses strictly", () => {
    const envelope = bytesToHex(nacl.randomBytes(200));
    expect(parseAnalyticsResultMessage({ type: ANALYTICS_RESULT_TYPE, v: 1, jobId: "3", envelope })).toEqual({ type: ANALYTICS_RESULT_TYPE, v: 1, jobId: "3", envelope });
    expect(() => parseAnalyticsResultMessage({ type: "kraken.delivery", v: 1, jobId: "3", envelope })).toThrow(/not an analytics result/);
    expect(() => parseAnalyticsResultMessage({ type: ANALYTICS_RESULT_TYPE, v: 2, jobId: "3", envelope })).toThrow(/version/);
    expect(() => parseAnalyticsResultMessage({ type: ANALYTICS_RESULT_TYPE, v: 1, jobId: "03", envelope })).toThrow(/jobId/);
  });
});

describe("peer transport between two local nodes", () => {
  const a = privateKeyToAccount(`0x${"55".repeat(32)}`);
  const b = privateKeyToAccount(`0x${"66".repeat(32)}`);
  const stranger = privateKeyToAccount(`0x${"77".repeat(32)}`);
  const keys = new Map([a, b, stranger].map((x) => [x.address.toLowerCase(), nacl.box.keyPair()]));
  const urls = new Map<string, string>();
  const nets = new Map<string, PeerNetwork>();
  const servers: Awaited<ReturnType<typeof startHttp>>[] = [];
  const known = [a.address, b.address]; // the stranger is in nobody's directory

  beforeAll(async () => {
    for (const acct of [a, b]) {
      const net = new PeerNetwork({
        me: acct.address,
        secretKey: keys.get(acct.address.toLowerCase())!.secretKey,
        resolve: async (addr) =>
          known.some((k) => k.toLowerCase() === addr.toLowerCase()) && urls.has(addr.toLowerCase())
            ? { address: addr, url: urls.get(addr.toLowerCase())!, publicKey: bytesToHex(keys.get(addr.toLowerCase())!.publicKey) }
            : undefined,
        limits: { maxMessageBytes: 64 * 1024, roundTimeoutMs: 2000 },
      });
      const api = {
        peerMaxBytes: net.limits.maxMessageBytes,
        peer: (sender: string | undefined, jobId: string, round: string, body: Uint8Array) => net.accept(sender, jobId, round, body),
        onRateLimited: () => {},
      } as unknown as NodeApi;
      const server = await startHttp(api, { port: 0, host: "127.0.0.1", onError: (err) => { throw err; } });
      servers.push(server);
      urls.set(acct.address.toLowerCase(), server.url);
      nets.set(acct.address.toLowerCase(), net);
    }
  });
  afterAll(async () => {
    for (const s of servers) await s.app.close();
  });

  const post = (to: string, path: string, body: Uint8Array, sender: string) =>
    fetch(`${urls.get(to.toLowerCase())}${path}`, { method: "POST", headers: { "content-type": "application/octet-stream", "x-kraken-node": sender }, body: body as BodyInit })
      .then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: string; message: string } } }));

  it("the engine's channel carries bytes both ways; early messages wait in the buffer", async () => {
    const na = nets.get(a.address.toLowerCase())!;
    const nb = nets.get(b.address.toLowerCase())!;
    const agents = [a.address, b.address];
    const ca = na.channel("1", agents);
    const cb = nb.channel("1", agents);
    const msg = nacl.randomBytes(5000);
    await ca.send(1, "mul-1", msg); // b has not opened anything yet: buffered
    expect(nb.buffer.count).toBe(1);
    expect(Buffer.compare(Buffer.from(await cb.receive(0, "mul-1")), Buffer.from(msg))).toBe(0);
    const [, got] = await Promise.all([cb.send(0, "open", new Uint8Array([1, 2, 3])), ca.receive(1, "open")]);
    expect([...got]).toEqual([1, 2, 3]);
    await expect(ca.receive(1, "final")).rejects.toThrow(/no message of round e:final/);
  });

  it("replays, unknown senders, forged or misdirected messages and oversize bodies are refused", async () => {
    const shared = nacl.box.before(keys.get(b.address.toLowerCase())!.publicKey, keys.get(a.address.toLowerCase())!.secretKey);
    const body = sealPeerMessage(shared, { jobId: "2", round: "e:open", from: a.address, to: b.address }, new Uint8Array([9]));
    expect((await post(b.address, "/peer/2/e:open", body, a.address)).status).toBe(202);
    expect(await post(b.address, "/peer/2/e:open", body, a.address)).toMatchObject({ status: 409, body: { error: { code: "replayed" } } });
    // the same bytes under another round (the sealed header names the round)
    expect(await post(b.address, "/peer/2/e:final", body, a.address)).toMatchObject({ status: 400, body: { error: { code: "malformed" } } });
    // a sender nobody knows
    const sk = nacl.box.before(keys.get(b.address.toLowerCase())!.publicKey, keys.get(stranger.address.toLowerCase())!.secretKey);
    const fromStranger = sealPeerMessage(sk, { jobId: "2", round: "e:x", from: stranger.address, to: b.address }, new Uint8Array([1]));
    expect(await post(b.address, "/peer/2/e:x", fromStranger, stranger.address)).toMatchObject({ status: 403, body: { error: { code: "unknown-peer" } } });
    // the stranger claims to be a: fails authentication
    expect(await post(b.address, "/peer/2/e:x", fromStranger, a.address)).toMatchObject({ status: 401, body: { error: { code: "unauthenticated" } } });
    // oversize
    const big = sealPeerMessage(shared, { jobId: "2", round: "e:big", from: a.address, to: b.address }, new Uint8Array(70 * 1024));
    expect(await post(b.address, "/peer/2/e:big", big, a.address)).toMatchObject({ status: 413, body: { error: { code: "too-large" } } });
    // once a job is open, only its parties may send
    nets.get(b.address.toLowerCase())!.openJob("4", [b.address, stranger.address]);
    const notParty = sealPeerMessage(shared, { jobId: "4", round: "e:x", from: a.address, to: b.address }, new Uint8Array([1]));
    expect(await post(b.address, "/peer/4/e:x", notParty, a.address)).toMatchObject({ status: 403, body: { error: { code: "unknown-peer" } } });
    // a closed job takes nothing more
    nets.get(b.address.toLowerCase())!.closeJob("2");
    const late = sealPeerMessage(shared, { jobId: "2", round: "e:late", from: a.address, to: b.address }, new Uint8Array([1]));
    expect(await post(b.address, "/peer/2/e:late", late, a.address)).toMatchObject({ status: 409, body: { error: { code: "replayed" } } });
    expect(() => { throw new PeerError(400, "x", "y"); }).toThrow(PeerError);
  });
});

// --- the whole stack ---

const ACCOUNTS = { admin: 0, issuer: 1, seller: 2, buyer: 4, revoked: 5, other: 6 } as const;
const OPEN_POLICY: Policy = {
  purposes: [Purpose.Research, Purpose.Statistics],
  consumerCategories: [Category.Individual, Category.Organisation],
  organisationTypes: [OrganisationType.Hospital, OrganisationType.ResearchUniversity, OrganisationType.Pharma, OrganisationType.HealthTech],
  jurisdictions: [Country.DE, Country.SE, Country.IT, Country.PT],
  requiresApproval: false,
  retentionDays: 0,
};
const PRICE = parseUnits("10", 18);

const SCHEMA: Schema = {
  columns: [
    { name: "age", kind: "numeric", min: 0, max: 110, decimals: 0, bins: [0, 18, 40, 65, 80, 111] },
    { name: "sex", kind: "categorical", values: ["F", "M"] },
    { name: "stay", kind: "numeric", min: 0, max: 60, decimals: 1 },
    { name: "region", kind: "categorical", values: ["north", "south"] },
  ],
} as Schema;
const ALLOWED = { columns: ["age", "sex", "stay"], operations: ["count", "sum", "mean", "variance", "histogram"], groupBy: ["sex"] } as AnalyticsManifest["allowed"];
const MIN_COHORT = 5;

/** A small reproducible table (mulberry32). */
function makeRows(n: number): Record<string, string>[] {
  let s = 12345;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => ({
    age: String(Math.floor(rnd() * 100)),
    sex: rnd() < 0.55 ? "F" : "M",
    stay: (Math.round(rnd() * 300) / 10).toFixed(1),
    region: rnd() < 0.5 ? "north" : "south",
  }));
}
const ROWS = makeRows(300);
const CSV = ["age,sex,stay,region", ...ROWS.map((r) => `${r.age},${r.sex},${r.stay},${r.region}`)].join("\n") + "\n";

let s: Stack;
let dir: string;
let net: RunningStreamrNetwork;
let ipfs: RunningIpfs;
let nodes: RunningSmpcNodes;
let directory: SmpcNodeEndpoint[];
const logs: string[] = [];
const streamrClients: StreamrClient[] = [];
let analytics: Address;
let child: ChildProcess | undefined;

const clients = (i: number) => s.clients(i);
const wait = async (hash: Hex) => {
  const r = await clients(0).publicClient.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new Error(`transaction ${hash} reverted`);
  return r;
};
async function waitFor<T>(fn: () => Promise<T | undefined | false>, ms = 30_000, what = "a condition"): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let nonce = BigInt(Date.now()) * 1000n;
async function register(index: number) {
  const c = clients(index);
  const { publicKey } = await deriveEncryptionKeyPair({ address: c.account.address, chainId: s.deployment.chainId, signTypedData: (t) => c.account.signTypedData(t) });
  const issuer = clients(ACCOUNTS.issuer);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const att = {
    subject: c.account.address, issuer: issuer.account.address, category: Category.Organisation, organisationType: OrganisationType.ResearchUniversity,
    country: Country.SE, credentialHash: keccak256(toHex(randomUUID())), encryptionKey: publicKey,
    issuedAt: now - 60n, expiresAt: now + 365n * 86400n, nonce: nonce++, chainId: BigInt(s.deployment.chainId),
  };
  const signature = await signAttestation(issuer.wallet, s.deployment.contracts.Credentials.address, att, issuer.account);
  await wait(await c.wallet.writeContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "register", args: [att, signature] }));
}

async function publishProduct(o: { type?: ProductType; agents: readonly Address[]; title?: string }): Promise<bigint> {
  const seller = clients(ACCOUNTS.seller);
  const cid = await ipfsAdd(ipfs.apiUrl, (async function* () { yield new TextEncoder().encode(JSON.stringify({ title: o.title ?? "readmissions" })); })());
  const type = o.type ?? ProductType.Analytics;
  const r = await wait(await seller.wallet.writeContract({
    address: s.deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "publish",
    args: [type, type === ProductType.Analytics ? Modality.Smpc : Modality.Encrypted, PRICE, PricingUnit.OneTime, [...o.agents], 2,
      { metadataURI: `ipfs://${cid}`, title: o.title ?? "Readmissions (SMPC)", summary: "", category: "test", tags: [] }, []],
  }));
  const productId = BigInt(r.logs[0].topics[1]!);
  await wait(await seller.wallet.writeContract({ address: s.deployment.contracts.Policies.address, abi: policiesAbi, functionName: "setPolicy", args: toPolicyArgs(productId, OPEN_POLICY) }));
  return productId;
}

async function fund(index: number) {
  const admin = clients(ACCOUNTS.admin);
  await wait(await admin.wallet.writeContract({ address: s.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "mint", args: [clients(index).account.address, PRICE * 100n] }));
  const c = clients(index);
  await wait(await c.wallet.writeContract({ address: s.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "approve", args: [analytics, PRICE * 100n] }));
}
const balanceOf = (a: Address) => clients(0).publicClient.readContract({ address: s.deployment.contracts.DataToken.address, abi: dataTokenAbi, functionName: "balanceOf", args: [a] });

/** A buyer listening on the three nodes' inboxes (before paying: Streamr keeps no history). */
async function listen(index: number) {
  const c = clients(index);
  const { secretKey } = await deriveEncryptionKeyPair({ address: c.account.address, chainId: s.deployment.chainId, signTypedData: (t) => c.account.signTypedData(t) });
  const client = new StreamrClient(net.clientConfig(c.privateKey, { id: `buyer-${index}`, keyRequestTimeoutMs: 5000 }));
  streamrClients.push(client);
  const got = new Map<string, { node: string; payload: unknown; at: number }[]>();
  for (const n of directory) {
    await client.subscribe(inboxStreamId(n.address, c.account.address), (content) => {
      const m = parseAnalyticsResultMessage(content);
      const payload = JSON.parse(new TextDecoder().decode(openEnvelope(hexToBytes(m.envelope), secretKey)));
      got.set(m.jobId, [...(got.get(m.jobId) ?? []), { node: n.address, payload, at: Date.now() }]);
    });
  }
  return { got, address: c.account.address };
}

async function request(index: number, productId: bigint, qHash: Hex, mHash: Hex) {
  const c = clients(index);
  const policy = await c.publicClient.readContract({ address: s.deployment.contracts.Policies.address, abi: policiesAbi, functionName: "policyOf", args: [productId] });
  const call = { account: c.account, address: analytics, abi: analyticsAbi, functionName: "requestQuery", args: [productId, Purpose.Research, policy.version, mHash, qHash, PRICE] } as const;
  // With headroom, as the SDK sends: a receipt of the previous job mined just before this
  // request can empty the escrow total, making this request's write to it dearer than estimated.
  const r = await wait(await c.wallet.writeContract({ ...call, gas: gasWithHeadroom(await c.publicClient.estimateContractGas(call)) }));
  const [ev] = parseEventLogs({ abi: analyticsAbi, logs: r.logs, eventName: "QueryRequested" });
  return { jobId: ev.args.jobId, minedAt: Date.now() };
}

async function eventsOf<N extends "ResultRecorded" | "QueryRefused" | "JobCompleted" | "JobRefunded">(name: N, jobId: bigint) {
  const logs = await clients(0).publicClient.getLogs({ address: analytics, event: getAbiItem({ abi: analyticsAbi, name: name as "ResultRecorded" }), args: { jobId }, fromBlock: 0n });
  return parseEventLogs({ abi: analyticsAbi, logs, eventName: name }).filter((l) => l.args.jobId === jobId);
}
const jobOf = (jobId: bigint) => clients(0).publicClient.readContract({ address: analytics, abi: analyticsAbi, functionName: "getJob", args: [jobId] });

beforeAll(async () => {
  s = await startStack({ seed: false });
  dir = mkdtempSync(join(tmpdir(), "kraken-smpc-"));
  process.env.XDG_DATA_HOME = join(dir, "xdg"); // Streamr keeps group keys under env-paths("streamr-sdk")
  analytics = s.deployment.contracts.Analytics!.address; // deployed with the marketplace
  const registry = s.deployment.streamRegistry ?? (await deployStreamRegistry({ rpcUrl: s.rpcUrl, deployerKey: clients(0).privateKey }));
  net = await startStreamrNetwork({ port: await freePort(), rpcUrl: s.rpcUrl, streamRegistry: registry, log: () => {} });
  ipfs = await startIpfs({ apiPort: 0, gatewayPort: 0, dataDir: join(dir, "ipfs"), log: () => {} });
  for (const i of [ACCOUNTS.seller, ACCOUNTS.buyer, ACCOUNTS.revoked, 23, 24, 25]) await register(i);
  const keys = devSmpcKeys();
  expect(keys.map((k) => privateKeyToAccount(k).address)).toEqual([23, 24, 25].map((i) => clients(i).account.address));
  nodes = await startSmpcNodes({
    keys, rpcUrl: s.rpcUrl, deployment: s.deployment, streamr: net.settings, ipfs: { gatewayUrl: ipfs.gatewayUrl },
    dataDir: join(dir, "smpc"), httpPorts: [0, 0, 0], streamrPorts: await Promise.all(keys.map(() => freePort())), deploymentsDir: join(dir, "deployments"),
    log: (l) => logs.push(`${new Date().toISOString().slice(11, 23)} ${l}`), logLevel: "debug", pollMs: 100,
    node: { helloMs: 1500, queryWaitMarginSeconds: 50 },
  });
  directory = nodes.directory;
  for (const i of [ACCOUNTS.buyer, ACCOUNTS.revoked]) await fund(i);
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all(streamrClients.map((c) => c.destroy().catch(() => {})));
  await nodes?.stop();
  await net?.stop().catch(() => {});
  await ipfs?.stop().catch(() => {});
  await s?.stop();
  if (process.env.SMPC_TEST_LOGS) console.log(logs.join("\n"));
});

describe("SMPC nodes", () => {
  let productId: bigint;
  let manifest: AnalyticsManifest;
  let mHash: Hex;
  const nodeAddresses = () => directory.map((n) => n.address);
  const seller = () => clients(ACCOUNTS.seller);
  const signAs = (index: number) => (message: string) => clients(index).account.signMessage({ message });

  it("start: the directory file, /health of each node", async () => {
    const file = join(dir, "deployments", `${s.deployment.network}.smpc.json`);
    expect(existsSync(file)).toBe(true);
    expect(parseRelayDirectory(JSON.parse(readFileSync(file, "utf8")))).toEqual(directory);
    for (const n of directory) {
      const h = await createNodeClient(n.url).health();
      expect(h).toMatchObject({ address: n.address, status: "ok", datasets: { stored: 0, active: 0 }, jobs: { running: 0 } });
    }
  });

  it("uploads are refused without the seller's signature, for a non-analytics product, oversize, stale or malformed", async () => {
    productId = await publishProduct({ agents: nodeAddresses() });
    const batch = await publishProduct({ type: ProductType.Batch, agents: nodeAddresses(), title: "a batch file" });
    const node = directory[0];
    const client = createNodeClient(node.url);
    const key = await clients(0).publicClient.readContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "encryptionKeyOf", args: [node.address] });
    const sealedKey = sealToHex(nacl.randomBytes(32), key);
    const req = (p: bigint, size = 1000) => ({ productId: String(p), node: node.address, size, sealedKey });
    const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: NodeApiError) => ({ status: e.status, code: e.code, message: e.message }));

    expect(await refusal(client.startUpload(await signUploadRequest(signAs(ACCOUNTS.other), req(productId))))).toMatchObject({ status: 403, code: "not-seller" });
    expect(await refusal(client.startUpload({ ...(await signUploadRequest(signAs(ACCOUNTS.seller), req(productId))), signature: `0x${"00".repeat(65)}` }))).toMatchObject({ status: 401, code: "bad-signature" });
    expect(await refusal(client.startUpload(await signUploadRequest(signAs(ACCOUNTS.seller), req(batch))))).toMatchObject({ status: 400, code: "not-analytics" });
    expect(await refusal(client.startUpload(await signUploadRequest(signAs(ACCOUNTS.seller), req(productId, 2 ** 31))))).toMatchObject({ status: 413, code: "too-large" });
    expect(await refusal(client.startUpload(await signUploadRequest(signAs(ACCOUNTS.seller), req(productId), Date.now() - 3600_000)))).toMatchObject({ status: 401, code: "stale-request" });
    expect(await refusal(client.startUpload(await signUploadRequest(signAs(ACCOUNTS.seller), { ...req(productId), node: directory[1].address })))).toMatchObject({ status: 400, code: "wrong-node" });
    const raw = await fetch(`${node.url}/datasets/${productId}/uploads`, { method: "POST", headers: { "content-type": "application/json" }, body: "{\"nope\":" });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ error: { code: "malformed" } });

    // A part beyond the announced size abandons the upload; a replayed request is refused.
    const signed = await signUploadRequest(signAs(ACCOUNTS.seller), req(productId, 10));
    const { uploadId } = await client.startUpload(signed);
    expect(await refusal(client.startUpload(signed))).toMatchObject({ status: 409, code: "replayed" });
    expect(await refusal(client.putPart(uploadId, 1, new Uint8Array(5)))).toMatchObject({ status: 409, code: "out-of-order" });
    expect(await refusal(client.putPart(uploadId, 0, new Uint8Array(11)))).toMatchObject({ status: 413, code: "too-large" });
    expect(await refusal(client.putPart(uploadId, 0, new Uint8Array(5)))).toMatchObject({ status: 404, code: "unknown-upload" });
    expect(await refusal(client.completeUpload("f".repeat(32)))).toMatchObject({ status: 404, code: "unknown-upload" });
  });

  it("a seller shares a CSV, uploads each node's bundle and commits; the nodes activate the dataset", async () => {
    const agents = nodeAddresses();
    const chunks: Uint8Array[][] = [[], [], []];
    const shared = await shareDataset({ csv: [CSV], schema: SCHEMA, productId, nodes: agents, rows: ROWS.length, onChunk: (i, c) => void chunks[i].push(c.slice()), createHash: nodeSha256 });
    const t0 = Date.now();
    for (const [i, b] of shared.bundles.entries()) {
      const nodeKey = await clients(0).publicClient.readContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "encryptionKeyOf", args: [agents[i]] });
      const client = createNodeClient(directory[i].url);
      const signed = await signUploadRequest(signAs(ACCOUNTS.seller), { productId: String(productId), node: agents[i], size: b.size, sealedKey: sealToHex(b.fileKey, nodeKey) });
      const { uploadId } = await client.startUpload(signed);
      expect(await client.putParts(uploadId, Buffer.concat(chunks[i]), 16 * 1024)).toBe(b.size); // several parts
      const done = await client.completeUpload(uploadId);
      expect(done).toMatchObject({ productId: String(productId), bundleHash: b.bundleHash, size: b.size, rows: ROWS.length, index: i });
      expect(await client.datasetStatus(productId)).toMatchObject({ status: "stored", bundles: [{ bundleHash: b.bundleHash }] });
    }
    const uploadMs = Date.now() - t0;
    // the node keeps the ciphertext as uploaded, never the plaintext
    const stored = readFileSync(join(dir, "smpc", "1", "bundles", String(productId), `${shared.bundles[0].bundleHash.slice(2)}.krkn`));
    expect(stored.subarray(0, 4).toString()).toBe("KRKN");

    manifest = parseManifest({
      kind: MANIFEST_KIND, v: 1, productId: String(productId), schema: SCHEMA, rows: ROWS.length, allowed: ALLOWED,
      privacy: { minCohort: MIN_COHORT, epsilonPerQuery: 0, epsilonBudget: 0 }, nodes: agents, threshold: 2,
      bundleHashes: shared.bundles.map((b) => b.bundleHash), jobTimeout: 120,
    });
    mHash = manifestHash(manifest);
    const cid = await ipfsAdd(ipfs.apiUrl, (async function* () { yield new TextEncoder().encode(canonicalJson(manifest)); })());
    await wait(await seller().wallet.writeContract({ address: analytics, abi: analyticsAbi, functionName: "commitDataset", args: [productId, toDatasetInput(manifest, `ipfs://${cid}`)] }));
    const t1 = Date.now();
    for (const n of directory) await waitFor(async () => (await createNodeClient(n.url).datasetStatus(productId)).status === "active", 20_000, "activation");
    console.log(`[smpc] ${ROWS.length} rows: 3 bundles uploaded in ${uploadMs} ms; all nodes active ${Date.now() - t1} ms after the commitment was mined`);
    for (const n of directory) expect((await createNodeClient(n.url).health()).datasets).toMatchObject({ stored: 1, active: 1 });
  });

  it("queries are validated against the manifest: a disallowed one is refused with its code", async () => {
    const client = createNodeClient(directory[0].url);
    const refusal = (q: unknown) => client.submitQuery(productId, q).then(() => undefined, (e: NodeApiError) => ({ status: e.status, code: e.code }));
    expect(await refusal({ v: 1, op: "count", groupBy: "region" })).toMatchObject({ status: 400, code: "not-allowed" });
    expect(await refusal({ v: 1, op: "stddev", column: "stay" })).toMatchObject({ status: 400, code: "not-allowed" });
    expect(await refusal({ v: 1, op: "mean", column: "nope" })).toMatchObject({ status: 400, code: "unknown-column" });
    expect(await refusal({ v: 1, op: "count", where: [{ column: "age", from: 41, to: 65 }] })).toMatchObject({ status: 400, code: "bad-range" });
    expect(await refusal({ v: 2, op: "count" })).toMatchObject({ status: 400, code: "malformed" });
    expect(await client.submitQuery(999n, { v: 1, op: "count" }).catch((e: NodeApiError) => e.code)).toBe("no-manifest");
  });

  let buyer: Awaited<ReturnType<typeof listen>>;
  it("a buyer posts a query, pays, receives 3 sealed shares and reconstructs the exact plaintext result; receipts pay the seller", async () => {
    buyer = await listen(ACCOUNTS.buyer);
    const query: Query = validateQuery({ v: 1, op: "mean", column: "stay", where: [{ column: "sex", in: ["F"] }], groupBy: undefined } as Query, manifest);
    const qHash = queryHash(query);
    for (const n of directory) expect((await createNodeClient(n.url).submitQuery(productId, query)).queryHash).toBe(qHash);
    const sellerBefore = await balanceOf(seller().account.address);
    const { jobId, minedAt } = await request(ACCOUNTS.buyer, productId, qHash, mHash);
    logs.push(`${new Date(minedAt).toISOString().slice(11, 23)} TEST  job ${jobId} mined`);
    const got = await waitFor(async () => ((buyer.got.get(jobId.toString())?.length ?? 0) >= 3 ? buyer.got.get(jobId.toString())! : undefined), 60_000, "3 result shares");
    for (const g of got) logs.push(`${new Date(g.at).toISOString().slice(11, 23)} TEST  job ${jobId}: share of ${g.node.slice(0, 10)} received`);
    const at = got.map((g) => g.at - minedAt).sort((x, y) => x - y);
    console.log(`[smpc] job ${jobId} (mean, 1 condition, non-linear): purchase mined → result shares on the inbox after ${at.join(", ")} ms`);
    const plan = planQuery(query, manifest.schema);
    const result = combineResults(plan, got.map((g) => g.payload));
    expect(result.consistent).toBe(true);
    expect(result.nodes).toEqual([0, 1, 2]);
    const expected = evaluatePlaintext(query, manifest.schema, ROWS, { minCohort: MIN_COHORT });
    expect(result.cells).toEqual(expected.cells);
    // on chain: a threshold of receipts completed the job and paid the seller; the third node's receipt came too late to count
    await waitFor(async () => (await jobOf(jobId)).status === JobStatus.Completed, 20_000, "job completed");
    const receipts = await eventsOf("ResultRecorded", jobId);
    expect(receipts.length).toBe(2);
    for (const r of receipts) {
      const mine = got.find((g) => g.node.toLowerCase() === r.args.node.toLowerCase());
      expect(mine).toBeDefined();
    }
    expect(await balanceOf(seller().account.address)).toBe(sellerBefore + PRICE);
    await waitFor(async () => logs.some((l) => l.includes(`job ${jobId} `) && l.includes("already completed by the other agents' receipts")), 20_000, "the third receipt's log line");
    await waitFor(async () => (await Promise.all(nodes.nodes.map((n) => n.health()))).every((h) => h.jobs.done >= 1 && h.jobs.running === 0), 20_000, "all nodes done");
  });

  it("a buyer who missed a share asks a node to publish it again (signed; replays and other signers refused)", async () => {
    const jobId = 1n;
    const node = directory[0];
    const client = createNodeClient(node.url);
    const before = buyer.got.get("1")!.length;
    const signed = await signRepublishRequest(signAs(ACCOUNTS.buyer), jobId, node.address);
    expect(await client.republish(signed)).toMatchObject({ jobId: "1", node: node.address, status: "published", inbox: inboxStreamId(node.address, buyer.address) });
    await waitFor(async () => buyer.got.get("1")!.length > before, 20_000, "the share again");
    const again = buyer.got.get("1")!.at(-1)!;
    expect(again.node).toBe(node.address);
    expect(JSON.stringify(again.payload)).toBe(JSON.stringify(buyer.got.get("1")!.find((g) => g.node === node.address)!.payload)); // the same sealed share
    const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: NodeApiError) => ({ status: e.status, code: e.code }));
    expect(await refusal(client.republish(signed))).toMatchObject({ status: 409, code: "replayed" });
    expect(await refusal(client.republish(await signRepublishRequest(signAs(ACCOUNTS.other), jobId, node.address)))).toMatchObject({ status: 403, code: "not-buyer" });
    expect(await refusal(client.republish(await signRepublishRequest(signAs(ACCOUNTS.buyer), jobId, directory[1].address)))).toMatchObject({ status: 400, code: "wrong-node" });
    expect(await refusal(client.republish(await signRepublishRequest(signAs(ACCOUNTS.buyer), 999n, node.address)))).toMatchObject({ status: 404, code: "not-found" });
  });

  it("a grouped histogram (several products per row) matches the plaintext too, including suppressed cells", async () => {
    const query = validateQuery({ v: 1, op: "histogram", column: "age", where: [{ column: "sex", in: ["M"] }], groupBy: "sex" } as Query, manifest);
    const qHash = queryHash(query);
    for (const n of directory) await createNodeClient(n.url).submitQuery(productId, query);
    const { jobId, minedAt } = await request(ACCOUNTS.buyer, productId, qHash, mHash);
    const got = await waitFor(async () => ((buyer.got.get(jobId.toString())?.length ?? 0) >= 3 ? buyer.got.get(jobId.toString())! : undefined), 60_000, "3 result shares");
    console.log(`[smpc] job ${jobId} (histogram by sex where sex=M): result shares after ${got.map((g) => g.at - minedAt).sort((x, y) => x - y).join(", ")} ms`);
    const result = combineResults(planQuery(query, manifest.schema), got.map((g) => g.payload));
    expect(result.cells).toEqual(evaluatePlaintext(query, manifest.schema, ROWS, { minCohort: MIN_COHORT }).cells);
    expect(result.cells.some((c) => c.suppressed)).toBe(true); // the F group is empty
  });

  it("a buyer whose credential is revoked after paying is refused on chain by the nodes, refunded, and the nodes log why", async () => {
    const c = clients(ACCOUNTS.revoked);
    const query = validateQuery({ v: 1, op: "count", where: [{ column: "age", from: 65, to: 111 }] } as Query, manifest);
    const qHash = queryHash(query);
    const before = await balanceOf(c.account.address);
    const { jobId } = await request(ACCOUNTS.revoked, productId, qHash, mHash); // the nodes wait for the query text
    const issuer = clients(ACCOUNTS.issuer);
    await wait(await issuer.wallet.writeContract({ address: s.deployment.contracts.Credentials.address, abi: credentialsAbi, functionName: "revoke", args: [c.account.address] }));
    for (const n of directory) await createNodeClient(n.url).submitQuery(productId, query);
    await waitFor(async () => (await jobOf(jobId)).status === JobStatus.Refused, 30_000, "job refused");
    const refusals = await eventsOf("QueryRefused", jobId);
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    for (const r of refusals) expect(r.args.reason).toBe(RefusalReason.NotEligible);
    expect((await eventsOf("JobRefunded", jobId)).length).toBe(1);
    expect(await balanceOf(c.account.address)).toBe(before);
    await waitFor(async () => logs.filter((l) => l.includes(`job ${jobId} `) && l.includes("not eligible now (CredentialRevoked)")).length >= 2, 20_000, "the nodes' log lines");
    // no personal data in the logs: not the buyer's address, not the query's values
    expect(logs.some((l) => l.toLowerCase().includes(c.account.address.toLowerCase().slice(2)))).toBe(false);
  });

  it("a query the seller's new manifest disallows is refused on chain (QueryNotAllowed)", async () => {
    // The buyer posts a query allowed under version 1; the seller then commits version 2 (same
    // bundles, grouping no longer allowed) before the buyer pays: the job pins version 2.
    const query = validateQuery({ v: 1, op: "count", groupBy: "sex" } as Query, manifest);
    const qHash = queryHash(query);
    for (const n of directory) await createNodeClient(n.url).submitQuery(productId, query);
    const v2 = parseManifest({ ...manifest, allowed: { ...manifest.allowed, groupBy: [] } });
    const cid = await ipfsAdd(ipfs.apiUrl, (async function* () { yield new TextEncoder().encode(canonicalJson(v2)); })());
    await wait(await seller().wallet.writeContract({ address: analytics, abi: analyticsAbi, functionName: "commitDataset", args: [productId, toDatasetInput(v2, `ipfs://${cid}`)] }));
    for (const n of directory) await waitFor(async () => (await createNodeClient(n.url).datasetStatus(productId)).active?.version === 2, 20_000, "version 2 active");
    manifest = v2;
    mHash = manifestHash(v2);
    const { jobId } = await request(ACCOUNTS.buyer, productId, qHash, mHash);
    await waitFor(async () => (await jobOf(jobId)).status === JobStatus.Refused, 30_000, "job refused");
    for (const r of await eventsOf("QueryRefused", jobId)) expect(r.args.reason).toBe(RefusalReason.QueryNotAllowed);
    expect(logs.some((l) => l.includes(`job ${jobId} `) && l.includes("QueryNotAllowed") && l.includes("not-allowed"))).toBe(true);
  });

  it("operations: /ready is 200 once caught up; /metrics counts jobs and uploads by outcome, with no address or id as a label", async () => {
    const node = directory[0];
    const ready = await waitFor(async () => {
      const r = await fetch(`${node.url}/ready`);
      return r.status === 200 ? ((await r.json()) as { ready: boolean; service: string; checks: Record<string, { ok: boolean }> }) : undefined;
    }, 20_000, "ready");
    expect(ready).toMatchObject({ ready: true, service: "smpc", checks: { chain: { ok: true }, caughtUp: { ok: true }, keys: { ok: true }, streamr: { ok: true } } });
    const r = await fetch(`${node.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
    let samples = parseMetrics(await r.text());
    const v = (name: string, labels: Record<string, string> = {}) => samples.find((x) => x.name === `kraken_smpc_${name}` && x.labels.service === "smpc" && Object.entries(labels).every(([k, l]) => x.labels[k] === l))?.value;
    // This node may still be settling the earlier tests' jobs: its counters get there within
    // seconds. A node that comes to a refused job after the others closed it counts it skipped.
    const closedWithoutAnswer = () => (v("jobs_total", { outcome: "refused" }) ?? 0) + (v("jobs_total", { outcome: "skipped" }) ?? 0);
    const settled = () => (v("jobs_total", { outcome: "done" }) ?? 0) >= 1 && closedWithoutAnswer() >= 2;
    for (const end = Date.now() + 20_000; !settled() && Date.now() < end; ) {
      await new Promise((res) => setTimeout(res, 200));
      samples = parseMetrics(await (await fetch(`${node.url}/metrics`)).text());
    }
    expect(v("jobs_total", { outcome: "done" })).toBeGreaterThanOrEqual(1);
    expect(closedWithoutAnswer()).toBeGreaterThanOrEqual(2); // revoked buyer, disallowed query
    expect(v("uploads_total", { outcome: "stored" })).toBe(1);
    expect(v("uploads_total", { outcome: "rejected" })).toBeGreaterThanOrEqual(6);
    expect(v("uploads_total", { outcome: "abandoned" })).toBe(1); // the part beyond the announced size
    expect(v("datasets_active")).toBe(1);
    expect(v("jobs_running")).toBeGreaterThanOrEqual(0);
    expect(v("chain_head_block")! - v("checkpoint_block")!).toBeLessThanOrEqual(5);
    expect(v("checkpoint_block")).toBeGreaterThan(0);
    // labels: fixed words only — no address (nodes, seller, buyers), no product or job id, no hex
    const people = [...directory.map((n) => n.address), ...[ACCOUNTS.seller, ACCOUNTS.buyer, ACCOUNTS.revoked, ACCOUNTS.other].map((i) => clients(i).account.address)].map((a) => a.toLowerCase());
    for (const x of samples) {
      for (const [k, l] of Object.entries(x.labels)) {
        const where = `${x.name}{${k}="${l}"}`;
        expect(/0x[0-9a-f]{6,}/i.test(l) || people.some((p) => l.toLowerCase().includes(p)), where).toBe(false);
        if (!["le", "quantile", "major", "minor", "patch"].includes(k)) expect(l, where).not.toMatch(/^\d+$/); // ids are numbers
        if (x.name.startsWith("kraken_smpc_")) expect(["service", "outcome"].includes(k) && /^[a-z][a-z-]*$/.test(l), where).toBe(true);
      }
    }
  });

  it("with one node stopped, a linear query is still answered by the two others", async () => {
    await nodes.nodes[2].stop();
    // Linear: one indicator column per cell and no condition (so the differencing check against
    // the buyer's earlier cohorts needs no product either).
    const query = validateQuery({ v: 1, op: "histogram", column: "age" } as Query, manifest);
    const qHash = queryHash(query);
    for (const n of directory.slice(0, 2)) await createNodeClient(n.url).submitQuery(productId, query);
    const { jobId, minedAt } = await request(ACCOUNTS.buyer, productId, qHash, mHash);
    const got = await waitFor(async () => ((buyer.got.get(jobId.toString())?.length ?? 0) >= 2 ? buyer.got.get(jobId.toString())! : undefined), 60_000, "2 result shares");
    console.log(`[smpc] job ${jobId} (histogram, linear, node 3 down): result shares after ${got.map((g) => g.at - minedAt).sort((x, y) => x - y).join(", ")} ms`);
    const result = combineResults(planQuery(query, manifest.schema), got.map((g) => g.payload));
    expect(result.nodes).toEqual([0, 1]);
    expect(result.consistent).toBe(false); // two shares: reconstructed, not cross-checked
    expect(result.cells).toEqual(evaluatePlaintext(query, manifest.schema, ROWS, { minCohort: MIN_COHORT }).cells);
    await waitFor(async () => (await jobOf(jobId)).status === JobStatus.Completed, 20_000, "job completed");
  });

  it("the stopped node restarts as its own process (node-main) from its checkpoint: it answers nothing twice, skips the job the others completed and catches up on the buyer's history", async () => {
    const keys = devSmpcKeys();
    const config = {
      key: keys[2], rpcUrl: s.rpcUrl, deployment: s.deployment, streamr: { network: net.settings, port: await freePort() }, ipfs: { gatewayUrl: ipfs.gatewayUrl },
      port: 0, dataDir: join(dir, "smpc", "3"), directory, logLevel: "debug", pollMs: 100,
    };
    const p = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("../src/node-main.ts", import.meta.url))], {
      env: { ...process.env, KRAKEN_SMPC_CONFIG: JSON.stringify(config) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = p;
    const stderr: string[] = [];
    p.stderr!.on("data", (b) => stderr.push(String(b)));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => p.on("exit", (code, signal) => r({ code, signal })));
    const ready = await new Promise<{ ready: string; address: string }>((res, rej) => {
      createInterface({ input: p.stdout! }).on("line", (l) => { try { const m = JSON.parse(l); if (m.ready) res(m); } catch { /* not ours */ } });
      void exited.then((e) => rej(new Error(`node exited before ready (${JSON.stringify(e)}): ${stderr.join("")}`)));
    });
    expect(ready.address).toBe(directory[2].address);
    const client = createNodeClient(ready.ready);
    await waitFor(async () => {
      const h = await client.health();
      return h.head !== null && h.checkpointBlock >= h.head && h.jobs.running === 0;
    }, 30_000, "caught up");
    expect((await client.health()).datasets).toMatchObject({ stored: 1, active: 1 });
    const lines = stderr.join("").split("\n");
    expect(lines.some((l) => l.includes("job 5") && l.includes("checking"))).toBe(false); // closed on chain before it was looked at
    expect(lines.some((l) => /computed|refused|delivered/.test(l))).toBe(false);
    const state = JSON.parse(readFileSync(join(dir, "smpc", "3", "state.json"), "utf8")) as { jobs: Record<string, { status: string }> };
    expect(state.jobs["5"]).toMatchObject({ status: "skipped" });
    expect(state.jobs["1"]).toMatchObject({ status: "done" });

    // It missed job 5, so its history of this buyer lacks that cohort: the hello round merges the
    // participants' histories, and a non-linear query with all three nodes is answered exactly.
    const moved = directory.map((n, i) => (i === 2 ? { ...n, url: ready.ready } : n));
    for (const n of nodes.nodes.slice(0, 2)) n.setDirectory(moved);
    const query = validateQuery({ v: 1, op: "mean", column: "stay", where: [{ column: "sex", in: ["F"] }, { column: "age", from: 40, to: 111 }] } as Query, manifest);
    for (const n of moved) await createNodeClient(n.url).submitQuery(productId, query);
    const { jobId, minedAt } = await request(ACCOUNTS.buyer, productId, queryHash(query), mHash);
    const got = await waitFor(async () => ((buyer.got.get(jobId.toString())?.length ?? 0) >= 3 ? buyer.got.get(jobId.toString())! : undefined), 60_000, "3 result shares");
    console.log(`[smpc] job ${jobId} (mean, 2 conditions, after node 3's restart): result shares after ${got.map((g) => g.at - minedAt).sort((x, y) => x - y).join(", ")} ms`);
    const result = combineResults(planQuery(query, manifest.schema), got.map((g) => g.payload));
    expect(result.consistent).toBe(true);
    expect(result.cells).toEqual(evaluatePlaintext(query, manifest.schema, ROWS, { minCohort: MIN_COHORT }).cells);
    await waitFor(async () => {
      const st = JSON.parse(readFileSync(join(dir, "smpc", "3", "state.json"), "utf8")) as { cohorts: Record<string, { jobId?: string }[]> };
      const h = st.cohorts[`${productId}:${buyer.address.toLowerCase()}`] ?? [];
      return h.map((r) => r.jobId).join(",") === `1,2,5,${jobId}`;
    }, 20_000, "node 3's history caught up");
    p.kill("SIGTERM");
    expect(await exited).toMatchObject({ code: 0 });
  });
});
