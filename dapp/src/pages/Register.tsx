// Register and log in (MKT-FUN-01/02/03) with the SSI flow of @kraken/sdk/ssi:
// the issuer checks who you are and gives you a verifiable credential (kept by you); the chain
// gets only an attestation of the policy facts (category, organisation type, country), the
// credential's hash and your public encryption key. Login = a presentation signed by the wallet.
// didkit (2.3 MB gzip of wasm) is loaded only when one of these flows starts.
import { getPublicClient, getWalletClient } from "@wagmi/core";
import { useState, type FormEvent } from "react";
import type { Address } from "viem";
import { useAccount, useConfig } from "wagmi";
import { useConnectModal } from "@rainbow-me/rainbowkit";
import { CountryNames, OrganisationTypeNames, CredentialStatusNames } from "@kraken/sdk";
import type { HeldCredential, MarketplaceClaims } from "@kraken/sdk/ssi";
import { TxSteps, type Step } from "../components/TxSteps.tsx";
import { useCredentialStatus } from "../hooks/chain.ts";
import { useDapp } from "../hooks/dapp.ts";
import { waitIndexed } from "../hooks/waitIndexed.ts";
import { downloadJson, forgetCredential, saveCredential, savedCredential } from "../lib/credentialStore.ts";
import { explainError } from "../lib/errors.ts";
import { categoryWords, countryCode, countryName, orgTypeWords } from "../lib/words.ts";
import { deploymentOf } from "../lib/deployment.ts";
import { Link } from "../router.tsx";

const STEPS: [id: string, label: string][] = [
  ["derive-key", "Sign to derive your data-delivery encryption key (free)"],
  ["challenge", "Ask the issuer for a challenge"],
  ["sign-challenge", "Sign the challenge to prove you control this address (free)"],
  ["issue", "The issuer checks your details and issues the credential"],
  ["verify", "Verify the credential and the issuer's attestation"],
  ["register", "Register on chain (one transaction)"],
  ["indexed", "Catalogue updated"],
];

export default function Register() {
  const { address } = useAccount();
  const { openConnectModal } = useConnectModal();
  const status = useCredentialStatus(address);
  const [justRegistered, setJustRegistered] = useState<string>();
  const [fresh, setFresh] = useState<HeldCredential>();
  if (!address) {
    return (
      <section>
        <h1>Register or log in</h1>
        <Disclosure />
        <p>Connect a wallet first: your wallet is your identity wallet, nothing else is needed.</p>
        <button type="button" onClick={openConnectModal}>Connect wallet</button>
      </section>
    );
  }
  const [st, category, orgType, country] = status.data ?? [];
  const registered = st !== undefined && CredentialStatusNames[st] === "Valid";
  return (
    <section aria-labelledby="register-title">
      <h1 id="register-title">Register or log in</h1>
      {status.data === undefined ? <p role="status">Reading your registration from the chain…</p> : registered ? (
        <p className="notice ok" role="status">
          This address is registered: {category === 0 ? categoryWords(0) : orgTypeWords(orgType!)}, {countryName(countryCode(country!))}. That is all the chain knows about you.
        </p>
      ) : (
        <p className="notice warn" role="status">
          This address is not registered{st !== undefined && CredentialStatusNames[st] !== "NotRegistered" ? ` (credential ${CredentialStatusNames[st].replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()})` : ""}. Register to buy or sell.
        </p>
      )}
      <Disclosure />
      {!registered || justRegistered === address ? (
        <RegisterForm key={address} address={address} onIssued={setFresh} onDone={() => { setJustRegistered(address); void status.refetch(); }} />
      ) : null}
      <Login key={address + (fresh ? "+" : "")} address={address} fresh={fresh} />
    </section>
  );
}

function Disclosure() {
  return (
    <section className="card" aria-labelledby="disclosure-title">
      <h2 id="disclosure-title">What is disclosed, and to whom</h2>
      <dl className="facts">
        <dt>The issuer</dt>
        <dd>sees the details you enter here (category, organisation type, country, and optionally a name, registration number and email) to issue your credential.</dd>
        <dt>You</dt>
        <dd>keep the credential (a signed W3C verifiable credential). Save it; the marketplace does not keep a copy.</dd>
        <dt>The chain (public)</dt>
        <dd>gets your address, category, organisation type and country, the credential's hash, your public encryption key and the issuer's signature. <strong>No name, email, registration number or birth date — nothing personal.</strong></dd>
        <dt>Sellers</dt>
        <dd>see the same facts as the chain when you buy: what kind of buyer you are, not who you are.</dd>
      </dl>
    </section>
  );
}

function RegisterForm({ address, onDone, onIssued }: { address: Address; onDone: () => void; onIssued: (held: HeldCredential) => void }) {
  const wagmi = useConfig();
  const { config } = useDapp();
  const [category, setCategory] = useState<"Individual" | "Organisation">("Individual");
  const [orgType, setOrgType] = useState<MarketplaceClaims["organisationType"]>("Hospital");
  const [country, setCountry] = useState<MarketplaceClaims["country"]>("DE");
  const [legalName, setLegalName] = useState("");
  const [registrationNumber, setRegistrationNumber] = useState("");
  const [email, setEmail] = useState("");
  const [keep, setKeep] = useState(true);
  const [steps, setSteps] = useState<Step[]>([]);
  const [error, setError] = useState<string>();
  const [held, setHeld] = useState<HeldCredential>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    let current = "derive-key";
    setSteps(STEPS.map(([id, label]) => ({ id, label, state: "pending" })));
    const mark = (id: string) => {
      current = id;
      const at = STEPS.findIndex(([s]) => s === id);
      setSteps((all) => all.map((s, i) => ({ ...s, state: i < at ? "done" : i === at ? "active" : "pending" })));
    };
    try {
      const ssi = await import("@kraken/sdk/ssi");
      const wallet = await getWalletClient(wagmi, { account: address });
      const publicClient = getPublicClient(wagmi)!;
      const claims = {
        category,
        organisationType: category === "Individual" ? "None" : orgType,
        country,
        ...(legalName.trim() ? { legalName: legalName.trim() } : {}),
        ...(category === "Organisation" && registrationNumber.trim() ? { registrationNumber: registrationNumber.trim() } : {}),
        ...(email.trim() ? { email: email.trim() } : {}),
      };
      const result = await ssi.registerWithIssuer({
        issuerUrl: config.issuerUrl,
        wallet,
        publicClient,
        deployment: deploymentOf(config),
        claims,
        onStep: mark,
      });
      setHeld(result.held);
      if (keep) saveCredential(address, result.held);
      onIssued(result.held);
      const receipt = await publicClient.getTransactionReceipt({ hash: result.transactionHash });
      mark("indexed");
      await waitIndexed({
        subgraphUrl: config.subgraphUrl,
        wagmi,
        block: receipt.blockNumber,
        onBehind: (n) => setSteps((all) => all.map((s) => (s.id === "indexed" ? { ...s, detail: `catalogue ${n} block${n === 1 ? "" : "s"} behind` } : s))),
      }).catch(() => {});
      setSteps((all) => all.map((s) => ({ ...s, state: "done", detail: s.id === "register" ? `transaction ${result.transactionHash.slice(0, 10)}…` : s.detail })));
      onDone();
    } catch (err) {
      setSteps((all) => all.map((s) => (s.id === current ? { ...s, state: "failed" } : s)));
      const code = (err as { code?: string }).code;
      setError(err instanceof Error && err.name === "SsiError" ? `${err.message}${code ? ` (${code})` : ""}` : explainError(err).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="reg-title">
      <h2 id="reg-title">Register</h2>
      <form onSubmit={submit} className="filters" aria-label="Registration">
        <fieldset>
          <legend>I am</legend>
          <label><input type="radio" name="category" checked={category === "Individual"} onChange={() => setCategory("Individual")} /> an individual</label>
          <br />
          <label><input type="radio" name="category" checked={category === "Organisation"} onChange={() => setCategory("Organisation")} /> an organisation</label>
        </fieldset>
        {category === "Organisation" ? (
          <div className="field">
            <label htmlFor="org-type">Organisation type</label>
            <select id="org-type" value={orgType} onChange={(e) => setOrgType(OrganisationTypeNames.find((n) => n === e.target.value) ?? orgType)}>
              {OrganisationTypeNames.slice(1).map((n) => <option key={n} value={n}>{orgTypeWords(n)}</option>)}
            </select>
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="country">Country of registration</label>
          <select id="country" value={country} onChange={(e) => setCountry(CountryNames.find((n) => n === e.target.value) ?? country)}>
            {CountryNames.slice(1).map((c) => <option key={c} value={c}>{countryName(c)} ({c})</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="legal-name">{category === "Organisation" ? "Legal name" : "Full name"} (optional; for the issuer and your credential only)</label>
          <input id="legal-name" autoComplete="name" value={legalName} onChange={(e) => setLegalName(e.target.value)} />
        </div>
        {category === "Organisation" ? (
          <div className="field">
            <label htmlFor="reg-number">Registration number (optional; issuer and credential only)</label>
            <input id="reg-number" value={registrationNumber} onChange={(e) => setRegistrationNumber(e.target.value)} />
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="email">Email (optional; issuer and credential only)</label>
          <input id="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <label><input type="checkbox" checked={keep} onChange={(e) => setKeep(e.target.checked)} /> Keep my credential in this browser (to log in later)</label>
        <p className="muted">
          Goes on chain: {category === "Individual" ? "individual" : `organisation, ${orgTypeWords(orgType)}`}, {country}, the credential hash and your public key. Nothing else.
        </p>
        <div>
          <button type="submit" disabled={busy}>{busy ? "Registering…" : "Get my credential and register"}</button>
        </div>
      </form>
      {steps.length ? <TxSteps steps={steps} label="Registration progress" /> : null}
      {error ? <p role="alert" className="notice error">{error}</p> : null}
      {held ? (
        <div className="notice ok" role="status">
          <p>You are registered. Your credential is yours: save it, it is the only copy outside this browser.</p>
          <SaveCredentialButton held={held} />
          <p><Link to="/explore">Explore the catalogue</Link></p>
        </div>
      ) : null}
    </section>
  );
}

function SaveCredentialButton({ held }: { held: HeldCredential }) {
  return (
    <button
      type="button"
      className="secondary"
      onClick={async () => {
        const ssi = await import("@kraken/sdk/ssi");
        downloadJson(ssi.heldCredentialFileName(held), ssi.heldCredentialToJson(held));
      }}
    >
      Save my credential (JSON file)
    </button>
  );
}

function Login({ address, fresh }: { address: Address; fresh?: HeldCredential }) {
  const wagmi = useConfig();
  const { config } = useDapp();
  const [held, setHeld] = useState<HeldCredential | undefined>(() => fresh ?? savedCredential(address));
  const [session, setSession] = useState<{ did: string; expiresAt: string }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const login = async () => {
    if (!held) return;
    setBusy(true);
    setError(undefined);
    try {
      const ssi = await import("@kraken/sdk/ssi");
      const wallet = await getWalletClient(wagmi, { account: address });
      const s = await ssi.loginWithPresentation({ serviceUrl: config.issuerUrl, wallet, chainId: config.chainId, held });
      sessionStorage.setItem("kraken.session", s.token);
      setSession({ did: s.did, expiresAt: s.expiresAt });
    } catch (err) {
      setError(err instanceof Error && err.name === "SsiError" ? err.message : explainError(err).message);
    } finally {
      setBusy(false);
    }
  };

  const load = async (file: File | undefined) => {
    if (!file) return;
    setError(undefined);
    try {
      const ssi = await import("@kraken/sdk/ssi");
      setHeld(ssi.heldCredentialFromJson(await file.text()));
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="login-title">
      <h2 id="login-title">Log in with your credential</h2>
      <p className="muted">Your wallet signs a presentation of your credential for a one-time challenge. No password, and the service learns only what the credential says.</p>
      {held ? (
        <p>
          Credential found in this browser (issued {held.credential.issuanceDate?.slice(0, 10)}).{" "}
          <button type="button" className="secondary" onClick={() => { forgetCredential(address); setHeld(undefined); }}>Forget it</button>
        </p>
      ) : (
        <div className="field">
          <label htmlFor="credential-file">Credential file</label>
          <input id="credential-file" type="file" accept="application/json,.json" onChange={(e) => load(e.target.files?.[0])} />
        </div>
      )}
      <button type="button" disabled={!held || busy} onClick={login}>{busy ? "Logging in…" : "Log in"}</button>
      {session ? <p role="status" className="notice ok">Logged in as {session.did} until {session.expiresAt.slice(0, 16).replace("T", " ")}.</p> : null}
      {error ? <p role="alert" className="notice error">{error}</p> : null}
    </section>
  );
}
