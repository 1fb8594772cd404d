// Create a data union (`#/unions/new`, MKT-FUN-18), the seller wizard's "Data union" type:
// description → tags and category → membership (admin fee, minimum members, who may join,
// "I approve each join", the stream path) → the consumers' consent policy → price → review and
// sign. Signing uploads the metadata (and cover) to IPFS, then one transaction,
// DataUnionFactory.create: the union creates its own stream, publishes its product and sets the
// consent policy; the product goes on sale once the minimum number of members joined.
import "../seller/seller.css";
import { useId, useRef, useState } from "react";
import {
  ALL_COUNTRIES,
  Category,
  CountryNames,
  DEFAULT_MIN_MEMBERS,
  MAX_FEE_BPS,
  Modality,
  ModalityNames,
  OrganisationType,
  OrganisationTypeNames,
  PricingUnit,
  PricingUnitNames,
  ProductType,
  TARGET_COUNTRIES,
  type Country,
} from "@kraken/sdk";
import { useAccount } from "wagmi";
import { useUnionTx } from "../../hooks/union.ts";
import { modalityWords, orgTypeWords, purposeWords } from "../../lib/words.ts";
import { Link } from "../../router.tsx";
import { PriceFields } from "../seller/CreateProduct.tsx";
import { CatalogueFields, DescriptionFields } from "../seller/DescriptionFields.tsx";
import { checkStep, emptyDraft, policyTerms, priceWei, withType, type ProductDraft } from "../seller/draft.ts";
import { CheckboxGroup, countryLabel, PolicyFields } from "../seller/PolicyFields.tsx";
import { UnionTxStatus } from "./parts.tsx";
import { feeBps, joinPolicyWords, percent } from "./words.ts";
import { WizardSteps } from "../seller/WizardSteps.tsx";

export interface UnionDraft extends ProductDraft {
  /** admin fee in percent, as typed */
  feePercent: string;
  minMembers: string;
  joinIndividuals: boolean;
  joinOrganisationTypes: OrganisationType[];
  joinCountries: Country[];
  joinApproval: boolean;
  streamPath: string;
}

const STEPS = [
  { key: "description", label: "Description" },
  { key: "catalogue", label: "Tags and category" },
  { key: "membership", label: "Membership" },
  { key: "policy", label: "Consent policy" },
  { key: "price", label: "Price" },
  { key: "review", label: "Review and sign" },
] as const;
type Key = (typeof STEPS)[number]["key"];

export function emptyUnionDraft(): UnionDraft {
  return {
    ...withType(emptyDraft(), ProductType.DataUnion),
    modality: Modality.Encrypted,
    pricingUnit: PricingUnit.Month,
    feePercent: "10",
    minMembers: String(DEFAULT_MIN_MEMBERS),
    joinIndividuals: true,
    joinOrganisationTypes: [],
    joinCountries: [...TARGET_COUNTRIES],
    joinApproval: false,
    streamPath: "/data",
  };
}

export function checkUnionStep(step: Key, d: UnionDraft): string[] {
  if (step === "membership") {
    const e: string[] = [];
    if (Number.isNaN(feeBps(d.feePercent))) e.push(`The admin fee is a percentage from 0 to ${MAX_FEE_BPS / 100} (at most two decimals).`);
    const min = Number(d.minMembers);
    if (!Number.isInteger(min) || min < 1 || min > 10_000) e.push("The minimum number of members is a whole number from 1 to 10,000.");
    if (!d.joinIndividuals && d.joinOrganisationTypes.length === 0) e.push("Let individuals join, or some kinds of organisation.");
    if (d.joinCountries.length === 0) e.push("Admit members from at least one country.");
    if (!/^\/[-./0-9A-Za-z_]{1,64}$/.test(d.streamPath)) e.push("The stream path is / followed by 1–64 letters, digits, - _ . or /.");
    return e;
  }
  if (step === "review") return [];
  return checkStep(step, d);
}

const checkAll = (d: UnionDraft) => STEPS.flatMap((s) => checkUnionStep(s.key, d));

function joinPolicyOf(d: UnionDraft) {
  const organisationTypes = d.joinOrganisationTypes.filter((t) => t !== OrganisationType.None);
  return {
    categories: [...(d.joinIndividuals ? [Category.Individual] : []), ...(organisationTypes.length ? [Category.Organisation] : [])],
    organisationTypes,
    jurisdictions: d.joinCountries,
    requiresApproval: d.joinApproval,
  };
}

export default function CreateUnion() {
  const { address } = useAccount();
  const [draft, setDraft] = useState<UnionDraft>(emptyUnionDraft);
  const [stepIndex, setStepIndex] = useState(0);
  const [errors, setErrors] = useState<string[]>([]);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const tx = useUnionTx();
  const step = STEPS[stepIndex].key;
  const update = (patch: Partial<UnionDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const started = tx.steps.length > 0 && !tx.error;
  const created = tx.result?.action === "create" ? tx.result : undefined;

  const go = (to: number) => {
    if (to > stepIndex) {
      for (let i = stepIndex; i < to; i++) {
        const problems = checkUnionStep(STEPS[i].key, draft);
        if (problems.length) {
          setStepIndex(i);
          setErrors(problems);
          return;
        }
      }
    }
    setErrors([]);
    setStepIndex(to);
    requestAnimationFrame(() => headingRef.current?.focus());
  };

  const sign = () => {
    const problems = checkAll(draft);
    if (problems.length) return setErrors(problems);
    setErrors([]);
    const d = draft;
    void tx.create({
      cover: d.cover,
      metadata: { schema: "kraken.product/v1", title: d.title.trim(), summary: d.summary.trim(), description: d.description.trim(), category: d.category.trim(), tags: d.tags },
      setup: {
        feeBps: feeBps(d.feePercent),
        minMembers: Number(d.minMembers),
        join: joinPolicyOf(d),
        streamPath: d.streamPath,
        modality: d.modality,
        price: priceWei(d.price),
        pricingUnit: d.pricingUnit,
        policy: policyTerms(d),
      },
    });
  };

  return (
    <section className="wizard" aria-labelledby="create-union-title">
      <div>
        <h1 id="create-union-title">Create a data union</h1>
        <p>
          <Link to="/create">← Sell a product instead</Link>
        </p>
        {!address ? (
          <p className="notice warn" role="status">
            Connect a wallet (or choose a Demo persona) to create a union. You become its admin.
          </p>
        ) : null}
        <WizardSteps steps={STEPS} stepIndex={stepIndex} go={go} started={started} headingRef={headingRef} errors={errors} />
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (step === "review") sign();
            else go(stepIndex + 1);
          }}
        >
          {step === "description" ? <DescriptionFields value={draft} onChange={(v) => update(v)} /> : null}
          {step === "catalogue" ? <CatalogueFields category={draft.category} tags={draft.tags} onChange={(v) => update(v)} /> : null}
          {step === "membership" ? <MembershipFields draft={draft} update={update} /> : null}
          {step === "policy" ? (
            <>
              <p className="muted">Who may buy the union's data, and for what: the consent policy every purchase is checked against on chain.</p>
              <PolicyFields value={draft} onChange={(v) => update(v)} />
            </>
          ) : null}
          {step === "price" ? (
            <>
              <PriceFields draft={draft} update={update} />
              <p className="muted">Paid to the union: {percent(Number.isNaN(feeBps(draft.feePercent)) ? 0 : feeBps(draft.feePercent))} to you as the admin, the rest shared among the members.</p>
            </>
          ) : null}
          {step === "review" ? <Review draft={draft} /> : null}
          <UnionTxStatus tx={tx} label="Creation progress">
            {created?.union ? (
              <>
                <Link to={`/unions/${created.union}`}>Open the union page</Link> or <Link to={`/product/${String(created.productId)}`}>see its product</Link>.
              </>
            ) : null}
          </UnionTxStatus>
          <div className="wizard-nav">
            <button type="button" className="secondary" onClick={() => go(stepIndex - 1)} disabled={stepIndex === 0 || started}>
              Back
            </button>
            {step !== "review" ? (
              <button type="submit">Next</button>
            ) : created ? null : (
              <button type="submit" disabled={tx.running || !address}>
                {tx.running ? "Creating…" : tx.error ? "Try again" : "Sign and create the union"}
              </button>
            )}
          </div>
        </form>
      </div>
      <aside className="card" aria-label="What happens when you create a union">
        <h2>What goes where</h2>
        <ul>
          <li>One transaction creates the union (you are its admin), its Streamr stream, its product and the consent policy.</li>
          <li>On chain (public): the fee, the minimum, who may join, the price, name, summary, category, tags and the consent policy. On IPFS: the description and cover.</li>
          <li>Members join with their registered credential, checked on chain; joining lets them publish into the stream. Nothing personal goes on chain.</li>
          <li>The product is on sale only while the union has at least the minimum number of members.</li>
        </ul>
      </aside>
    </section>
  );
}

function MembershipFields({ draft, update }: { draft: UnionDraft; update: (p: Partial<UnionDraft>) => void }) {
  const id = useId();
  return (
    <div className="form-grid">
      <div className="field">
        <label htmlFor={`${id}-fee`}>Admin fee (%)</label>
        <input id={`${id}-fee`} inputMode="decimal" value={draft.feePercent} onChange={(e) => update({ feePercent: e.target.value })} aria-describedby={`${id}-fee-hint`} />
        <span id={`${id}-fee-hint`} className="muted hint">Your share of the revenue for running the union, at most {MAX_FEE_BPS / 100} %. Changing it later takes 7 days' notice.</span>
      </div>
      <div className="field">
        <label htmlFor={`${id}-min`}>Minimum members</label>
        <input id={`${id}-min`} type="number" min={1} max={10000} value={draft.minMembers} onChange={(e) => update({ minMembers: e.target.value })} aria-describedby={`${id}-min-hint`} />
        <span id={`${id}-min-hint`} className="muted hint">The product is on sale only with at least this many members (privacy in numbers).</span>
      </div>
      <fieldset>
        <legend>Who may join</legend>
        <label className="check">
          <input type="checkbox" checked={draft.joinIndividuals} onChange={(e) => update({ joinIndividuals: e.target.checked })} /> Individuals
        </label>
      </fieldset>
      <CheckboxGroup
        legend="Organisations that may join (none ticked: no organisations)"
        options={OrganisationTypeNames.slice(1).map((n, i) => ({ value: (i + 1) as OrganisationType, label: orgTypeWords(n, true).replace(/^./, (c) => c.toUpperCase()) }))}
        selected={draft.joinOrganisationTypes}
        onChange={(joinOrganisationTypes) => update({ joinOrganisationTypes })}
        columns
      />
      <CheckboxGroup
        legend="Members' countries"
        hint="A member's registered country must be one of these."
        options={ALL_COUNTRIES.map((c) => ({ value: c, label: `${countryLabel(c)} (${CountryNames[c]})` }))}
        selected={draft.joinCountries}
        onChange={(joinCountries) => update({ joinCountries })}
        columns
        extra={
          <p className="inline-actions">
            <button type="button" className="secondary small" onClick={() => update({ joinCountries: [...TARGET_COUNTRIES] })}>Pilot countries (13)</button>{" "}
            <button type="button" className="secondary small" onClick={() => update({ joinCountries: [...ALL_COUNTRIES] })}>All {ALL_COUNTRIES.length}</button>{" "}
            <button type="button" className="secondary small" onClick={() => update({ joinCountries: [] })}>None</button>
          </p>
        }
      />
      <label className="check">
        <input type="checkbox" checked={draft.joinApproval} onChange={(e) => update({ joinApproval: e.target.checked })} /> I approve each join (otherwise eligible people join at once)
      </label>
      <div className="field">
        <label htmlFor={`${id}-path`}>Stream path</label>
        <input id={`${id}-path`} value={draft.streamPath} onChange={(e) => update({ streamPath: e.target.value })} aria-describedby={`${id}-path-hint`} />
        <span id={`${id}-path-hint`} className="muted hint">The union creates its own stream, &lt;union address&gt;{draft.streamPath}; members get permission to publish into it when they join.</span>
      </div>
      <fieldset>
        <legend>Data exchange modality</legend>
        {ModalityNames.map((n, m) => (
          <label key={n} className="check">
            <input type="radio" name="union-modality" checked={draft.modality === m} onChange={() => update({ modality: m as Modality })} /> {modalityWords(n)}
          </label>
        ))}
      </fieldset>
    </div>
  );
}

function Review({ draft: d }: { draft: UnionDraft }) {
  const p = policyTerms(d);
  const j = joinPolicyOf(d);
  const list = (xs: string[]) => (xs.length ? xs.join(", ") : "—");
  const mask = (xs: number[]) => xs.reduce((m, x) => m | (1n << BigInt(x)), 0n);
  return (
    <dl className="facts" aria-label="Review">
      <dt>Name</dt><dd>{d.title || "—"}</dd>
      <dt>Summary</dt><dd>{d.summary || "—"}</dd>
      <dt>Category and tags</dt><dd>{d.category || "—"}; {list(d.tags)}</dd>
      <dt>Admin fee</dt><dd>{Number.isNaN(feeBps(d.feePercent)) ? "—" : percent(feeBps(d.feePercent))}</dd>
      <dt>Minimum members</dt><dd>{d.minMembers}</dd>
      <dt>Who may join</dt>
      <dd>{j.categories.length ? joinPolicyWords({ categories: Number(mask(j.categories)), organisationTypes: Number(mask(j.organisationTypes)), jurisdictions: mask(j.jurisdictions), requiresApproval: j.requiresApproval }) : "nobody"}</dd>
      <dt>Stream</dt><dd>&lt;union address&gt;{d.streamPath}</dd>
      <dt>Modality</dt><dd>{modalityWords(d.modality)}</dd>
      <dt>Buyers' purposes</dt><dd>{list(p.purposes.map((x) => purposeWords(x)))}</dd>
      <dt>Who may buy</dt>
      <dd>
        {list(p.consumerCategories.map((c) => (c === 0 ? "individuals" : "organisations")))}
        {p.organisationTypes.length ? ` (${list(p.organisationTypes.map((o) => orgTypeWords(o, true)))})` : ""}
      </dd>
      <dt>Buyers' countries</dt><dd>{p.jurisdictions.length > 6 ? `${p.jurisdictions.length} countries` : list(p.jurisdictions.map(countryLabel))}</dd>
      <dt>Buyer approval</dt><dd>{p.requiresApproval ? "you approve each purchase" : "automatic for eligible buyers"}</dd>
      <dt>Price</dt>
      <dd>{Number(d.price) === 0 ? "free" : `${d.price} DATA`} per {PricingUnitNames[d.pricingUnit].toLowerCase()}</dd>
    </dl>
  );
}
