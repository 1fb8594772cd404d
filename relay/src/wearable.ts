// The demo wearable: a seller's device publishing heart rate and steps to the Streamr stream of
// a stream product, and the publisher's side of access control (MKT-FUN-08/13).
//
// Streamr encrypts non-public streams with group keys that the publisher hands to subscribers
// holding SUBSCRIBE on chain. A subscriber keeps the key it has, so "no new data after expiry
// or revocation" is the publisher's job:
//   - it follows the product's agreements (Agreements events) from the chain and asks
//     `Agreements.isActive` about each running one: an agreement stops granting access when its
//     end has passed on the chain's clock, the seller terminated it, or the consumer's credential
//     was revoked or expired (a retraction of consent only refuses future requests);
//   - it then clears the grant on chain (Agreements.revokeStreamAccess, idempotent, keeps access
//     paid through other agreements) and rekeys the stream once its permission cache can no
//     longer answer "yes" for that subscriber; new key requests are checked on chain and refused;
//   - it also rekeys on a schedule, in case it missed something (e.g. it was down).
// An anonymised stream product configures a filter (ProductMetadata.streamFilter): the publisher
// applies it to every data point before it leaves the device (sdk/src/anonymise/stream-filter.ts).
import { StreamrClient } from "@streamr/sdk";
import {
  createPublicClient, createWalletClient, http, parseAbiItem, type Address, type Hex, type Log,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { agreementsAbi, marketplaceChain, type Deployment } from "@kraken/sdk";
import { createStreamFilter, publisherPseudonymKey, type StreamFilter, type StreamFilterConfig } from "@kraken/sdk/anonymise";
import { localClientConfig, rekeyStream, type LocalNetworkSettings } from "@kraken/streamr";
import { createLogger, type Logger } from "@kraken/sdk/config";

export interface WearablePublisherOptions {
  /** The publishing device's key: the stream's owner, or a data union member holding PUBLISH. */
  key: Hex;
  rpcUrl: string;
  deployment: Deployment;
  productId: bigint;
  streamId: string;
  streamr: { network: LocalNetworkSettings; port: number; host?: string };
  /** One data point every `intervalMs` (default 1 s). */
  intervalMs?: number;
  /** Scheduled key rotation (default 5 min). */
  rekeyIntervalMs?: number;
  /** How often the chain is read for agreements and their state (default 1 s). */
  pollMs?: number;
  /**
   * Whether this device sends `revokeStreamAccess` for ended agreements (default true). Every
   * device still rekeys its own group key when one ends; among a union's devices one revoking
   * is enough (anyone may, and it is idempotent).
   */
  revokes?: boolean;
  /** Streamr node id prefix, to tell devices apart in logs (default "kraken-wearable"). */
  id?: string;
  /** What the device reports besides heart rate and steps: its id and a GPS fix near `home` (default none). */
  device?: WearableDevice;
  /**
   * The product's stream filter (ProductMetadata.streamFilter), applied to every data point before
   * it is published; a configuration is checked first (AnonymiseError "bad-option").
   */
  filter?: StreamFilterConfig | StreamFilter;
  /** The filter's pseudonym key (32 bytes); default: derived from `key` and the stream id, so
   * pseudonyms stay the same across restarts of the device. */
  pseudonymKey?: Uint8Array;
  log?: (line: string) => void;
}

export interface WearableDevice {
  /** e.g. a serial number */
  id: string;
  /** [latitude, longitude] the GPS fixes wander around */
  home: [number, number];
}

export interface RunningWearablePublisher {
  streamId: string;
  /** Data points published so far. */
  published(): number;
  /** Group-key rotations so far (scheduled and on revocation). */
  rekeys(): number;
  stop(): Promise<void>;
}

/** A heart-rate / step-count sample: what a fitness watch reports. */
export interface WearableSample {
  ts: number; // ms since epoch
  heartRate: number; // bpm
  steps: number; // steps since local midnight
  /** with a `device`: its id and GPS fix (WGS 84, 6 decimals) */
  deviceId?: string;
  lat?: number;
  lon?: number;
}

/** Realistic samples: heart rate drifts around a resting/active level, steps accumulate while active;
 * with a `device`, its id and a GPS fix that wanders (a few hundred metres) while active. */
export function wearableSamples(seed = 1, device?: WearableDevice): () => WearableSample {
  let x = seed >>> 0 || 1;
  const rnd = () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
  let hr = 64;
  let steps = 0;
  let active = false;
  let [lat, lon] = device?.home ?? [0, 0];
  const fix = (x: number) => Math.round(x * 1e6) / 1e6;
  return () => {
    if (rnd() < 0.02) active = !active; // switch between resting and walking now and then
    const target = active ? 105 : 62;
    hr += (target - hr) * 0.08 + (rnd() - 0.5) * 3;
    if (active) steps += 1 + Math.floor(rnd() * 2);
    const sample: WearableSample = { ts: Date.now(), heartRate: Math.round(hr), steps };
    if (device) {
      if (active) {
        lat += (rnd() - 0.5) * 2e-4; // ~10 m a step of the walk
        lon += (rnd() - 0.5) * 3e-4;
      }
      // drawn back towards home, so a long run stays in the neighbourhood
      lat += (device.home[0] - lat) * 0.01;
      lon += (device.home[1] - lon) * 0.01;
      Object.assign(sample, { deviceId: device.id, lat: fix(lat), lon: fix(lon) });
    }
    return sample;
  };
}

const AGREEMENT_EVENTS = [
  parseAbiItem("event AgreementCreated(uint256 indexed agreementId, uint256 indexed productId, address indexed consumer, address seller, uint8 purpose, uint32 policyVersion, uint8 status, uint256 amount, uint40 startsAt, uint40 endsAt)"),
  parseAbiItem("event AgreementApproved(uint256 indexed agreementId, uint40 startsAt, uint40 endsAt)"),
  parseAbiItem("event AgreementRenewed(uint256 indexed agreementId, uint16 periods, uint40 endsAt, uint256 amount, uint32 policyVersion)"),
  parseAbiItem("event AgreementTerminated(uint256 indexed agreementId, uint256 refunded)"),
] as const;

interface Grant {
  agreementId: bigint;
  consumer: Address;
  endsAt: bigint; // 0 = pending or one-time
  active: boolean;
  terminated?: boolean;
}

export async function startWearablePublisher(o: WearablePublisherOptions): Promise<RunningWearablePublisher> {
  const log: Logger = createLogger("wearable", o.log);
  const chain = marketplaceChain(o.rpcUrl, o.deployment.chainId);
  const account = privateKeyToAccount(o.key);
  const publicClient = createPublicClient({ chain, transport: http(o.rpcUrl), pollingInterval: 200 });
  const wallet = createWalletClient({ chain, transport: http(o.rpcUrl), account, pollingInterval: 200 });
  const agreements = o.deployment.contracts.Agreements.address;
  // A short permission cache: after a revocation the publisher must stop saying "yes" quickly.
  const cacheMs = 1000;
  const client = new StreamrClient(localClientConfig(o.streamr.network, o.key, {
    port: o.streamr.port, host: o.streamr.host, permissionCacheMs: cacheMs, id: o.id ?? "kraken-wearable",
  }));

  const grants = new Map<bigint, Grant>();
  let fromBlock = BigInt(o.deployment.deploymentBlock);
  let published = 0;
  let rekeys = 0;
  let stopped = false;
  let rekeyTimer: NodeJS.Timeout | undefined;
  const sample = wearableSamples(Number(o.productId) + Number(BigInt(account.address) % 1000n), o.device);
  const filter: StreamFilter | undefined = typeof o.filter === "function"
    ? o.filter
    : o.filter ? createStreamFilter(o.filter, o.pseudonymKey ?? publisherPseudonymKey(o.key, o.streamId)) : undefined;

  const rekey = async (why: string) => {
    try {
      await rekeyStream(client, o.streamId);
      rekeys++;
      log.info(`rotated the group key of ${o.streamId} (${why})`);
    } catch (err) {
      log.warn(`could not rotate the group key (${why}): ${(err as Error).message}`);
    }
  };
  const rekeySoon = (why: string) => {
    // Wait until the permission cache has forgotten the revoked subscriber, then rotate.
    clearTimeout(rekeyTimer);
    rekeyTimer = setTimeout(() => void rekey(why), cacheMs + 500);
  };

  const onAgreementLogs = (logs: Log[]) => {
    for (const l of logs as (Log & { eventName: string; args: Record<string, unknown> })[]) {
      const id = l.args.agreementId as bigint;
      if (l.eventName === "AgreementCreated") {
        if ((l.args.productId as bigint) !== o.productId) continue;
        grants.set(id, { agreementId: id, consumer: l.args.consumer as Address, endsAt: l.args.endsAt as bigint, active: (l.args.status as number) === 2 });
      } else if (l.eventName === "AgreementTerminated") {
        const g = grants.get(id);
        if (g) g.terminated = true;
      } else {
        const g = grants.get(id);
        if (!g) continue;
        g.endsAt = l.args.endsAt as bigint;
        g.active = true;
      }
    }
  };

  const poll = async () => {
    const head = await publicClient.getBlockNumber();
    if (head >= fromBlock) {
      const agreementLogs = await publicClient.getLogs({ address: agreements, events: AGREEMENT_EVENTS, fromBlock, toBlock: head });
      onAgreementLogs(agreementLogs as Log[]);
      fromBlock = head + 1n;
    }
    // The chain's clock decides expiry (tests move it forward); the wall clock when it is ahead.
    const block = await publicClient.getBlock();
    const now = BigInt(Math.max(Number(block.timestamp), Math.floor(Date.now() / 1000)));
    let ended = 0;
    const running = [...grants.values()].filter((g) => g.active);
    // One read per running agreement: the contract's own rule (credential validity included).
    const stillActive = await Promise.all(running.map((g) =>
      g.terminated || (g.endsAt !== 0n && g.endsAt <= now)
        ? false
        : publicClient.readContract({ address: agreements, abi: agreementsAbi, functionName: "isActive", args: [g.agreementId] })));
    for (const [i, g] of running.entries()) {
      if (stillActive[i]) continue;
      const expired = g.endsAt !== 0n && g.endsAt <= now;
      g.active = false;
      ended++;
      // `terminate` revoked the grant in its own transaction: nothing to send.
      if (g.terminated || o.revokes === false) {
        if (g.terminated) log.info(`agreement ${g.agreementId} was terminated by the seller: SUBSCRIBE revoked with it`);
        continue;
      }
      try {
        // Lowers SUBSCRIBE to what the consumer's other live agreements pay for (the contract
        // keeps access bought through another product), so key requests are refused.
        const { request } = await publicClient.simulateContract({ account, address: agreements, abi: agreementsAbi, functionName: "revokeStreamAccess", args: [g.agreementId] });
        await publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract(request) });
        log.info(`agreement ${g.agreementId} ${expired ? "ended" : "no longer grants access (credential)"}: SUBSCRIBE revoked`);
      } catch (err) {
        log.debug(`revokeStreamAccess(${g.agreementId}) not applied: ${(err as Error).message.split("\n")[0]}`);
      }
    }
    if (ended > 0) rekeySoon(`${ended} agreement(s) ended`);
  };

  await client.connect();
  await client.getStream(o.streamId); // fails early when the stream does not exist
  log.info(`publishing demo wearable data to ${o.streamId} (product ${o.productId})${filter ? ", through the product's stream filter" : ""}`);

  const publishTimer = setInterval(() => {
    const s = filter ? filter(sample() as unknown as Record<string, unknown>) : sample();
    client.publish(o.streamId, s).then(() => void published++, (err) => log.warn(`publish failed: ${(err as Error).message}`));
  }, o.intervalMs ?? 1000);
  let polling = false;
  const pollTimer = setInterval(() => {
    if (polling || stopped) return;
    polling = true;
    poll().catch((err) => log.warn(`reading the chain failed: ${(err as Error).message.split("\n")[0]}`)).finally(() => (polling = false));
  }, o.pollMs ?? 1000);
  const scheduleTimer = setInterval(() => void rekey("schedule"), o.rekeyIntervalMs ?? 5 * 60_000);

  return {
    streamId: o.streamId,
    published: () => published,
    rekeys: () => rekeys,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(publishTimer);
      clearInterval(pollTimer);
      clearInterval(scheduleTimer);
      clearTimeout(rekeyTimer);
      await client.destroy();
    },
  };
}
