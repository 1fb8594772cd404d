// Runs `kraken` as a user does: a child process of bin/kraken.mjs, with its own environment
// (PRIVATE_KEY unset unless given).
import { spawn } from "node:child_process";
import { join } from "node:path";

const bin = join(import.meta.dirname, "..", "bin", "kraken.mjs");

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function kraken(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, PRIVATE_KEY: undefined, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    child.on("exit", (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}
