// The manifest's output-privacy rules in plain words, and what the dataset is (rows, columns).
import type { AnalyticsManifest } from "./sdk.ts";
import { privacyGuarantees } from "./words.ts";

export function PrivacyFacts({ manifest, epsilonLeft }: { manifest: AnalyticsManifest; epsilonLeft?: number }) {
  return (
    <section aria-label="Privacy guarantees" className="privacy-facts">
      <h3>What protects the people in the data</h3>
      <ul>
        <li data-guarantee="records">You get computed results only, never records: the {manifest.rows.toLocaleString("en")} rows stay split between {manifest.nodes.length} independent computation nodes.</li>
        {privacyGuarantees(manifest, epsilonLeft).map((g) => (
          <li key={g.key} data-guarantee={g.key}>{g.text}</li>
        ))}
      </ul>
    </section>
  );
}
