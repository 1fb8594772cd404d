export { startGraphqlServer, type GraphqlServer, type GraphqlServerOptions } from "./server.ts";
export { QueryEngine, DEFAULT_LIMITS, type MetaInfo, type QueryLimits, type GraphqlRequest } from "./execute.ts";
export { buildQuerySchema, collectionName, pluralize, type QuerySchema } from "./query-schema.ts";
