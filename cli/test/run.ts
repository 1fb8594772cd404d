// Runs `kraken` as a user does: a child process of bin/kraken.mjs, with its own environment
// (PRIVATE_KEY unset unless given), under the machine's own `node` (e.g. Node 20), not the
// project's Node 22 that runs the tests: the CLI must work with whatever Node the user has.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";

const bin = join(import.meta.dirname, "..", "bin", "kraken.mjs");
const toolchain = resolve(import.meta.dirname, "..", "..", ".toolchain");

/** The first `node` on PATH outside the project's .toolchain/ (KRAKEN_USER_NODE overrides). */
export const userNode: string =
  process.env.KRAKEN_USER_NODE ??
  (process.env.PATH ?? "")
    .split(delimiter)
    .filter((d) => d && !resolve(d).startsWith(toolchain))
    .map((d) => join(d, "node"))
    .find((p) => existsSync(p)) ??
  process.execPath;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function kraken(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(userNode, [bin, ...args], { env: { ...process.env, PRIVATE_KEY: undefined, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    child.on("exit", (code, signal) => done({ code: code ?? (signal === "SIGSEGV" ? 139 : 1), stdout, stderr }));
  });
}
