// Builds the dApp's config.json from a deployment (deployments/<network>.json), the demo file
// and the endpoints `npm start` runs. Addresses always come from the deployment.
import type { Deployment } from "@kraken/sdk";
import type { DappConfig, DemoPersona } from "../src/config.ts";

interface DemoFileLike {
  personas: Record<string, { name: string; role: string; address: `0x${string}`; privateKey: `0x${string}`; category?: string }>;
}

export function dappConfigFrom(o: {
  deployment: Deployment;
  rpcUrl: string;
  subgraphUrl: string;
  ipfsApiUrl: string;
  ipfsGatewayUrl: string;
  issuerUrl: string;
  /** the seeded personas; omit on a real network */
  demo?: DemoFileLike;
  streamRegistry?: `0x${string}`;
  streamr?: DappConfig["streamr"];
  relays?: DappConfig["relays"];
  walletConnectProjectId?: string;
}): DappConfig {
  const c = o.deployment.contracts;
  const personas: DemoPersona[] | undefined = o.demo
    ? Object.values(o.demo.personas)
        // Personas that act in the marketplace (sellers, buyers, the visitor), not the admin/issuer/relays.
        .filter((p) => !/^(deploys|trusted credential issuer|delivery agent)/.test(p.role))
        .map(({ name, role, address, privateKey }) => ({ name, role, address, privateKey }))
    : undefined;
  return {
    chainId: o.deployment.chainId,
    rpcUrl: o.rpcUrl,
    subgraphUrl: o.subgraphUrl,
    ipfsApiUrl: o.ipfsApiUrl,
    ipfsGatewayUrl: o.ipfsGatewayUrl,
    issuerUrl: o.issuerUrl,
    contracts: {
      DataToken: c.DataToken.address,
      Credentials: c.Credentials.address,
      Catalogue: c.Catalogue.address,
      Policies: c.Policies.address,
      Agreements: c.Agreements.address,
      ...(o.streamRegistry ? { streamRegistry: o.streamRegistry } : {}),
    },
    ...(o.streamr ? { streamr: o.streamr } : {}),
    ...(o.relays ? { relays: o.relays } : {}),
    ...(o.walletConnectProjectId ? { walletConnectProjectId: o.walletConnectProjectId } : {}),
    ...(personas ? { demo: { personas } } : {}),
  };
}
