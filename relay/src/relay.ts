// A key relay (delivery agent) for batch products, see docs/delivery.md:
//   1. receives key shares on its share stream `<relay>/kraken/shares` (anyone may publish;
//      only a share published by the product's seller on chain, sealed to this relay, newer
//      than the one held, is kept — as received, still sealed);
//   2. watches the Agreements contract from a persisted checkpoint; for every active agreement
//      on a product it holds a share for, seals {agreement, product, link, its share, hashes,
//      threshold} to the consumer's registered X25519 key, publishes it to the consumer's inbox
//      `<relay>/kraken/inbox/<consumer>` and records the envelope hash on chain;
//   3. re-publishes on a consumer-signed HTTP request while the agreement is active.
// Before it publishes anything for an agreement it checks on chain that it still is a delivery
// agent of the product and that the agreement is active (a relay the seller removed delivers
// nothing). Unauthenticated input is bounded (relay-limits.ts): share messages wait in a
// bounded queue and are rate-limited per publisher, re-delivery requests per client IP and per
// consumer; rejected input writes nothing to disk, accepted changes are written once per tick.
// Durable and idempotent: the chain's `deliveryOf` is the source of truth for "delivered",
// the receipt transaction is signed and saved before it is sent (a restart re-broadcasts the
// same transaction), and the checkpoint moves only after every agreement up to it is settled.
import {
  BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, encodeFunctionData, getAbiItem, getContract, http, keccak256, parseTransaction, recoverMessageAddress, zeroAddress, zeroHash,
  type Address, type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { StreamPermission, StreamrClient, type StreamrClientConfig } from "@streamr/sdk";
import {
  agreementsAbi, catalogueAbi, credentialsAbi, deriveEncryptionKeyPair, EnvelopeError, inboxStreamId, marketplaceChain, openPayload,
  parseRedeliveryRequest, parseShareMessage, parseSharePayload, PROTOCOL_VERSION, redeliveryMessage, sealPayload, shareStreamId,
  DeliveryError, type DeliveryMessage, type DeliveryPayload, type Deployment,
} from "@kraken/sdk";
import { localClientConfig, type LocalNetworkSettings } from "@kraken/streamr";
import { startHttp, HttpError } from "./relay-http.ts";
import { createLogger, type LogLevel } from "@kraken/sdk/config";
import { createOps, DEFAULT_READS_PER_IP, type Check } from "@kraken/sdk/ops";
import { IntakeQueue, RateLimiter, type IntakeStats, type RateLimit } from "./relay-limits.ts";
import { RelayStore, type Counters, type PendingReceipt } from "./relay-store.ts";

export interface RelayOptions {
  /** The relay's Ethereum key: its delivery-agent identity on chain and on Streamr. */
  key: Hex;
  rpcUrl: string;
  deployment: Deployment;
  /** The local network (the relay runs a websocket server on `port`) or a full client config. */
  streamr: { network: LocalNetworkSettings; port?: number; host?: string } | { config: StreamrClientConfig };
  /** Kubo RPC API: the relay pins the ciphertext of every share it stores (best effort). */
  ipfs?: { apiUrl: string };
  /** HTTP API port (0 = any free port). */
  port: number;
  host?: string;
  dataDir: string;
  log?: (line: string) => void;
  logLevel?: LogLevel;
  /** How often the chain is polled for new agreements (ms). */
  pollMs?: number;
  /** How old a re-delivery request's timestamp may be (s). */
  requestMaxAgeSeconds?: number;
  /** How far ahead of this relay's clock a re-delivery request's timestamp may be (s). */
  requestMaxFutureSeconds?: number;
  /** Load limits (defaults in DEFAULT_LIMITS). */
  limits?: Partial<RelayLimits>;
  /** Test hook: SIGKILL this process at that point of a delivery (crash tests only). */
  crashAt?: "after-publish" | "after-sign" | "after-record";
}

export interface RelayLimits {
  /** Share messages waiting to be checked; beyond it they are dropped (and counted). */
  shareQueueMax: number;
  /** Share messages per Streamr publisher. */
  sharesPerPublisher: RateLimit;
  /** Re-delivery requests per consumer (the address that signed them). */
  redeliveriesPerConsumer: RateLimit;
  /** Re-delivery requests per client IP address. */
  redeliveriesPerIp: RateLimit;
  /** Every other HTTP request per client IP address. */
  readsPerIp: RateLimit;
}

export const DEFAULT_LIMITS: RelayLimits = {
  shareQueueMax: 1000,
  sharesPerPublisher: { max: 120, windowMs: 60_000 },
  redeliveriesPerConsumer: { max: 20, windowMs: 60_000 },
  redeliveriesPerIp: { max: 60, windowMs: 60_000 },
  readsPerIp: DEFAULT_READS_PER_IP,
};

export interface RelayHealth {
  address: Address;
  status: "ok" | "degraded";
  checkpointBlock: number;
  head: number | null;
  counters: Counters;
  /** The share intake queue now (queued, its high-water mark, bound, drops since start). */
  intake: IntakeStats;
  /** Files the relay's store wrote since start (state.json and share files). */
  storeWrites: number;
}

export interface RunningRelay {
  address: Address;
  url: string;
  health(): Promise<RelayHealth>;
  stop(): Promise<void>;
}

const createdEvent = getAbiItem({ abi: agreementsAbi, name: "AgreementCreated" });
const watchedEvents = [
  createdEvent,
  getAbiItem({ abi: agreementsAbi, name: "AgreementApproved" }),
  getAbiItem({ abi: agreementsAbi, name: "AgreementRenewed" }),
] as const;
const LOG_SPAN = 2000n;
/** After the chain lost blocks, the rescan starts this far below the new head (a reorg's depth). */
const REWIND_BLOCKS = 64;
/** Receipts remembered for a re-check (the newest; older ones sit in blocks no chain loses). */
const RECENT_RECEIPTS = 1000;
/** /ready: the checkpoint may trail the chain head by this many blocks. */
const CAUGHT_UP_BLOCKS = 5;

/**
 * Why a re-delivery request or a share message was refused: the label of
 * kraken_relay_rejections_total (fixed words only, never an address or an id).
 */
export type RejectionReason =
  | "bad-request" | "too-large" | "stale-request" | "replayed" | "bad-signature" | "not-buyer" | "not-found" | "inactive" | "not-agent" | "rate-limited"
  | "share-malformed" | "share-forged" | "share-mismatch" | "share-stale" | "share-rate-limited" | "share-queue-full" | "other";

/** A share message refused for a known reason (the message is logged, the reason counted). */
class ShareRefusal extends DeliveryError {
  constructor(
    readonly reason: RejectionReason,
    message: string,
  ) {
    super("bad-message", message);
  }
}

export async function startRelay(o: RelayOptions): Promise<RunningRelay> {
  const account = privateKeyToAccount(o.key);
  const me = account.address;
  const log = createLogger(`relay ${me.slice(0, 10)}`, o.log, o.logLevel);
  // Operations (/ready, /metrics): one registry per relay (`npm start` runs three in one process).
  const ops = createOps({ service: "relay", checks: () => readiness() });
  const metrics = {
    deliveries: ops.counter("deliveries_total", "key shares delivered to buyers (receipt recorded on chain)"),
    redeliveries: ops.counter("redeliveries_total", "key shares published again on a buyer's signed request"),
    rejections: ops.counter("rejections_total", "re-delivery requests and share messages refused, by reason", ["reason"] as const),
    sharesHeld: ops.gauge("shares_held", "sealed key shares this relay holds (one per product)"),
    head: ops.gauge("chain_head_block", "the chain head at the relay's last poll"),
    checkpoint: ops.gauge("checkpoint_block", "the last block whose agreements the relay has settled"),
  };
  const rejected = (reason: RejectionReason) => metrics.rejections.inc({ reason });
  const chain = marketplaceChain(o.rpcUrl, o.deployment.chainId);
  const publicClient = createPublicClient({ chain, transport: http(o.rpcUrl), pollingInterval: 100 });
  const wallet = createWalletClient({ chain, transport: http(o.rpcUrl), account, pollingInterval: 100 });
  const c = o.deployment.contracts;
  const agreements = c.Agreements.address;
  const read = {
    credentials: getContract({ address: c.Credentials.address, abi: credentialsAbi, client: publicClient }).read,
    catalogue: getContract({ address: c.Catalogue.address, abi: catalogueAbi, client: publicClient }).read,
    agreements: getContract({ address: agreements, abi: agreementsAbi, client: publicClient }).read,
  };

  const store = new RelayStore(o.dataDir, Math.max(0, (c.Agreements.blockNumber ?? o.deployment.deploymentBlock) - 1), `${o.deployment.chainId}:${agreements.toLowerCase()}`,
    (aside) => log.warn(`state of another deployment found in ${o.dataDir}: moved to ${aside}, starting afresh`));
  const { secretKey, publicKey } = await deriveEncryptionKeyPair({ address: account.address, chainId: o.deployment.chainId, signTypedData: (t) => account.signTypedData(t) });
  const registered = await read.credentials.encryptionKeyOf([me]);
  let keyOnChain = { key: registered as Hex, at: Date.now() }; // re-read for /ready while it is not this relay's key
  if (registered === zeroHash) log.warn("no encryption key registered in Credentials for this relay: sellers cannot seal key shares to it");
  else if (registered.toLowerCase() !== publicKey.toLowerCase()) log.warn("the encryption key registered in Credentials is not this relay's derived key: shares sealed to it cannot be opened");

  const crash = (point: RelayOptions["crashAt"]) => {
    if (o.crashAt === point) {
      log.warn(`crash test: killing the process ${point}`);
      process.kill(process.pid, "SIGKILL");
    }
  };

  // One job at a time: deliveries, re-deliveries and receipts share the relay's account nonce.
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const run = tail.then(job, job);
    tail = run.catch(() => {});
    return run;
  };

  // --- Streamr ---
  const config = "config" in o.streamr ? o.streamr.config : localClientConfig(o.streamr.network, o.key, { port: o.streamr.port, host: o.streamr.host, id: `relay-${me.slice(2, 10)}` });
  const streamr = new StreamrClient(config);
  const ensuredInboxes = new Set<string>();
  async function ensureInbox(consumer: Address): Promise<string> {
    const id = inboxStreamId(me, consumer);
    if (ensuredInboxes.has(id)) return id;
    const stream = await streamr.getOrCreateStream({ id });
    if (!(await stream.hasPermission({ userId: consumer, permission: StreamPermission.SUBSCRIBE, allowPublic: false }))) {
      await stream.grantPermissions({ userId: consumer, permissions: [StreamPermission.SUBSCRIBE] });
      log.debug(`created inbox ${id}`);
    }
    ensuredInboxes.add(id);
    return id;
  }

  // --- receipts ---
  async function recordReceipt(agreementId: bigint, envelopeHash: Hex): Promise<boolean> {
    const data = encodeFunctionData({ abi: agreementsAbi, functionName: "recordDelivery", args: [agreementId, envelopeHash] });
    await publicClient.call({ account: me, to: agreements, data }); // reverts (e.g. NotActive) before anything is signed
    const request = await wallet.prepareTransactionRequest({ account, to: agreements, data, chain });
    const raw = await wallet.signTransaction(request);
    const pending: PendingReceipt = { agreementId: agreementId.toString(), txHash: keccak256(raw), raw };
    store.state.pendingReceipts[pending.agreementId] = pending;
    await store.commit(); // from here on a restart re-broadcasts this very transaction instead of signing another
    crash("after-sign");
    return settleReceipt(pending);
  }

  async function settleReceipt(p: PendingReceipt): Promise<boolean> {
    try {
      await publicClient.sendRawTransaction({ serializedTransaction: p.raw });
    } catch (err) {
      log.debug(`receipt ${p.txHash} not re-broadcast: ${(err as Error).message.split("\n")[0]}`); // already mined or known
    }
    let ok = false;
    const receipt = await publicClient.waitForTransactionReceipt({ hash: p.txHash, timeout: 30_000 }).catch(() => null);
    if (receipt) {
      ok = receipt.status === "success";
      if (ok) {
        store.state.counters.delivered++;
        metrics.deliveries.inc();
        rememberReceipt(p.agreementId, Number(receipt.blockNumber));
      }
      else log.warn(`receipt for agreement ${p.agreementId} reverted (tx ${p.txHash})`);
    } else {
      // Not mined yet. Forget it only once its nonce is taken by another transaction (then it
      // can never be mined); otherwise keep it and try again, so no second receipt is signed.
      const used = await publicClient.getTransactionCount({ address: me, blockTag: "latest" });
      if (used <= (parseTransaction(p.raw).nonce ?? 0)) throw new Error(`receipt transaction ${p.txHash} for agreement ${p.agreementId} is still pending`);
      log.warn(`receipt transaction ${p.txHash} for agreement ${p.agreementId} was dropped; the chain decides again`);
    }
    delete store.state.pendingReceipts[p.agreementId];
    await store.commit();
    return ok;
  }

  function rememberReceipt(agreementId: string, block: number): void {
    const recent = (store.state.recentReceipts ??= {});
    recent[agreementId] = block;
    const ids = Object.keys(recent);
    if (ids.length <= RECENT_RECEIPTS) return;
    for (const id of ids.sort((a, b) => recent[a] - recent[b]).slice(0, ids.length - RECENT_RECEIPTS)) delete recent[id];
  }

  /**
   * A chain that lost its latest blocks (a local chain killed before it saved them, or a reorg)
   * may have lost receipts this relay recorded and agreements it already scanned. Then: every
   * recent receipt is checked on chain and delivered again where it is gone, and the scan
   * restarts below the new head. A consortium chain's blocks are final, so it never comes here.
   */
  async function noticeLostBlocks(latest: { number: bigint; hash: Hex | null }): Promise<void> {
    const now = { number: Number(latest.number), hash: latest.hash! };
    const seen = store.state.seenHead;
    if (seen && seen.number === now.number && seen.hash === now.hash) return;
    const lost = !!seen && (now.number < seen.number || (now.number === seen.number
      ? now.hash !== seen.hash
      : (await publicClient.getBlock({ blockNumber: BigInt(seen.number) })).hash !== seen.hash));
    if (lost) {
      const recent = store.state.recentReceipts ?? {};
      const rescanFrom = Math.max(0, o.deployment.deploymentBlock - 1, Math.min(store.state.checkpointBlock, now.number) - REWIND_BLOCKS);
      log.warn(`the chain lost blocks (it was at ${seen!.number}, now ${now.number}): re-checking ${Object.keys(recent).length} recent receipt(s), scanning again from block ${rescanFrom + 1}`);
      store.state.checkpointBlock = Math.min(store.state.checkpointBlock, rescanFrom);
      for (const id of Object.keys(recent)) {
        if ((await read.agreements.deliveryOf([BigInt(id), me])) !== zeroHash) continue;
        // An agreement the chain lost too is unknown now (a revert): the rescan finds it if it
        // comes back. Anything else (the chain unreachable) fails this round, to be retried.
        const outcome = await serial(() => deliver(BigInt(id), "watch")).catch((err: Error) => {
          if (!(err instanceof BaseError && err.walk((e) => e instanceof ContractFunctionRevertedError))) throw err;
          return "the agreement is not on chain any more";
        });
        delete recent[id];
        log.warn(`agreement ${id}: its receipt was lost with the blocks; ${outcome}`);
      }
    }
    store.state.seenHead = now; // only once every lost receipt is settled: a failure above retries it all
    await store.commit();
  }

  // --- deliveries ---
  type Outcome = "delivered" | "redelivered" | "already-delivered" | "no-share" | "inactive" | "not-agent" | "no-consumer-key";
  type Agreement = Awaited<ReturnType<typeof read.agreements.getAgreement>>;
  async function deliver(agreementId: bigint, mode: "watch" | "redeliver", known?: Agreement): Promise<Outcome> {
    const a = known ?? (await read.agreements.getAgreement([agreementId]));
    const share = store.share(a.productId);
    if (!share) return "no-share";
    if (mode === "watch") {
      const pending = store.state.pendingReceipts[agreementId.toString()];
      if (pending) await settleReceipt(pending);
      const recorded = await read.agreements.deliveryOf([agreementId, me]);
      if (recorded !== zeroHash) return "already-delivered";
    }
    // Right before publishing: is this relay still one of the product's delivery agents (the
    // seller may have removed it since the share arrived), and is the agreement active (its
    // status, period, consent and the consumer's credential are the contract's to judge)? A
    // receipt would revert otherwise — after the share was already out.
    const [agent, active, consumerKey] = await Promise.all([
      read.catalogue.isDeliveryAgent([a.productId, me]),
      read.agreements.isActive([agreementId]),
      read.credentials.encryptionKeyOf([a.consumer]),
    ]);
    if (!agent) {
      log.warn(`agreement ${agreementId}: this relay is no longer a delivery agent of product ${a.productId}; nothing published`);
      return "not-agent";
    }
    if (!active) {
      log.info(`agreement ${agreementId}: not active, nothing delivered`);
      return "inactive";
    }
    if (consumerKey === zeroHash) {
      log.warn(`agreement ${agreementId}: the consumer has no encryption key registered; nothing delivered`);
      return "no-consumer-key";
    }
    const held = parseSharePayload(openPayload(share.envelope, secretKey)); // in memory only
    const payload: DeliveryPayload = {
      kind: "kraken.delivery", v: PROTOCOL_VERSION, agreementId: agreementId.toString(), productId: share.productId, relay: me,
      threshold: held.threshold, share: held.share, link: held.link, ciphertextHash: held.ciphertextHash, plaintextHash: held.plaintextHash,
      deliveredAt: Date.now(),
    };
    const { envelope, envelopeHash } = sealPayload(payload, consumerKey);
    const inbox = await ensureInbox(a.consumer);
    const message: DeliveryMessage = { type: "kraken.delivery", v: PROTOCOL_VERSION, agreementId: agreementId.toString(), envelope };
    if (mode === "redeliver") await store.commit(); // the request's nonce is on disk before anything goes out
    await streamr.publish(inbox, message);
    crash("after-publish");
    if (mode === "redeliver") {
      store.state.counters.redelivered++;
      metrics.redeliveries.inc();
      void store.commit().catch((err: Error) => log.error(`could not write the relay state: ${err.message}`)); // a counter only
      log.info(`agreement ${agreementId}: delivery published again on request`);
      return "redelivered";
    }
    const ok = await recordReceipt(agreementId, envelopeHash);
    crash("after-record");
    log.info(`agreement ${agreementId}: delivered on product ${share.productId}${ok ? ", receipt recorded" : ", receipt NOT recorded"}`);
    return "delivered";
  }

  // --- chain watcher ---
  let head: number | null = null;
  let headAt = 0; // when the head was last read (ms)
  let chainOk = true;
  const failing = new Set<bigint>();
  async function scan(): Promise<void> {
    const latest = await publicClient.getBlock({ blockTag: "latest" });
    head = Number(latest.number);
    headAt = Date.now();
    await noticeLostBlocks(latest);
    while (store.state.checkpointBlock < head) {
      const from = BigInt(store.state.checkpointBlock + 1);
      const to = BigInt(Math.min(head, store.state.checkpointBlock + Number(LOG_SPAN)));
      const logs = await publicClient.getLogs({ address: agreements, events: watchedEvents, fromBlock: from, toBlock: to, strict: true });
      const ids = [...new Set(logs.map((l) => l.args.agreementId))];
      for (const id of ids) {
        try {
          await serial(() => deliver(id, "watch"));
          failing.delete(id);
        } catch (err) {
          // The checkpoint stays put, so this agreement is tried again on the next scan.
          if (!failing.has(id)) log.error(`delivery for agreement ${id} failed (will retry): ${(err as Error).message.split("\n")[0]}`);
          failing.add(id);
          throw err;
        }
      }
      store.state.checkpointBlock = Number(to);
      await store.commit();
    }
  }

  /** Agreements on `productId` made before its share arrived (up to the head: deliver() is idempotent). */
  async function backfill(productId: string): Promise<void> {
    const logs = await publicClient.getLogs({
      address: agreements, event: createdEvent, args: { productId: BigInt(productId) },
      fromBlock: BigInt(Math.max(0, o.deployment.deploymentBlock)), toBlock: "latest", strict: true,
    });
    for (const l of logs) await serial(() => deliver(l.args.agreementId, "watch"));
    store.state.backfill = (store.state.backfill ?? []).filter((p) => p !== productId);
    await store.commit();
  }

  // --- share intake ---
  const limits: RelayLimits = { ...DEFAULT_LIMITS, ...o.limits };
  // Who may publish a share for a product (its seller, which never changes) is read at most once
  // a second per product: a flood of messages naming one product costs one RPC call a second,
  // not one per message. Only a message that did come from the seller (Streamr checked the
  // signature) gets a fresh read of the agents and threshold. `null` = no such product.
  type Product = Awaited<ReturnType<typeof read.catalogue.getProduct>>;
  const productReads = new Map<string, { at: number; value: Promise<Product | null> }>();
  function productOf(productId: bigint, fresh = false): Promise<Product | null> {
    const key = productId.toString();
    const hit = productReads.get(key);
    if (hit && !fresh && Date.now() - hit.at < 1000) return hit.value;
    const value = read.catalogue.getProduct([productId]).catch((err: unknown) => {
      if (err instanceof BaseError && err.walk((e) => e instanceof ContractFunctionRevertedError)) return null; // ProductNotFound
      productReads.delete(key); // a failed call (RPC down) is not remembered
      throw err;
    });
    productReads.set(key, { at: Date.now(), value });
    return value;
  }

  async function onShare(content: unknown, publisherId: string): Promise<void> {
    try {
      const msg = parseShareMessage(content);
      const productId = BigInt(msg.productId);
      const known = await productOf(productId);
      if (!known || known.seller === zeroAddress) throw new ShareRefusal("share-malformed", `product ${productId} does not exist`);
      const seller = known.seller;
      if (seller.toLowerCase() !== publisherId.toLowerCase()) throw new ShareRefusal("share-forged", `forged: published by ${publisherId}, not by the seller of product ${productId}`);
      const product = (await productOf(productId, true))!; // agents and threshold as they are now
      let payload;
      try {
        payload = parseSharePayload(openPayload(msg.envelope, secretKey));
      } catch (err) {
        throw err instanceof EnvelopeError ? new ShareRefusal("share-malformed", `cannot open the envelope: not sealed to this relay, or tampered`) : err;
      }
      if (payload.productId !== msg.productId) throw new ShareRefusal("share-mismatch", `the sealed share is for product ${payload.productId}, the message says ${msg.productId}`);
      if (payload.relay.toLowerCase() !== me.toLowerCase() || product.deliveryAgents[payload.index]?.toLowerCase() !== me.toLowerCase()) {
        throw new ShareRefusal("share-mismatch", `this relay is not delivery agent #${payload.index} of product ${productId}`);
      }
      if (payload.threshold !== product.threshold) throw new ShareRefusal("share-mismatch", `threshold ${payload.threshold} differs from the product's ${product.threshold}`);
      const envelopeHash = keccak256(msg.envelope);
      const held = store.share(productId);
      if (held?.envelopeHash === envelopeHash) throw new ShareRefusal("share-stale", `replayed: this share envelope for product ${productId} is already stored`);
      if (held && held.version >= payload.version) throw new ShareRefusal("share-stale", `replayed or stale: version ${payload.version} is not newer than the stored ${held.version}`);
      store.state.backfill = [...new Set([...(store.state.backfill ?? []), msg.productId])];
      store.putShare({ productId: msg.productId, version: payload.version, envelope: msg.envelope, envelopeHash, seller, storedAt: new Date().toISOString() });
      store.state.counters.sharesStored++;
      metrics.sharesHeld.set(store.products().length);
      await store.commit();
      log.info(`stored the key share for product ${productId} (version ${payload.version})`);
      if (o.ipfs && payload.link.startsWith("ipfs://")) void pin(payload.link.slice(7).split("/")[0]);
      await backfill(msg.productId);
    } catch (err) {
      store.state.counters.rejected++; // in memory: a rejected message writes nothing
      rejected(err instanceof ShareRefusal ? err.reason : err instanceof DeliveryError || err instanceof EnvelopeError ? "share-malformed" : "other");
      log.warn(`rejected a share message from ${publisherId}: ${(err as Error).message.split("\n")[0]}`);
    }
  }

  async function pin(cid: string) {
    try {
      const res = await fetch(`${o.ipfs!.apiUrl.replace(/\/+$/, "")}/api/v0/pin/add?arg=${encodeURIComponent(cid)}`, { method: "POST", signal: AbortSignal.timeout(60_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      log.debug(`pinned ${cid}`);
    } catch (err) {
      log.warn(`could not pin ${cid}: ${(err as Error).message}`);
    }
  }

  // --- re-delivery requests ---
  const maxAge = o.requestMaxAgeSeconds ?? 300;
  const maxFuture = o.requestMaxFutureSeconds ?? 120;
  const perIp = new RateLimiter(limits.redeliveriesPerIp);
  const perConsumer = new RateLimiter(limits.redeliveriesPerConsumer);
  const limitedLog = new Map<string, number>(); // kind -> when last logged: one warn line a minute per kind
  const tooMany = (kind: string, who: string, limit: RateLimit, retryAfterMs: number): never => {
    store.state.counters.rateLimited++; // in memory: a refused request writes nothing
    rejected("rate-limited");
    const last = limitedLog.get(kind) ?? 0;
    if (Date.now() - last >= 60_000) {
      limitedLog.set(kind, Date.now());
      log.warn(`refusing re-delivery requests over the ${kind} limit (${limit.max} per ${limit.windowMs / 1000} s), e.g. from ${who} (further refusals this minute not logged)`);
    }
    const s = Math.max(1, Math.ceil(retryAfterMs / 1000));
    throw new HttpError(429, `too many re-delivery requests from ${who}: at most ${limit.max} per ${limit.windowMs / 1000} s; try again in ${s} s`, { "retry-after": String(s) });
  };
  // Called before the body is read or anything is checked.
  function admit(source: string) {
    const byIp = perIp.take(source);
    if (!byIp.ok) tooMany("per-IP", `address ${source}`, limits.redeliveriesPerIp, byIp.retryAfterMs);
  }
  async function redeliver(agreementId: string, body: unknown) {
    let r;
    try {
      r = parseRedeliveryRequest(body);
    } catch (err) {
      rejected("bad-request");
      throw new HttpError(400, (err as Error).message);
    }
    // Rejections count in memory only and write nothing: junk must not cost a disk sync.
    const reject = (status: number, reason: string, why: RejectionReason): never => {
      store.state.counters.rejected++;
      rejected(why);
      log.warn(`rejected a re-delivery request for agreement ${agreementId}: ${reason}`);
      throw new HttpError(status, reason);
    };
    if (r.agreementId !== agreementId) reject(400, `the signed request is for agreement ${r.agreementId}, not ${agreementId}`, "bad-request");
    if (r.relay.toLowerCase() !== me.toLowerCase()) reject(400, `the signed request is for relay ${r.relay}, not this relay ${me}`, "bad-request");
    const now = Math.floor(Date.now() / 1000);
    if (now - r.timestamp > maxAge) reject(401, `stale request: signed at ${r.timestamp}, more than ${maxAge} s before now (${now}); check your clock and sign a new one`, "stale-request");
    if (r.timestamp - now > maxFuture) reject(401, `request from the future: signed at ${r.timestamp}, more than ${maxFuture} s after now (${now}); check your clock and sign a new one`, "stale-request");
    const nonceKey = keccak256(r.nonce);
    const replayed = "replayed request: this nonce was already used; sign a new request";
    if ((store.state.usedNonces[nonceKey] ?? -1) >= now) reject(401, replayed, "replayed"); // early, before any chain call
    let signer: Address;
    try {
      signer = await recoverMessageAddress({ message: redeliveryMessage(r), signature: r.signature });
    } catch {
      return reject(401, "the signature cannot be verified", "bad-signature");
    }
    // The error texts say "buyer": they reach people (the dApp and `kraken fetch` show the reason).
    const byConsumer = perConsumer.take(signer); // before any chain call
    if (!byConsumer.ok) tooMany("per-consumer", `buyer ${signer}`, limits.redeliveriesPerConsumer, byConsumer.retryAfterMs);
    const count = await read.agreements.agreementCount();
    if (BigInt(agreementId) < 1n || BigInt(agreementId) > count) reject(404, `agreement ${agreementId} does not exist`, "not-found");
    const a = await read.agreements.getAgreement([BigInt(agreementId)]);
    if (signer.toLowerCase() !== a.consumer.toLowerCase()) reject(403, `signed by ${signer}, who is not the buyer of agreement ${agreementId}`, "not-buyer");
    // Check and set with no await in between: of two copies of one request that both passed the
    // early check above, only the first to get here goes on. The nonce is kept until the
    // request's own window (its timestamp + maxAge) has passed, plus a minute of slack, so a
    // request stamped in the future cannot be replayed once the relay has forgotten it. It is
    // written to disk by deliver() before the delivery is published (with nothing published it
    // stays in memory until the next write).
    if (!store.claimNonce(nonceKey, r.timestamp + maxAge + 60)) reject(401, replayed, "replayed");
    if (!store.share(a.productId)) reject(404, `this relay holds no key share for product ${a.productId}`, "not-found");
    const outcome = await serial(() => deliver(BigInt(agreementId), "redeliver", a));
    if (outcome === "inactive") reject(409, `agreement ${agreementId} is not active: nothing is delivered`, "inactive");
    if (outcome === "not-agent") reject(409, `this relay is no longer a delivery agent of product ${a.productId}: nothing is delivered`, "not-agent");
    if (outcome !== "redelivered") reject(409, `nothing delivered (${outcome})`, "other");
    return { agreementId, relay: me, status: "published", inbox: inboxStreamId(me, a.consumer) };
  }

  const perPublisher = new RateLimiter(limits.sharesPerPublisher);
  const burst = { dropped: 0, limited: 0 };
  const intake = new IntakeQueue<{ content: unknown; publisher: string }>(limits.shareQueueMax, (m) => onShare(m.content, m.publisher), () => {
    for (const [id, r] of productReads) if (Date.now() - r.at >= 1000) productReads.delete(id);
    if (burst.dropped || burst.limited) log.warn(`share intake drained: ${burst.dropped} message(s) dropped (queue full), ${burst.limited} refused by the per-publisher limit`);
    burst.dropped = burst.limited = 0;
  });

  // --- start ---
  let streamrUp = false;
  let stopped = false;
  try {
    await streamr.connect();
    const shares = await streamr.getOrCreateStream({ id: shareStreamId(me) });
    if (!(await shares.hasPermission({ public: true, permission: StreamPermission.PUBLISH }))) {
      await shares.grantPermissions({ public: true, permissions: [StreamPermission.PUBLISH] });
    }
    // One share message at a time (so two versions arriving together cannot both pass the
    // version check), at most `shareQueueMax` waiting, each publisher rate-limited before it
    // takes a place in the queue. Drops and refusals are counted, and logged once per burst.
    await streamr.subscribe(shares.id, (content, metadata) => {
      const publisher = metadata.publisherId;
      if (!perPublisher.take(publisher).ok) {
        store.state.counters.rateLimited++;
        rejected("share-rate-limited");
        if (burst.limited++ === 0) log.warn(`share messages from ${publisher} exceed ${limits.sharesPerPublisher.max} per ${limits.sharesPerPublisher.windowMs / 1000} s: refusing them (counted as rateLimited)`);
        return;
      }
      if (!intake.push({ content, publisher })) {
        store.state.counters.dropped++;
        rejected("share-queue-full");
        if (burst.dropped++ === 0) log.warn(`share intake queue full (${limits.shareQueueMax} waiting): dropping messages until it drains (counted as dropped)`);
      }
    });
    streamrUp = true;
  } catch (err) {
    await streamr.destroy().catch(() => {});
    throw err;
  }
  for (const p of Object.values(store.state.pendingReceipts)) await serial(() => settleReceipt(p)).catch((err) => log.warn((err as Error).message));
  for (const p of store.state.backfill ?? []) await backfill(p);

  const health = async (): Promise<RelayHealth> => ({
    address: me,
    status: chainOk ? "ok" : "degraded",
    checkpointBlock: store.state.checkpointBlock,
    head,
    counters: { ...store.state.counters },
    intake: { ...intake.stats },
    storeWrites: store.writes,
  });
  // --- operations: /ready and /metrics ---
  const chainStaleMs = Math.max(60_000, 40 * (o.pollMs ?? 250));
  async function readiness(): Promise<Record<string, Check>> {
    const polled = headAt ? Math.round((Date.now() - headAt) / 1000) : null;
    const behind = head === null ? null : Math.max(0, head - store.state.checkpointBlock);
    if (keyOnChain.key.toLowerCase() !== publicKey.toLowerCase() && Date.now() - keyOnChain.at > 5000) {
      keyOnChain = { key: await read.credentials.encryptionKeyOf([me]).catch(() => keyOnChain.key), at: Date.now() };
    }
    const key = keyOnChain.key;
    return {
      chain: polled === null ? { ok: false, detail: "no successful poll yet" }
        : { ok: chainOk && Date.now() - headAt < chainStaleMs, detail: chainOk ? `last poll ${polled} s ago` : "the last poll failed" },
      caughtUp: behind === null ? { ok: false, detail: "chain head not known yet" } : { ok: behind <= CAUGHT_UP_BLOCKS, detail: `${behind} block(s) behind` },
      keys: key === zeroHash ? { ok: false, detail: "no encryption key registered on chain" }
        : key.toLowerCase() !== publicKey.toLowerCase() ? { ok: false, detail: "the key registered on chain is not this relay's" } : { ok: true },
      streamr: streamrUp && !stopped ? { ok: true } : { ok: false, detail: stopped ? "stopped" : "not started" },
    };
  }
  metrics.sharesHeld.set(store.products().length);
  const refresh = () => {
    if (head !== null) metrics.head.set(head);
    metrics.checkpoint.set(store.state.checkpointBlock);
    metrics.sharesHeld.set(store.products().length);
  };
  const http_ = await startHttp(
    {
      health,
      operations: { ops, refresh },
      share: (id) => { const s = store.share(id); return s && { productId: s.productId, version: s.version, envelopeHash: s.envelopeHash, storedAt: s.storedAt }; },
      admit,
      redeliver,
      refusedBody: (reason) => rejected(reason), // counted in memory, like every rejection
    },
    { port: o.port, host: o.host ?? "127.0.0.1", readsPerIp: limits.readsPerIp, onError: (err) => log.error(`HTTP handler failed: ${err.message}`) },
  );

  let timer: ReturnType<typeof setTimeout> | undefined;
  let scanning: Promise<void> = Promise.resolve();
  const loop = () => {
    if (stopped) return;
    scanning = scan().then(
      () => { if (!chainOk) log.info("chain reachable again"); chainOk = true; },
      (err) => { if (chainOk) log.error(`watching the chain failed (will retry): ${(err as Error).message.split("\n")[0]}`); chainOk = false; },
    ).finally(() => { if (!stopped) timer = setTimeout(loop, o.pollMs ?? 250); });
  };
  loop();
  log.info(`listening on ${http_.url}; share stream ${shareStreamId(me)}; checkpoint block ${store.state.checkpointBlock}; ${store.products().length} share(s) held`);

  return {
    address: me,
    url: http_.url,
    health,
    async stop() {
      if (stopped) return;
      stopped = true;
      streamrUp = false;
      clearTimeout(timer);
      await scanning.catch(() => {});
      await intake.drained();
      await tail.catch(() => {});
      await store.commit().catch(() => {}); // counters changed since the last write
      await http_.close();
      await streamr.destroy();
    },
  };
}
