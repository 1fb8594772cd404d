// The review step's lines for an analytics product: schema, what buyers may ask, privacy.
import { OP_WORDS } from "../../analytics/words.ts";
import { rulesOf, type AnalyticsDraft } from "./analyticsDraft.ts";

export function AnalyticsReview({ draft }: { draft: AnalyticsDraft }) {
  const used = draft.columns.filter((c) => c.use);
  const r = rulesOf(draft);
  const list = (xs: string[]) => (xs.length ? xs.join(", ") : "—");
  return (
    <>
      <dt>Schema</dt>
      <dd>{list(used.map((c) => `${c.name} (${c.kind})`))}</dd>
      <dt>Buyers may ask</dt>
      <dd>
        {list(r.allowed.operations.map((o) => OP_WORDS[o].toLowerCase()))} over {list(r.allowed.columns)}
        {r.allowed.groupBy.length ? `; grouped by ${list(r.allowed.groupBy)}` : ""}
      </dd>
      <dt>Output privacy</dt>
      <dd>
        groups under {r.minCohort} people withheld; {r.epsilonPerQuery > 0 ? `noise with ε ${r.epsilonPerQuery} per query, budget ε ${r.epsilonBudget}` : "no noise"}; nodes answer within {Math.round(r.jobTimeout / 60)} min
      </dd>
      <dt>Computation</dt>
      <dd>3 SMPC nodes; any 2 rebuild a result</dd>
    </>
  );
}
