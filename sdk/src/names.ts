// Enum spellings across the system: the SDK's names (ResearchUniversity), the subgraph's
// GraphQL enums (RESEARCH_UNIVERSITY), command-line flags (research-university) and on-chain
// numbers all name the same value.

/** "CLINICAL_TRIALS", "ClinicalTrials", "clinical-trials" → "clinicaltrials" (for matching). */
const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");

/** Index of `value` in an SDK enum name list (any spelling, or a number); -1 if unknown. */
export function enumIndex(names: readonly string[], value: string | number): number {
  if (typeof value === "number") return value >= 0 && value < names.length ? value : -1;
  return names.map(squash).indexOf(squash(value));
}

/** SDK name → subgraph enum string: ResearchUniversity → RESEARCH_UNIVERSITY. */
export const toGraphEnum = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();

/** SDK name → command-line spelling: ResearchUniversity → research-university. */
export const toFlag = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
