// The stream products' per-message filter (sdk/src/anonymise/stream-filter.ts): its strict
// configuration checker and what it does to messages.
import { hmac } from "@noble/hashes/hmac";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "@noble/hashes/utils";
import { describe, expect, it } from "vitest";
import { AnonymiseError, createStreamFilter, describeStreamFilter, parseStreamFilter, publisherPseudonymKey, type StreamFilterConfig } from "../../src/anonymise/index.ts";
import { streamFilterOf } from "../../src/metadata.ts";
import { isKrakenError } from "../../src/errors.ts";

const KEY = new Uint8Array(32).fill(7);
const pseudonym = (text: string, key = KEY) => bytesToHex(hmac(sha256, key, new TextEncoder().encode(text)).subarray(0, 16));

function refused(value: unknown): AnonymiseError {
  try {
    parseStreamFilter(value);
  } catch (err) {
    expect(err).toBeInstanceOf(AnonymiseError);
    expect(isKrakenError(err, "bad-option")).toBe(true);
    return err as AnonymiseError;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe("parseStreamFilter", () => {
  it("accepts a full configuration and returns it as given", () => {
    const c = {
      drop: ["name", "patient.email"],
      pseudonymise: ["deviceId"],
      timestamps: { fields: ["ts", "readings.at"], granularity: "hour" },
      locations: { fields: ["lat", "lon"], decimals: 2 },
    };
    expect(parseStreamFilter(c)).toEqual(c);
    expect(parseStreamFilter(JSON.parse(JSON.stringify(c)))).toEqual(c);
    expect(parseStreamFilter({ drop: [] })).toEqual({ drop: [] });
  });

  it("refuses what is not a filter, in words", () => {
    expect(refused(null).message).toMatch(/must be an object \(got null\)/);
    expect(refused([]).message).toMatch(/must be an object \(got a list\)/);
    expect(refused("drop").message).toMatch(/must be an object/);
    expect(refused({}).message).toMatch(/"drop" is missing/);
    expect(refused({ drop: "name" }).message).toMatch(/"drop" must be a list of field names \(got "name"\)/);
    expect(refused({ drop: [], keep: ["x"] }).message).toMatch(/unknown setting "keep"/);
    expect(refused({ drop: [""] }).message).toMatch(/not a field name/);
    expect(refused({ drop: [3] }).message).toMatch(/holds 3, not a field name/);
    expect(refused({ drop: ["a..b"] }).message).toMatch(/not a dotted path/);
    expect(refused({ drop: ["a.__proto__"] }).message).toMatch(/"__proto__"/);
    expect(refused({ drop: ["a", "a"] }).message).toMatch(/names "a" twice/);
  });

  it("refuses bad timestamp and location settings", () => {
    expect(refused({ drop: [], timestamps: { fields: ["ts"], granularity: "week" } }).message).toMatch(/"timestamps.granularity" must be "minute", "hour" or "day" \(got "week"\)/);
    expect(refused({ drop: [], timestamps: { fields: [], granularity: "day" } }).message).toMatch(/"timestamps.fields" names no field/);
    expect(refused({ drop: [], timestamps: { fields: ["ts"], granularity: "day", zone: "UTC" } }).message).toMatch(/unknown setting "timestamps.zone"/);
    expect(refused({ drop: [], timestamps: "hour" }).message).toMatch(/"timestamps" must be an object/);
    expect(refused({ drop: [], locations: { fields: ["lat"], decimals: 1.5 } }).message).toMatch(/"locations.decimals" must be a whole number from 0 to 6 \(got 1.5\)/);
    expect(refused({ drop: [], locations: { fields: ["lat"], decimals: 7 } }).message).toMatch(/from 0 to 6/);
    expect(refused({ drop: [], locations: { fields: ["lat"], decimals: "2" } }).message).toMatch(/got "2"/);
    expect(refused({ drop: [], locations: { fields: ["lat"] } }).message).toMatch(/got nothing/);
  });

  it("refuses a field under two rules, or inside a dropped one", () => {
    expect(refused({ drop: ["email"], pseudonymise: ["email"] }).message).toMatch(/"email" is in both "drop" and "pseudonymise"/);
    expect(refused({ drop: ["location"], locations: { fields: ["location.lat"], decimals: 2 } }).message).toMatch(/"location.lat" \(in "locations"\) is inside "location" \(in "drop"\)/);
    expect(refused({ drop: [], timestamps: { fields: ["ts"], granularity: "day" }, locations: { fields: ["ts"], decimals: 1 } }).message).toMatch(/in both/);
  });

  it("createStreamFilter checks its configuration and key too", () => {
    expect(() => createStreamFilter({ drop: ["a", "a"] })).toThrow(AnonymiseError);
    expect(() => createStreamFilter({ drop: [] }, new Uint8Array(16))).toThrow(/32 bytes \(got 16 bytes\)/);
  });
});

describe("createStreamFilter", () => {
  it("drops fields, top level and nested, and leaves the rest", () => {
    const f = createStreamFilter({ drop: ["name", "patient.email", "patient.phone"] });
    expect(f({ name: "Ada", heartRate: 72, patient: { email: "a@b.c", phone: "+39", age: 41 } })).toEqual({ heartRate: 72, patient: { age: 41 } });
  });

  it("never modifies the message given, and shares what it does not change", () => {
    const f = createStreamFilter({ drop: ["patient.email"], timestamps: { fields: ["ts"], granularity: "minute" } });
    const message = { ts: 1_714_567_890_123, patient: { email: "a@b.c" }, vitals: { hr: 70 } };
    const copy = structuredClone(message);
    const out = f(message);
    expect(message).toEqual(copy);
    expect(out).toEqual({ ts: 1_714_567_860_000, patient: {}, vitals: { hr: 70 } });
    expect(out.vitals).toBe(message.vitals);
    expect(f(message)).toEqual(out); // the same message, the same output
  });

  it("never throws on messages missing fields or shaped differently", () => {
    const f = createStreamFilter({
      drop: ["a.b.c"], pseudonymise: ["id"], timestamps: { fields: ["t.at"], granularity: "day" }, locations: { fields: ["pos.lat"], decimals: 1 },
    });
    for (const m of [{}, { a: 1 }, { a: { b: "x" } }, { a: null }, { t: "now" }, { pos: [] }, { id: null }, { a: { b: [1, 2] } }])
      expect(() => f(m as Record<string, unknown>)).not.toThrow();
    expect(f({ a: 1, t: "now" })).toEqual({ a: 1, t: "now" });
    expect(f({ id: null })).toEqual({ id: null });
  });

  it("pseudonymises with HMAC-SHA-256 under the key, 16 bytes in hex; the same value, the same pseudonym", () => {
    const f = createStreamFilter({ drop: [], pseudonymise: ["deviceId", "owner.nhs", "tags"] }, KEY);
    const out = f({ deviceId: "watch-0042", owner: { nhs: 9434765919 }, tags: ["a", 1, null], hr: 60 });
    expect(out).toEqual({ deviceId: pseudonym("watch-0042"), owner: { nhs: pseudonym("9434765919") }, tags: [pseudonym("a"), pseudonym("1"), null], hr: 60 });
    expect(out.deviceId).toMatch(/^[0-9a-f]{32}$/);
    expect(f({ deviceId: "watch-0042" }).deviceId).toBe(out.deviceId);
    expect(f({ deviceId: "watch-0043" }).deviceId).not.toBe(out.deviceId);
    expect(f({ deviceId: { serial: 1 } }).deviceId).toBe(pseudonym('{"serial":1}'));
  });

  it("makes a random key per filter when none is given (pseudonyms do not match another filter's)", () => {
    const c: StreamFilterConfig = { drop: [], pseudonymise: ["id"] };
    const a = createStreamFilter(c), b = createStreamFilter(c);
    expect(a({ id: "x" }).id).toBe(a({ id: "x" }).id);
    expect(a({ id: "x" }).id).not.toBe(b({ id: "x" }).id);
    expect(a({ id: "x" }).id).not.toBe(pseudonym("x"));
  });

  it("rounds ISO 8601 timestamps down in their own offset and keeps their shape", () => {
    const at = (granularity: "minute" | "hour" | "day", ts: unknown) => createStreamFilter({ drop: [], timestamps: { fields: ["ts"], granularity } })({ ts }).ts;
    expect(at("minute", "2024-05-01T12:34:56.789Z")).toBe("2024-05-01T12:34:00.000Z");
    expect(at("hour", "2024-05-01T12:34:56.789Z")).toBe("2024-05-01T12:00:00.000Z");
    expect(at("day", "2024-05-01T12:34:56.789Z")).toBe("2024-05-01T00:00:00.000Z");
    expect(at("hour", "2024-05-01T23:59:59+02:00")).toBe("2024-05-01T23:00:00+02:00");
    expect(at("day", "2024-05-01T01:30:00+0530")).toBe("2024-05-01T00:00:00+0530");
    expect(at("minute", "2024-05-01 12:34:56")).toBe("2024-05-01 12:34:00");
    expect(at("hour", "2024-05-01T12:34Z")).toBe("2024-05-01T12:00Z");
    expect(at("minute", "2024-05-01")).toBe("2024-05-01");
    // the rounded value is still ISO and earlier than or equal to the original
    const rounded = at("hour", "2024-02-29T07:45:12.5Z") as string;
    expect(new Date(rounded).toISOString()).toBe("2024-02-29T07:00:00.000Z");
  });

  it("rounds epoch numbers down and keeps them numbers (milliseconds; seconds when small)", () => {
    const at = (granularity: "minute" | "hour" | "day", ts: unknown) => createStreamFilter({ drop: [], timestamps: { fields: ["ts"], granularity } })({ ts }).ts;
    const ms = Date.UTC(2024, 4, 1, 12, 34, 56, 789);
    expect(at("minute", ms)).toBe(Date.UTC(2024, 4, 1, 12, 34));
    expect(at("hour", ms)).toBe(Date.UTC(2024, 4, 1, 12));
    expect(at("day", ms)).toBe(Date.UTC(2024, 4, 1));
    expect(at("hour", Math.floor(ms / 1000))).toBe(Date.UTC(2024, 4, 1, 12) / 1000);
    expect(at("day", String(ms))).toBe(String(Date.UTC(2024, 4, 1)));
    expect(at("hour", new Date(ms))).toEqual(new Date(Date.UTC(2024, 4, 1, 12)));
    expect(at("day", -1)).toBe(-86_400); // before 1970, still down
  });

  it("removes timestamps it cannot round (fails closed) and keeps null", () => {
    const f = createStreamFilter({ drop: [], timestamps: { fields: ["ts"], granularity: "hour" } });
    for (const ts of ["yesterday", "2024-13-01T00:00:00Z", "2024-02-30T10:00:00Z", "2024-05-01T25:00:00Z", "2024-05-01T12:00:00+25:00", NaN, Infinity, { at: 1 }, true])
      expect(f({ ts, hr: 1 }), String(ts)).toEqual({ hr: 1 });
    expect(f({ ts: null })).toEqual({ ts: null });
  });

  it("rounds coordinates to N decimals: numbers, numeric strings, [lon, lat] pairs", () => {
    const f = createStreamFilter({ drop: [], locations: { fields: ["lat", "lon", "geo.coordinates", "where.lat"], decimals: 2 } });
    expect(f({ lat: 52.520008, lon: 13.404954 })).toEqual({ lat: 52.52, lon: 13.4 });
    expect(f({ lat: "52.526", lon: -0.0001 })).toEqual({ lat: "52.53", lon: 0 });
    expect(Object.is(f({ lon: -0.0001 }).lon, 0)).toBe(true);
    expect(f({ geo: { type: "Point", coordinates: [13.404954, 52.520008] } })).toEqual({ geo: { type: "Point", coordinates: [13.4, 52.52] } });
    expect(f({ geo: { coordinates: [[1.234, 5.678], [9.876, 5.432]] } })).toEqual({ geo: { coordinates: [[1.23, 5.68], [9.88, 5.43]] } });
    expect(f({ lat: "north", lon: [1, "x"], where: { lat: 48.1372, lon: 11.5756 } })).toEqual({ where: { lat: 48.14, lon: 11.5756 } });
    expect(createStreamFilter({ drop: [], locations: { fields: ["lat"], decimals: 0 } })({ lat: 52.5 }).lat).toBe(53);
  });

  it("enters arrays met on a path, element by element", () => {
    const f = createStreamFilter({ drop: ["readings.nurse"], timestamps: { fields: ["readings.at"], granularity: "minute" } });
    const out = f({ ward: "7B", readings: [{ at: "2024-05-01T12:34:56Z", nurse: "Ann", hr: 70 }, { hr: 71 }, 5] });
    expect(out).toEqual({ ward: "7B", readings: [{ at: "2024-05-01T12:34:00Z", hr: 70 }, { hr: 71 }, 5] });
    // a batch of messages as one array is filtered message by message
    expect((f as unknown as (m: unknown) => unknown)([{ readings: [{ nurse: "x" }] }])).toEqual([{ readings: [{}] }]);
  });

  it("applies every rule of a realistic wearable filter", () => {
    const config = parseStreamFilter({
      drop: ["ownerName", "email"], pseudonymise: ["deviceId"],
      timestamps: { fields: ["ts"], granularity: "minute" }, locations: { fields: ["lat", "lon"], decimals: 2 },
    });
    const f = createStreamFilter(config, KEY);
    const out = f({ ts: Date.UTC(2025, 0, 2, 3, 4, 5), heartRate: 71, steps: 1200, deviceId: "PW-7F3A", ownerName: "Giulia", email: "g@x.it", lat: 45.464211, lon: 9.191383 });
    expect(out).toEqual({ ts: Date.UTC(2025, 0, 2, 3, 4), heartRate: 71, steps: 1200, deviceId: pseudonym("PW-7F3A"), lat: 45.46, lon: 9.19 });
    expect(describeStreamFilter(config)).toEqual([
      "Removed from every message: ownerName and email.",
      "Replaced by pseudonyms the buyer cannot reverse: deviceId.",
      "Times rounded down to the minute: ts.",
      "Locations rounded to 2 decimals (about 1 km): lat and lon.",
    ]);
    expect(describeStreamFilter({ drop: [] })).toEqual(["Messages are published as the device sends them."]);
  });

  it("a publisher's pseudonym key: stable for its key and stream, different otherwise", () => {
    const key = `0x${"11".repeat(32)}`;
    const a = publisherPseudonymKey(key, "0xAbC/kraken/x");
    expect(a).toHaveLength(32);
    expect(bytesToHex(a)).toBe(bytesToHex(hmac(sha256, new Uint8Array(32).fill(0x11), new TextEncoder().encode("kraken/stream-filter/0xabc/kraken/x"))));
    expect(publisherPseudonymKey(key, "0xabc/kraken/x")).toEqual(a);
    expect(publisherPseudonymKey(key, "0xabc/kraken/y")).not.toEqual(a);
    expect(publisherPseudonymKey(new Uint8Array(32).fill(0x12), "0xabc/kraken/x")).not.toEqual(a);
    expect(() => publisherPseudonymKey(new Uint8Array(4), "s")).toThrow(AnonymiseError);
  });

  it("a metadata document's filter is checked when read", () => {
    expect(streamFilterOf({})).toBeUndefined();
    expect(streamFilterOf(undefined)).toBeUndefined();
    expect(streamFilterOf({ streamFilter: { drop: ["name"] } })).toEqual({ drop: ["name"] });
    expect(() => streamFilterOf({ streamFilter: { drop: ["name"], blur: true } as unknown as StreamFilterConfig })).toThrow(/unknown setting "blur"/);
  });

  it("filters 100,000 messages in well under a second", () => {
    const f = createStreamFilter({ drop: ["email"], pseudonymise: ["deviceId"], timestamps: { fields: ["ts"], granularity: "minute" }, locations: { fields: ["lat", "lon"], decimals: 2 } });
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) f({ ts: 1_714_567_890_123 + i * 1000, deviceId: `d${i % 50}`, email: "x@y.z", lat: 45.1 + i / 1e6, lon: 9.2, hr: 70 });
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});
