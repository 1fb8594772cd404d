// Chain definitions and client helpers for viem, driven by configuration only: the local
// chain by default, any consortium chain (e.g. Besu/QBFT) by RPC URL and chain id.
import { createPublicClient, createWalletClient, defineChain, http, type Account, type Chain } from "viem";
import { DEFAULT_URLS } from "./config/defaults.ts";

export const LOCAL_RPC_URL = DEFAULT_URLS.rpc;
export const LOCAL_CHAIN_ID = 31337;

/** The standard development mnemonic of Hardhat and Anvil; its keys are public. Local use only. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

export function marketplaceChain(rpcUrl = LOCAL_RPC_URL, chainId = LOCAL_CHAIN_ID): Chain {
  return defineChain({
    id: chainId,
    name: chainId === LOCAL_CHAIN_ID ? "Kraken local chain" : `Kraken consortium chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/** Public and wallet clients for `account` on `chain`; short polling suits an automining chain. */
export function clientsFor(chain: Chain, account: Account, pollingInterval = 100) {
  const transport = http(chain.rpcUrls.default.http[0]);
  return {
    publicClient: createPublicClient({ chain, transport, pollingInterval }),
    wallet: createWalletClient({ chain, transport, account, pollingInterval }),
  };
}
