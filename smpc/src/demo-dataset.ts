// The demo's analytics dataset: synthetic hospital admissions behind "30-day readmission
// statistics (SMPC)". Generated from a fixed seed, so every `npm start` shares the same table and
// tests can recount it. Realistic shapes, not real people: older patients stay longer and come
// back more often; cardiac and respiratory admissions are readmitted more than orthopaedic ones.

export const READMISSION_COLUMNS = ["age", "sex", "region", "diagnosis", "length_of_stay", "readmitted"] as const;

/** The schema the hospital publishes with the product (docs/analytics.md#schema-and-encoding). */
export const READMISSION_SCHEMA = {
  columns: [
    { name: "age", kind: "numeric", min: 18, max: 105, decimals: 0, bins: [18, 40, 65, 80, 106] },
    { name: "sex", kind: "categorical", values: ["F", "M"] },
    { name: "region", kind: "categorical", values: ["north", "centre", "south", "islands"] },
    { name: "diagnosis", kind: "categorical", values: ["cardiac", "respiratory", "orthopaedic", "oncology", "neurology", "digestive", "other"] },
    { name: "length_of_stay", kind: "numeric", min: 0, max: 120, decimals: 1, bins: [0, 3, 7, 14, 30, 121] },
    { name: "readmitted", kind: "numeric", min: 0, max: 1, decimals: 0 },
  ],
} as const;

/** What buyers may ask (data minimisation) and the output-privacy settings. */
export const READMISSION_RULES = {
  allowed: {
    columns: [...READMISSION_COLUMNS],
    operations: ["count", "sum", "mean", "variance", "stddev", "histogram"],
    groupBy: ["sex", "region", "diagnosis"],
  },
  privacy: { minCohort: 10, epsilonPerQuery: 0, epsilonBudget: 0 },
  jobTimeoutSeconds: 600,
} as const;

export const READMISSION_ROWS = 10_000;

// mulberry32: a tiny seeded PRNG (demo data must be reproducible; nothing secret here).
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DIAGNOSES: { name: string; weight: number; stay: number; risk: number }[] = [
  { name: "cardiac", weight: 22, stay: 6.5, risk: 0.19 },
  { name: "respiratory", weight: 18, stay: 7.0, risk: 0.18 },
  { name: "orthopaedic", weight: 15, stay: 5.5, risk: 0.07 },
  { name: "oncology", weight: 12, stay: 9.0, risk: 0.21 },
  { name: "neurology", weight: 10, stay: 8.0, risk: 0.13 },
  { name: "digestive", weight: 13, stay: 4.5, risk: 0.12 },
  { name: "other", weight: 10, stay: 3.5, risk: 0.09 },
];
const REGIONS = [["north", 38], ["centre", 22], ["south", 28], ["islands", 12]] as const;

function pick<T>(r: number, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = r * total;
  for (const [item, w] of items) if ((x -= w) < 0) return item;
  return items[items.length - 1][0];
}

/** One admission per row, as CSV lines (header first); `rows` admissions from `seed`. */
export function* readmissionCsv(rows = READMISSION_ROWS, seed = 30): Generator<string> {
  const rand = prng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  yield READMISSION_COLUMNS.join(",") + "\n";
  for (let i = 0; i < rows; i++) {
    // Ages: a younger and an older hump, clipped to the schema's range.
    const age = Math.round(Math.min(105, Math.max(18, rand() < 0.35 ? 42 + 14 * gauss() : 74 + 10 * gauss())));
    const sex = rand() < 0.52 ? "F" : "M";
    const region = pick(rand(), REGIONS);
    const d = pick(rand(), DIAGNOSES.map((x) => [x, x.weight] as const));
    const stay = Math.min(120, Math.max(0.5, d.stay * Math.exp(0.55 * gauss()) * (1 + Math.max(0, age - 60) / 80)));
    const risk = d.risk * (1 + Math.max(0, age - 65) / 40) * (stay > 14 ? 1.4 : 1);
    const readmitted = rand() < Math.min(0.9, risk) ? 1 : 0;
    yield `${age},${sex},${region},${d.name},${stay.toFixed(1)},${readmitted}\n`;
  }
}
