// What the seller pages need from the wallet and the indexer: a `write` that simulates first
// (so a revert is decoded into words before the wallet is asked), signs, and waits until mined;
// a reader; waiting until the subgraph has indexed a block; message signatures (uploads to the
// SMPC nodes); and a Streamr client signing as the seller, loaded only when a batch product's
// key shares are sent.
import { useCallback, useMemo } from "react";
import { useAccount, useConfig } from "wagmi";
import { getPublicClient, readContract, signMessage as wagmiSignMessage, simulateContract, waitForTransactionReceipt, writeContract } from "wagmi/actions";
import type { Address, EIP1193Provider, Hex, TransactionReceipt } from "viem";
import type { StreamPublisher } from "@kraken/sdk";
import { useDapp } from "../../hooks/dapp.ts";
import { waitIndexed as waitUntilIndexed } from "../../hooks/waitIndexed.ts";
import type { PublishContext } from "./publish.ts";
import { loadStreamr, streamrOptions } from "../../lib/streamr.ts";
import { gasWithHeadroom, KrakenError } from "@kraken/sdk";

export interface ContractCall {
  address: Address;
  abi: readonly unknown[];
  functionName: string;
  args: readonly unknown[];
}

export class NotConnectedError extends KrakenError {
  override name = "NotConnectedError";

  constructor() {
    super("not-connected", "Connect a wallet first (or choose a Demo persona).");
  }
}

export function useSellerActions(): PublishContext & { connected: boolean } {
  const { config } = useDapp();
  const wagmi = useConfig();
  const { address, connector } = useAccount();

  const write = useCallback(
    async (call: ContractCall, onSigned: (hash: Hex) => void = () => {}): Promise<TransactionReceipt> => {
      if (!address) throw new NotConnectedError();
      // Loosely typed on purpose: the pages pass generated ABIs with matching arguments.
      const { request } = await simulateContract(wagmi, { address: call.address, abi: call.abi, functionName: call.functionName, args: call.args, account: address });
      const estimate = await getPublicClient(wagmi)!.estimateContractGas(request as never); // typed by the simulation above
      const hash = await writeContract(wagmi, { ...request, gas: gasWithHeadroom(estimate) });
      onSigned(hash);
      const receipt = await waitForTransactionReceipt(wagmi, { hash });
      if (receipt.status !== "success") throw new Error(`Transaction ${hash} reverted.`);
      return receipt;
    },
    [wagmi, address],
  );

  const read = useCallback(((args: never) => readContract(wagmi, args)) as unknown as PublishContext["readContract"], [wagmi]);

  const waitIndexed = useCallback(
    async (block: bigint, onBehind?: (behind: number) => void) => {
      await waitUntilIndexed({ subgraphUrl: config.subgraphUrl, wagmi, block, onBehind, timeoutMs: 60_000 });
    },
    [config.subgraphUrl, wagmi],
  );

  const signMessage = useCallback(
    async (message: string): Promise<Hex> => {
      if (!address) throw new NotConnectedError();
      return wagmiSignMessage(wagmi, { account: address, message });
    },
    [wagmi, address],
  );

  const streamPublisher = useCallback(async (): Promise<StreamPublisher & { close(): Promise<void> }> => {
    if (!connector) throw new NotConnectedError();
    if (!config.streamr) throw new Error("This marketplace has no Streamr network configured (config.json: streamr), so key shares cannot reach the relays.");
    const provider = (await connector.getProvider()) as EIP1193Provider;
    const { StreamrClient } = await loadStreamr(); // heavy: loaded on first use
    const client = new StreamrClient(streamrOptions(config.streamr as object, provider));
    return {
      publish: (streamId: string, content: unknown) => client.publish(streamId, content),
      // one hand-off per product: do not keep a network node running in the page
      close: () => client.destroy(),
    };
  }, [connector, config.streamr]);

  return useMemo(
    () => ({ config, account: address as Address, connected: !!address, write, readContract: read, waitIndexed, signMessage, streamPublisher }),
    [config, address, write, read, waitIndexed, signMessage, streamPublisher],
  );
}
