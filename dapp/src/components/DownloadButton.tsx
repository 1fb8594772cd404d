// "Download" for a delivered batch product: runs lib/delivery.ts (lazy: it loads @streamr/sdk)
// and saves the decrypted file. The file's hashes are verified before it is offered.
import { getPublicClient, getWalletClient } from "@wagmi/core";
import { useState } from "react";
import type { Address, EIP1193Provider } from "viem";
import { useAccount, useConfig } from "wagmi";
import { useDapp } from "../hooks/dapp.ts";
import type { GraphAgreement } from "../lib/subgraph.ts";
import { explainError } from "../lib/errors.ts";

export default function DownloadButton({ agreement }: { agreement: GraphAgreement }) {
  const { config } = useDapp();
  const wagmi = useConfig();
  const { address, connector } = useAccount();
  const [progress, setProgress] = useState<string>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<{ url: string; name: string; size: number }>();
  const [busy, setBusy] = useState(false);
  const available = !!config.relays?.length && !!config.streamr;
  const name = `${agreement.product.title.replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, "").toLowerCase() || "data"}-agreement-${agreement.agreementId}`;

  const run = async () => {
    if (!address || !connector) return;
    setBusy(true);
    setError(undefined);
    try {
      const wallet = await getWalletClient(wagmi, { account: address });
      const { downloadDelivery } = await import("../lib/delivery.ts");
      const { bytes } = await downloadDelivery({
        config,
        agreementId: BigInt(agreement.agreementId),
        buyer: address as Address,
        publicClient: getPublicClient(wagmi)!,
        provider: (await connector.getProvider()) as EIP1193Provider,
        signMessage: (message) => wallet.signMessage({ account: address, message }),
        onProgress: setProgress,
      });
      const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
      setDone({ url, name, size: bytes.length });
      setProgress(undefined);
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      a.click();
    } catch (err) {
      const e = explainError(err);
      setError(err instanceof Error && err.name !== "Error" && !("shortMessage" in err) ? err.message : e.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div>
      <button type="button" disabled={busy || !available} onClick={run} aria-label={`Download the data of agreement ${agreement.agreementId}`} title={available ? undefined : "Delivery is not configured on this marketplace"}>
        {busy ? "Downloading…" : "Download"}
      </button>
      {progress ? <div role="status" className="muted">{progress}</div> : null}
      {error ? <div role="alert" className="error-text">{error}</div> : null}
      {done ? (
        <div role="status">
          Decrypted and verified ({done.size.toLocaleString("en")} bytes). <a href={done.url} download={done.name}>Save again</a>
        </div>
      ) : null}
      {!available ? <div className="muted">Delivery is not configured here.</div> : null}
    </div>
  );
}
