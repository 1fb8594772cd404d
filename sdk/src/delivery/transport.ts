// What delivery needs from Streamr and HTTP, as structural types: a StreamrClient (Node or
// browser) satisfies StreamPublisher / StreamSubscriber, so the SDK does not import @streamr/sdk.
export interface StreamPublisher {
  publish(streamId: string, content: unknown): Promise<unknown>;
}

export interface StreamSubscription {
  unsubscribe(): Promise<unknown> | unknown;
}

export interface StreamSubscriber {
  subscribe(streamId: string, onMessage: (content: unknown, metadata: { publisherId: string }) => unknown): Promise<StreamSubscription>;
}

/** A relay's address (its delivery-agent account) and its HTTP API base URL. */
export interface RelayEndpoint {
  address: `0x${string}`;
  url: string;
}

export type Fetch = typeof fetch;
