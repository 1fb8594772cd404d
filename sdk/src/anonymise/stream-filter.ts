// Anonymised stream products: a filter the publisher applies to every message before it leaves
// the device (configured with the product, in its metadata document: ProductMetadata.streamFilter).
// Browser- and Node-safe, no state but the pseudonym key: the same message always gives the same
// output under one key, and the message given is never modified.
//
// Fields are named by dotted paths ("location.lat"); an array met on the way is entered element by
// element ("readings.ts" reaches the `ts` of every reading). A field a message lacks is left alone.
// A field the filter cannot coarsen (a timestamp or a coordinate that does not parse) is removed:
// the filter fails closed, it never lets a value through at a finer grain than configured.
import { hmac } from "@noble/hashes/hmac";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, hexToBytes, randomBytes } from "@noble/hashes/utils";
import { AnonymiseError } from "./errors.ts";

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

export type TimestampGranularity = NonNullable<StreamFilterConfig["timestamps"]>["granularity"];
export const TIMESTAMP_GRANULARITIES: readonly TimestampGranularity[] = ["minute", "hour", "day"];
/** Most decimals a location may keep (6 ≈ 11 cm: finer is not coarsening anything). */
export const MAX_LOCATION_DECIMALS = 6;
/** Bytes of HMAC-SHA-256 kept in a pseudonym (shown as 32 hex characters). */
export const PSEUDONYM_BYTES = 16;
/** Numbers below this are epoch seconds, not milliseconds (1e11 ms is March 1973; 1e11 s is year 5138). */
const SECONDS_BELOW = 1e11;

const bad = (message: string): never => {
  throw new AnonymiseError("bad-option", `stream filter: ${message}`);
};
const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : v === undefined ? "nothing" : Array.isArray(v) ? "a list" : v === null ? "null" : typeof v === "object" ? "an object" : String(v));
const isPlain = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};
const FORBIDDEN_SEGMENTS = new Set(["__proto__", "prototype", "constructor"]);

function checkKeys(where: string, v: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(v))
    if (!allowed.includes(k)) bad(`unknown setting ${JSON.stringify(where ? `${where}.${k}` : k)} (expected ${allowed.map((a) => JSON.stringify(a)).join(", ")})`);
}

function checkFields(where: string, v: unknown, nonEmpty: boolean): string[] {
  if (!Array.isArray(v)) return bad(`"${where}" must be a list of field names (got ${show(v)})`);
  if (nonEmpty && v.length === 0) bad(`"${where}" names no field`);
  const seen = new Set<string>();
  for (const f of v) {
    if (typeof f !== "string" || f.trim() === "") bad(`"${where}" holds ${show(f)}, not a field name`);
    const segments = (f as string).split(".");
    if (segments.some((s) => s === "")) bad(`"${where}": ${JSON.stringify(f)} is not a dotted path (an empty part)`);
    const forbidden = segments.find((s) => FORBIDDEN_SEGMENTS.has(s));
    if (forbidden) bad(`"${where}": ${JSON.stringify(f)} names ${JSON.stringify(forbidden)}, which no field may be called`);
    if (seen.has(f as string)) bad(`"${where}" names ${JSON.stringify(f)} twice`);
    seen.add(f as string);
  }
  return [...(v as string[])];
}

/** Checks a filter configuration (from a metadata document): every setting known, every field a
 * dotted path, every field in one rule only. Throws AnonymiseError "bad-option" saying what is wrong. */
export function parseStreamFilter(value: unknown): StreamFilterConfig {
  if (!isPlain(value)) return bad(`the configuration must be an object (got ${show(value)})`);
  checkKeys("", value, ["drop", "pseudonymise", "timestamps", "locations"]);
  if (!("drop" in value)) bad(`"drop" is missing (a list of fields to remove; [] for none)`);
  const config: StreamFilterConfig = { drop: checkFields("drop", value.drop, false) };
  if (value.pseudonymise !== undefined) config.pseudonymise = checkFields("pseudonymise", value.pseudonymise, false);
  if (value.timestamps !== undefined) {
    const t = value.timestamps;
    if (!isPlain(t)) return bad(`"timestamps" must be an object with "fields" and "granularity" (got ${show(t)})`);
    checkKeys("timestamps", t, ["fields", "granularity"]);
    const fields = checkFields("timestamps.fields", t.fields, true);
    if (!TIMESTAMP_GRANULARITIES.includes(t.granularity as TimestampGranularity))
      bad(`"timestamps.granularity" must be "minute", "hour" or "day" (got ${show(t.granularity)})`);
    config.timestamps = { fields, granularity: t.granularity as TimestampGranularity };
  }
  if (value.locations !== undefined) {
    const l = value.locations;
    if (!isPlain(l)) return bad(`"locations" must be an object with "fields" and "decimals" (got ${show(l)})`);
    checkKeys("locations", l, ["fields", "decimals"]);
    const fields = checkFields("locations.fields", l.fields, true);
    if (typeof l.decimals !== "number" || !Number.isInteger(l.decimals) || l.decimals < 0 || l.decimals > MAX_LOCATION_DECIMALS)
      bad(`"locations.decimals" must be a whole number from 0 to ${MAX_LOCATION_DECIMALS} (got ${show(l.decimals)})`);
    config.locations = { fields, decimals: l.decimals as number };
  }
  // One rule per field: a field dropped and pseudonymised, or rounded inside a dropped object, is a mistake.
  const rules: [string, string[]][] = [
    ["drop", config.drop], ["pseudonymise", config.pseudonymise ?? []], ["timestamps", config.timestamps?.fields ?? []], ["locations", config.locations?.fields ?? []],
  ];
  const all = rules.flatMap(([rule, fields]) => fields.map((f) => ({ rule, f })));
  for (const a of all)
    for (const b of all) {
      if (a === b) continue;
      if (a.f === b.f) bad(`${JSON.stringify(a.f)} is in both "${a.rule}" and "${b.rule}"`);
      if (b.f.startsWith(`${a.f}.`)) bad(`${JSON.stringify(b.f)} (in "${b.rule}") is inside ${JSON.stringify(a.f)} (in "${a.rule}")`);
    }
  return config;
}

/** The filter in plain words, for a product page or the CLI. */
export function describeStreamFilter(config: StreamFilterConfig): string[] {
  const list = (xs: string[]) => (xs.length <= 1 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`);
  const lines: string[] = [];
  if (config.drop.length) lines.push(`Removed from every message: ${list(config.drop)}.`);
  if (config.pseudonymise?.length) lines.push(`Replaced by pseudonyms the buyer cannot reverse: ${list(config.pseudonymise)}.`);
  if (config.timestamps) lines.push(`Times rounded down to the ${config.timestamps.granularity}: ${list(config.timestamps.fields)}.`);
  if (config.locations) {
    const d = config.locations.decimals;
    const metres = 111_320 / 10 ** d;
    const grain = metres >= 1000 ? `about ${Math.round(metres / 1000)} km` : metres >= 1 ? `about ${Math.round(metres)} m` : `about ${Math.round(metres * 100)} cm`;
    lines.push(`Locations rounded to ${d} decimal${d === 1 ? "" : "s"} (${grain}): ${list(config.locations.fields)}.`);
  }
  if (!lines.length) lines.push("Messages are published as the device sends them.");
  return lines;
}

/** A value the filter removes instead of passing on. */
const DROP = Symbol("drop");
type Rule = (value: unknown) => unknown | typeof DROP;

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:([T ])(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const NUMERIC = /^-?\d+(?:\.\d+)?$/;
const UNIT_MS: Record<TimestampGranularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** An ISO 8601 date-time rounded down in its own offset, written in the same shape ("12:34:56.789Z" →
 * "12:34:00.000Z" to the minute); undefined when it is not a valid ISO 8601 date or date-time. */
function roundIso(s: string, g: TimestampGranularity): string | undefined {
  const m = ISO.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, sep, h, mi, sec, frac, zone] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  if (h === undefined) return zone === undefined ? s : undefined; // a date alone is already rounded to the day
  if (Number(h) > 23 || Number(mi) > 59 || (sec !== undefined && Number(sec) > 60)) return undefined;
  if (zone !== undefined && zone.length > 1 && (Number(zone.slice(1, 3)) > 23 || Number(zone.replace(":", "").slice(3) || "0") > 59)) return undefined;
  const zero = (x: string | undefined) => (x === undefined ? "" : x.replace(/\d/g, "0"));
  const hh = g === "day" ? "00" : h;
  const mm = g === "minute" ? mi : "00";
  return `${y}-${mo}-${d}${sep}${hh}:${mm}${sec === undefined ? "" : `:${zero(sec)}`}${zero(frac)}${zone ?? ""}`;
}

function roundEpoch(v: number, g: TimestampGranularity): number {
  const seconds = Math.abs(v) < SECONDS_BELOW;
  const unit = seconds ? UNIT_MS[g] / 1000 : UNIT_MS[g];
  return Math.floor(v / unit) * unit;
}

function timestampRule(g: TimestampGranularity): Rule {
  return (v) => {
    if (v === null) return v;
    if (typeof v === "number") return Number.isFinite(v) ? roundEpoch(v, g) : DROP;
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? DROP : new Date(Math.floor(v.getTime() / UNIT_MS[g]) * UNIT_MS[g]);
    if (typeof v === "string") {
      if (NUMERIC.test(v)) return String(roundEpoch(Number(v), g));
      return roundIso(v.trim(), g) ?? DROP;
    }
    return DROP;
  };
}

function locationRule(decimals: number): Rule {
  const f = 10 ** decimals;
  const round = (x: number) => Math.round(x * f) / f + 0; // + 0: no "-0"
  const one = (v: unknown): unknown => {
    if (typeof v === "number") return Number.isFinite(v) ? round(v) : DROP;
    if (typeof v === "string" && NUMERIC.test(v.trim())) return round(Number(v)).toFixed(decimals);
    return DROP;
  };
  return (v) => {
    if (v === null) return v;
    if (Array.isArray(v)) {
      // [lon, lat] pairs (GeoJSON) and lists of them
      const out = v.map((x) => (Array.isArray(x) ? x.map(one) : one(x)));
      return out.some((x) => x === DROP || (Array.isArray(x) && x.includes(DROP))) ? DROP : out;
    }
    return one(v);
  };
}

function pseudonymRule(key: Uint8Array): Rule {
  const base = hmac.create(sha256, key);
  const utf8 = new TextEncoder();
  const cache = new Map<string, string>(); // device ids and the like repeat message after message
  const of = (text: string): string => {
    let p = cache.get(text);
    if (p === undefined) {
      p = bytesToHex(base.clone().update(utf8.encode(text)).digest().subarray(0, PSEUDONYM_BYTES));
      if (cache.size >= 4096) cache.clear();
      cache.set(text, p);
    }
    return p;
  };
  const one = (v: unknown): string => (typeof v === "string" ? of(v) : typeof v === "number" || typeof v === "bigint" || typeof v === "boolean" ? of(String(v)) : of(JSON.stringify(v) ?? ""));
  return (v) => {
    if (v === null || v === undefined) return v;
    if (Array.isArray(v) && v.every((x) => x === null || typeof x !== "object")) return v.map((x) => (x === null ? x : one(x)));
    return one(v);
  };
}

/** Applies `rule` at `path` from `segment` on, copying (through `own`) only what changes. */
function edit(node: unknown, path: string[], segment: number, rule: Rule, own: <T extends object>(o: T) => T): unknown {
  if (Array.isArray(node)) {
    let out = node;
    for (let i = 0; i < node.length; i++) {
      const next = edit(node[i], path, segment, rule, own);
      if (next !== node[i]) {
        if (out === node) out = own(node);
        out[i] = next;
      }
    }
    return out;
  }
  if (!isPlain(node)) return node;
  const key = path[segment];
  if (!Object.prototype.hasOwnProperty.call(node, key)) return node;
  const value = node[key];
  const next = segment === path.length - 1 ? rule(value) : edit(value, path, segment + 1, rule, own);
  if (next === value) return node;
  const out = own(node);
  if (next === DROP) delete out[key];
  else out[key] = next;
  return out;
}

/** A publisher's pseudonym key for one stream: HMAC-SHA-256 of the stream id under the publisher's
 * private key (hex or bytes). Stable across restarts of the device, different per publisher and
 * stream, and nobody without the private key can compute it. */
export function publisherPseudonymKey(privateKey: string | Uint8Array, streamId: string): Uint8Array {
  const secret = typeof privateKey === "string" ? hexToBytes(privateKey.replace(/^0x/i, "")) : privateKey;
  if (secret.length < 16) bad("a publisher key must be at least 16 bytes");
  return hmac(sha256, secret, new TextEncoder().encode(`kraken/stream-filter/${streamId.toLowerCase()}`));
}

/** The filter for one product: a pure function from a message to what is published (the message
 * itself is never modified). `pseudonymKey` (32 bytes) keeps pseudonyms stable across restarts of
 * the publisher; without it a random key is made for this filter and forgotten with it. */
export function createStreamFilter(config: StreamFilterConfig, pseudonymKey?: Uint8Array): StreamFilter {
  const c = parseStreamFilter(config);
  if (pseudonymKey !== undefined && (!(pseudonymKey instanceof Uint8Array) || pseudonymKey.length !== 32))
    bad(`the pseudonym key must be 32 bytes (got ${pseudonymKey instanceof Uint8Array ? `${pseudonymKey.length} bytes` : show(pseudonymKey)})`);
  const rules: { path: string[]; rule: Rule }[] = [];
  const drop: Rule = () => DROP;
  for (const f of c.drop) rules.push({ path: f.split("."), rule: drop });
  if (c.pseudonymise?.length) {
    const rule = pseudonymRule(pseudonymKey ?? randomBytes(32));
    for (const f of c.pseudonymise) rules.push({ path: f.split("."), rule });
  }
  if (c.timestamps) {
    const rule = timestampRule(c.timestamps.granularity);
    for (const f of c.timestamps.fields) rules.push({ path: f.split("."), rule });
  }
  if (c.locations) {
    const rule = locationRule(c.locations.decimals);
    for (const f of c.locations.fields) rules.push({ path: f.split("."), rule });
  }
  return (message) => {
    const mine = new WeakSet<object>(); // copies made for this message: changed in place
    const own = <T extends object>(o: T): T => {
      if (mine.has(o)) return o;
      const copy = (Array.isArray(o) ? o.slice() : { ...o }) as T;
      mine.add(copy);
      return copy;
    };
    let out: unknown = message;
    for (const { path, rule } of rules) out = edit(out, path, 0, rule, own);
    return out as Record<string, unknown>;
  };
}
