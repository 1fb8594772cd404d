// The two databases the indexer's store runs on, for suites that must pass on both: PGlite
// (embedded, the default) and a PostgreSQL server (a throw-away cluster, see
// test/helpers/postgres.ts). A location is what PgStore.open takes to find its database.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres, type RunningPostgres } from "../../test/helpers/postgres.ts";

export type BackendName = "PGlite" | "PostgreSQL";
export const BACKENDS: readonly BackendName[] = ["PGlite", "PostgreSQL"];

export type StoreLocation = { dataDir: string; connectionString?: undefined } | { connectionString: string; dataDir?: undefined };

export interface Backend {
  name: BackendName;
  /** an empty database nobody else uses */
  fresh(): Promise<StoreLocation>;
  /** an empty database that outlives a store's close (a data directory, or a server database) */
  persistent(): Promise<StoreLocation>;
  stop(): Promise<void>;
}

export async function openBackend(name: BackendName): Promise<Backend> {
  if (name === "PostgreSQL") {
    const server: RunningPostgres = await startPostgres();
    const db = async () => ({ connectionString: await server.createDatabase() });
    return { name, fresh: db, persistent: db, stop: () => server.stop() };
  }
  const dirs: string[] = [];
  return {
    name,
    fresh: async () => ({ dataDir: "memory://" }),
    persistent: async () => {
      const d = mkdtempSync(join(tmpdir(), "kraken-store-"));
      dirs.push(d);
      return { dataDir: d };
    },
    stop: async () => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
