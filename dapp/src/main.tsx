// Boot: fetch ./config.json, build the chain/wagmi configuration from it, render the app.
// The Demo wallet module is imported only in demo builds (__KRAKEN_DEMO__ is a build-time
// constant, so production bundles do not contain it at all).
import "@rainbow-me/rainbowkit/styles.css";
import "./styles.css";
import { createRoot } from "react-dom/client";
import { marketplaceChain } from "@kraken/sdk";
import { loadConfig } from "./config.ts";
import { createWagmiConfig } from "./wallet/wagmi.ts";
import { Providers } from "./Providers.tsx";
import { App } from "./App.tsx";

async function boot(): Promise<void> {
  const root = createRoot(document.getElementById("root")!);
  try {
    const config = await loadConfig();
    const chain = marketplaceChain(config.rpcUrl, config.chainId);
    const demo =
      __KRAKEN_DEMO__ && config.demo?.personas?.length ? (await import("./wallet/demo.ts")).createDemoWallet(config, chain) : undefined;
    const wagmi = createWagmiConfig(config, chain, demo);
    root.render(
      <Providers dapp={{ config, chain, demo }} wagmi={wagmi}>
        <App />
      </Providers>,
    );
  } catch (err) {
    root.render(
      <main className="boot-error" role="alert">
        <h1>The marketplace could not start</h1>
        <p>{err instanceof Error ? err.message : String(err)}</p>
        <p>The app reads its endpoints from config.json next to index.html; check that the server provides it.</p>
      </main>,
    );
  }
}

void boot();
