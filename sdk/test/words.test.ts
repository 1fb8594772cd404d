// The wordings and policy facts the CLI and the dApp share (sdk/src/names.ts, policy.ts, offer.ts).
import { describe, expect, it } from "vitest";
import { Country, OrganisationType, PricingUnit } from "../src/generated/enums.ts";
import { countryCode, isTimeBased, listWords, orgTypeWords, unitWords } from "../src/names.ts";
import { maxPeriods, unitSeconds } from "../src/offer.ts";
import { policyFacts, TARGET_COUNTRIES } from "../src/policy.ts";

describe("words", () => {
  it("accept every spelling of an enum value: subgraph, SDK name, on-chain number", () => {
    expect([unitWords("DAY"), unitWords("Day"), unitWords(PricingUnit.Day), unitWords("ONE_TIME")]).toEqual(["day", "day", "day", "one-time"]);
    expect([orgTypeWords("RESEARCH_UNIVERSITY"), orgTypeWords(OrganisationType.Hospital, true)]).toEqual(["research university", "hospitals"]);
    expect([countryCode(Country.EE), countryCode("ee")]).toEqual(["EE", "EE"]);
    expect(unitWords("FORTNIGHT")).toBe("FORTNIGHT"); // unknown: shown as given, never another value
  });

  it("lists in prose", () => {
    expect([listWords([]), listWords(["a"]), listWords(["a", "b"]), listWords(["a", "b", "c"])]).toEqual(["", "a", "a and b", "a, b and c"]);
  });

  it("knows Agreements' period arithmetic: at most 366 days per request or renewal", () => {
    expect([PricingUnit.Hour, PricingUnit.Day, PricingUnit.Week, PricingUnit.Month, PricingUnit.OneTime].map(maxPeriods)).toEqual([8_784, 366, 52, 12, 1]);
    expect([unitSeconds("MONTH"), unitSeconds(PricingUnit.OneTime)]).toEqual([2_592_000, 0]);
    expect([isTimeBased("HOUR"), isTimeBased(PricingUnit.OneTime)]).toEqual([true, false]);
  });
});

describe("policyFacts", () => {
  const base = { version: 3, purposes: ["RESEARCH", "AI_TRAINING"], requiresApproval: true, retentionDays: 30, createdAt: null };

  it("decides who may buy, where and for what once, in words", () => {
    const f = policyFacts({ ...base, consumerCategories: ["ORGANISATION"], organisationTypes: ["HOSPITAL", "RESEARCH_UNIVERSITY"], jurisdictions: ["NL", "DE"] });
    expect(f).toEqual({
      purposes: ["research", "AI training"],
      individuals: false,
      organisations: true,
      organisationTypes: ["hospitals", "research universities and institutes"],
      countries: ["NL", "DE"],
      targetCountries: false,
      requiresApproval: true,
      retentionDays: 30,
      version: 3,
    });
  });

  it("recognises the marketplace's target countries and ignores organisation types when organisations are not allowed", () => {
    const codes = TARGET_COUNTRIES.map((c) => countryCode(c));
    const f = policyFacts({ ...base, consumerCategories: ["INDIVIDUAL"], organisationTypes: ["HOSPITAL"], jurisdictions: codes, purposes: ["RESEARCH"] });
    expect(f).toMatchObject({ individuals: true, organisations: false, organisationTypes: [], targetCountries: true, purposes: ["research"] });
  });
});
