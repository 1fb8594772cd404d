// The shape of deployments/<network>.json, written by the deploy step and read by every
// component (SDK, subgraph manifest, relay, dApp) instead of hand-copied addresses.
import type { Address, Hex } from "viem";

export const CONTRACT_NAMES = ["DataToken", "Credentials", "Catalogue", "Policies", "Agreements"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];
/**
 * Absent from some deployment files: DataUnionFactory is deployed only with a StreamRegistry (a
 * union owns its stream); Analytics (query jobs on analytics products) is always deployed, but
 * files written before it existed do not list it.
 */
export const OPTIONAL_CONTRACT_NAMES = ["DataUnionFactory", "Analytics"] as const;
export type OptionalContractName = (typeof OPTIONAL_CONTRACT_NAMES)[number];
export interface DeployedContract {
  address: Address;
  blockNumber: number;
  transactionHash: Hex;
}

export interface Deployment {
  network: string;
  chainId: number;
  rpcUrl: string;
  deploymentBlock: number;
  deployedAt: string;
  contracts: Record<ContractName, DeployedContract> & Partial<Record<OptionalContractName, DeployedContract>>;
  /** Streamr's StreamRegistryV5 on this chain (stream products, SUBSCRIBE grants); absent when
   *  the deployment links no streams on chain. */
  streamRegistry?: Address;
  /** Holder of every admin role (DataToken admin and minter, Credentials admin, and the admin of a
   *  StreamRegistry deployed with the marketplace): the deployer, or the KRAKEN_ADMIN_ADDRESS it
   *  handed them to. Absent in files written before it was recorded. */
  admin?: Address;
  /** Fingerprint of the contracts' bytecode at deployment (contracts/scripts/deploy.ts). */
  artifactsHash?: string;
}
