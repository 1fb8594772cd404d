// The analytics seller flow in the browser (lazy-loaded with the wizard's publishing): check the
// CSV against the schema, share it into one encrypted bundle per SMPC node and upload each to
// its node as it is produced (the plaintext never leaves this browser), then the manifest and
// the commitment — the SDK's seller flow (@kraken/sdk/analytics shareAndUpload), with the
// wizard's progress.
import type { Address, Hex } from "viem";
import { analyticsWithMarketErrorsAbi, relayEncryptionKeys } from "@kraken/sdk";
import {
  canonicalJson,
  checkDataset,
  manifestHash,
  nodeEndpointsFor,
  shareAndUpload as sdkShareAndUpload,
  toDatasetInput,
  type AnalyticsManifest,
  type AnalyticsRules,
  type Schema,
} from "@kraken/sdk/analytics";
import { deploymentOf } from "../../../lib/deployment.ts";
import type { PublishContext } from "../publish.ts";
import type { PrivacyRules } from "./analyticsDraft.ts";
import type { Operation } from "../../analytics/sdk.ts";
import { chunksOf } from "../../../lib/files.ts";

export interface Progress {
  /** 0–1 */
  fraction: number;
  rows: number;
  detail?: string;
}

/** Reads the whole CSV once and checks every value against the schema (a bad one names its row and column). */
export async function checkCsv(o: { file: File; schema: Schema; onProgress: (p: Progress) => void }): Promise<{ rows: number; extraColumns: string[] }> {
  let read = 0;
  const counted = async function* () {
    for await (const c of chunksOf(o.file)) {
      read += c.length;
      yield c;
    }
  };
  return checkDataset(counted(), o.schema, (p) => o.onProgress({ fraction: read / Math.max(1, o.file.size), rows: p.rows }));
}

export async function shareAndUpload(o: {
  ctx: PublishContext;
  file: File;
  schema: Schema;
  rules: PrivacyRules & { allowed: { columns: string[]; operations: Operation[]; groupBy: string[] } };
  productId: bigint;
  nodes: Address[];
  onProgress: (p: Progress) => void;
}): Promise<{ manifest: AnalyticsManifest; rows: number; bytes: number }> {
  const endpoints = nodeEndpointsFor(o.ctx.config.smpcNodes ?? [], o.nodes);
  o.onProgress({ fraction: 0, rows: 0, detail: "reading the computation nodes' encryption keys…" });
  const nodeKeys = await relayEncryptionKeys({ readContract: o.ctx.readContract } as Parameters<typeof relayEncryptionKeys>[0], deploymentOf(o.ctx.config), o.nodes);
  const rules: AnalyticsRules = {
    allowed: o.rules.allowed,
    privacy: { minCohort: o.rules.minCohort, epsilonPerQuery: o.rules.epsilonPerQuery, epsilonBudget: o.rules.epsilonBudget },
    jobTimeout: o.rules.jobTimeout,
  };
  let asked = false;
  const r = await sdkShareAndUpload({
    csv: () => chunksOf(o.file),
    schema: o.schema,
    rules,
    productId: o.productId,
    nodes: endpoints,
    nodeKeys,
    signMessage: async (message) => {
      if (!asked) o.onProgress({ fraction: 0, rows: 0, detail: "sign the upload requests in your wallet (free, no transaction)…" });
      asked = true;
      return o.ctx.signMessage(message);
    },
    onProgress: (p) => {
      if (p.phase === "check") o.onProgress({ fraction: 0, rows: p.rows, detail: `checking: ${p.rows.toLocaleString("en")} rows…` });
      else if (p.phase === "share") {
        const sent = p.sent.reduce((a, b) => a + b, 0);
        const total = p.totalBytes.reduce((a, b) => a + b, 0);
        o.onProgress({ fraction: sent / Math.max(1, total), rows: p.rows, detail: `${p.rows.toLocaleString("en")} of ${p.totalRows.toLocaleString("en")} rows shared; ${Math.round((100 * sent) / Math.max(1, total))} % uploaded` });
      } else o.onProgress({ fraction: 1, rows: 0, detail: `node ${p.node.slice(0, 8)}… stored its bundle` });
    },
  });
  return { manifest: r.manifest, rows: r.rows, bytes: Math.max(...r.sizes) };
}

/** The manifest as published (canonical JSON: its bytes hash to what the chain records). */
export function manifestFile(manifest: AnalyticsManifest): { json: string; hash: Hex } {
  return { json: canonicalJson(manifest), hash: manifestHash(manifest) };
}

/** Analytics.commitDataset of the manifest published at `manifestUri`. */
export function commitCall(o: { analytics?: Address; productId: bigint; manifest: AnalyticsManifest; manifestUri: string }) {
  if (!o.analytics) throw new Error("This marketplace has no Analytics contract configured (config.json: contracts.Analytics).");
  const input = toDatasetInput(o.manifest, o.manifestUri);
  return { address: o.analytics, abi: analyticsWithMarketErrorsAbi, functionName: "commitDataset", args: [o.productId, { ...input, bundleHashes: [...input.bundleHashes] }] as const };
}
