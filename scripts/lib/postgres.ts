// The indexer's suites run on PGlite and on a PostgreSQL server (Debian's `postgresql`): on a
// fresh machine `npm test` installs the server binaries itself when it can (root with apt-get),
// so the README's two commands stay the whole set-up. Only the binaries are used: each suite
// starts and stops its own cluster in a temp dir (test/helpers/postgres.ts).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { log, runSync } from "./proc.ts";

/** The server binaries: the newest /usr/lib/postgresql/<version>/bin (Debian's layout). */
export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions.length) {
    throw new Error("PostgreSQL server binaries not found (no /usr/lib/postgresql/<version>/bin/initdb): install them with `apt-get install -y postgresql`");
  }
  return join(root, versions[0], "bin");
}

const found = (): boolean => {
  try {
    postgresBinDir();
    return true;
  } catch {
    return false;
  }
};

/** True when the binaries are there (now); otherwise says what to do and returns false. */
export function ensurePostgres(): boolean {
  if (found()) return true;
  const canInstall = process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
  if (!canInstall) {
    log("PostgreSQL server binaries not found: the indexer's PostgreSQL suites will fail. Install them with `sudo apt-get install -y postgresql`.");
    return false;
  }
  log("installing the PostgreSQL server binaries (apt-get install -y postgresql) for the indexer's PostgreSQL suites");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => runSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", "postgresql"], { env, stdio: "inherit" });
  if (install() !== 0) {
    runSync("apt-get", ["update", "-q"], { env, stdio: "inherit" }); // a fresh machine may have no package lists yet
    install();
  }
  return found();
}
