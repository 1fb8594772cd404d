// Column classification: by the header first (a column called "email" is an identifier whatever
// its sample holds), then by what the first rows contain (e-mail addresses, phone numbers, names,
// dates …). The seller sees the reason of each choice and can override every one of them.
// Unlike ARX's default, a column is a quasi-identifier only when something says so: measurements
// (heart rate, lab values) stay as they are.
import type { ColumnKind, ColumnOverride, ColumnPlan, ColumnRole, IdentifierAction } from "./types.ts";

/** Header → lower case words joined by "_" ("Date of Birth" → "date_of_birth"). */
export function normaliseHeader(h: string): string {
  return h
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "_")
    .replace(/^_+|_+$/g, "");
}

interface HeaderRule {
  re: RegExp;
  role: ColumnRole;
  action?: IdentifierAction;
  kind?: ColumnKind;
  why: string;
}

// Checked in order on the normalised header; the first match wins.
const HEADER_RULES: HeaderRule[] = [
  { re: /(^|_)(e_?mail|mail_address)(_|$)/, role: "identifier", action: "drop", why: "an e-mail column" },
  { re: /(^|_)(phone|telephone|tel|mobile|cell|fax)(_|$)/, role: "identifier", action: "drop", why: "a phone number column" },
  { re: /(^|_)(ssn|social_security|national_insurance|nino|nin|national_id|id_number|personal_number|personnummer|bsn|nhs_number|insurance_number|passport|tax_id|iban|account_number|licen[cs]e_(number|plate))(_|$)/, role: "identifier", action: "drop", why: "a national, insurance or account number" },
  { re: /(^|_)(name|first_name|last_name|surname|given_name|family_name|full_name|forename)(_|$)/, role: "identifier", action: "drop", why: "a name column" },
  { re: /(^|_)(address|street|street_address|house_number|addr)(_|$)/, role: "identifier", action: "drop", why: "an exact address" },
  { re: /(^|_)(ip|ip_address|mac|mac_address|imei|serial|serial_number|device|device_id|url)(_|$)/, role: "identifier", action: "pseudonymise", why: "a device or network identifier" },
  { re: /(^|_)(mrn|medical_record|record_number|patient|patient_id|person_id|subject_id|member_id|student_id|employee_id|customer_id|user_id|uuid|guid)(_|$)/, role: "identifier", action: "pseudonymise", why: "a record identifier (linkable across releases)" },
  { re: /(^|_)id$|^id(_|$)/, role: "identifier", action: "pseudonymise", why: "an identifier column" },
  { re: /(^|_)(zip|zip_code|postcode|post_code|postal_code|plz|postleitzahl|code_postal|cap)(_|$)/, role: "quasi", kind: "postcode", why: "a postcode" },
  { re: /(^|_)(dob|birth|birthdate|birthday|date_of_birth|birth_date|born|birth_year|year_of_birth)(_|$)/, role: "quasi", why: "a birth date" },
  { re: /(^|_)(age|age_years)(_|$)/, role: "quasi", kind: "number", why: "an age" },
  { re: /(^|_)(sex|gender)(_|$)/, role: "quasi", kind: "category", why: "sex or gender" },
  { re: /(^|_)(nationality|citizenship|ethnicity|ethnic_group|race|religion|marital|marital_status|native_language|country_of_birth|occupation|profession|education|education_level)(_|$)/, role: "quasi", kind: "category", why: "a demographic attribute" },
  { re: /(^|_)(city|town|municipality|region|county|district|state|province|country|place_of_residence|residence)(_|$)/, role: "quasi", kind: "category", why: "a place of residence" },
  { re: /(^|_)(admission|admitted|admit|discharge|discharged|visit|encounter|death|deceased|date)(_|$)/, role: "quasi", kind: "date", why: "a date about the person" },
  { re: /(^|_)(diagnosis|diagnoses|icd|icd10|condition|disease|finding|findings|illness|medication|drug|treatment|procedure|hiv|pregnan\w*|grade|grade_band|score|outcome|result|salary|income|disability)(_|$)/, role: "sensitive", kind: "category", why: "what the data is about (sensitive)" },
];

// Content patterns: ≥ 80 % of the non-empty sample values must match.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[\d ()./-]{8,20}$/;
const SSN = /^\d{3}-\d{2}-\d{4}$/;
const NINO = /^[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]$/i;
const IBAN = /^[A-Z]{2}\d{2}[A-Z0-9 ]{11,30}$/;
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;
const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;
const PERSON_NAME = /^\p{Lu}[\p{Ll}'’-]+(?: (?:\p{Lu}\.|\p{Lu}[\p{Ll}'’-]+|van|von|de|der|da|di|le|la))+$/u;
const STREET = /\d+\s*\p{L}?\s+[\p{L} .'-]*\b(street|st|road|rd|avenue|ave|lane|ln|way|drive|dr|close|place|square|straße|strasse|str|weg|gasse|allee|rue|avenida|calle|via|viale|laan|straat|vej|gatan|katu|tee)\b|^\p{L}[\p{L} .'-]*(straße|strasse|weg|gasse|gatan|katu|vej|straat|laan)\s+\d+/iu;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const share = (values: string[], re: RegExp) => (values.length === 0 ? 0 : values.filter((v) => re.test(v)).length / values.length);

/** The kind a column's values suggest (numbers, ISO dates or categories). */
export function kindOf(values: string[]): ColumnKind {
  const filled = values.filter((v) => v !== "");
  if (filled.length === 0) return "category";
  if (share(filled, ISO_DATE) >= 0.8) return "date";
  if (share(filled, NUMBER) >= 0.8) return "number";
  return "category";
}

function byContent(values: string[]): { role: ColumnRole; action?: IdentifierAction; why: string } | undefined {
  const filled = values.filter((v) => v !== "");
  if (filled.length === 0) return undefined;
  const distinct = new Set(filled).size / filled.length;
  if (share(filled, EMAIL) >= 0.8) return { role: "identifier", action: "drop", why: "its values are e-mail addresses" };
  if (share(filled, SSN) >= 0.8 || share(filled, NINO) >= 0.8) return { role: "identifier", action: "drop", why: "its values are national insurance or social security numbers" };
  if (share(filled, IBAN) >= 0.8) return { role: "identifier", action: "drop", why: "its values are bank account numbers" };
  if (share(filled, IPV4) >= 0.8 || share(filled, MAC) >= 0.8) return { role: "identifier", action: "pseudonymise", why: "its values are network or device addresses" };
  if (share(filled, STREET) >= 0.8) return { role: "identifier", action: "drop", why: "its values are street addresses" };
  if (share(filled, PERSON_NAME) >= 0.8 && distinct >= 0.3) return { role: "identifier", action: "drop", why: "its values look like people's names" };
  if (share(filled, PHONE) >= 0.8 && share(filled, ISO_DATE) < 0.5 && filled.every((v) => v.replace(/\D/g, "").length >= 8) && distinct >= 0.5)
    return { role: "identifier", action: "drop", why: "its values are phone numbers" };
  if (share(filled, ISO_DATE) >= 0.8) return { role: "quasi", why: "its values are dates (dates about a person can single them out)" };
  return undefined;
}

/**
 * Classifies each column of `header` from its name and the `sample` rows, then applies the
 * seller's `overrides` (which win, and are named as the reason).
 */
export function classifyColumns(header: string[], sample: string[][], overrides: Record<string, ColumnOverride> = {}): ColumnPlan[] {
  return header.map((name, i) => {
    const values = sample.map((r) => (r[i] ?? "").trim());
    const h = normaliseHeader(name);
    const rule = HEADER_RULES.find((r) => r.re.test(h));
    const content = byContent(values);
    const detected = kindOf(values);
    let plan: ColumnPlan;
    if (rule && !(rule.role === "sensitive" && content?.role === "identifier")) {
      const kind = rule.kind === "date" && detected !== "date" ? detected : (rule.kind ?? (rule.role === "quasi" && detected === "category" && /birth|dob|born/.test(h) ? "date" : detected));
      plan = { name, role: rule.role, kind: rule.kind === "postcode" ? "postcode" : kind, reason: `the header looks like ${rule.why}`, ...(rule.action ? { action: rule.action } : {}) };
    } else if (content) {
      plan = { name, role: content.role, kind: detected, reason: content.why, ...(content.action ? { action: content.action } : {}) };
    } else {
      plan = { name, role: "other", kind: detected, reason: "nothing suggests it identifies anyone (kept as is)" };
    }
    const o = overrides[name];
    if (o) {
      const role = o.role ?? plan.role;
      plan = {
        name,
        role,
        kind: o.kind ?? plan.kind,
        reason: "the seller's choice",
        ...(role === "identifier" ? { action: o.action ?? plan.action ?? "drop" } : {}),
      };
    }
    if (plan.role !== "identifier") delete plan.action;
    return plan;
  });
}
