// The demo data union's devices: each member's watch publishes heart rate and steps into the
// union's stream with the member's own key (PUBLISH granted by the union when they joined).
// A member who parts loses PUBLISH on chain; their device notices and stops (an honest device;
// a dishonest one is refused by every subscriber once their permission cache expires, see
// docs/data-unions.md). Each device is the wearable publisher of wearable.ts on the union's
// stream: it serves its own group key only to consumers holding SUBSCRIBE and rekeys when
// one's agreement ends; the first device also clears ended grants on chain.
import type { Address, Hex } from "viem";
import { createPublicClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { dataUnionAbi, marketplaceChain, MemberStatus, type Deployment } from "@kraken/sdk";
import type { LocalNetworkSettings } from "@kraken/streamr";
import { createLogger } from "@kraken/sdk/config";
import type { StreamFilterConfig } from "@kraken/sdk/anonymise";
import { startWearablePublisher, type RunningWearablePublisher, type WearableDevice } from "./wearable.ts";

/** Where the demo members' watches are (city centres): each device reports GPS fixes around one. */
const HOMES: [number, number][] = [
  [52.520008, 13.404954], // Berlin
  [45.464211, 9.191383], // Milan
  [40.416775, -3.70379], // Madrid
  [38.722252, -9.139337], // Lisbon
  [59.329323, 18.068581], // Stockholm
  [52.367573, 4.904139], // Amsterdam
];

/** A member's watch: a serial number derived from the member's address, and a home city. */
export function unionDevice(member: Address, i: number): WearableDevice {
  return { id: `PW-${member.slice(2, 10).toUpperCase()}`, home: HOMES[i % HOMES.length] };
}

export interface UnionDevicesOptions {
  union: Address;
  productId: bigint;
  streamId: string;
  /** the members' keys, one device each */
  keys: Hex[];
  rpcUrl: string;
  deployment: Deployment;
  streamr: { network: LocalNetworkSettings; ports: number[]; host?: string };
  intervalMs?: number;
  /** how often a device checks it is still a member (default 2 s) */
  membershipPollMs?: number;
  /** the union product's stream filter (ProductMetadata.streamFilter): every device applies it
   * (with its own pseudonym key) before publishing */
  filter?: StreamFilterConfig;
  log?: (line: string) => void;
}

export interface RunningUnionDevices {
  streamId: string;
  /** data points published by each device, in `keys` order */
  published(): number[];
  /** devices still publishing */
  running(): number;
  stop(): Promise<void>;
}

export async function startUnionDevices(o: UnionDevicesOptions): Promise<RunningUnionDevices> {
  const log = createLogger("union", o.log);
  const publicClient = createPublicClient({ chain: marketplaceChain(o.rpcUrl, o.deployment.chainId), transport: http(o.rpcUrl) });
  const members = o.keys.map((k) => privateKeyToAccount(k).address);
  const devices: (RunningWearablePublisher | null)[] = await Promise.all(o.keys.map((key, i) =>
    startWearablePublisher({
      key, rpcUrl: o.rpcUrl, deployment: o.deployment, productId: o.productId, streamId: o.streamId,
      streamr: { network: o.streamr.network, port: o.streamr.ports[i], host: o.streamr.host },
      intervalMs: o.intervalMs ?? 2000, revokes: i === 0, id: `kraken-union-${i + 1}`, log: o.log,
      device: unionDevice(members[i], i), filter: o.filter,
    })));
  log.info(`${devices.length} member devices publishing to ${o.streamId}${o.filter ? " through the product's stream filter" : ""}`);
  const counts = devices.map(() => 0);

  // An honest device stops once its owner is no longer a member.
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    Promise.all(members.map((m, i) => devices[i]
      ? publicClient.readContract({ address: o.union, abi: dataUnionAbi, functionName: "memberOf", args: [m] }).then(async (r) => {
          if (r.status === MemberStatus.Active || !devices[i]) return;
          counts[i] = devices[i]!.published();
          await devices[i]!.stop();
          devices[i] = null;
          log.info(`${m} is no longer a member of ${o.union}: its device stopped publishing`);
        })
      : Promise.resolve()))
      .catch((err) => log.warn(`reading memberships failed: ${(err as Error).message.split("\n")[0]}`))
      .finally(() => (checking = false));
  }, o.membershipPollMs ?? 2000);

  return {
    streamId: o.streamId,
    published: () => devices.map((d, i) => d?.published() ?? counts[i]),
    running: () => devices.filter(Boolean).length,
    async stop() {
      clearInterval(timer);
      await Promise.all(devices.map((d) => d?.stop()));
    },
  };
}
