// "Download" for a delivered batch product: runs lib/delivery.ts (lazy: it loads @streamr/sdk)
// and saves the decrypted file. The file's hashes are verified before it is offered. When the
// registered encryption key is from an older version, it offers "Update my encryption key"
// (Credentials.rotateEncryptionKey); the relays then re-deliver to the new key.
import { getPublicClient, getWalletClient } from "@wagmi/core";
import { useState } from "react";
import type { Address, EIP1193Provider } from "viem";
import { useAccount, useConfig } from "wagmi";
import { rotateEncryptionKey } from "@kraken/sdk";
import { useDapp } from "../hooks/dapp.ts";
import { deploymentOf } from "../lib/deployment.ts";
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
  const [outdatedKey, setOutdatedKey] = useState(false);
  const [rotated, setRotated] = useState<string>();
  const available = !!config.relays?.length && !!config.streamr;
  const name = `${agreement.product.title.replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, "").toLowerCase() || "data"}-agreement-${agreement.agreementId}`;

  const run = async () => {
    if (!address || !connector) return;
    setBusy(true);
    setError(undefined);
    setOutdatedKey(false);
    setRotated(undefined);
    try {
      const wallet = await getWalletClient(wagmi, { account: address });
      const { downloadDelivery } = await import("../lib/delivery.ts");
      const { bytes } = await downloadDelivery({
        config,
        agreementId: BigInt(agreement.agreementId),
        consumer: address as Address,
        publicClient: getPublicClient(wagmi)!,
        provider: (await connector.getProvider()) as EIP1193Provider,
        signMessage: (message) => wallet.signMessage({ account: address, message }),
        signTypedData: (typedData) => wallet.signTypedData({ account: address, ...typedData }),
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
      setOutdatedKey(err instanceof Error && err.name === "EncryptionKeyOutdatedError");
    } finally {
      setBusy(false);
    }
  };

  const rotate = async () => {
    if (!address) return;
    setBusy(true);
    setError(undefined);
    try {
      setProgress("sign in your wallet to derive your new encryption key (free), then confirm the transaction…");
      const wallet = await getWalletClient(wagmi, { account: address });
      const r = await rotateEncryptionKey({ wallet, publicClient: getPublicClient(wagmi)!, deployment: deploymentOf(config) });
      setOutdatedKey(false);
      setProgress(undefined);
      setRotated(r.transactionHash ? `transaction ${r.transactionHash.slice(0, 10)}…` : "it already was current");
    } catch (err) {
      setProgress(undefined);
      setError(explainError(err).message);
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
      {outdatedKey ? (
        <button type="button" disabled={busy} onClick={rotate}>
          Update my encryption key
        </button>
      ) : null}
      {rotated ? <div role="status">Your encryption key is updated ({rotated}). Download again: the relays re-deliver to the new key.</div> : null}
      {done ? (
        <div role="status">
          Decrypted and verified ({done.size.toLocaleString("en")} bytes). <a href={done.url} download={done.name}>Save again</a>
        </div>
      ) : null}
      {!available ? <div className="muted">Delivery is not configured here.</div> : null}
    </div>
  );
}
