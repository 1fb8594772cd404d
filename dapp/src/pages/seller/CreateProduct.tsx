// Create product wizard (MKT-FUN-07/16): type → description and cover → the data (a file,
// encrypted here, or Streamr streams: pasted ids or a new one created here, StreamFields.tsx)
// and modality (an anonymised batch product's file is anonymised here first: AnonymisePanel;
// an anonymised stream product gets its per-message filter: StreamFilterFields)
// → tags and category → consent policy → price → review and sign. Signing runs the tasks of
// publish.ts with their progress.
import "./seller.css";
import { useCallback, useEffect, useId, useRef, useState } from "react";
import {
  Modality,
  ModalityNames,
  PricingUnit,
  PricingUnitNames,
  ProductType,
  ProductTypeNames,
} from "@kraken/sdk";
import { Link } from "../../router.tsx";
import { DescriptionFields, CatalogueFields } from "./DescriptionFields.tsx";
import {
  acceptedAnonymisation,
  ANONYMISE_FIRST,
  checkAll,
  checkStep,
  checkStreamFilter,
  emptyDraft,
  isTimeBased,
  needsAnonymisation,
  needsStreamFilter,
  policyTerms,
  STEPS,
  STREAM_FILTER_INVALID,
  TYPE_HELP,
  withType,
  type ProductDraft,
  type StepKey,
} from "./draft.ts";
import { explainError } from "./errors.ts";
import { PolicyFields, countryLabel } from "./PolicyFields.tsx";
import { modalityWords, orgTypeWords, productTypeWords, purposeWords } from "../../lib/words.ts";
import { formatBytes, runPublish, tasksFor, type PublishResults, type Task, type TaskKey } from "./publish.ts";
import { StreamFields } from "./StreamFields.tsx";
import { StreamFilterFields } from "./StreamFilterFields.tsx";
import { describeStreamFilter } from "@kraken/sdk/anonymise";
import { AnalyticsDataFields } from "./analytics/AnalyticsDataFields.tsx";
import { AnalyticsReview } from "./analytics/AnalyticsReview.tsx";
import { TaskList } from "./TaskList.tsx";
import { AnonymisePanel } from "./anonymise/AnonymisePanel.tsx";
import { emptyAnonymiseDraft, type AnonymiseDraft } from "./anonymise/anonymiseDraft.ts";
import { useSellerActions } from "./useSellerActions.ts";
import { WizardSteps } from "./WizardSteps.tsx";

const MODALITY_HELP: Record<Modality, string> = {
  [Modality.Anonymised]: "Anonymised data: a batch file is anonymised in this browser first (k-anonymity), and buyers see its report; a stream's messages go through the filter you set before they leave the publisher.",
  [Modality.Encrypted]: "Secure sharing: only the buyer can decrypt it.",
  [Modality.Smpc]: "Privacy-preserving analytics (SMPC): buyers get computed results, never the records.",
};

export default function CreateProduct() {
  const actions = useSellerActions();
  const [draft, setDraft] = useState<ProductDraft>(emptyDraft);
  const [stepIndex, setStepIndex] = useState(0);
  const [errors, setErrors] = useState<string[]>([]);
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [running, setRunning] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const results = useRef<PublishResults>({});
  const headingRef = useRef<HTMLHeadingElement>(null);
  const step = STEPS[stepIndex].key;
  const update = (patch: Partial<ProductDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const updateAnonymisation = useCallback((f: (a: AnonymiseDraft) => AnonymiseDraft) => setDraft((d) => ({ ...d, anonymisation: f(d.anonymisation) })), []);
  // Accepting an anonymisation settles the data step's complaint about it.
  const acceptedNow = !!acceptedAnonymisation(draft);
  useEffect(() => {
    if (acceptedNow) setErrors((es) => es.filter((e) => !e.startsWith(ANONYMISE_FIRST)));
  }, [acceptedNow]);
  // So does fixing the stream filter.
  const filterValid = !needsStreamFilter(draft) || !("error" in checkStreamFilter(draft.streamFilter));
  useEffect(() => {
    if (filterValid) setErrors((es) => es.filter((e) => !e.startsWith(STREAM_FILTER_INVALID)));
  }, [filterValid]);

  const go = (to: number) => {
    // Moving forward needs the current step to be complete; going back never does.
    if (to > stepIndex) {
      for (let i = stepIndex; i < to; i++) {
        const problems = checkStep(STEPS[i].key, draft);
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

  const publish = async () => {
    const problems = checkAll(draft);
    if (problems.length) return setErrors(problems);
    setFailure(null);
    setRunning(true);
    setTasks((prev) => prev ?? tasksFor(draft));
    const report = (key: TaskKey, patch: Partial<Task>) => setTasks((ts) => (ts ?? tasksFor(draft)).map((t) => (t.key === key ? { ...t, ...patch } : t)));
    try {
      await runPublish(actions, draft, results.current, report);
    } catch (err) {
      setFailure(explainError(err));
    } finally {
      setRunning(false);
    }
  };

  const published = results.current.indexed && results.current.productId !== undefined;
  const started = tasks !== null;

  return (
    <section className="wizard" aria-labelledby="create-title">
      <div>
        <h1 id="create-title">Sell data: create a product</h1>
        {!actions.connected ? (
          <p className="notice warn" role="status">
            Connect a wallet (or choose a Demo persona) to publish. You need a registered credential: <Link to="/register">register</Link>.
          </p>
        ) : null}
        <WizardSteps steps={STEPS} stepIndex={stepIndex} go={go} started={started} headingRef={headingRef} errors={errors} />
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (step === "review") void publish();
            else go(stepIndex + 1);
          }}
        >
          <StepBody step={step} draft={draft} update={update} setDraft={setDraft} updateAnonymisation={updateAnonymisation} />
          {step === "review" ? <Review draft={draft} /> : null}
          {tasks ? <TaskList tasks={tasks} label="Publishing progress" /> : null}
          {failure ? (
            <div className="notice error" role="alert">
              <strong>That did not work.</strong> {failure}
              {results.current.productId !== undefined ? <p>Product {String(results.current.productId)} is already on chain; trying again continues from the failed step.</p> : null}
            </div>
          ) : null}
          {published ? (
            <div className="notice ok" role="status">
              Published: <Link to={`/product/${results.current.productId}`}>see product {String(results.current.productId)}</Link> or{" "}
              <Link to="/manage">manage your products</Link>.
            </div>
          ) : null}
          <div className="wizard-nav">
            <button type="button" className="secondary" onClick={() => go(stepIndex - 1)} disabled={stepIndex === 0 || started}>
              Back
            </button>
            {step !== "review" ? (
              <button type="submit">Next</button>
            ) : published ? null : (
              <button type="submit" disabled={running || !actions.connected}>
                {running ? "Publishing…" : failure ? "Try again" : "Sign and publish"}
              </button>
            )}
          </div>
        </form>
      </div>
      <aside className="card" aria-label="What happens when you publish">
        <h2>What goes where</h2>
        <ul>
          <li>On chain (public): type, price, your address, name, summary, category, tags and the consent policy.</li>
          <li>On IPFS (public): the description and cover image.</li>
          <li>A dataset file is encrypted in this browser; only ciphertext leaves it. The key is split between the relays, which hand it only to buyers with an active agreement.</li>
          <li>An anonymised dataset is anonymised in this browser first; only the anonymised file (encrypted) is published, never the original, and its anonymisation report goes on IPFS with its hash on chain for buyers to check.</li>
          <li>An anonymised stream's filter is part of its description on IPFS: your publishers apply it to every message before it leaves them, and buyers read it on the product page.</li>
          <li>An analytics table never leaves this browser either: every value is split into secret shares, and each computation node receives only its own, encrypted. Buyers get aggregate results under your privacy rules, never rows. The schema and rules are published (IPFS), the data is not.</li>
        </ul>
      </aside>
    </section>
  );
}

function StepBody({
  step,
  draft,
  update,
  setDraft,
  updateAnonymisation,
}: {
  step: StepKey;
  draft: ProductDraft;
  update: (p: Partial<ProductDraft>) => void;
  setDraft: (d: ProductDraft) => void;
  updateAnonymisation: (f: (a: AnonymiseDraft) => AnonymiseDraft) => void;
}) {
  const id = useId();
  switch (step) {
    case "type":
      return (
        <fieldset>
          <legend>What are you selling?</legend>
          <div className="type-choices">
            {ProductTypeNames.map((name, t) => (
              <label key={name}>
                <input type="radio" name="productType" value={t} checked={draft.productType === t} onChange={() => setDraft(withType(draft, t as ProductType))} />{" "}
                {t === ProductType.DataUnion ? "Data union" : name === "Analytics" ? "Analytics (SMPC)" : `${name} product`}
                <span className="muted">{TYPE_HELP[t as ProductType]}</span>
              </label>
            ))}
          </div>
          {draft.productType === ProductType.DataUnion ? (
            <p className="notice" role="status">
              A data union is created in one transaction with its own stream, membership rules and admin fee:{" "}
              <Link to="/unions/new">Create a data union</Link>.
            </p>
          ) : null}
        </fieldset>
      );
    case "description":
      return <DescriptionFields value={draft} onChange={(v) => update(v)} />;
    case "data":
      return (
        <div className="form-grid">
          {draft.productType === ProductType.Batch ? (
            <div className="field">
              <label htmlFor={`${id}-file`}>Dataset file</label>
              <input
                id={`${id}-file`}
                type="file"
                onChange={(e) => {
                  const file = e.target.files?.[0] ?? null;
                  update({ file, anonymisation: emptyAnonymiseDraft(file) });
                }}
                aria-describedby={`${id}-file-hint`}
              />
              <span id={`${id}-file-hint`} className="muted hint">
                {draft.file ? `${draft.file.name}, ${formatBytes(draft.file.size)}. ` : ""}It is encrypted in this browser when you sign; nothing is uploaded before.
                {needsAnonymisation(draft) ? " As an anonymised product, it is anonymised here first (a CSV with a header line) and only the anonymised file is published." : ""}
              </span>
            </div>
          ) : null}
          {draft.productType === ProductType.Stream ? <StreamFields draft={draft} update={update} /> : null}
          {draft.productType === ProductType.Analytics ? <AnalyticsDataFields draft={draft.analytics} update={(patch) => update({ analytics: { ...draft.analytics, ...patch } })} /> : null}
          {draft.productType === ProductType.DataUnion ? <p className="notice">Members' streams join the union after publishing. Nothing to upload now.</p> : null}
          <fieldset>
            <legend>Data exchange modality</legend>
            {ModalityNames.map((n, m) => (
              <label key={n} className="check">
                <input type="radio" name="modality" checked={draft.modality === m} onChange={() => update({ modality: m as Modality })} /> {modalityWords(n)} — <span className="muted">{MODALITY_HELP[m as Modality]}</span>
              </label>
            ))}
          </fieldset>
          {needsStreamFilter(draft) ? <StreamFilterFields value={draft.streamFilter} onChange={(streamFilter) => update({ streamFilter })} /> : null}
          {needsAnonymisation(draft) && draft.file ? <AnonymisePanel draft={draft.anonymisation} file={draft.file} update={updateAnonymisation} /> : null}
        </div>
      );
    case "catalogue":
      return <CatalogueFields category={draft.category} tags={draft.tags} onChange={(v) => update(v)} />;
    case "policy":
      return <PolicyFields value={draft} onChange={(v) => update(v)} />;
    case "price":
      return <PriceFields draft={draft} update={update} />;
    case "review":
      return null;
  }
}

export function PriceFields({ draft, update }: { draft: Pick<ProductDraft, "price" | "pricingUnit" | "productType">; update: (p: { price?: string; pricingUnit?: PricingUnit }) => void }) {
  const id = useId();
  const timeBased = isTimeBased(draft.productType);
  return (
    <div className="form-grid">
      <div className="field">
        <label htmlFor={`${id}-price`}>Price in DATA (0 = free)</label>
        <input id={`${id}-price`} inputMode="decimal" value={draft.price} onChange={(e) => update({ price: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-unit`}>Per</label>
        <select id={`${id}-unit`} value={draft.pricingUnit} onChange={(e) => update({ pricingUnit: Number(e.target.value) as PricingUnit })}>
          {PricingUnitNames.map((n, u) =>
            timeBased === (u !== PricingUnit.OneTime) ? (
              <option key={n} value={u}>
                {u === PricingUnit.OneTime ? "one-time purchase" : n.toLowerCase()}
              </option>
            ) : null,
          )}
        </select>
      </div>
    </div>
  );
}

function Review({ draft }: { draft: ProductDraft }) {
  const p = policyTerms(draft);
  const list = (xs: string[]) => (xs.length ? xs.join(", ") : "—");
  return (
    <dl className="facts" aria-label="Review">
      <dt>Type</dt>
      <dd>{productTypeWords(draft.productType)}</dd>
      <dt>Name</dt>
      <dd>{draft.title || "—"}</dd>
      <dt>Summary</dt>
      <dd>{draft.summary || "—"}</dd>
      <dt>Data</dt>
      <dd>
        {draft.productType === ProductType.Batch ? <BatchData draft={draft} /> : null}
        {draft.productType === ProductType.Stream ? list(draft.streams) : null}
        {draft.productType === ProductType.DataUnion ? "nothing to upload" : null}
        {draft.productType === ProductType.Analytics ? (draft.analytics.csv ? `${draft.analytics.csv.name} (${formatBytes(draft.analytics.csv.size)}), split into secret shares for the computation nodes before upload` : "no file") : null}
      </dd>
      {draft.productType === ProductType.Analytics ? <AnalyticsReview draft={draft.analytics} /> : null}
      <dt>Modality</dt>
      <dd>{modalityWords(draft.modality)}</dd>
      {needsStreamFilter(draft) ? (
        <>
          <dt>Stream filter</dt>
          <dd>
            <StreamFilterReview draft={draft} />
          </dd>
        </>
      ) : null}
      <dt>Category and tags</dt>
      <dd>
        {draft.category || "—"}; {list(draft.tags)}
      </dd>
      <dt>Purposes</dt>
      <dd>{list(p.purposes.map((x) => purposeWords(x)))}</dd>
      <dt>Who may buy</dt>
      <dd>
        {list(p.consumerCategories.map((c) => (c === 0 ? "individuals" : "organisations")))}
        {p.organisationTypes.length ? ` (${list(p.organisationTypes.map((o) => orgTypeWords(o, true)))})` : ""}
      </dd>
      <dt>Countries</dt>
      <dd>{p.jurisdictions.length > 6 ? `${p.jurisdictions.length} countries` : list(p.jurisdictions.map(countryLabel))}</dd>
      <dt>Approval</dt>
      <dd>{p.requiresApproval ? "you approve each request" : "automatic for eligible buyers"}</dd>
      <dt>Retention</dt>
      <dd>{p.retentionDays ? `${p.retentionDays} days` : "no limit"}</dd>
      <dt>Price</dt>
      <dd>
        {Number(draft.price) === 0 ? "free" : `${draft.price} DATA`} {draft.pricingUnit === PricingUnit.OneTime ? "(one-time)" : `per ${PricingUnitNames[draft.pricingUnit].toLowerCase()}`}
      </dd>
    </dl>
  );
}

function StreamFilterReview({ draft }: { draft: ProductDraft }) {
  const f = checkStreamFilter(draft.streamFilter);
  if ("error" in f) return <span className="error-text">{f.error} (go back to “Data”)</span>;
  if (!f.config) return <span>none: nothing will be filtered, messages are published as the devices send them</span>;
  return (
    <ul className="stream-filter-words" aria-label="Stream filter">
      {describeStreamFilter(f.config).map((line) => (
        <li key={line}>{line}</li>
      ))}
    </ul>
  );
}

function BatchData({ draft }: { draft: ProductDraft }) {
  if (!draft.file) return <>no file</>;
  if (!needsAnonymisation(draft)) return <>{`${draft.file.name} (${formatBytes(draft.file.size)}), encrypted before upload`}</>;
  const a = acceptedAnonymisation(draft);
  if (!a) return <span className="error-text">{draft.file.name}: not anonymised yet (go back to “Data”, anonymise it and use the anonymised file)</span>;
  const r = a.report;
  return (
    <>
      {`${a.file.name} (${formatBytes(a.file.size)}), anonymised from ${draft.file.name}: k = ${r.k}${r.settings.sensitive ? `, ℓ = ${r.l} on ${r.settings.sensitive}` : ""}, ${r.rows.suppressed.toLocaleString("en")} of ${r.rows.input.toLocaleString("en")} rows removed; encrypted before upload, with its anonymisation report`}
    </>
  );
}
