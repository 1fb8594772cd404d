// The anonymiser's vocabulary (docs/anonymisation.md). A column has a role — what it says about
// a person — and a kind — how its values are generalised.

/** identifier: names, e-mail, phone, national/insurance numbers, exact addresses, device ids →
 * dropped or pseudonymised. quasi: could single a person out combined with outside data (birth
 * date, age, postcode, sex, nationality, admission dates…) → generalised until every
 * combination is shared by ≥ k rows. sensitive: what the data is about (diagnosis, grade…) →
 * kept, and ℓ-diverse within each class when chosen. other: kept as is. */
export type ColumnRole = "identifier" | "quasi" | "sensitive" | "other";

/** number: bands; date: day → month → year → decade; postcode: prefix truncation; category: value sets. */
export type ColumnKind = "number" | "date" | "postcode" | "category";

/** What happens to an identifier column: left out, or replaced by a keyed pseudonym (HMAC-SHA-256
 * under a key only the seller holds; the same value gets the same pseudonym within one run). */
export type IdentifierAction = "drop" | "pseudonymise";

export interface ColumnPlan {
  name: string;
  role: ColumnRole;
  kind: ColumnKind;
  /** identifiers only */
  action?: IdentifierAction;
  /** why it was classified so, in words ("header looks like an e-mail column", "seller's choice") */
  reason: string;
}

/** A seller's override of one column's classification. */
export type ColumnOverride = Partial<Pick<ColumnPlan, "role" | "kind" | "action">>;

export type Preset = "none" | "safe-harbor";
export type Method = "mondrian" | "global";

export interface AnonymiseOptions {
  /** every released combination of quasi-identifier values is shared by at least k rows (default 10) */
  k?: number;
  /** ℓ-diversity: each class holds ≥ ℓ distinct values of `sensitive` (default 1 = off; needs `sensitive`) */
  l?: number;
  /** the sensitive column for ℓ-diversity */
  sensitive?: string;
  /** safe-harbor: dates to year, ages ≥ 90 as "90+", postcodes to 3 characters, before k-anonymity (default none) */
  preset?: Preset;
  /** mondrian (multidimensional partitioning, default) or global (full-domain recoding + suppression) */
  method?: Method;
  /** global recoding: the largest share of rows it may suppress (default 0.05) */
  maxSuppression?: number;
  /** the seller's classification, column by column (wins over the automatic one) */
  columns?: Record<string, ColumnOverride>;
  /** 32-byte key for pseudonyms; random (and forgotten) when absent */
  pseudonymKey?: Uint8Array;
  /** refuse inputs larger than this many bytes (default 512 MiB) or rows (default 2,000,000) */
  maxBytes?: number;
  maxRows?: number;
  /** the input's size in bytes, when known (a file's): refused at once above maxBytes, and progress in fractions */
  size?: number;
  onProgress?: (p: AnonymiseProgress) => void;
  signal?: AbortSignal;
}

export interface AnonymiseProgress {
  phase: "reading" | "partitioning" | "writing" | "done";
  /** rows read or written so far */
  rows: number;
  /** 0–1 over the whole run, when known */
  fraction: number;
}
