// Context providers: wagmi (chain + wallets), react-query (cache for chain and subgraph reads),
// RainbowKit (wallet modal, themed to the app, no remote assets) and the runtime config.
import { RainbowKitProvider, lightTheme } from "@rainbow-me/rainbowkit";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { WagmiProvider, type Config } from "wagmi";
import { DappContext, type Dapp } from "./hooks/dapp.ts";

export function Providers({ dapp, wagmi, children }: { dapp: Dapp; wagmi: Config; children: ReactNode }) {
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 2_000 } } }));
  return (
    <DappContext.Provider value={dapp}>
      <WagmiProvider config={wagmi}>
        <QueryClientProvider client={queryClient}>
          <RainbowKitProvider theme={lightTheme({ accentColor: "#264de4", borderRadius: "medium", fontStack: "system" })} modalSize="compact">
            {children}
          </RainbowKitProvider>
        </QueryClientProvider>
      </WagmiProvider>
    </DappContext.Provider>
  );
}
