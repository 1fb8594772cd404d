// Builds the dApp's config.json from a deployment (deployments/<network>.json), the demo file
// and the endpoints `npm start` runs. Addresses always come from the deployment.
import { bytesToHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DEV_MNEMONIC, type Deployment } from "@kraken/sdk";
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
  /** the demo faucet (local chain only); omit on a real network */
  faucetUrl?: string;
  /** the seeded personas; omit on a real network */
  demo?: DemoFileLike;
  streamRegistry?: `0x${string}`;
  streamr?: DappConfig["streamr"];
  relays?: DappConfig["relays"];
  /** the SMPC nodes' directory (deployments/<network>.smpc.json); analytics queries and dataset uploads */
  smpcNodes?: DappConfig["smpcNodes"];
  walletConnectProjectId?: string;
}): DappConfig {
  const c = o.deployment.contracts;
  const personas: DemoPersona[] | undefined = o.demo
    ? Object.values(o.demo.personas)
        // Personas that act in the marketplace (sellers, consumers, the visitor), not the admin/issuer/relays/SMPC nodes.
        .filter((p) => !/^(deploys|trusted credential issuer|delivery agent|computation agent)/.test(p.role))
        .map(({ name, role, address, privateKey }) => ({ name, role, address, privateKey }))
        .concat(freshPersonas())
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
      ...(c.DataUnionFactory ? { DataUnionFactory: c.DataUnionFactory.address } : {}),
      ...(c.Analytics ? { Analytics: c.Analytics.address } : {}),
      ...(o.streamRegistry ? { streamRegistry: o.streamRegistry } : {}),
    },
    ...(o.streamr ? { streamr: o.streamr } : {}),
    ...(o.relays ? { relays: o.relays } : {}),
    ...(o.smpcNodes ? { smpcNodes: o.smpcNodes } : {}),
    ...(o.walletConnectProjectId ? { walletConnectProjectId: o.walletConnectProjectId } : {}),
    ...(o.faucetUrl ? { faucetUrl: o.faucetUrl } : {}),
    ...(personas ? { demo: { personas } } : {}),
  };
}

/**
 * Funded but unregistered development accounts (#20–#22 of the public mnemonic; the local chain
 * funds the first 28, the demo personas use #0–#19 and #23–#25), so that registration can be tried in the
 * browser more than once.
 */
export function freshPersonas(): DemoPersona[] {
  return [20, 21, 22].map((i, n) => {
    const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });
    return { name: `New user ${n + 1}`, role: "unregistered, to try registration", address: account.address, privateKey: bytesToHex(account.getHdKey().privateKey!) };
  });
}
