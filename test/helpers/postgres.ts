// A throw-away PostgreSQL server for tests and benchmarks: Debian's `postgresql` binaries, a
// cluster in a temp dir on a free loopback port, one fresh database per store. initdb refuses
// to run as root, so as root the cluster belongs to the `postgres` user the package creates.
// Durability is off (fsync, full-page writes): the cluster is deleted when it stops.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "../../chain/src/index.ts";
import { postgresBinDir } from "../../scripts/lib/postgres.ts";

export interface RunningPostgres {
  /** postgres:// URL of the server's `postgres` database */
  url: string;
  /** creates an empty database and returns its URL */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

const isRoot = () => process.getuid?.() === 0;
// runuser lives in sbin, which a plain user's PATH (and CI's) does not list.
const runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].find((p) => existsSync(p)) ?? "runuser";

/** Runs a server binary, as `postgres` when we are root. */
function run(bin: string, args: string[]): void {
  const [cmd, argv] = isRoot() ? [runuser, ["-u", "postgres", "--", bin, ...args]] : [bin, args];
  const r = spawnSync(cmd, argv, { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${bin} ${args[0] ?? ""} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || r.error?.message || "").trim()}`);
}

export async function startPostgres(): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), "kraken-pg-"));
  chmodSync(dir, 0o755);
  if (isRoot()) execFileSync("chown", ["postgres:postgres", dir]);
  const data = join(dir, "data");
  const port = await freePort();
  try {
    run(join(bin, "initdb"), ["-D", data, "-U", "kraken", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200`;
    run(join(bin, "pg_ctl"), ["-D", data, "-l", join(dir, "server.log"), "-o", options, "-w", "-t", "60", "start"]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true }); // a cluster that did not start leaves nothing behind
    throw err;
  }
  const url = (db: string) => `postgres://kraken@127.0.0.1:${port}/${db}`;
  let n = 0;
  let stopped = false;
  return {
    url: url("postgres"),
    async createDatabase() {
      const name = `kraken_${process.pid}_${++n}`;
      const admin = new pg.Client({ connectionString: url("postgres") });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
