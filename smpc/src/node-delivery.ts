// Delivery of result shares over Streamr, as the relays deliver key shares: the node owns one
// inbox stream per buyer, `<node>/kraken/inbox/<buyer>` (inboxStreamId), created on first use
// with SUBSCRIBE granted to the buyer only, and publishes `{ type: "kraken.analytics-result",
// v: 1, jobId, envelope }` to it. The envelope is sealed to the buyer's registered X25519 key,
// so the stream's encryption is not what protects it (Streamr encrypts it too).
import type { Address, Hex } from "viem";
import { StreamPermission, StreamrClient, type StreamrClientConfig } from "@streamr/sdk";
import { inboxStreamId } from "@kraken/sdk";
import { ANALYTICS_PROTOCOL_VERSION, ANALYTICS_RESULT_TYPE, type AnalyticsResultMessage } from "@kraken/sdk/analytics";
import type { Logger } from "./node.ts";

export class InboxPublisher {
  readonly client: StreamrClient;
  private readonly ensured = new Map<string, Promise<string>>();

  constructor(
    readonly me: Address,
    config: StreamrClientConfig,
    private readonly log: Logger,
  ) {
    this.client = new StreamrClient(config);
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** The buyer's inbox at this node, created (and SUBSCRIBE granted) on first use. */
  ensureInbox(consumer: Address): Promise<string> {
    const id = inboxStreamId(this.me, consumer);
    let p = this.ensured.get(id);
    if (!p) {
      p = (async () => {
        const stream = await this.client.getOrCreateStream({ id });
        if (!(await stream.hasPermission({ userId: consumer, permission: StreamPermission.SUBSCRIBE, allowPublic: false }))) {
          await stream.grantPermissions({ userId: consumer, permissions: [StreamPermission.SUBSCRIBE] });
          this.log.debug("created a buyer's inbox"); // the stream id names the buyer: not logged
        }
        return id;
      })();
      p.catch(() => this.ensured.delete(id)); // a failure is tried again next time
      this.ensured.set(id, p);
    }
    return p;
  }

  /** Publishes a job's sealed result to the buyer's inbox. */
  async publishResult(consumer: Address, jobId: string, envelope: Hex): Promise<string> {
    const inbox = await this.ensureInbox(consumer);
    const message: AnalyticsResultMessage = { type: ANALYTICS_RESULT_TYPE, v: ANALYTICS_PROTOCOL_VERSION, jobId, envelope };
    await this.client.publish(inbox, message);
    return inbox;
  }

  async destroy(): Promise<void> {
    await this.client.destroy();
  }
}
