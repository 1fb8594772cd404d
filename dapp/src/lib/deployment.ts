// The SDK's Deployment shape, built from the runtime config (the SDK's SSI and delivery
// functions take a Deployment; the dApp only knows config.json).
import type { Address, Hex } from "viem";
import type { Deployment } from "@kraken/sdk";
import type { DappConfig } from "../config.ts";

export function deploymentOf(config: DappConfig): Deployment {
  const c = (address: Address) => ({ address, blockNumber: 0, transactionHash: "0x" as Hex });
  return {
    network: "configured",
    chainId: config.chainId,
    rpcUrl: config.rpcUrl,
    deploymentBlock: 0,
    deployedAt: "",
    contracts: {
      DataToken: c(config.contracts.DataToken),
      Credentials: c(config.contracts.Credentials),
      Catalogue: c(config.contracts.Catalogue),
      Policies: c(config.contracts.Policies),
      Agreements: c(config.contracts.Agreements),
      ...(config.contracts.Analytics ? { Analytics: c(config.contracts.Analytics) } : {}),
    },
  };
}
