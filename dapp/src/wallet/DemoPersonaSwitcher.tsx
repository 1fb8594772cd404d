// Demo builds only: choose which seeded persona the Demo wallet signs as. Choosing one connects
// the Demo wallet (or switches its account when already connected).
import { useSyncExternalStore } from "react";
import { useAccount, useConnect } from "wagmi";
import { useDapp } from "../hooks/dapp.ts";
import { DEMO_CONNECTOR_ID } from "./demo.ts";

export default function DemoPersonaSwitcher() {
  const { demo } = useDapp();
  const { connector, isConnected } = useAccount();
  const { connect, connectors, error } = useConnect();
  const persona = useSyncExternalStore(demo!.subscribe, demo!.persona);
  if (!demo) return null;
  const usingDemo = isConnected && connector?.id === DEMO_CONNECTOR_ID;
  const choose = (address: string) => {
    demo.setPersona(address);
    if (!usingDemo) {
      const c = connectors.find((x) => x.id === DEMO_CONNECTOR_ID);
      if (c) connect({ connector: c });
    }
  };
  return (
    <div className="demo-persona">
      <label htmlFor="demo-persona">
        Demo persona <span className="badge warn">local demo only</span>
      </label>
      <select id="demo-persona" value={usingDemo ? persona.address : ""} onChange={(e) => e.target.value && choose(e.target.value)}>
        <option value="">{usingDemo ? "—" : "Choose a persona…"}</option>
        {demo.personas.map((p) => (
          <option key={p.address} value={p.address}>
            {p.name} — {p.role}
          </option>
        ))}
      </select>
      {error ? <span role="alert" className="error-text">{error.message}</span> : null}
    </div>
  );
}
