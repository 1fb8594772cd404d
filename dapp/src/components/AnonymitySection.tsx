// "How anonymous is this data" on an anonymised batch product's page (issue 16): the report its
// seller bound on chain (Catalogue.reportAnonymisation → the subgraph's anonymisation* fields),
// fetched from IPFS through the configured gateway and checked against the SHA-256 recorded on
// chain before a word of it is shown; then the report in words and figures.
import { useQuery } from "@tanstack/react-query";
import type { Hex } from "viem";
import { parseReport, reportHash } from "@kraken/sdk/anonymise";
import { useDapp } from "../hooks/dapp.ts";
import { fetchIpfsBytes } from "../lib/ipfs.ts";
import type { GraphProduct } from "../lib/subgraph.ts";
import { AnonymisationReportView } from "./AnonymisationReport.tsx";

/** The subgraph's anonymisation fields of a product (null until its seller reports one). */
export interface AnonymisationFields {
  anonymisationK?: number | null;
  anonymisationL?: number | null;
  anonymisationReportHash?: string | null;
  anonymisationReportURI?: string | null;
}

export const isAnonymisedBatch = (p: Pick<GraphProduct, "productType" | "modality">) => p.productType === "BATCH" && p.modality === "ANONYMISED";

type Checked =
  | { status: "ok"; report: ReturnType<typeof parseReport> }
  | { status: "mismatch"; actual: Hex }
  | { status: "invalid"; message: string };

export function AnonymitySection({ product, fromChain }: { product: GraphProduct & AnonymisationFields; fromChain: boolean }) {
  const { config } = useDapp();
  const uri = product.anonymisationReportURI ?? undefined;
  const expected = (product.anonymisationReportHash ?? undefined) as Hex | undefined;
  const checked = useQuery<Checked>({
    queryKey: ["ipfs", "anonymisation-report", uri, expected],
    enabled: !!uri && !!expected,
    staleTime: Infinity,
    retry: 1,
    queryFn: async ({ signal }) => {
      const bytes = await fetchIpfsBytes(config.ipfsGatewayUrl, uri!, "the anonymisation report", signal);
      const actual = reportHash(bytes);
      if (actual.toLowerCase() !== expected!.toLowerCase()) return { status: "mismatch", actual };
      try {
        return { status: "ok", report: parseReport(bytes, expected) };
      } catch (err) {
        return { status: "invalid", message: (err as Error).message };
      }
    },
  });
  if (!isAnonymisedBatch(product)) return null;

  let body;
  if (fromChain) body = <p className="muted" role="status">The catalogue has not indexed this product yet; its anonymisation report shows once it has.</p>;
  else if (!uri || !expected)
    body = (
      <p className="notice warn" data-report="none">
        The seller published no anonymisation report for this product: nothing shows how anonymous the data is, and “Anonymised” is only the seller's word.
      </p>
    );
  else if (checked.isLoading) body = <p className="muted" role="status">Loading the anonymisation report from IPFS…</p>;
  else if (checked.error) body = <p className="notice warn" data-report="unavailable">{checked.error.message}.</p>;
  else if (checked.data?.status === "mismatch")
    body = (
      <p className="notice error" role="alert" data-report="mismatch">
        Warning: the report does not match what the seller recorded on chain (its SHA-256 is <code className="hash">{checked.data.actual}</code>, the chain records{" "}
        <code className="hash">{expected}</code>). Do not rely on it.
      </p>
    );
  else if (checked.data?.status === "invalid")
    body = (
      <p className="notice error" role="alert" data-report="invalid">
        The seller's anonymisation report cannot be read: {checked.data.message}.
      </p>
    );
  else if (checked.data?.status === "ok") {
    const r = checked.data.report;
    const differs = (product.anonymisationK != null && product.anonymisationK !== r.k) || (product.anonymisationL != null && product.anonymisationL !== r.l);
    body = (
      <>
        <p className="muted" data-report="verified">
          The seller bound this anonymisation report to the product on chain (k = {product.anonymisationK}
          {product.anonymisationL && product.anonymisationL > 1 ? `, ℓ = ${product.anonymisationL}` : ""}), and the report loaded from IPFS matches the SHA-256 recorded
          there. It is the seller's statement about the file, which it names by its SHA-256: the file you receive can be checked against it.
        </p>
        {differs ? (
          <p className="notice warn" role="alert" data-report="figures-differ">
            The figures recorded on chain (k = {product.anonymisationK}, ℓ = {product.anonymisationL}) differ from the report's (k = {r.k}, ℓ = {r.l}).
          </p>
        ) : null}
        <AnonymisationReportView report={r} headingLevel={3} />
      </>
    );
  }
  return (
    <section className="anonymity" aria-labelledby="anonymity-title" data-testid="anonymity">
      <h2 id="anonymity-title">How anonymous is this data</h2>
      {body}
    </section>
  );
}
