// The consent policy editor (MKT-FUN-16): who may buy, for which purposes, from which
// countries, and whether the seller approves each request. Used by the wizard and by Manage
// products.
import { useId, type ReactNode } from "react";
import {
  ALL_COUNTRIES,
  Category,
  CategoryNames,
  CountryNames,
  OrganisationType,
  OrganisationTypeNames,
  PurposeNames,
  TARGET_COUNTRIES,
  type Country,
  type Policy,
  type Purpose,
} from "@kraken/sdk";
import { countryName, orgTypeWords, purposeWords } from "../../lib/words.ts";

export type { Policy };

export const countryLabel = (c: Country) => countryName(CountryNames[c]);

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function toggle<T>(list: T[], v: T, on: boolean): T[] {
  return on ? (list.includes(v) ? list : [...list, v]) : list.filter((x) => x !== v);
}

export function CheckboxGroup<T extends number>(p: {
  legend: string;
  hint?: string;
  options: { value: T; label: string }[];
  selected: T[];
  onChange: (next: T[]) => void;
  columns?: boolean;
  extra?: ReactNode;
}) {
  const id = useId();
  return (
    <fieldset className="checkbox-group" aria-describedby={p.hint ? `${id}-hint` : undefined}>
      <legend>{p.legend}</legend>
      {p.hint ? <p id={`${id}-hint`} className="muted hint">{p.hint}</p> : null}
      {p.extra}
      <div className={p.columns ? "checks columns" : "checks"}>
        {p.options.map((o) => (
          <label key={o.value} className="check">
            <input type="checkbox" checked={p.selected.includes(o.value)} onChange={(e) => p.onChange(toggle(p.selected, o.value, e.target.checked))} />{" "}
            {o.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

export function PolicyFields({ value, onChange }: { value: Policy; onChange: (v: Policy) => void }) {
  const set = (patch: Partial<Policy>) => onChange({ ...value, ...patch });
  const orgs = value.consumerCategories.includes(Category.Organisation);
  const retentionId = useId();
  return (
    <div className="policy-fields">
      <CheckboxGroup
        legend="Purposes buyers may use the data for"
        hint="A request names one purpose; anything not ticked is refused on chain."
        options={PurposeNames.map((n, i) => ({ value: i as Purpose, label: purposeWords(n) }))}
        selected={value.purposes}
        onChange={(purposes) => set({ purposes })}
        columns
      />
      <CheckboxGroup
        legend="Who may buy"
        options={CategoryNames.map((n, i) => ({ value: i as Category, label: i === Category.Individual ? "Individuals" : "Organisations" }))}
        selected={value.consumerCategories}
        onChange={(consumerCategories) =>
          set({ consumerCategories, organisationTypes: consumerCategories.includes(Category.Organisation) ? value.organisationTypes : [] })
        }
      />
      {orgs ? (
        <CheckboxGroup
          legend="Kinds of organisation"
          hint="Checked against the organisation type in the buyer's credential."
          options={OrganisationTypeNames.slice(1).map((n, i) => ({ value: (i + 1) as OrganisationType, label: capitalise(orgTypeWords(n, true)) }))}
          selected={value.organisationTypes}
          onChange={(organisationTypes) => set({ organisationTypes })}
          columns
        />
      ) : null}
      <CheckboxGroup
        legend="Allowed jurisdictions"
        hint="The buyer's registered country must be one of these."
        options={ALL_COUNTRIES.map((c) => ({ value: c, label: `${countryLabel(c)} (${CountryNames[c]})` }))}
        selected={value.jurisdictions}
        onChange={(jurisdictions) => set({ jurisdictions })}
        columns
        extra={
          <p className="inline-actions">
            <button type="button" className="secondary small" onClick={() => set({ jurisdictions: [...TARGET_COUNTRIES] })}>
              Pilot countries (13)
            </button>{" "}
            <button type="button" className="secondary small" onClick={() => set({ jurisdictions: [...ALL_COUNTRIES] })}>
              All {ALL_COUNTRIES.length}
            </button>{" "}
            <button type="button" className="secondary small" onClick={() => set({ jurisdictions: [] })}>
              None
            </button>
          </p>
        }
      />
      <fieldset>
        <legend>Approval and retention</legend>
        <label className="check">
          <input type="checkbox" checked={value.requiresApproval} onChange={(e) => set({ requiresApproval: e.target.checked })} /> I approve
          each request myself (payment is held in escrow until I decide)
        </label>
        <div className="field">
          <label htmlFor={retentionId}>Buyers must delete the data after (days, 0 = no limit)</label>
          <input
            id={retentionId}
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            value={value.retentionDays}
            onChange={(e) => set({ retentionDays: e.target.value === "" ? 0 : Math.floor(Number(e.target.value)) })}
          />
        </div>
      </fieldset>
    </div>
  );
}
