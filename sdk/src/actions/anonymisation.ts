// Anonymisation reports on chain (Catalogue.reportAnonymisation, issue 16): the seller of an
// anonymised batch product binds the SHA-256 of the report @kraken/sdk/anonymise wrote (published
// at an ipfs:// or https:// URI) and the k and ℓ it states to the product; buyers compare the
// report they download with that hash. The chain checks only that the figures are coherent
// (1 ≤ ℓ ≤ k, a non-zero hash) and who sends them; a later report replaces the earlier one.
import { parseEventLogs, type Address, type Hex, type PublicClient } from "viem";
import { catalogueAbi } from "../generated/abis.ts";
import { MissingEventError, send, simulate, type TxClients } from "./common.ts";

/** What is bound to the product: `reportHash` = SHA-256 of the report's bytes as published. */
export interface AnonymisationReportInput {
  productId: bigint;
  /** 0x + 64 hex digits: sha256 of the report file exactly as uploaded to `reportURI` */
  reportHash: Hex;
  /** the k-anonymity the report states (≥ 1) */
  k: number;
  /** the ℓ-diversity the report states (1 ≤ l ≤ k) */
  l: number;
  /** where the report lives: ipfs://… or https://… */
  reportURI: string;
}

/** An anonymisation report as stored on chain; `reportedAt` in unix seconds. */
export interface OnChainAnonymisation {
  reportHash: Hex;
  k: number;
  l: number;
  reportedAt: number;
}

/**
 * Binds (or replaces) the anonymisation report of an anonymised batch product, as its seller:
 * simulated first (a refusal — NotSeller, NotAnonymisedBatch, InvalidAnonymisation,
 * InvalidMetadataURI — is thrown before the wallet is asked; decode it with decodeMarketError),
 * then sent and awaited. Reports `simulate`, `confirm`, `submit`, `mined` for "reportAnonymisation".
 */
export async function reportAnonymisation(
  c: TxClients & { contracts: { catalogue: Address } },
  p: AnonymisationReportInput,
): Promise<{ hash: Hex; blockNumber: bigint }> {
  const { request } = await simulate(c, "reportAnonymisation", {
    address: c.contracts.catalogue,
    abi: catalogueAbi,
    functionName: "reportAnonymisation",
    args: [p.productId, p.reportHash, p.k, p.l, p.reportURI],
  });
  const receipt = await send(c, "reportAnonymisation", request);
  const [reported] = parseEventLogs({ abi: catalogueAbi, logs: receipt.logs, eventName: "AnonymisationReported" });
  if (!reported) throw new MissingEventError("reportAnonymisation", receipt.transactionHash, "AnonymisationReported");
  return { hash: receipt.transactionHash, blockNumber: receipt.blockNumber };
}

/** The report bound to `productId` on chain, or undefined when none was (or no such product). */
export async function readAnonymisation(publicClient: PublicClient, catalogue: Address, productId: bigint): Promise<OnChainAnonymisation | undefined> {
  const a = await publicClient.readContract({ address: catalogue, abi: catalogueAbi, functionName: "anonymisationOf", args: [productId] });
  if (a.reportedAt === 0) return undefined;
  return { reportHash: a.reportHash, k: a.k, l: a.l, reportedAt: a.reportedAt };
}
