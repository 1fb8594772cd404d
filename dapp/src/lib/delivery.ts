// Downloading delivered batch data in the browser (lazy-loaded with @streamr/sdk): check the
// agreement, derive the consumer's X25519 key from a wallet signature, collect k sealed key shares
// from the relays over Streamr, download the ciphertext from IPFS, verify and decrypt it here.
// Nothing is decrypted anywhere but in this page.
import type { Address, EIP1193Provider, Hex, PublicClient } from "viem";
import {
  collectShares,
  decryptBatch,
  deriveEncryptionKeyPair,
  download,
  encryptionKeyStatus,
  endpointsFor,
  readDeliveryTerms,
  type EncryptionKeyTypedData,
} from "@kraken/sdk";
import type { DappConfig } from "../config.ts";
import { deploymentOf } from "./deployment.ts";
import { loadStreamr, streamrOptions } from "./streamr.ts";
import { KrakenError } from "@kraken/sdk";

export class DeliveryUnavailableError extends KrakenError {
  override name = "DeliveryUnavailableError";

  constructor(message: string) {
    super("delivery-unavailable", message);
  }
}

/**
 * The encryption key registered for the consumer is not the one the wallet derives (registered
 * before the EIP-712 derivation): relays seal to the registered key, so the deliveries could not
 * be opened. The page offers to rotate it (rotateEncryptionKey), then to download again.
 */
export class EncryptionKeyOutdatedError extends KrakenError {
  override name = "EncryptionKeyOutdatedError";

  constructor() {
    super("encryption-key-outdated", "Your registered encryption key is from an older version of the marketplace, so the data delivered to you cannot be opened with it. Update your encryption key (one transaction), then download again: the relays re-deliver to the new key.");
  }
}

export async function downloadDelivery(o: {
  config: DappConfig;
  agreementId: bigint;
  consumer: Address;
  publicClient: PublicClient;
  provider: EIP1193Provider;
  signMessage: (message: string) => Promise<Hex>;
  signTypedData: (typedData: EncryptionKeyTypedData) => Promise<Hex>;
  onProgress: (line: string) => void;
}): Promise<{ bytes: Uint8Array; relays: Address[] }> {
  if (!o.config.relays?.length || !o.config.streamr) {
    throw new DeliveryUnavailableError("Delivery is not configured on this marketplace (config.json has no relays or Streamr network).");
  }
  o.onProgress("checking the agreement on chain…");
  const terms = await readDeliveryTerms(o.publicClient, deploymentOf(o.config), o.agreementId, o.consumer);
  const relays = endpointsFor(o.config.relays, terms.agents);
  o.onProgress("sign in your wallet to unlock your delivery key (free, no transaction)…");
  const deployment = deploymentOf(o.config);
  const keys = await deriveEncryptionKeyPair({ address: o.consumer, chainId: deployment.chainId, signTypedData: o.signTypedData });
  const { status } = await encryptionKeyStatus({ publicClient: o.publicClient, credentials: deployment.contracts.Credentials.address, address: o.consumer, publicKey: keys.publicKey });
  if (status === "outdated") throw new EncryptionKeyOutdatedError();
  if (status === "none") throw new DeliveryUnavailableError("No encryption key is registered for your address: register first.");
  o.onProgress("connecting to the delivery network…");
  const { StreamrClient } = await loadStreamr(); // heavy: loaded on first use
  const client = new StreamrClient(streamrOptions(o.config.streamr as object, o.provider));
  try {
    const collected = await collectShares({
      terms,
      consumer: o.consumer,
      relays,
      secretKey: keys.secretKey,
      subscriber: client,
      signMessage: o.signMessage,
      onProgress: o.onProgress,
      timeoutMs: 60_000,
    });
    o.onProgress(`key rebuilt from ${collected.relays.length} relays; downloading and decrypting…`);
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of decryptBatch(download(collected.link, o.config.ipfsGatewayUrl), collected.key, collected)) {
      parts.push(chunk);
      size += chunk.length;
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return { bytes, relays: collected.relays };
  } finally {
    await client.destroy().catch(() => {});
  }
}
