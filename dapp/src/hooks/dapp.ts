// The runtime configuration and chain, available to every component.
import { createContext, useContext } from "react";
import type { Chain } from "viem";
import type { DappConfig } from "../config.ts";
import type { DemoWallet } from "../wallet/demo.ts";

export interface Dapp {
  config: DappConfig;
  /** Defined with the configured RPC URL: wagmi connectors send through chain.rpcUrls.default. */
  chain: Chain;
  /** The Demo wallet, in demo builds with personas configured; undefined in production. */
  demo?: DemoWallet;
}

export const DappContext = createContext<Dapp | null>(null);

export function useDapp(): Dapp {
  const d = useContext(DappContext);
  if (!d) throw new Error("useDapp outside <DappContext.Provider>");
  return d;
}
