// Name, summary, description and cover image of a product (MKT-FUN-07), and its category
// and tags (MKT-FUN-06). Used by the wizard and by Manage products.
import { useEffect, useId, useMemo } from "react";
import { MAX_TAGS, MAX_TITLE_BYTES, parseTags } from "./draft.ts";

export interface DescriptionValue {
  title: string;
  summary: string;
  description: string;
  cover: File | null;
}

/** Categories the pilots use (free text is allowed too; the subgraph filters on the string). */
export const CATEGORIES = [
  "Health / Clinical",
  "Health / Laboratory",
  "Health / Imaging",
  "Health / Operations",
  "Wellbeing / Activity",
  "Wellbeing / Sleep",
  "Wellbeing / Mood",
  "Education / Credentials",
  "Education / Learning analytics",
];

export function DescriptionFields({
  value,
  onChange,
  existingCover,
}: {
  value: DescriptionValue;
  onChange: (v: DescriptionValue) => void;
  /** gateway URL of the current cover (Manage products) */
  existingCover?: string;
}) {
  const id = useId();
  const set = (patch: Partial<DescriptionValue>) => onChange({ ...value, ...patch });
  const preview = useMemo(() => (value.cover ? URL.createObjectURL(value.cover) : undefined), [value.cover]);
  useEffect(() => () => { if (preview) URL.revokeObjectURL(preview); }, [preview]);
  const titleBytes = new TextEncoder().encode(value.title).length;
  return (
    <div className="form-grid">
      <div className="field">
        <label htmlFor={`${id}-title`}>Name</label>
        <input id={`${id}-title`} value={value.title} maxLength={MAX_TITLE_BYTES} onChange={(e) => set({ title: e.target.value })} aria-describedby={`${id}-title-hint`} />
        <span id={`${id}-title-hint`} className="muted hint">{titleBytes}/{MAX_TITLE_BYTES} bytes; shown in search results.</span>
      </div>
      <div className="field">
        <label htmlFor={`${id}-summary`}>Summary</label>
        <input id={`${id}-summary`} value={value.summary} onChange={(e) => set({ summary: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-description`}>Description</label>
        <textarea id={`${id}-description`} rows={5} value={value.description} onChange={(e) => set({ description: e.target.value })} aria-describedby={`${id}-description-hint`} />
        <span id={`${id}-description-hint`} className="muted hint">What the data holds, how it was collected and de-identified. Stored on IPFS, public.</span>
      </div>
      <div className="field">
        <label htmlFor={`${id}-cover`}>Cover image (optional, up to 2 MB)</label>
        <input id={`${id}-cover`} type="file" accept="image/*" onChange={(e) => set({ cover: e.target.files?.[0] ?? null })} />
        {preview || existingCover ? <img className="cover-preview" src={preview ?? existingCover} alt="Cover preview" /> : null}
      </div>
    </div>
  );
}

export function CatalogueFields({
  category,
  tags,
  onChange,
}: {
  category: string;
  tags: string[];
  onChange: (v: { category: string; tags: string[] }) => void;
}) {
  const id = useId();
  return (
    <div className="form-grid">
      <div className="field">
        <label htmlFor={`${id}-category`}>Category</label>
        <input id={`${id}-category`} list={`${id}-categories`} value={category} onChange={(e) => onChange({ category: e.target.value, tags })} />
        <datalist id={`${id}-categories`}>
          {CATEGORIES.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
      </div>
      <div className="field">
        <label htmlFor={`${id}-tags`}>Tags (comma separated, up to {MAX_TAGS})</label>
        <input id={`${id}-tags`} defaultValue={tags.join(", ")} onChange={(e) => onChange({ category, tags: parseTags(e.target.value) })} />
        {tags.length ? (
          <p className="tags" aria-label="Chosen tags">
            {tags.map((t) => (
              <span key={t} className="badge">{t}</span>
            ))}
          </p>
        ) : null}
      </div>
    </div>
  );
}
