// Synthetic raw data for the demo's anonymised batch products: what the seller's own systems
// would export, with direct identifiers (names, e-mail, phone, national / personal codes, exact
// addresses, device ids) and quasi-identifiers (birth date, sex, postcode, admission or
// completion dates …) next to the sensitive and measured columns. Deterministic from the product
// key (xorshift32); the people are invented. `npm start` runs the anonymiser on these and
// publishes only its output (relay-demo.ts).
import { keccak256, toHex } from "viem";
import type { ColumnOverride } from "@kraken/sdk/anonymise";

/** xorshift32 seeded by the key, and the draws the generators need. */
export function demoRandom(seed: string) {
  let x = Number(BigInt(keccak256(toHex(seed))) & 0xffffffffn) || 1;
  const rnd = () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  /** [value, weight] pairs */
  const weighted = <T>(xs: readonly (readonly [T, number])[]): T => {
    let r = rnd() * xs.reduce((a, [, w]) => a + w, 0);
    for (const [v, w] of xs) if ((r -= w) < 0) return v;
    return xs[xs.length - 1][0];
  };
  const normal = (mean: number, sd: number) => mean + sd * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  return { rnd, int, pick, weighted, normal };
}

const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const ascii = (s: string) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z]/g, "").toLowerCase();
const csvField = (v: string | number) => {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

// ---------------------------------------------------------------------------------------------
// Santa Lucia Teaching Hospital (Rome): ICU stays and chest X-ray studies.

const IT_MALE = ["Marco", "Giuseppe", "Luca", "Alessandro", "Francesco", "Giovanni", "Antonio", "Matteo", "Stefano", "Roberto", "Paolo", "Andrea", "Davide", "Salvatore", "Massimo", "Fabio", "Claudio", "Enrico", "Vincenzo", "Pietro", "Sergio", "Carlo", "Bruno", "Franco"];
const IT_FEMALE = ["Maria", "Anna", "Francesca", "Chiara", "Laura", "Paola", "Sara", "Elena", "Valentina", "Giovanna", "Rosa", "Silvia", "Federica", "Alessandra", "Martina", "Teresa", "Angela", "Barbara", "Cristina", "Carla", "Luisa", "Marta", "Simona", "Rita"];
const IT_SURNAMES = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo", "Gentile", "Martinelli", "Vitale", "Serra", "Coppola", "De Santis", "D'Angelo", "Marchetti", "Parisi", "Villa"];
const IT_STREETS = ["Via Appia Nuova", "Via Tuscolana", "Via Nomentana", "Viale Guglielmo Marconi", "Via Cassia", "Via Prenestina", "Via Ostiense", "Via Aurelia", "Via Salaria", "Via Casilina", "Viale di Trastevere", "Via Tiburtina", "Via Flaminia", "Via Portuense", "Via Laurentina", "Via Cristoforo Colombo"];
/** [postcode, town, cadastral code, weight]: Rome's postcodes and the Lazio towns around it */
const LAZIO: [string, string, string, number][] = [
  ...Array.from({ length: 82 }, (_, i) => [String(118 + i).padStart(5, "0"), "Roma", "H501", 0.85] as [string, string, string, number]),
  ["00012", "Guidonia Montecelio", "E263", 2], ["00015", "Monterotondo", "F611", 1.2], ["00040", "Ariccia", "A401", 0.8], ["00041", "Albano Laziale", "A132", 1],
  ["00053", "Civitavecchia", "C773", 1.5], ["00054", "Fiumicino", "M297", 1.8], ["00071", "Pomezia", "G811", 1.6], ["01100", "Viterbo", "M082", 1.4],
  ["02100", "Rieti", "H282", 0.8], ["03100", "Frosinone", "D810", 1.2], ["04100", "Latina", "E472", 2.2], ["00044", "Frascati", "D773", 0.9],
];
const EMAIL_DOMAINS_IT = ["gmail.com", "libero.it", "virgilio.it", "hotmail.it", "outlook.it", "tiscali.it", "alice.it", "yahoo.it"];

type Rng = ReturnType<typeof demoRandom>;

/** An invented Italian patient: identifiers and the quasi-identifiers they imply. */
function italianPerson(r: Rng, birthMs: number) {
  const female = r.rnd() < 0.42;
  const first = r.pick(female ? IT_FEMALE : IT_MALE);
  const last = r.pick(IT_SURNAMES);
  const [postcode, town, cadastral] = r.weighted(LAZIO.map((t) => [t, t[3]] as const));
  const birth = new Date(birthMs);
  // codice fiscale: surname and name consonants, birth year, month letter, day (+40 for women), town, check letter
  const cons = (s: string) => (ascii(s).replace(/[aeiou]/g, "") + ascii(s).replace(/[^aeiou]/g, "") + "xxx").slice(0, 3).toUpperCase();
  const fiscal = `${cons(last)}${cons(first)}${String(birth.getUTCFullYear() % 100).padStart(2, "0")}${"ABCDEHLMPRST"[birth.getUTCMonth()]}${String(birth.getUTCDate() + (female ? 40 : 0)).padStart(2, "0")}${cadastral}${String.fromCharCode(65 + r.int(0, 25))}`;
  return {
    name: `${first} ${last}`,
    sex: female ? "F" : "M",
    birthDate: isoDate(birthMs),
    fiscal,
    email: `${ascii(first)}.${ascii(last)}${r.int(1, 99)}@${r.pick(EMAIL_DOMAINS_IT)}`,
    phone: `+39 3${r.int(20, 93)} ${r.int(100, 999)} ${r.int(1000, 9999)}`,
    address: `${r.pick(IT_STREETS)} ${r.int(1, 240)}, ${postcode} ${town}`,
    postcode,
  };
}

const ICU_DIAGNOSES: [string, number][] = [
  ["sepsis", 18], ["community-acquired pneumonia", 11], ["cardiac surgery (post-operative)", 13], ["acute myocardial infarction", 8], ["ischaemic stroke", 7],
  ["intracranial haemorrhage", 4], ["multiple trauma", 8], ["ARDS", 5], ["COPD exacerbation", 6], ["upper GI bleeding", 5], ["diabetic ketoacidosis", 3],
  ["acute heart failure", 7], ["acute pancreatitis", 3], ["cardiac arrest", 2],
];

function icuStays(r: Rng, rows: number): [string[], (i: number) => (string | number)[]] {
  const from = Date.UTC(2019, 0, 1), to = Date.UTC(2024, 11, 31);
  const monitors = Array.from({ length: 28 }, (_, i) => `MX800-SL${String(i + 1).padStart(2, "0")}-${(0x3a10 + i * 37).toString(16).toUpperCase()}`);
  return [
    ["stay_id", "patient_name", "fiscal_code", "email", "phone", "address", "monitor_id", "birth_date", "sex", "postcode", "age", "admission_date", "diagnosis",
      "los_hours", "heart_rate_mean", "systolic_bp_mean", "diastolic_bp_mean", "spo2_min", "resp_rate_mean", "ventilated", "outcome"],
    (i) => {
      const admitted = from + Math.floor(r.rnd() * (to - from) / DAY) * DAY;
      const young = r.rnd() < 0.12;
      const age = Math.round(clamp(young ? r.normal(34, 10) : r.normal(67, 13), 18, 99));
      const birth = admitted - age * 365.25 * DAY - r.int(0, 364) * DAY;
      const p = italianPerson(r, birth);
      const diagnosis = young
        ? r.weighted([["multiple trauma", 30], ["diabetic ketoacidosis", 10], ["sepsis", 12], ["intracranial haemorrhage", 6], ["community-acquired pneumonia", 8], ["acute pancreatitis", 6], ["ARDS", 4], ["cardiac arrest", 2]] as const)
        : r.weighted(ICU_DIAGNOSES);
      const septic = diagnosis === "sepsis" ? 1 : 0;
      const lungs = diagnosis === "ARDS" || diagnosis === "community-acquired pneumonia" || diagnosis === "COPD exacerbation" ? 1 : 0;
      const ventilated = r.rnd() < 0.25 + 0.55 * (diagnosis === "ARDS" ? 1 : 0) + 0.3 * lungs + 0.2 * septic;
      const losHours = Math.round(clamp(Math.exp(r.normal(4 + 0.6 * (ventilated ? 1 : 0), 0.75)), 6, 1800));
      const died = r.rnd() < clamp(0.04 + 0.0025 * Math.max(0, age - 50) + 0.1 * septic + (diagnosis === "cardiac arrest" ? 0.4 : 0) + (ventilated ? 0.06 : 0), 0, 0.9);
      return [
        `SL-ICU-${String(180_000 + i * 7 + r.int(0, 6))}`, p.name, p.fiscal, p.email, p.phone, p.address, r.pick(monitors), p.birthDate, p.sex, p.postcode, age, isoDate(admitted), diagnosis,
        losHours, Math.round(clamp(r.normal(86 + 14 * septic, 11), 45, 150)), Math.round(clamp(r.normal(121 - 12 * septic, 14), 70, 190)), Math.round(clamp(r.normal(65 - 5 * septic, 8), 35, 110)),
        Math.round(clamp(r.normal(93 - 6 * lungs, 2.5), 70, 100)), Math.round(clamp(r.normal(18 + 5 * lungs + 3 * septic, 3.5), 8, 40)), ventilated ? "yes" : "no", died ? "died" : "discharged",
      ];
    },
  ];
}

const CXR_FINDINGS: [string, number][] = [["no finding", 42], ["pneumonia", 12], ["pleural effusion", 11], ["cardiomegaly", 9], ["atelectasis", 8], ["nodule", 5], ["pneumothorax", 3], ["oedema", 6], ["consolidation", 4]];
const RADIOLOGISTS = ["Dr. Elena Marchetti", "Dr. Paolo Serra", "Dr. Chiara Vitale", "Dr. Luca Parisi", "Dr. Giovanna Coppola", "Dr. Fabio Gentile", "Dr. Marta Villa"];

function chestXrays(r: Rng, rows: number): [string[], (i: number) => (string | number)[]] {
  const from = Date.UTC(2020, 0, 1), to = Date.UTC(2024, 11, 31);
  const stations = ["DR-SL-ED1-44F1", "DR-SL-ED2-44F2", "DR-SL-RAD1-9A03", "DR-SL-RAD2-9A04", "MOB-SL-ICU-2C7E", "MOB-SL-WARD-2C7F"];
  return [
    ["accession_number", "patient_name", "patient_id", "referring_physician", "station_serial", "birth_date", "sex", "postcode", "age", "study_date", "view", "finding", "radiologist_confidence"],
    (i) => {
      const studied = from + Math.floor(r.rnd() * (to - from) / DAY) * DAY;
      const age = Math.round(clamp(r.normal(58, 19), 18, 99));
      const p = italianPerson(r, studied - age * 365.25 * DAY - r.int(0, 364) * DAY);
      const portable = r.rnd() < 0.3; // bedside films are AP
      const finding = age > 70 ? r.weighted([...CXR_FINDINGS.map(([f, w]) => [f, f === "cardiomegaly" || f === "pleural effusion" ? w * 1.8 : w] as const)]) : r.weighted(CXR_FINDINGS);
      return [
        `SL${new Date(studied).getUTCFullYear()}${String(400_000 + i).padStart(7, "0")}`, p.name, `MRN${String(r.int(100_000, 999_999))}`, r.pick(RADIOLOGISTS),
        portable ? r.pick(stations.slice(4)) : r.pick(stations.slice(0, 4)), p.birthDate, p.sex, p.postcode, age, isoDate(studied),
        portable ? "AP" : r.rnd() < 0.85 ? "PA" : "LAT", finding, (0.55 + r.rnd() * 0.45).toFixed(2),
      ];
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Anna Keller (Berlin): her nutrition app's export — one person, so quasi-identifiers are constant
// and the dates are what can single a record out (a day someone saw her at a restaurant).

function annaNutrition(r: Rng, rows: number): [string[], (i: number) => (string | number)[]] {
  const start = Date.UTC(2025, 0, 1);
  const meals = ["breakfast", "lunch", "dinner", "snack"] as const;
  let day = 0, slot = 0, steps = 0, active = 0;
  const newDay = () => {
    const weekend = [0, 6].includes(new Date(start + day * DAY).getUTCDay());
    steps = Math.round(clamp(r.normal(weekend ? 11_500 : 8_200, 2_600), 1_500, 26_000));
    active = Math.round(clamp(steps / 180 + r.normal(8, 10), 0, 180));
  };
  newDay();
  return [
    ["user_name", "email", "phone", "device_id", "birth_date", "sex", "postcode", "date", "meal", "kcal", "protein_g", "carbs_g", "fat_g", "steps", "active_minutes"],
    () => {
      // three meals a day and a snack on about one day in five; rows run on into the next day
      if (slot === 3 && r.rnd() >= 0.2) slot = 4;
      if (slot >= 4) {
        day++;
        slot = 0;
        newDay();
      }
      const meal = meals[slot++];
      const kcal = Math.round(clamp(r.normal({ breakfast: 420, lunch: 680, dinner: 760, snack: 220 }[meal], 120), 80, 1500));
      const protein = Math.round(clamp((kcal * r.normal(0.19, 0.04)) / 4, 2, 120));
      const fat = Math.round(clamp((kcal * r.normal(0.32, 0.06)) / 9, 1, 110));
      const carbs = Math.max(0, Math.round((kcal - protein * 4 - fat * 9) / 4));
      return ["Anna Keller", "anna.keller@posteo.de", "+49 151 2345 6789", "FB-SENSE2-7C1E4A", "1991-03-14", "F", "10437", isoDate(start + day * DAY), meal, kcal, protein, carbs, fat, steps, active];
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Baltic Open University (Tallinn): certificates issued in 2024.

const BALTIC: { country: string; weight: number; male: string[]; female: string[]; surnames: string[]; postcodes: string[]; domains: string[] }[] = [
  { country: "EE", weight: 58, male: ["Martin", "Rasmus", "Karl", "Andres", "Mihkel", "Siim", "Tanel", "Kristjan", "Markus", "Priit", "Jaan", "Toomas"], female: ["Maria", "Anna", "Liis", "Kadri", "Triin", "Kristiina", "Laura", "Mari", "Kati", "Helen", "Eliisa", "Sandra"], surnames: ["Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel", "Lepik", "Kuusk", "Oja", "Põder", "Luik"], postcodes: ["10111", "10115", "10120", "10130", "10145", "11314", "12618", "13516", "50090", "50103", "51004", "80010", "20308", "41531"], domains: ["gmail.com", "hot.ee", "mail.ee", "outlook.com"] },
  { country: "LV", weight: 13, male: ["Jānis", "Andris", "Mārtiņš", "Edgars", "Kārlis"], female: ["Anna", "Līga", "Inese", "Kristīne", "Ilze"], surnames: ["Bērziņš", "Kalniņš", "Ozoliņš", "Liepa", "Krūmiņš", "Zariņa"], postcodes: ["LV-1050", "LV-1010", "LV-1001", "LV-3001", "LV-5401"], domains: ["inbox.lv", "gmail.com"] },
  { country: "LT", weight: 11, male: ["Jonas", "Lukas", "Mantas", "Tomas", "Darius"], female: ["Rūta", "Eglė", "Greta", "Ieva", "Agnė"], surnames: ["Kazlauskas", "Jankauskas", "Petrauskas", "Stankevičius", "Vasiliauskas"], postcodes: ["LT-01100", "LT-03100", "LT-44240", "LT-92100"], domains: ["gmail.com", "one.lt"] },
  { country: "FI", weight: 12, male: ["Mikko", "Juha", "Antti", "Ville", "Jukka"], female: ["Aino", "Helmi", "Laura", "Johanna", "Emilia"], surnames: ["Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Heikkinen", "Laine"], postcodes: ["00100", "00530", "02100", "33100", "20100", "90100"], domains: ["gmail.com", "luukku.com"] },
  { country: "DE", weight: 6, male: ["Jonas", "Felix", "Lukas", "Paul"], female: ["Lena", "Hannah", "Julia", "Sophie"], surnames: ["Müller", "Schmidt", "Schneider", "Fischer", "Weber"], postcodes: ["10115", "20095", "80331", "50667", "01067"], domains: ["web.de", "gmx.de", "gmail.com"] },
];
const COURSES: [string, number][] = [["Data Literacy", 3], ["Statistics I", 6], ["Nursing Informatics", 6], ["Python Basics", 3], ["Digital Health", 6], ["Research Methods", 6], ["Machine Learning Foundations", 6], ["Academic Writing", 3]];
const GRADES: [string, number, number][] = [["A", 91, 100], ["B", 81, 90], ["C", 71, 80], ["D", 61, 70], ["E", 51, 60]];

function certificates(r: Rng, rows: number): [string[], (i: number) => (string | number)[]] {
  const from = Date.UTC(2024, 0, 8), to = Date.UTC(2024, 11, 20);
  // students take 1–4 courses: reuse a student for some rows
  const students: string[][] = [];
  const student = (): string[] => {
    if (students.length > 20 && r.rnd() < 0.45) return r.pick(students);
    const c = r.weighted(BALTIC.map((b) => [b, b.weight] as const));
    const female = r.rnd() < 0.61;
    const first = r.pick(female ? c.female : c.male), last = r.pick(c.surnames);
    const age = Math.round(clamp(r.rnd() < 0.6 ? r.normal(24, 3.5) : r.normal(38, 9), 18, 67));
    const birthMs = Date.UTC(2024, 0, 1) - age * 365.25 * DAY - r.int(0, 364) * DAY;
    const b = new Date(birthMs);
    // isikukood: century and sex, YYMMDD, serial, check digit (ISO 7064 weights 1..9,1 then 3..9,1,2,3)
    const head = `${(b.getUTCFullYear() >= 2000 ? 5 : 3) + (female ? 1 : 0)}${String(b.getUTCFullYear() % 100).padStart(2, "0")}${String(b.getUTCMonth() + 1).padStart(2, "0")}${String(b.getUTCDate()).padStart(2, "0")}${String(r.int(0, 999)).padStart(3, "0")}`;
    const sum = (w: number[]) => [...head].reduce((a, d, i) => a + Number(d) * w[i], 0) % 11;
    let check = sum([1, 2, 3, 4, 5, 6, 7, 8, 9, 1]);
    if (check === 10) check = sum([3, 4, 5, 6, 7, 8, 9, 1, 2, 3]) % 10;
    const s = [
      `${first} ${last}`, `${ascii(first)}.${ascii(last)}${r.rnd() < 0.5 ? r.int(1, 99) : ""}@${r.pick(c.domains)}`, `${head}${check}`, `B${String(r.int(210_000, 249_999))}`,
      isoDate(birthMs), female ? "F" : "M", c.country, r.pick(c.postcodes),
    ];
    students.push(s);
    return s;
  };
  return [
    ["certificate_number", "student_name", "email", "personal_code", "student_id", "birth_date", "sex", "country", "postcode", "course", "credits_ects", "completion_date", "grade", "score"],
    (i) => {
      const [name, email, code, id, birth, sex, country, postcode] = student();
      const [course, credits] = r.weighted(COURSES.map((c) => [c, 1] as const));
      const [grade, lo, hi] = r.weighted(GRADES.map((g, j) => [g, [20, 30, 27, 14, 9][j]] as const));
      const completed = from + Math.floor(r.rnd() * (to - from) / DAY) * DAY;
      return [`BOU-2024-${String(100_000 + i * 13 + r.int(0, 12)).padStart(6, "0")}`, name, email, code, id, birth, sex, country, postcode, course, credits, isoDate(completed), grade, r.int(lo, hi)];
    },
  ];
}

const LAYOUTS: Record<string, (r: Rng, rows: number) => [string[], (i: number) => (string | number)[]]> = {
  "icu-vitals": icuStays,
  "chest-xray": chestXrays,
  "anna-nutrition": annaNutrition,
  "course-certificates": certificates,
};

/** The seller's choices where the automatic classification (sdk/src/anonymise/classify.ts) would
 * differ: an identifier it cannot recognise by name or content, or one dropped rather than pseudonymised. */
export const DEMO_COLUMN_OVERRIDES: Record<string, Record<string, ColumnOverride>> = {
  "icu-vitals": {
    fiscal_code: { role: "identifier", action: "drop" }, // codice fiscale: a national code the classifier does not know
    monitor_id: { role: "identifier", action: "drop" }, // bedside monitor: ties the stay to a bed and a time
    stay_id: { role: "identifier", action: "pseudonymise" },
  },
  "chest-xray": {
    accession_number: { role: "identifier", action: "pseudonymise" }, // the buyer asks for images by it; the hospital maps it back
    patient_id: { role: "identifier", action: "drop" },
    referring_physician: { role: "identifier", action: "drop" },
    station_serial: { role: "identifier", action: "drop" }, // the X-ray unit (DICOM DeviceSerialNumber)
  },
  "anna-nutrition": {
    device_id: { role: "identifier", action: "drop" },
  },
  "course-certificates": {
    certificate_number: { role: "identifier", action: "drop" }, // verifiable online: leads to the holder
    personal_code: { role: "identifier", action: "drop" }, // isikukood: sex and birth date in the clear
    student_id: { role: "identifier", action: "pseudonymise" },
  },
};

/** The product keys with a raw layout (the demo's anonymised batch products). */
export const DEMO_RAW_PRODUCTS = Object.keys(LAYOUTS);

/** A seeded anonymised product's raw export (CSV, `rows` rows), identifiers and all. */
export function demoRawFile(productKey: string, rows: number): Uint8Array {
  const layout = LAYOUTS[productKey];
  if (!layout) throw new Error(`no raw layout for demo product ${productKey}`);
  const [header, row] = layout(demoRandom(`${productKey}/raw`), rows);
  const lines = [header.join(",")];
  for (let i = 0; i < rows; i++) lines.push(row(i).map(csvField).join(","));
  return new TextEncoder().encode(lines.join("\n") + "\n");
}
