export { startGraphqlServer, type GraphqlServer, type GraphqlServerOptions } from "./server.js";
export { QueryEngine, DEFAULT_LIMITS, type MetaInfo, type QueryLimits, type GraphqlRequest } from "./execute.js";
export { buildQuerySchema, collectionName, pluralize, type QuerySchema } from "./query-schema.js";
