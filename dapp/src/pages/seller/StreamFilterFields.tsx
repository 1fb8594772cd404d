// The wizard's stream filter (anonymised stream products): the fields removed, pseudonymised, the
// timestamps rounded and the locations coarsened in every message before it leaves the publisher.
// Typed as comma-separated field names, checked live by the SDK's parseStreamFilter (its message
// shown), previewed in the words of describeStreamFilter; it goes into the metadata document's
// `streamFilter` (draft.ts: metadataDocument), from where the publishers read and apply it.
import { useId } from "react";
import { describeStreamFilter, MAX_LOCATION_DECIMALS, TIMESTAMP_GRANULARITIES, type TimestampGranularity } from "@kraken/sdk/anonymise";
import { checkStreamFilter, locationPrecisionWords, type StreamFilterDraft } from "./draft.ts";

const DECIMALS = Array.from({ length: MAX_LOCATION_DECIMALS + 1 }, (_, d) => d);

export function StreamFilterFields({ value, onChange }: { value: StreamFilterDraft; onChange: (v: StreamFilterDraft) => void }) {
  const id = useId();
  const set = (patch: Partial<StreamFilterDraft>) => onChange({ ...value, ...patch });
  const checked = checkStreamFilter(value);
  const list = (key: "drop" | "pseudonymise" | "timestamps" | "locations", label: string, placeholder: string) => (
    <div className="field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input
        id={`${id}-${key}`}
        value={value[key]}
        placeholder={placeholder}
        spellCheck={false}
        autoCapitalize="off"
        onChange={(e) => set({ [key]: e.target.value } as Partial<StreamFilterDraft>)}
        aria-invalid={"error" in checked}
        aria-describedby={`${id}-hint`}
      />
    </div>
  );
  return (
    <fieldset className="stream-filter" data-testid="stream-filter">
      <legend>Stream filter</legend>
      <p id={`${id}-hint`} className="muted hint">
        What your publishers remove or coarsen in every message before it leaves them. Name fields as in the messages (comma-separated; a dotted path such as{" "}
        <code>location.lat</code> reaches inside an object). It is written into the product's description on IPFS, and buyers see it on the product page.
      </p>
      {list("drop", "Fields removed (comma-separated)", "name, email")}
      {list("pseudonymise", "Fields pseudonymised (comma-separated)", "deviceId")}
      <div className="stream-filter-pair">
        {list("timestamps", "Timestamp fields (comma-separated)", "ts")}
        <div className="field">
          <label htmlFor={`${id}-granularity`}>Round timestamps down to the</label>
          <select id={`${id}-granularity`} value={value.granularity} onChange={(e) => set({ granularity: e.target.value as TimestampGranularity })}>
            {TIMESTAMP_GRANULARITIES.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="stream-filter-pair">
        {list("locations", "Location fields (comma-separated)", "lat, lon")}
        <div className="field">
          <label htmlFor={`${id}-decimals`}>Decimals kept</label>
          <select id={`${id}-decimals`} value={value.decimals} onChange={(e) => set({ decimals: Number(e.target.value) })}>
            {DECIMALS.map((d) => (
              <option key={d} value={d}>
                {d} ({locationPrecisionWords(d)})
              </option>
            ))}
          </select>
        </div>
      </div>
      {"error" in checked ? (
        <p className="notice error" role="status" data-filter="invalid">
          {checked.error}.
        </p>
      ) : checked.config ? (
        <div className="notice ok" role="status" data-filter="preview">
          <p>Every message will be filtered before it leaves the publisher:</p>
          <ul aria-label="The stream filter in words">
            {describeStreamFilter(checked.config).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="notice warn" role="status" data-filter="none">
          No filter rule: nothing will be filtered. Messages are published as your devices send them, so “Anonymised” rests on what they send.
        </p>
      )}
    </fieldset>
  );
}
