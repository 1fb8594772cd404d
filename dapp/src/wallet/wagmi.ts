// wagmi + RainbowKit configuration from the runtime config: one chain (the configured RPC),
// injected wallets (MetaMask & co, EIP-6963 discovery), WalletConnect only when a project id is
// configured (it needs a relay on the internet), and the Demo wallet in demo builds.
import { connectorsForWallets, type WalletList } from "@rainbow-me/rainbowkit";
import { injectedWallet, walletConnectWallet } from "@rainbow-me/rainbowkit/wallets";
import type { Chain } from "viem";
import { createConfig, http, type Config } from "wagmi";
import type { DappConfig } from "../config.ts";
import type { DemoWallet } from "./demo.ts";

export function createWagmiConfig(config: DappConfig, chain: Chain, demo?: DemoWallet): Config {
  const groups: WalletList = [
    { groupName: "Browser wallet", wallets: config.walletConnectProjectId ? [injectedWallet, walletConnectWallet] : [injectedWallet] },
  ];
  if (demo) groups.push({ groupName: "Local demo (development keys)", wallets: [demo.rainbowWallet] });
  const connectors = connectorsForWallets(groups, {
    appName: "Kraken data marketplace",
    // Only the WalletConnect wallet uses it, and it is listed only when configured.
    projectId: config.walletConnectProjectId ?? "not-configured",
  });
  return createConfig({
    chains: [chain],
    connectors,
    transports: { [chain.id]: http(config.rpcUrl) },
    pollingInterval: 1000,
  });
}
