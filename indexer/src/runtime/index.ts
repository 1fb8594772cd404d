// Subgraph mapping runtime: runs graph-ts (AssemblyScript) event handlers the way graph-node does.
export { MappingModule, type MappingModuleOptions, type CreatedDataSource, type DataSourceInstance } from "./module.ts";
export { MapEntityAccess, entityValuesEqual, type EntityAccess, type EntityData, type EntityValue, type BigDecimalValue } from "./entities.ts";
export { HandlerError, MappingError, type MappingErrorKind } from "./errors.ts";
export {
  decodeEventParams,
  toEthValue,
  type EthereumBlock,
  type EthereumEvent,
  type EthereumTransaction,
  type EthValue,
  type EventParam,
  type RawLog,
} from "./ethereum.ts";
export { parseSubgraphSchema, type RuntimeSchema, type EntityTypeInfo, type FieldInfo, type ValueType } from "./schema.ts";
export { UNSUPPORTED_HOST_FUNCTIONS, supportedHostFunctions, type LogLevel } from "./host.ts";
