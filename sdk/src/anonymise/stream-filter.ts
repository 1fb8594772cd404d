// Anonymised stream products: a filter the publisher applies to every message before it leaves
// the device (configured with the product, in its metadata document). STUB: in progress.
export interface StreamFilterConfig {
  /** fields removed from every message */
  drop: string[];
  /** fields replaced by a keyed pseudonym (HMAC-SHA-256, the publisher's key) */
  pseudonymise?: string[];
  /** timestamp fields (ISO 8601 strings or epoch milliseconds) rounded down to this granularity */
  timestamps?: { fields: string[]; granularity: "minute" | "hour" | "day" };
  /** latitude/longitude fields rounded to this many decimals (1 ≈ 11 km, 2 ≈ 1.1 km) */
  locations?: { fields: string[]; decimals: number };
}

export type StreamFilter = (message: Record<string, unknown>) => Record<string, unknown>;

/** Checks a filter configuration (from a metadata document). */
export function parseStreamFilter(value: unknown): StreamFilterConfig {
  void value;
  throw new Error("not implemented yet");
}

export function createStreamFilter(config: StreamFilterConfig, pseudonymKey?: Uint8Array): StreamFilter {
  void config; void pseudonymKey;
  throw new Error("not implemented yet");
}
