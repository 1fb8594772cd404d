// One compiled mapping module (build/<DataSource>/<DataSource>.wasm) and its event handlers,
// run the way graph-node runs them.
//
// graph-node instantiates a fresh module per trigger; here one instance is reused across events
// (the AS stub runtime only bumps an allocation pointer and mappings keep no mutable globals that
// matter), and replaced after a failure, after `maxEventsPerInstance` events, or once its memory
// grows past `maxMemoryBytes`.
//
// A data source template's module serves all instances of the template: `runHandler` takes the
// instance (address, context) and switches what `dataSource.address()` / `context()` return for
// that one call, so the WASM is compiled and instantiated once per template, not per instance.

import { AscHeap, type AscExports } from "./asc.ts";
import type { EntityAccess, EntityData } from "./entities.ts";
import { HandlerError, MappingError, type MappingErrorKind } from "./errors.ts";
import { hexToBytesFast, writeEvent, type EthereumEvent } from "./ethereum.ts";
import { createHostFunctions, unsupportedHostFunction, type HostContext, type LogLevel } from "./host.ts";
import { parseSubgraphSchema, type RuntimeSchema } from "./schema.ts";
import { HandlerWrites } from "./writes.ts";

export interface MappingModuleOptions {
  /** The data source's name in the manifest (error messages, logs). */
  dataSourceName: string;
  /** The data source's contract address (`dataSource.address()`). */
  address: string;
  /** `dataSource.network()`. */
  network: string;
  /** Where store.get/set/remove go. Can be swapped with `setStore`. */
  store: EntityAccess;
  /** Mapping logs (`log.info` etc.). Critical logs also fail the handler. */
  log?: (level: LogLevel, msg: string) => void;
  /**
   * The subgraph schema (SDL text of build/schema.graphql, or parsed). Optional but recommended:
   * it types store values (Int8/Timestamp), normalises Bytes ids and validates store.set the way
   * graph-node does. Without it, values are untyped and not validated.
   */
  schema?: string | RuntimeSchema;
  /** `dataSource.context()` entries (default empty). */
  context?: EntityData;
  /**
   * Names of the manifest's data source templates: `dataSource.create(name, …)` with another name
   * fails the handler, as in graph-node. Without it any name is accepted.
   */
  templates?: readonly string[];
  /** Re-instantiate once linear memory exceeds this (default 64 MiB). */
  maxMemoryBytes?: number;
  /** Re-instantiate after this many handler runs (default 50,000). */
  maxEventsPerInstance?: number;
}

/** A data source a handler created from a template (`dataSource.create[WithContext]`). */
export interface CreatedDataSource {
  template: string;
  /** params[0], lower-case 0x-hex */
  address: string;
  params: string[];
  context: EntityData | null;
}

/** The data source an event is run for, when not the module's own (template instances). */
export interface DataSourceInstance {
  address: string | Uint8Array;
  context?: EntityData | null;
}

const NONE: readonly CreatedDataSource[] = Object.freeze([]);

interface Instance {
  exports: AscExports & Record<string, unknown>;
  heap: AscHeap;
  runs: number;
}

const RUNTIME_EXPORTS = new Set(["memory", "id_of_type", "allocate", "__new", "__pin", "__unpin", "__collect", "_start"]);

export class MappingModule {
  readonly dataSourceName: string;
  /** Every import of the module, as "module.name" (e.g. "index.store.get"). */
  readonly imports: readonly string[];
  /** Imports this host implements / stubs as unsupported. */
  readonly implementedImports: readonly string[];
  readonly unsupportedImports: readonly string[];
  /** Exported handler functions. */
  readonly handlers: readonly string[];
  /** Instances created so far (for tests and metrics). */
  instancesCreated = 0;
  eventsProcessed = 0;

  private store: EntityAccess;
  private readonly schema: RuntimeSchema | undefined;
  private readonly importObject: WebAssembly.Imports;
  private instance: Instance | null = null;
  private current: HandlerWrites | null = null;
  private created: CreatedDataSource[] = [];
  private readonly ctx: HostContext;
  private readonly ownAddress: Uint8Array;
  private readonly ownContext: EntityData;
  private readonly maxMemoryBytes: number;
  private readonly maxEventsPerInstance: number;

  private constructor(
    private readonly module: WebAssembly.Module,
    opts: MappingModuleOptions,
  ) {
    this.dataSourceName = opts.dataSourceName;
    this.store = opts.store;
    this.schema = typeof opts.schema === "string" ? parseSubgraphSchema(opts.schema) : opts.schema;
    this.maxMemoryBytes = opts.maxMemoryBytes ?? 64 * 1024 * 1024;
    this.maxEventsPerInstance = opts.maxEventsPerInstance ?? 50_000;

    const logFn = opts.log ?? (() => {});
    const templates = opts.templates;
    this.ownAddress = hexToBytesFast(opts.address as `0x${string}`);
    this.ownContext = opts.context ?? {};
    const ctx: HostContext = (this.ctx = {
      heap: () => {
        if (!this.instance) throw new Error("no mapping instance");
        return this.instance.heap;
      },
      writes: () => {
        if (!this.current) throw new HandlerError("store access outside of a handler");
        return this.current;
      },
      dataSourceName: opts.dataSourceName,
      address: this.ownAddress,
      network: opts.network,
      context: this.ownContext,
      log: logFn,
      createDataSource: (name, params, context) => {
        if (!this.current) throw new HandlerError("dataSource.create outside of a handler");
        // graph-node's messages (runtime/wasm host_exports, chain/ethereum data_source)
        if (templates && !templates.includes(name)) {
          throw new HandlerError(
            `Failed to create data source from name \`${name}\`: No template with this name in parent data source \`${opts.dataSourceName}\`. ` +
              `Available names: ${templates.join(", ")}.`,
          );
        }
        const param = params[0];
        if (param === undefined) throw new HandlerError(`Failed to create data source from template \`${name}\`: address parameter is missing`);
        const body = param.startsWith("0x") ? param.slice(2) : param;
        if (!/^[0-9a-fA-F]{40}$/.test(body)) {
          throw new HandlerError(`Failed to create data source from template \`${name}\`, invalid address provided: '${param}'`);
        }
        this.created.push({ template: name, address: "0x" + body.toLowerCase(), params: [...params], context });
      },
    });
    const host = createHostFunctions(ctx);

    const imports: string[] = [];
    const implemented: string[] = [];
    const unsupported: string[] = [];
    const importObject: Record<string, Record<string, WebAssembly.ImportValue>> = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      const full = `${imp.module}.${imp.name}`;
      imports.push(full);
      if (imp.kind !== "function") {
        throw new Error(`mapping ${opts.dataSourceName} imports a ${imp.kind} (${full}); only functions are provided`);
      }
      const fn = Object.hasOwn(host, imp.name) ? host[imp.name] : undefined;
      (importObject[imp.module] ??= {})[imp.name] = fn ?? unsupportedHostFunction(imp.name);
      (fn ? implemented : unsupported).push(imp.name);
    }
    this.imports = imports;
    this.implementedImports = implemented;
    this.unsupportedImports = unsupported;
    this.importObject = importObject;

    this.handlers = WebAssembly.Module.exports(module)
      .filter((e) => e.kind === "function" && !RUNTIME_EXPORTS.has(e.name))
      .map((e) => e.name);
    for (const required of ["memory", "__new", "id_of_type"]) {
      if (!WebAssembly.Module.exports(module).some((e) => e.name === required)) {
        throw new Error(`mapping ${opts.dataSourceName} does not export ${required} (not a graph-ts ≥ 0.22 module?)`);
      }
    }
  }

  /** Compiles a mapping module and instantiates it once (so instantiation errors surface here). */
  static async load(wasm: Uint8Array | ArrayBuffer | WebAssembly.Module, opts: MappingModuleOptions): Promise<MappingModule> {
    const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm as BufferSource);
    const m = new MappingModule(module, opts);
    m.ensureInstance();
    return m;
  }

  /** Synchronous variant of `load`. */
  static loadSync(wasm: Uint8Array | ArrayBuffer | WebAssembly.Module, opts: MappingModuleOptions): MappingModule {
    const module = wasm instanceof WebAssembly.Module ? wasm : new WebAssembly.Module(wasm as BufferSource);
    const m = new MappingModule(module, opts);
    m.ensureInstance();
    return m;
  }

  /** Switches the EntityAccess used by subsequent handler runs. */
  setStore(store: EntityAccess): void {
    this.store = store;
  }

  /** Linear memory of the current instance, in bytes (0 if none). */
  get memoryBytes(): number {
    return this.instance?.heap.byteLength ?? 0;
  }

  /** Drops the current instance; the next handler run gets a fresh one. */
  reset(): void {
    this.instance = null;
  }

  private ensureInstance(): Instance {
    if (this.instance) return this.instance;
    const inst = new WebAssembly.Instance(this.module, this.importObject);
    const exports = inst.exports as AscExports & Record<string, unknown>;
    this.instance = { exports, heap: new AscHeap(exports), runs: 0 };
    this.instancesCreated++;
    // graph-cli compiles with --explicitStart: graph-node calls _start before anything else.
    const start = exports._start;
    if (typeof start === "function") {
      try {
        (start as () => void)();
      } catch (err) {
        this.instance = null;
        throw err;
      }
    }
    return this.instance;
  }

  /**
   * Runs `handlerName` for one event. On success the handler's entity writes are applied to the
   * EntityAccess; on failure nothing is written and a MappingError is thrown.
   *
   * `source` is the template instance the event belongs to (its address and context for
   * `dataSource.address()` / `context()`); by default the module's own data source.
   * Returns the data sources the handler created from templates (only if it succeeded).
   */
  runHandler(handlerName: string, event: EthereumEvent, source?: DataSourceInstance): readonly CreatedDataSource[] {
    const info = {
      dataSource: this.dataSourceName,
      handler: handlerName,
      blockNumber: event.block.number,
      blockHash: event.block.hash,
      txHash: event.transaction.hash,
      logIndex: event.logIndex,
    };
    const fail = (message: string, kind: MappingErrorKind, deterministic: boolean, extra: object = {}, cause?: unknown) =>
      new MappingError(message, { ...info, kind, deterministic, cause, ...extra });

    let instance: Instance;
    try {
      instance = this.ensureInstance();
    } catch (err) {
      throw fail(`instantiation failed: ${(err as Error).message}`, "trap", true, {}, err);
    }
    const handler = instance.exports[handlerName];
    if (typeof handler !== "function" || RUNTIME_EXPORTS.has(handlerName)) {
      throw fail(`the module exports no handler ${handlerName}`, "missing-handler", true);
    }

    const writes = new HandlerWrites(this.store, this.schema);
    this.current = writes;
    this.created = [];
    if (source) {
      this.ctx.address = typeof source.address === "string" ? hexToBytesFast(source.address as `0x${string}`) : source.address;
      this.ctx.context = source.context ?? {};
    }
    try {
      const eventPtr = writeEvent(instance.heap, event);
      (handler as (ptr: number) => void)(eventPtr);
    } catch (err) {
      this.instance = null; // never reuse an instance that failed mid-handler
      if (err instanceof HandlerError) {
        const kind: MappingErrorKind = err.kind;
        throw fail(err.message, kind, err.deterministic, { file: err.file, line: err.line, column: err.column }, err);
      }
      if (err instanceof WebAssembly.RuntimeError) throw fail(`WASM trap: ${err.message}`, "trap", true, {}, err);
      if (err instanceof RangeError && /call stack/i.test(err.message)) {
        throw fail(`WASM trap: ${err.message}`, "trap", true, {}, err);
      }
      throw fail(`host error: ${(err as Error)?.message ?? String(err)}`, "host", false, {}, err);
    } finally {
      this.current = null;
      this.ctx.address = this.ownAddress;
      this.ctx.context = this.ownContext;
    }

    writes.commit();
    const created = this.created.length ? this.created : NONE;
    this.created = [];
    this.eventsProcessed++;
    instance.runs++;
    if (instance.runs >= this.maxEventsPerInstance || instance.heap.byteLength >= this.maxMemoryBytes) {
      this.instance = null;
    }
    return created;
  }
}
