// Docs that are generated from code must match it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderDemoDoc } from "../contracts/scripts/demo-doc.ts";

describe("docs", () => {
  it("docs/demo.md matches the seeded demo (regenerate with node --import tsx contracts/scripts/demo-doc.ts)", () => {
    expect(readFileSync(join(import.meta.dirname, "..", "docs", "demo.md"), "utf8")).toBe(renderDemoDoc());
  });
});
