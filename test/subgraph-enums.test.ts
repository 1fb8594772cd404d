// The subgraph's enums are generated from contracts/src/MarketTypes.sol (subgraph/scripts/enums.ts):
// a value added in Solidity without regenerating fails here, and public GraphQL names never change.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MARKET_TYPES, parseSolidityEnums, readMarketEnums } from "../scripts/lib/enums.ts";
import {
  ENUMS_MODULE,
  renderEnumsModule,
  renderSchemaEnums,
  SCHEMA,
  schemaEnumLines,
  subgraphEnums,
} from "../subgraph/scripts/enums.ts";

/** The GraphQL names as published; the query API's clients depend on them. Append-only. */
const PUBLISHED: Record<string, string[]> = {
  ProductType: ["STREAM", "BATCH", "DATA_UNION", "ANALYTICS"],
  Modality: ["ANONYMISED", "ENCRYPTED", "SMPC"],
  PricingUnit: ["ONE_TIME", "HOUR", "DAY", "WEEK", "MONTH"],
  Category: ["INDIVIDUAL", "ORGANISATION"],
  OrganisationType: [
    "NONE", "HOSPITAL", "RESEARCH_UNIVERSITY", "PHARMA", "INSURER", "PUBLIC_AUTHORITY", "HEALTH_TECH",
    "EMPLOYER_RECRUITER", "EDUCATION_PROVIDER",
  ],
  Purpose: [
    "RESEARCH", "CLINICAL_TRIALS", "PUBLIC_HEALTH", "PRODUCT_DEVELOPMENT", "INSURANCE", "MARKETING", "EDUCATION",
    "RECRUITMENT", "AI_TRAINING", "WELLBEING_SERVICES", "STATISTICS",
  ],
  Country: [
    "", "DE", "GB", "FR", "IT", "ES", "NL", "BE", "PT", "SE", "DK", "EE", "FI", "AT", "BG", "CH", "CY", "CZ", "GR",
    "HR", "HU", "IE", "IS", "LI", "LT", "LU", "LV", "MT", "NO", "PL", "RO", "SI", "SK",
  ],
  AgreementStatus: ["", "PENDING", "ACTIVE", "REJECTED", "CANCELLED", "TERMINATED"],
  MemberStatus: ["NONE", "PENDING", "ACTIVE", "PARTED", "REMOVED"],
  RemovalReason: ["OTHER", "CREDENTIAL_INVALID", "POLICY_BREACH", "BAD_DATA", "INACTIVE"],
  JobStatus: ["", "OPEN", "COMPLETED", "REFUSED", "REFUNDED"],
  RefusalReason: ["QUERY_MALFORMED", "QUERY_NOT_ALLOWED", "DIFFERENCING", "NOT_ELIGIBLE", "DATASET_MISMATCH", "COMPUTE_FAILED"],
};

describe("subgraph enums generated from MarketTypes.sol", () => {
  it("schema.graphql declares exactly the generated enums (regenerate with node --import tsx subgraph/scripts/enums.ts --write)", () => {
    expect(schemaEnumLines(readFileSync(SCHEMA, "utf8"))).toBe(renderSchemaEnums());
  });

  it("the mappings were built from the current MarketTypes.sol (rebuild with npx tsx subgraph/scripts/build.ts)", () => {
    expect(existsSync(ENUMS_MODULE), `${ENUMS_MODULE} missing: build the subgraph`).toBe(true);
    expect(readFileSync(ENUMS_MODULE, "utf8")).toBe(renderEnumsModule());
  });

  it("published GraphQL names stay as they are: Solidity enums may only append", () => {
    for (const e of subgraphEnums()) {
      expect(e.names.slice(0, PUBLISHED[e.solidity].length), e.solidity).toEqual(PUBLISHED[e.solidity]);
    }
  });

  it("a value appended in Solidity changes the generated schema enums and name lists", () => {
    const source = readFileSync(MARKET_TYPES, "utf8");
    const appended = source.replace(/(\n\s*)Statistics(\s*\n\})/, "$1Statistics,$1SportsScience$2");
    expect(appended).not.toBe(source);
    const enums = parseSolidityEnums(appended);
    expect(enums.map((e) => e.name)).toEqual(readMarketEnums().map((e) => e.name));
    expect(renderSchemaEnums(enums)).not.toBe(schemaEnumLines(readFileSync(SCHEMA, "utf8")));
    expect(renderSchemaEnums(enums)).toContain(" STATISTICS SPORTS_SCIENCE }");
    expect(renderEnumsModule(enums)).toContain('"STATISTICS", "SPORTS_SCIENCE"]');
  });
});
