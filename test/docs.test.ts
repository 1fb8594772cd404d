// Docs that are generated from code must match it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderDemoDoc } from "../contracts/scripts/demo-doc.ts";
import { README, renderConfigSection } from "../scripts/config-doc.ts";

describe("docs", () => {
  it("docs/demo.md matches the seeded demo (regenerate with node --import tsx contracts/scripts/demo-doc.ts)", () => {
    expect(readFileSync(join(import.meta.dirname, "..", "docs", "demo.md"), "utf8")).toBe(renderDemoDoc());
  });

  it("README.md's configuration table matches sdk/src/config/index.ts (regenerate with node --import tsx scripts/config-doc.ts)", () => {
    const readme = readFileSync(README, "utf8");
    expect(readme).toBe(renderConfigSection(readme));
  });
});
