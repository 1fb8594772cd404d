// "Get demo DATA": asks the local demo's faucet for DATA for the connected wallet, so a
// brand-new wallet can buy (gas is free on the local chain). Imported only in demo builds and
// shown only when config.json names a faucet: production has neither.
import { useState } from "react";
import { formatUnits, type Address } from "viem";
import { FaucetError, requestDemoData } from "@kraken/sdk";
import { useDapp } from "../hooks/dapp.ts";

export default function DemoDataButton({ address, onReceived }: { address: Address; onReceived?: () => void }) {
  const { config } = useDapp();
  const [state, setState] = useState<{ busy?: boolean; done?: string; error?: string }>({});
  if (!config.faucetUrl) return null;
  const ask = async () => {
    setState({ busy: true });
    try {
      const drip = await requestDemoData(config.faucetUrl!, address);
      setState({ done: `Received ${formatUnits(BigInt(drip.amount), 18)} demo DATA.` });
      onReceived?.();
    } catch (err) {
      setState({ error: err instanceof FaucetError ? err.message : `The faucet failed: ${(err as Error).message}` });
    }
  };
  return (
    <div className="demo-data">
      <button type="button" className="secondary" disabled={state.busy} onClick={ask}>
        {state.busy ? "Getting demo DATA…" : "Get demo DATA"}
      </button>
      {state.done ? <p role="status" className="muted">{state.done}</p> : null}
      {state.error ? <p role="alert" className="notice error">{state.error}</p> : null}
    </div>
  );
}
