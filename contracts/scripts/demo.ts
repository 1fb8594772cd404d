// The demo world seeded by `npm start`: personas, products with consent policies and
// agreements in every status. Names and legal details here are fictional and stay off chain
// (they go to docs/demo.md and deployments/localhost.demo.json only).
import { Category, Country, Modality, OrganisationType, PricingUnit, ProductType, Purpose } from "@kraken/sdk";
import { TARGET_COUNTRIES, type Policy } from "@kraken/sdk";
import type { StreamFilterConfig } from "@kraken/sdk/anonymise";

export type PersonaKey =
  | "admin"
  | "issuer"
  | "hospital"
  | "anna"
  | "researchInstitute"
  | "tomas"
  | "insurer"
  | "university"
  | "pharma"
  | "recruiter"
  | "dataUnion"
  | "relay1"
  | "relay2"
  | "relay3"
  | "visitor"
  | "giulia"
  | "lucia"
  | "joao"
  | "eva"
  | "pieter"
  | "smpc1"
  | "smpc2"
  | "smpc3";

export interface Persona {
  key: PersonaKey;
  name: string;
  role: string;
  accountIndex: number; // in the development mnemonic
  credential?: { category: Category; organisationType: OrganisationType; country: Country };
  fundDATA?: number;
}

const org = (organisationType: OrganisationType, country: Country) => ({
  category: Category.Organisation,
  organisationType,
  country,
});
const person = (country: Country) => ({ category: Category.Individual, organisationType: OrganisationType.None, country });

export const PERSONAS: Persona[] = [
  { key: "admin", name: "Consortium admin", role: "deploys contracts, trusts issuers, mints DATA", accountIndex: 0 },
  { key: "issuer", name: "KRAKEN Demo Issuer", role: "trusted credential issuer", accountIndex: 1 },
  { key: "hospital", name: "Santa Lucia Teaching Hospital", role: "seller (hospital)", accountIndex: 2, credential: org(OrganisationType.Hospital, Country.IT), fundDATA: 1000 },
  { key: "anna", name: "Anna Keller", role: "seller (individual, wearable data)", accountIndex: 3, credential: person(Country.DE), fundDATA: 100 },
  { key: "researchInstitute", name: "Nordic Institute for Health Research", role: "buyer (research institute)", accountIndex: 4, credential: org(OrganisationType.ResearchUniversity, Country.SE), fundDATA: 10000 },
  { key: "tomas", name: "Tomás Ribeiro", role: "buyer (individual)", accountIndex: 5, credential: person(Country.PT), fundDATA: 500 },
  { key: "insurer", name: "Alpina Health Insurance", role: "buyer (insurer; refused by policies that exclude insurance)", accountIndex: 6, credential: org(OrganisationType.Insurer, Country.AT), fundDATA: 5000 },
  { key: "university", name: "Baltic Open University", role: "seller (education data)", accountIndex: 7, credential: org(OrganisationType.EducationProvider, Country.EE), fundDATA: 100 },
  { key: "pharma", name: "Medivance Pharma", role: "buyer (pharma)", accountIndex: 8, credential: org(OrganisationType.Pharma, Country.BE), fundDATA: 10000 },
  { key: "recruiter", name: "TalentBridge Recruiting", role: "buyer (recruiter)", accountIndex: 9, credential: org(OrganisationType.EmployerRecruiter, Country.GB), fundDATA: 2000 },
  { key: "dataUnion", name: "Pulse Wearables Cooperative", role: "seller (data union admin)", accountIndex: 10, credential: org(OrganisationType.HealthTech, Country.FI), fundDATA: 100 },
  { key: "relay1", name: "Relay 1", role: "delivery agent", accountIndex: 11, credential: org(OrganisationType.HealthTech, Country.DE) },
  { key: "relay2", name: "Relay 2", role: "delivery agent", accountIndex: 12, credential: org(OrganisationType.HealthTech, Country.NL) },
  { key: "relay3", name: "Relay 3", role: "delivery agent", accountIndex: 13, credential: org(OrganisationType.HealthTech, Country.SE) },
  { key: "visitor", name: "Unregistered visitor", role: "no credential (sees 'register first')", accountIndex: 14 },
  { key: "giulia", name: "Giulia Romano", role: "data union member (wearable)", accountIndex: 15, credential: person(Country.IT) },
  { key: "lucia", name: "Lucía Navarro", role: "data union member (wearable)", accountIndex: 16, credential: person(Country.ES) },
  { key: "joao", name: "João Almeida", role: "data union member (wearable)", accountIndex: 17, credential: person(Country.PT) },
  { key: "eva", name: "Eva Lindqvist", role: "data union member (wearable)", accountIndex: 18, credential: person(Country.SE) },
  { key: "pieter", name: "Pieter de Vries", role: "former data union member (parted)", accountIndex: 19, credential: person(Country.NL) },
  // #20–#22 are the dApp's fresh "New user" accounts.
  { key: "smpc1", name: "SMPC node 1", role: "computation agent (analytics)", accountIndex: 23, credential: org(OrganisationType.HealthTech, Country.DK) },
  { key: "smpc2", name: "SMPC node 2", role: "computation agent (analytics)", accountIndex: 24, credential: org(OrganisationType.HealthTech, Country.FI) },
  { key: "smpc3", name: "SMPC node 3", role: "computation agent (analytics)", accountIndex: 25, credential: org(OrganisationType.HealthTech, Country.AT) },
];

/** A data union behind a DATA_UNION product: created through DataUnionFactory by its seller (the admin). */
export interface DemoUnion {
  feePercent: number;
  minMembers: number;
  /** the union's stream: `<union address><streamPath>` */
  streamPath: string;
  /** individuals registered in these countries may join */
  joinCountries: Country[];
  /** who joins at seed time, in order (each publishes from their own device in `npm start`) */
  members: PersonaKey[];
}

/** An anonymised batch product whose file the anonymiser makes at start (relay/src/relay-demo.ts)
 * from synthetic raw data that has direct identifiers and quasi-identifiers; the report goes on chain. */
export interface DemoAnonymisation {
  /** raw rows generated (the released file has these minus the suppressed ones) */
  rows: number;
  k: number;
  /** ℓ-diversity on `sensitive` */
  l?: number;
  sensitive?: string;
  preset?: "safe-harbor";
}

export interface DemoProduct {
  key: string;
  seller: PersonaKey;
  productType: ProductType;
  modality: Modality;
  priceDATA: number;
  pricingUnit: PricingUnit;
  delivery: boolean; // delivered through the 2-of-3 relays
  /** analytics products: computed by the 2-of-3 SMPC nodes on the dataset the seller shares to them at start */
  computation?: boolean;
  title: string;
  summary: string;
  description: string;
  category: string;
  tags: string[];
  policy: Policy;
  union?: DemoUnion;
  /** anonymised batch products: how the anonymiser makes the released file */
  anonymise?: DemoAnonymisation;
  /** anonymised stream products: the filter every publisher applies (in the metadata document) */
  streamFilter?: StreamFilterConfig;
}

const P = Purpose;
const O = OrganisationType;
const EU = TARGET_COUNTRIES;
const orgsOnly = [Category.Organisation];
const everyone = [Category.Individual, Category.Organisation];

export const PRODUCTS: DemoProduct[] = [
  {
    key: "icu-vitals", seller: "hospital", productType: ProductType.Batch, modality: Modality.Anonymised, priceDATA: 250, pricingUnit: PricingUnit.OneTime, delivery: true,
    title: "Anonymised ICU vital signs 2019–2024", summary: "Vital signs of 4,812 ICU stays with their diagnosis, k-anonymised (k=10, ℓ=3).",
    description: "One row per stay: mean heart rate, blood pressure and respiratory rate, lowest SpO2, length of stay, ventilation, outcome and the ICU diagnosis. Made by the marketplace's anonymiser from the hospital's records: direct identifiers removed, Safe Harbor-style generalisation (dates to year, ages 90 and over as 90+, postcodes to 3 digits), then every record shares its quasi-identifiers with at least 9 others and each group holds 3 diagnoses or more. The report is on the listing.",
    category: "Health / Clinical", tags: ["icu", "vital signs", "anonymised", "time series"],
    policy: { purposes: [P.Research, P.ClinicalTrials, P.PublicHealth, P.AiTraining], consumerCategories: orgsOnly, organisationTypes: [O.Hospital, O.ResearchUniversity, O.Pharma, O.PublicAuthority], jurisdictions: EU, requiresApproval: false, retentionDays: 365 },
    anonymise: { rows: 4812, k: 10, l: 3, sensitive: "diagnosis", preset: "safe-harbor" },
  },
  {
    key: "diabetes-labs", seller: "hospital", productType: ProductType.Batch, modality: Modality.Encrypted, priceDATA: 500, pricingUnit: PricingUnit.OneTime, delivery: true,
    title: "Type 2 diabetes cohort: lab results", summary: "HbA1c, glucose and lipid panels of a consented cohort, 2015–2025.",
    description: "Pseudonymised laboratory results of 1,950 patients who consented to research use. Each request is reviewed by the hospital's data access committee.",
    category: "Health / Laboratory", tags: ["diabetes", "hba1c", "lab results", "cohort"],
    policy: { purposes: [P.Research, P.ClinicalTrials], consumerCategories: orgsOnly, organisationTypes: [O.ResearchUniversity, O.Pharma], jurisdictions: EU, requiresApproval: true, retentionDays: 730 },
  },
  {
    key: "ward-occupancy", seller: "hospital", productType: ProductType.Stream, modality: Modality.Anonymised, priceDATA: 2, pricingUnit: PricingUnit.Hour, delivery: false,
    title: "Real-time ward occupancy", summary: "Bed occupancy per ward, updated every minute.",
    description: "Aggregated counts only; no patient-level data. The ward systems' messages pass the product's stream filter before they leave the hospital: the last admission and the staff on duty removed, times to the minute.", category: "Health / Operations", tags: ["occupancy", "real-time", "capacity"],
    policy: { purposes: [P.PublicHealth, P.Research, P.Statistics], consumerCategories: orgsOnly, organisationTypes: [O.PublicAuthority, O.Hospital, O.ResearchUniversity], jurisdictions: EU, requiresApproval: false, retentionDays: 90 },
    streamFilter: { drop: ["lastAdmission", "staffOnDuty"], timestamps: { fields: ["ts"], granularity: "minute" } },
  },
  {
    key: "readmission-analytics", seller: "hospital", productType: ProductType.Analytics, modality: Modality.Smpc, priceDATA: 100, pricingUnit: PricingUnit.OneTime, delivery: false, computation: true,
    title: "30-day readmission statistics (SMPC)", summary: "Aggregate readmission rates computed by secure multi-party computation.",
    description: "Query counts, means and histograms over discharge records; results only, never rows.", category: "Health / Analytics", tags: ["readmission", "smpc", "statistics"],
    policy: { purposes: [P.Research, P.PublicHealth, P.Statistics], consumerCategories: orgsOnly, organisationTypes: [O.ResearchUniversity, O.PublicAuthority, O.Hospital], jurisdictions: EU, requiresApproval: false, retentionDays: 0 },
  },
  {
    key: "chest-xray", seller: "hospital", productType: ProductType.Batch, modality: Modality.Anonymised, priceDATA: 0, pricingUnit: PricingUnit.OneTime, delivery: true,
    title: "Chest X-ray images for AI training", summary: "12,000 de-identified chest radiographs with radiologist labels, k-anonymised (k=10); billed off-chain.",
    description: "The label file (view, finding, radiologist confidence) made by the marketplace's anonymiser: patient, physician and station identifiers removed, accession numbers pseudonymised, Safe Harbor-style generalisation, k=10 with 2 findings or more per group. Free on the marketplace: the hospital bills approved requests directly (whitelisting).", category: "Health / Imaging", tags: ["radiology", "x-ray", "ai", "labels"],
    policy: { purposes: [P.AiTraining, P.Research, P.ProductDevelopment], consumerCategories: orgsOnly, organisationTypes: [O.HealthTech, O.ResearchUniversity, O.Pharma], jurisdictions: EU, requiresApproval: true, retentionDays: 1095 },
    anonymise: { rows: 12000, k: 10, l: 2, sensitive: "finding", preset: "safe-harbor" },
  },
  {
    key: "medication-adherence", seller: "hospital", productType: ProductType.Stream, modality: Modality.Encrypted, priceDATA: 4, pricingUnit: PricingUnit.Day, delivery: false,
    title: "Post-discharge medication adherence", summary: "Smart pill-box events of consenting patients, live.",
    description: "Pseudonymous event stream; approval required.", category: "Health / Medication", tags: ["adherence", "medication", "iot"],
    policy: { purposes: [P.Research, P.ClinicalTrials], consumerCategories: orgsOnly, organisationTypes: [O.Pharma, O.ResearchUniversity], jurisdictions: EU, requiresApproval: true, retentionDays: 180 },
  },
  {
    key: "anna-heart-rate", seller: "anna", productType: ProductType.Stream, modality: Modality.Encrypted, priceDATA: 1, pricingUnit: PricingUnit.Day, delivery: false,
    title: "My heart rate and steps, live", summary: "Live data from my fitness watch: heart rate every 5 s, steps every minute.",
    description: "Shared for research and wellbeing services. Not for insurance or marketing.", category: "Wellbeing / Wearables", tags: ["heart rate", "steps", "wearable", "real-time"],
    policy: { purposes: [P.Research, P.WellbeingServices, P.PublicHealth], consumerCategories: everyone, organisationTypes: [O.ResearchUniversity, O.HealthTech, O.Hospital, O.Insurer], jurisdictions: EU, requiresApproval: false, retentionDays: 30 },
  },
  {
    key: "anna-sleep", seller: "anna", productType: ProductType.Batch, modality: Modality.Encrypted, priceDATA: 20, pricingUnit: PricingUnit.OneTime, delivery: true,
    title: "Sleep diary 2025", summary: "A year of nightly sleep stages and self-reported sleep quality.",
    description: "CSV export from my sleep tracker, encrypted on my device.", category: "Wellbeing / Sleep", tags: ["sleep", "wearable", "diary"],
    policy: { purposes: [P.Research, P.WellbeingServices], consumerCategories: everyone, organisationTypes: [O.ResearchUniversity, O.HealthTech, O.Pharma], jurisdictions: EU, requiresApproval: false, retentionDays: 365 },
  },
  {
    key: "anna-nutrition", seller: "anna", productType: ProductType.Batch, modality: Modality.Anonymised, priceDATA: 0, pricingUnit: PricingUnit.OneTime, delivery: true,
    title: "Nutrition and activity log (free)", summary: "A year of meals and activity minutes, anonymised (k=5).",
    description: "Free for research, education and public health. My nutrition app's export, run through the marketplace's anonymiser on my laptop: my name, e-mail, phone and tracker id removed, dates grouped so that every record shares them with at least 4 others.", category: "Wellbeing / Nutrition", tags: ["nutrition", "activity", "free"],
    policy: { purposes: [P.Research, P.Education, P.PublicHealth, P.ProductDevelopment], consumerCategories: everyone, organisationTypes: [O.ResearchUniversity, O.PublicAuthority, O.EducationProvider, O.HealthTech], jurisdictions: EU, requiresApproval: false, retentionDays: 0 },
    anonymise: { rows: 1200, k: 5 },
  },
  {
    key: "course-certificates", seller: "university", productType: ProductType.Batch, modality: Modality.Anonymised, priceDATA: 50, pricingUnit: PricingUnit.OneTime, delivery: true,
    title: "Course completion certificates 2024 (anonymised)", summary: "Completions and grades per course, one row per certificate, k-anonymised (k=5, ℓ=2).",
    description: "Made by the marketplace's anonymiser from the registry: names, e-mails, personal codes and certificate numbers removed, student ids pseudonymised; birth date, sex, country, postcode and completion date generalised so that every record shares them with at least 4 others, with 2 grades or more per group.", category: "Education / Certificates", tags: ["education", "certificates", "grades"],
    policy: { purposes: [P.Research, P.Statistics, P.Education], consumerCategories: orgsOnly, organisationTypes: [O.EducationProvider, O.PublicAuthority, O.ResearchUniversity], jurisdictions: EU, requiresApproval: false, retentionDays: 365 },
    anonymise: { rows: 2400, k: 5, l: 2, sensitive: "grade" },
  },
  {
    key: "graduate-skills", seller: "university", productType: ProductType.Batch, modality: Modality.Encrypted, priceDATA: 80, pricingUnit: PricingUnit.OneTime, delivery: true,
    title: "Graduate skills profiles", summary: "Skills and qualifications of graduates who opted in to recruitment.",
    description: "Verified qualifications of consenting graduates; each recruiter is approved individually.", category: "Education / Careers", tags: ["recruitment", "skills", "graduates"],
    policy: { purposes: [P.Recruitment], consumerCategories: orgsOnly, organisationTypes: [O.EmployerRecruiter], jurisdictions: EU, requiresApproval: true, retentionDays: 180 },
  },
  {
    key: "enrollment-feed", seller: "university", productType: ProductType.Stream, modality: Modality.Anonymised, priceDATA: 5, pricingUnit: PricingUnit.Week, delivery: false,
    title: "Live enrollment status", summary: "Enrollment counts per programme, updated as students register.",
    description: "Aggregated counts per programme and semester. Each registration event passes the product's stream filter before it is published: the student's name and e-mail removed, the student id pseudonymised, times to the hour.", category: "Education / Enrollment", tags: ["enrollment", "real-time", "education"],
    policy: { purposes: [P.Statistics, P.Education, P.Research], consumerCategories: everyone, organisationTypes: [O.EducationProvider, O.PublicAuthority, O.ResearchUniversity], jurisdictions: EU, requiresApproval: false, retentionDays: 90 },
    streamFilter: { drop: ["studentName", "email"], pseudonymise: ["studentId"], timestamps: { fields: ["ts"], granularity: "hour" } },
  },
  {
    key: "wearables-union", seller: "dataUnion", productType: ProductType.DataUnion, modality: Modality.Anonymised, priceDATA: 10, pricingUnit: PricingUnit.Month, delivery: false,
    title: "Wearables Data Union", summary: "Pooled activity streams of its members' watches; revenue shared with the members.",
    description: "Members publish heart rate and step counts from their own devices into the union's stream; the admin fee is 10%. On sale while it has at least 5 members. Each device applies the product's stream filter before publishing: device ids pseudonymised, times to the minute, locations to about 1 km.", category: "Wellbeing / Wearables", tags: ["data union", "wearables", "activity"],
    policy: { purposes: [P.Research, P.ProductDevelopment, P.AiTraining, P.Insurance, P.WellbeingServices], consumerCategories: orgsOnly, organisationTypes: [O.ResearchUniversity, O.HealthTech, O.Insurer, O.Pharma], jurisdictions: EU, requiresApproval: false, retentionDays: 365 },
    streamFilter: { drop: [], pseudonymise: ["deviceId"], timestamps: { fields: ["ts"], granularity: "minute" }, locations: { fields: ["lat", "lon"], decimals: 2 } },
    union: { feePercent: 10, minMembers: 5, streamPath: "/wearables", joinCountries: EU, members: ["anna", "giulia", "lucia", "joao", "eva", "pieter"] },
  },
  {
    key: "mood-union", seller: "dataUnion", productType: ProductType.DataUnion, modality: Modality.Encrypted, priceDATA: 3, pricingUnit: PricingUnit.Week, delivery: false,
    title: "Mood check-ins data union", summary: "Daily mood check-ins from a wellbeing app's members.",
    description: "Encrypted stream of pseudonymous check-ins for wellbeing research.", category: "Wellbeing / Mental health", tags: ["mood", "mental health", "data union"],
    policy: { purposes: [P.Research, P.WellbeingServices], consumerCategories: everyone, organisationTypes: [O.ResearchUniversity, O.HealthTech], jurisdictions: EU, requiresApproval: false, retentionDays: 90 },
    union: { feePercent: 5, minMembers: 3, streamPath: "/mood", joinCountries: EU, members: ["giulia", "lucia", "joao"] },
  },
];

export type DemoStep =
  | { do: "request"; as: PersonaKey; product: string; purpose: Purpose; periods?: number; label: string }
  | { do: "approve" | "reject"; label: string }
  | { do: "cancel"; label: string }
  | { do: "renew"; label: string; periods: number }
  | { do: "retract"; product: string; consumer: PersonaKey }
  | { do: "part"; product: string; member: PersonaKey }
  | { do: "deliver"; label: string; agent: PersonaKey };

/** Agreements in every status: Active (one-time, subscription, free, renewed), Pending, Rejected, Cancelled. */
export const STEPS: DemoStep[] = [
  { do: "request", as: "researchInstitute", product: "icu-vitals", purpose: P.Research, label: "research-icu" },
  { do: "deliver", label: "research-icu", agent: "relay1" },
  { do: "deliver", label: "research-icu", agent: "relay2" },
  { do: "request", as: "researchInstitute", product: "diabetes-labs", purpose: P.Research, label: "research-diabetes" },
  { do: "request", as: "pharma", product: "diabetes-labs", purpose: P.ClinicalTrials, label: "pharma-diabetes" },
  { do: "approve", label: "pharma-diabetes" },
  { do: "request", as: "recruiter", product: "graduate-skills", purpose: P.Recruitment, label: "recruiter-skills" },
  { do: "reject", label: "recruiter-skills" },
  { do: "request", as: "pharma", product: "chest-xray", purpose: P.AiTraining, label: "pharma-xray" },
  { do: "cancel", label: "pharma-xray" },
  { do: "request", as: "tomas", product: "anna-nutrition", purpose: P.Research, label: "tomas-nutrition" },
  { do: "request", as: "tomas", product: "anna-heart-rate", purpose: P.WellbeingServices, periods: 7, label: "tomas-heart-rate" },
  { do: "request", as: "researchInstitute", product: "ward-occupancy", purpose: P.PublicHealth, periods: 24, label: "research-ward" },
  { do: "renew", label: "research-ward", periods: 24 },
  { do: "request", as: "insurer", product: "wearables-union", purpose: P.Insurance, periods: 1, label: "insurer-union" },
  { do: "part", product: "wearables-union", member: "pieter" }, // keeps his share of the insurer's payment
  { do: "request", as: "researchInstitute", product: "anna-sleep", purpose: P.Research, label: "research-sleep" },
  { do: "retract", product: "anna-sleep", consumer: "pharma" },
];
