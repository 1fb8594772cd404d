// The analytics SDK (@kraken/sdk/analytics) as the pages use it, and the one shape the dApp
// adds: a result as shown, with the job and query it answers.
import type { Query, QueryResult } from "@kraken/sdk/analytics";

export {
  binLabel,
  OPERATIONS,
  parseSchema,
  QueryError,
  validateQuery,
  type AnalyticsManifest,
  type CategoricalColumn,
  type Column,
  type Condition,
  type NumericColumn,
  type Operation,
  type Query,
  type QueryResult,
  type ResultCell,
  type Schema,
} from "@kraken/sdk/analytics";

/** A rebuilt result with what it answers. */
export interface ShownResult {
  jobId: string;
  query: Query;
  result: QueryResult;
}
